import { createHash } from 'node:crypto';

/** How big a failing run is: scenario steps, then scheduler choices. */
export interface Size {
  readonly steps: number;
  readonly choices: number;
}

/**
 * Which of two failing runs of one signature a bucket keeps: fewer steps, then fewer
 * choices, then the lower run index. A total order on runs, so that the kept run does not
 * depend on the order in which runs were explored: one process and any sharding agree.
 */
export function smaller(a: Size & { readonly run: number }, b: Size & { readonly run: number }): boolean {
  if (a.steps !== b.steps) return a.steps < b.steps;
  if (a.choices !== b.choices) return a.choices < b.choices;
  return a.run < b.run;
}

/**
 * The base name of a bucket's files: a hash of its signature, so that the name is the
 * same in every shard and in the merged result, whatever else was found.
 */
export function bucketName(signature: string): string {
  return `bucket-${createHash('sha256').update(signature).digest('hex').slice(0, 12)}`;
}
