/** What a TAPA instance is told at start (MERIDIO_* variables of the Go TAPA). */
export interface CoreConfig {
  /** MERIDIO_NAME: NSM client name and prefix of every connection id. */
  readonly name: string;
  /** MERIDIO_NODE: selects the proxy on the pod's node. */
  readonly node: string;
  /** MERIDIO_NAMESPACE: namespace of the trenches. */
  readonly namespace: string;
  /** MERIDIO_NSP_ENTRY_TIMEOUT: how often an ENABLED target is refreshed. */
  readonly nspEntryTimeoutMs: number;
  /** MERIDIO_TIMEOUT: deadline of every NSM call. */
  readonly timeoutMs: number;
}

export const defaultConfig: CoreConfig = {
  name: 'nsc',
  node: '',
  namespace: 'default',
  nspEntryTimeoutMs: 30_000,
  timeoutMs: 15_000,
};

/** Fixed delays and bounds of v1.1.4 (reference §4.4), plus the bounds we add. */
export const limits = {
  /** Deadline of one NSP call of the target protocol (Go's PendingTime). */
  nspCallMs: 15_000,
  /** Pause after a failed target attempt before the next one. */
  streamRetryMs: 1_000,
  /** Pause after a failed NSM connect or close. */
  connectRetryMs: 2_000,
  /** Pause after a failed VIP update. */
  vipRetryMs: 1_000,
  /** Pause after a failed token refresh (NSM's refresh client retries this fast). */
  refreshRetryMs: 200,
  /** Pauses before re-opening a watch that ended. */
  watchStreamsRetryMs: 500,
  watchFlowsRetryMs: 2_000,
  monitorRetryMs: 5_000,
  /** An NSP stream without maxTargets (older NSPs) allows this many targets. */
  defaultMaxTargets: 100,
  /** Identifier re-draws after collisions before an attempt counts as failed (Go loops without bound). */
  maxCollisionRedraws: 8,
  /**
   * Share of MERIDIO_TIMEOUT after which a shutdown gives up on what is left (an NSP or
   * NSM that does not answer): the rest of MERIDIO_TIMEOUT is the process's to stop its
   * servers and exit, so that the whole shutdown fits in it.
   */
  shutdownShareOfTimeout: 0.9,
  /** How long a gone connection's interface name stays taken (Meridio's interface name client). */
  interfaceNameReleaseMs: 600_000,
  /** Reconcile passes one event may trigger; more means a reconcile loop, a bug. */
  maxSettleRounds: 16,
  /** Longest trench, conduit or stream name accepted (a Kubernetes object name). */
  maxNameLength: 253,
} as const;
