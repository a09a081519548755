import * as grpc from '@grpc/grpc-js';
import type { CallError, TapaEvent } from '../core/index.js';
import type { TapServer } from '../wire/ambassador/v1/tap.js';
import type { Executor } from './executor.js';

/** A gRPC status for a core error: same code, same text. */
export function statusOf(error: CallError): Partial<grpc.StatusObject> {
  return { code: grpc.status[error.code], details: error.message };
}

/**
 * ambassador.v1.Tap on top of the core: every call becomes an event with an id, and
 * the core's reply or Watch snapshots for that id go back to the caller.
 */
export function tapServer(dispatch: (event: TapaEvent) => void, executor: Executor, accepting: () => boolean): TapServer {
  let next = 0;
  return {
    open: (call, callback) => {
      if (!accepting()) return callback(statusOf({ code: 'UNAVAILABLE', message: 'the TAPA is shutting down' }), null);
      const request = ++next;
      executor.expectReply(request, (error) => (error ? callback(statusOf(error), null) : callback(null, {})));
      dispatch({ kind: 'tapOpen', request, stream: call.request });
    },
    close: (call, callback) => {
      const request = ++next;
      executor.expectReply(request, (error) => (error ? callback(statusOf(error), null) : callback(null, {})));
      dispatch({ kind: 'tapClose', request, stream: call.request });
    },
    watch: (call) => {
      const watcher = ++next;
      executor.attachWatcher(watcher, (statuses) => call.write({ streamStatus: [...statuses] }));
      const stop = (): void => {
        executor.detachWatcher(watcher);
        dispatch({ kind: 'tapUnwatch', watcher });
      };
      call.on('cancelled', stop);
      call.on('close', stop);
      dispatch({ kind: 'tapWatch', watcher, filter: call.request });
    },
  };
}
