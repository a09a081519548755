/**
 * The modelling API, `import { ... } from 'tapa/model'`: everything a lock-level model of a
 * TAPA needs, for a model kept outside this project and run with
 * `tapa-sim hunt --model ./path/to/model.js` (docs/modelling.md). Only what is exported
 * here is public; the version below changes when a change to it can break a model.
 */
import type { Model } from './harness/model.js';

/**
 * The version of this API. A model built with `defineModel` carries the version it was
 * written for, and tapa-sim refuses a model of another version with one clear line
 * rather than failing somewhere inside a run.
 */
export const MODEL_API_VERSION = 1;

/** A model stamped with the API version it was written for. */
export type VersionedModel<M extends Model = Model> = M & { readonly apiVersion: number };

/** `export default defineModel({ name, create, ... })`: a model file's one export. */
export function defineModel<M extends Model>(model: M): VersionedModel<M> {
  return { ...model, apiVersion: MODEL_API_VERSION };
}

export type { Model, TapaUnderTest, TapaSpec } from './harness/model.js';
export type { Environment } from './world/environment.js';
export type { Outcome } from './world/ports.js';
export type { CallError, WorldView } from '../core/index.js';
export { createRng, nextInt, type RngState } from '../core/index.js';
export type {
  TapStream,
  StreamStatus,
  TapStatus,
  NspStream,
  NspFlow,
  NspTarget,
  Connection,
  ConnectionEvent,
  NetworkServiceRequest,
} from '../core/wire.js';

// The goroutine runtime: Go's blocking primitives as generators on virtual time.
export {
  Runtime,
  type RuntimeOptions,
  type RuntimeObserver,
  type Goroutine,
  type GoroutineState,
  frame,
  framed,
  type Go,
  Mutex,
  WaitGroup,
  Chan,
  type RecvCase,
  type SendCase,
  type SelectCase,
  type RecvResult,
  type Selected,
  recvCase,
  sendCase,
  select,
  Context,
  type CancelableContext,
  type ContextError,
  sleep,
  ModelError,
} from './goroutine/index.js';

// RPCs to the simulated NSP and NSM from a goroutine: a blocking unary call, the receive side of a server stream.
export { call, Inbox, type StreamItem } from './models/legacy-v1.1.4/rpc.js';
