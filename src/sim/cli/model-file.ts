import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Model } from '../harness/model.js';
import { MODEL_API_VERSION } from '../modelling.js';
import type { ModelSource } from '../explore/trace.js';

/** A model file that cannot be used: one line naming the file and why. */
export class ModelFileError extends Error {}

/** `--model` names a file, not a built-in model, when it is a path: it starts with `.` or `/`. */
export function isModelPath(spec: string): boolean {
  return spec.startsWith('.') || spec.startsWith('/');
}

export function sha256(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

/**
 * Imports a model file (compiled JavaScript) and checks that it exports a model of this
 * modelling API: `export default defineModel(...)`, or `export const model`. The source
 * is the path as given and the hash of the file's content (not of what it imports).
 */
export async function loadModelFile(path: string): Promise<{ model: Model; source: ModelSource }> {
  let content: Buffer;
  try {
    content = readFileSync(path);
  } catch (e) {
    throw new ModelFileError(`${path}: cannot read: ${(e as Error).message}`);
  }
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(resolve(path)).href)) as Record<string, unknown>;
  } catch (e) {
    throw new ModelFileError(`${path}: cannot load: ${(e as Error).message.split('\n')[0]}`);
  }
  const model = module['default'] ?? module['model'];
  if (!isModel(model)) {
    throw new ModelFileError(
      `${path}: exports no model: expected \`export default defineModel({ name, create })\` from 'tapa/model' (or \`export const model\`)`,
    );
  }
  const version = (model as { apiVersion?: unknown }).apiVersion;
  if (version !== undefined && version !== MODEL_API_VERSION) {
    throw new ModelFileError(`${path}: written for modelling API ${String(version)}; this tapa-sim has version ${MODEL_API_VERSION}`);
  }
  return { model, source: { path, sha256: sha256(content) } };
}

function isModel(m: unknown): m is Model {
  if (typeof m !== 'object' || m === null) return false;
  const { name, create } = m as Record<string, unknown>;
  return typeof name === 'string' && name !== '' && typeof create === 'function';
}
