import * as grpc from '@grpc/grpc-js';
import type { CallError, GrpcCode } from '../core/index.js';
import type { Cancellable, Headers, Outcome } from '../runner/transport.js';

/** A generated method definition (ts-proto, outputServices=grpc-js). */
export interface Method<Req, Res> {
  readonly path: string;
  readonly requestSerialize: (value: Req) => Buffer;
  readonly responseDeserialize: (value: Buffer) => Res;
}

const CODE_NAMES = Object.fromEntries(Object.entries(grpc.status).map(([name, code]) => [code, name])) as Record<number, GrpcCode | 'OK'>;

function metadata(waitForReady: boolean, headers: Headers): grpc.Metadata {
  const m = new grpc.Metadata({ waitForReady });
  for (const [key, value] of Object.entries(headers)) m.set(key, value);
  return m;
}

export function callError(err: unknown): CallError {
  const e = err as Partial<grpc.ServiceError>;
  const name = typeof e.code === 'number' ? CODE_NAMES[e.code] : undefined;
  return { code: name && name !== 'OK' ? name : 'UNKNOWN', message: e.details || e.message || String(err) };
}

export function unary<Req, Res>(
  client: grpc.Client,
  method: Method<Req, Res>,
  request: Req,
  deadlineMs: number,
  done: (result: Outcome<Res>) => void,
  headers: Headers = {},
): Cancellable {
  let finished = false;
  const call = client.makeUnaryRequest(
    method.path,
    method.requestSerialize,
    method.responseDeserialize,
    request,
    metadata(true, headers),
    { deadline: Date.now() + deadlineMs },
    (err, value) => {
      if (finished) return;
      finished = true;
      if (err || value === undefined) done({ ok: false, error: callError(err ?? new Error('empty answer')) });
      else done({ ok: true, value });
    },
  );
  return {
    cancel: () => {
      finished = true;
      call.cancel();
    },
  };
}

/**
 * A server stream: every message to `message`; its end, clean or not, once to `end`
 * (absent error: the server closed it). Cancelling it reports nothing.
 */
export function serverStream<Req, Res>(
  client: grpc.Client,
  method: Method<Req, Res>,
  request: Req,
  options: { deadlineMs?: number; waitForReady?: boolean; headers?: Headers },
  message: (value: Res) => void,
  end: (error?: CallError) => void,
): Cancellable {
  let finished = false;
  const finish = (error?: CallError): void => {
    if (finished) return;
    finished = true;
    end(error);
  };
  const call = client.makeServerStreamRequest(
    method.path,
    method.requestSerialize,
    method.responseDeserialize,
    request,
    metadata(options.waitForReady ?? true, options.headers ?? {}),
    options.deadlineMs === undefined ? {} : { deadline: Date.now() + options.deadlineMs },
  );
  call.on('data', (value: Res) => {
    if (!finished) message(value);
  });
  call.on('error', (err) => finish(callError(err)));
  call.on('end', () => finish());
  return {
    cancel: () => {
      finished = true;
      call.cancel();
    },
  };
}
