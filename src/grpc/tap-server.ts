import * as grpc from '@grpc/grpc-js';
import type { CallError, TapaEvent } from '../core/index.js';
import { TapService, type Stream, type TapServer } from '../wire/ambassador/v1/tap.js';
import { assertUtf8, STREAM } from './utf8.js';
import type { Executor } from './executor.js';

/** A gRPC status for a core error: same code, same text. */
export function statusOf(error: CallError): Partial<grpc.StatusObject> {
  return { code: grpc.status[error.code], details: error.message };
}

/** A request that could not be decoded; answered INVALID_ARGUMENT by the handler. */
class Undecodable {
  constructor(readonly reason: string) {}
}

/**
 * The Tap service definition, with requests whose strings are not UTF-8 refused. grpc-js
 * answers INTERNAL when a deserializer throws; the mistake is the client's, so the
 * request is passed on as Undecodable and refused as INVALID_ARGUMENT.
 */
export const CheckedTapService = Object.fromEntries(
  Object.entries(TapService).map(([name, method]) => [
    name,
    {
      ...method,
      requestDeserialize: (bytes: Buffer): Stream | Undecodable => {
        try {
          assertUtf8(bytes, STREAM);
          return method.requestDeserialize(bytes);
        } catch (err) {
          return new Undecodable(err instanceof TypeError ? 'a name is not valid UTF-8' : `the request cannot be decoded: ${(err as Error).message}`);
        }
      },
    },
  ]),
) as unknown as typeof TapService;

function refused(request: Stream | Undecodable): CallError | undefined {
  return request instanceof Undecodable ? { code: 'INVALID_ARGUMENT', message: request.reason } : undefined;
}

/**
 * ambassador.v1.Tap on top of the core: every call becomes an event with an id, and
 * the core's reply or Watch snapshots for that id go back to the caller.
 */
export function tapServer(dispatch: (event: TapaEvent) => void, executor: Executor, accepting: () => boolean): TapServer {
  let next = 0;
  return {
    open: (call, callback) => {
      const bad = refused(call.request);
      if (bad) return callback(statusOf(bad), null);
      if (!accepting()) return callback(statusOf({ code: 'UNAVAILABLE', message: 'the TAPA is shutting down' }), null);
      const request = ++next;
      executor.expectReply(request, (error) => (error ? callback(statusOf(error), null) : callback(null, {})));
      dispatch({ kind: 'tapOpen', request, stream: call.request });
    },
    close: (call, callback) => {
      const bad = refused(call.request);
      if (bad) return callback(statusOf(bad), null);
      const request = ++next;
      executor.expectReply(request, (error) => (error ? callback(statusOf(error), null) : callback(null, {})));
      dispatch({ kind: 'tapClose', request, stream: call.request });
    },
    watch: (call) => {
      const bad = refused(call.request);
      if (bad) return call.emit('error', statusOf(bad));
      const watcher = ++next;
      executor.attachWatcher(watcher, (statuses) => call.write({ streamStatus: [...statuses] }));
      let stopped = false;
      const stop = (): void => {
        if (stopped) return;
        stopped = true;
        executor.detachWatcher(watcher);
        dispatch({ kind: 'tapUnwatch', watcher });
      };
      call.on('cancelled', stop);
      call.on('close', stop);
      dispatch({ kind: 'tapWatch', watcher, filter: call.request });
    },
  };
}
