// Wire message types the core speaks. Type-only: the generated modules also hold
// the grpc-js service definitions, which the core must never load.
export type { Stream as TapStream, StreamStatus, StreamStatus_Status as TapStatus } from '../wire/ambassador/v1/tap.js';
export type { Stream as NspStream, Flow as NspFlow } from '../wire/nsp/v1/model.js';
export type { Target as NspTarget } from '../wire/nsp/v1/targetregistry.js';
export type { Connection, ConnectionEvent, Mechanism, MonitorScopeSelector } from '../wire/networkservice/connection.js';
export type { IPContext, PolicyRoute, Route } from '../wire/networkservice/connectioncontext.js';
export type { NetworkServiceRequest } from '../wire/networkservice/networkservice.js';
