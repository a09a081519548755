import * as grpc from '@grpc/grpc-js';
import { ConfigurationManagerService, type ConfigurationManagerServer } from '../wire/nsp/v1/configurationmanager.js';
import { TargetRegistryService, type TargetRegistryServer } from '../wire/nsp/v1/targetregistry.js';
import { NsmCloseFailed, NsmRefused, NsmRequestFailed } from '../sim/world/nsm.js';
import { NspModel, NspUnavailable } from '../sim/world/nsp.js';

type Streaming<Req, Res> = grpc.ServerWritableStream<Req, Res>;

/**
 * The simulator's NSP model served over real gRPC (embedded mode and integration tests),
 * with real timers for registry expiry.
 */
export function addNspServices(server: grpc.Server, nsp: NspModel): { arm(a: { key: string; generation: number }): void; close(): void } {
  const timers = new Set<NodeJS.Timeout>();
  const arm = ({ key, generation }: { key: string; generation: number }): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      nsp.expire(key, generation);
    }, nsp.entryTimeoutMs);
    timers.add(t);
  };
  const unimplemented = (call: Streaming<unknown, unknown>): void => {
    call.emit('error', { code: grpc.status.UNIMPLEMENTED, details: 'not served by the embedded NSP' });
  };
  /** Sends `read()` now and after every change the listener reports, until the client goes. */
  const follow = <Res>(call: Streaming<unknown, Res>, subscribe: (changed: () => void) => () => void, read: () => Res): void => {
    const send = (): void => {
      try {
        call.write(read());
      } catch (err) {
        call.emit('error', toStatus(err));
      }
    };
    const unsubscribe = subscribe(send);
    call.on('cancelled', unsubscribe);
    call.on('close', unsubscribe);
    send();
  };
  const config: ConfigurationManagerServer = {
    watchTrench: unimplemented,
    watchConduit: unimplemented,
    watchVip: unimplemented,
    watchAttractor: unimplemented,
    watchGateway: unimplemented,
    watchStream: (call) => {
      const trench = call.request.conduit?.trench?.name ?? '';
      const conduit = call.request.conduit?.name ?? '';
      follow(
        call,
        (changed) => nsp.onConfigChange((t) => t === trench && changed()),
        () => {
          nsp.assertAvailable();
          return { streams: nsp.streams(trench, conduit).filter((s) => call.request.name === '' || s.name === call.request.name) };
        },
      );
    },
    watchFlow: (call) => {
      const trench = call.request.stream?.conduit?.trench?.name ?? '';
      const conduit = call.request.stream?.conduit?.name ?? '';
      follow(
        call,
        (changed) => nsp.onConfigChange((t) => t === trench && changed()),
        () => {
          nsp.assertAvailable();
          return { flows: nsp.flows(trench, conduit) };
        },
      );
    },
  };
  const registry: TargetRegistryServer = {
    register: (call, callback) => answer(callback, () => arm(nsp.register(call.request, Date.now()))),
    unregister: (call, callback) => answer(callback, () => nsp.unregister(call.request)),
    watch: (call) => {
      const trench = call.request.stream?.conduit?.trench?.name;
      const subscribe = (changed: () => void): (() => void) =>
        nsp.onStreamTargetsChange(call.request, changed) ?? nsp.onTargetsChange((t) => (trench === undefined || t === trench) && changed());
      follow(call, subscribe, () => ({ targets: nsp.targets(call.request) }));
    },
  };
  server.addService(ConfigurationManagerService, config);
  server.addService(TargetRegistryService, registry);
  return {
    arm,
    close: () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}

function answer(callback: grpc.sendUnaryData<object>, work: () => void): void {
  try {
    work();
    callback(null, {});
  } catch (err) {
    callback(toStatus(err), null);
  }
}

/** A fault the model was told to produce is UNAVAILABLE, as a real outage would be; anything else is a bug. */
export function toStatus(err: unknown): Partial<grpc.StatusObject> {
  if (err instanceof NsmRefused) return { code: grpc.status.UNKNOWN, details: err.message };
  const fault = err instanceof NspUnavailable || err instanceof NsmRequestFailed || err instanceof NsmCloseFailed;
  return { code: fault ? grpc.status.UNAVAILABLE : grpc.status.INTERNAL, details: err instanceof Error ? err.message : String(err) };
}
