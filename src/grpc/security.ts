import * as grpc from '@grpc/grpc-js';
import type { X509Source } from './spiffe/source.js';
import type { Svid } from './spiffe/svid.js';
import { channelCredentials, diagnoseTls } from './spiffe/tls.js';
import { nsmToken, type NsmToken, type TokenAudience } from './spiffe/token.js';

/** How the sidecar authenticates to the NSP and to NSM. */
export interface Security {
  readonly mode: 'plaintext' | 'mtls';
  /**
   * Credentials for a channel opened now: after a rotation, the new SVID's. An NSM channel's
   * handshakes tell whom NSM tokens are addressed to.
   */
  credentials(peer: 'nsp' | 'nsm'): grpc.ChannelCredentials;
  /** Called after each rotation, so that new calls go out on channels with the new SVID. */
  onRotation(listener: () => void): void;
  /**
   * A fresh token for our NSM path segment, addressed to the NSM manager of the last
   * handshake of an NSM channel (it fails before any); undefined in plaintext.
   */
  nsmToken(): Promise<NsmToken | undefined>;
  /** Why a secure connection to `target` fails, for the log; undefined when it does not. */
  diagnose(target: string): Promise<string | undefined>;
}

/** No TLS, no tokens: tests, and `tapa serve --embedded` / `--plaintext`. */
export const plaintext: Security = {
  mode: 'plaintext',
  credentials: () => grpc.credentials.createInsecure(),
  onRotation: () => {},
  nsmToken: () => Promise.resolve(undefined),
  diagnose: () => Promise.resolve(undefined),
};

/**
 * mTLS with the workload's X.509 SVID, as the Go TAPA does through go-spiffe, and NSM
 * tokens signed with its key that live at most `maxTokenLifetimeMs`.
 */
export function spiffeSecurity(source: X509Source, first: Svid, maxTokenLifetimeMs: number, now: () => number = Date.now): Security {
  let svid = first;
  let manager: TokenAudience | undefined;
  const credentialsOf = (s: Svid) => ({
    nsp: channelCredentials(s),
    nsm: channelCredentials(s, (peer) => (manager = peer)),
  });
  let credentials = credentialsOf(svid);
  const listeners: (() => void)[] = [];
  source.onRotation((next) => {
    svid = next;
    credentials = credentialsOf(next);
    for (const listener of listeners) listener();
  });
  return {
    mode: 'mtls',
    credentials: (peer) => credentials[peer],
    onRotation: (listener) => void listeners.push(listener),
    nsmToken: () =>
      manager === undefined
        ? Promise.reject(new Error('no TLS handshake with the NSM manager yet: its SPIFFE ID is the audience of our token'))
        : nsmToken(svid, manager, maxTokenLifetimeMs, now()),
    diagnose: (target) => diagnoseTls(target, svid),
  };
}
