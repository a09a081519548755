import { brokenModels } from './broken.js';
import { coreModel } from './core-tapa.js';
import type { Model } from './model.js';

/** Every model a hunt or a replay can run, by name. */
export const MODELS: ReadonlyMap<string, Model> = new Map([coreModel(), ...brokenModels].map((m) => [m.name, m]));

/** Models a user would pick; the broken ones are test fixtures. */
export const PUBLIC_MODELS: readonly string[] = [...MODELS.keys()].filter((n) => !n.startsWith('broken:'));
