import * as grpc from '@grpc/grpc-js';
import type { CallError } from '../core/index.js';
import type { Reply, Runner } from '../runner/runner.js';
import { TapService, type Stream, type TapServer } from '../wire/ambassador/v1/tap.js';
import { assertUtf8, STREAM } from './utf8.js';
import { latestOnly } from './watcher.js';

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
          return new Undecodable(
            err instanceof TypeError ? 'a name is not valid UTF-8' : `the request cannot be decoded: ${(err as Error).message}`,
          );
        }
      },
    },
  ]),
) as unknown as typeof TapService;

function refused(request: Stream | Undecodable): CallError | undefined {
  return request instanceof Undecodable ? { code: 'INVALID_ARGUMENT', message: request.reason } : undefined;
}

/** What the Tap service needs of the runner. */
export type TapRunner = Pick<Runner, 'open' | 'close' | 'watch'>;

function answer(callback: grpc.sendUnaryData<object>): Reply {
  return (error) => (error ? callback(statusOf(error), null) : callback(null, {}));
}

/**
 * ambassador.v1.Tap on top of the runner: every call goes to the core, and the core's
 * reply or Watch snapshots go back to the caller. A Watch subscriber that goes away is
 * forgotten.
 */
export function tapServer(runner: TapRunner, accepting: () => boolean): TapServer {
  return {
    open: (call, callback) => {
      const bad = refused(call.request);
      if (bad) return callback(statusOf(bad), null);
      if (!accepting()) return callback(statusOf({ code: 'UNAVAILABLE', message: 'the TAPA is shutting down' }), null);
      runner.open(call.request, answer(callback));
    },
    close: (call, callback) => {
      const bad = refused(call.request);
      if (bad) return callback(statusOf(bad), null);
      runner.close(call.request, answer(callback));
    },
    watch: (call) => {
      const bad = refused(call.request);
      if (bad) return call.emit('error', statusOf(bad));
      const unwatch = runner.watch(call.request, latestOnly(call));
      call.on('cancelled', unwatch);
      call.on('close', unwatch);
    },
  };
}
