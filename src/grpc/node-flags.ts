/**
 * Flags for the Node.js process that runs `tapa serve` (the image's entrypoint, `npm run
 * tapa` and the bench start it with them).
 *
 * A smaller young generation: opening 10,000 streams makes about 40,000 NSP calls, and
 * with V8's default 16 MB semi-spaces the garbage of that burst was still resident half
 * a minute later (about 280 MB). With 4 MB the same burst settles at about 130 MB and
 * takes as long; `npm run bench` reports both, as sidecar.rss_mb.streams_10000 and
 * sidecar.rss_mb.streams_10000_default_gc.
 */
export const SIDECAR_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4'];
