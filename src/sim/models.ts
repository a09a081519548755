import { brokenModels } from './broken.js';
import { coreModel } from './core-tapa.js';
import type { Model } from './model.js';
import { legacyModel } from './models/legacy-v1.1.4/model.js';

/** Every model a hunt or a replay can run, by name. */
export const MODELS: ReadonlyMap<string, Model> = new Map([coreModel(), legacyModel, ...brokenModels].map((m) => [m.name, m]));

/** Models a user would pick; the broken ones are test fixtures. */
export const PUBLIC_MODELS: readonly string[] = [...MODELS.keys()].filter((n) => !n.startsWith('broken:'));
