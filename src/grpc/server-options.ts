import type { ServerOptions } from '@grpc/grpc-js';

/**
 * Options of every gRPC server we run (the Tap API, and the embedded NSP and NSM, which must
 * behave like the real ones).
 *
 * Node's HTTP/2 layer (nghttp2 >= 1.57, the "rapid reset" defence) keeps a token bucket per
 * connection for RST_STREAM frames received: 1,000 tokens, 33 more each second; when it is
 * empty the connection gets GOAWAY INTERNAL_ERROR and the calls in flight on it fail. A
 * client cancels each Watch with one RST_STREAM, so one that re-watches faster than 33 times
 * a second is cut after about 1,000 cancels. The knob (`streamResetBurst` and
 * `streamResetRate`) exists only from Node 22.11, and grpc-js does not pass it to the
 * HTTP/2 server; Go's gRPC server has no such limit.
 *
 * So a connection lives at most MAX_CONNECTION_AGE_MS (grpc-js adds +-10 % jitter), then is
 * retired gracefully: GOAWAY NO_ERROR, calls in flight (long Watches too) finish on it, and
 * the client's next call opens a new connection with a full bucket. A client cancelling at
 * a steady rate below 1,000 / 2.2 s + 33, about 480 a second, therefore never meets the
 * limit; one that resets more than about 1,070 streams within one connection's life still
 * gets GOAWAY INTERNAL_ERROR, as Node intends for a flood.
 */
const MAX_CONNECTION_AGE_MS = 2_000;

export const SERVER_OPTIONS: ServerOptions = {
  'grpc.max_connection_age_ms': MAX_CONNECTION_AGE_MS,
};
