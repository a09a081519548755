import { brokenModels } from './broken.js';
import { coreModel } from './core.js';
import type { Model } from '../harness/model.js';
import { legacyModel } from './legacy-v1.1.4/model.js';

/**
 * `core:tokens`: the core whose NSM connections carry tokens that expire 9 s (virtual)
 * after each answer, so token refreshes every 3 s interleave with everything else. Real
 * lifetimes are minutes; a short one puts many refreshes into a run.
 */
const TOKEN_LIFETIME_MS = 9_000;

/** Every model a hunt or a replay can run, by name. */
export const MODELS: ReadonlyMap<string, Model> = new Map(
  [coreModel(), coreModel('core:tokens', undefined, TOKEN_LIFETIME_MS), legacyModel, ...brokenModels].map((m) => [m.name, m]),
);

/** Models a user would pick; the broken ones are test fixtures. */
export const PUBLIC_MODELS: readonly string[] = [...MODELS.keys()].filter((n) => !n.startsWith('broken:'));
