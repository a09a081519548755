/**
 * Flags for the Node.js process that runs `tapa serve` (the image's entrypoint, `npm run
 * tapa`, the `tapa` command's own `#!` line and the bench start it with them).
 *
 * They are about memory at 10,000 streams, whose live JS heap is about 50 MB.
 *
 * - `--max-semi-space-size=4`, a smaller young generation: opening 10,000 streams makes about
 *   40,000 NSP calls, and with V8's default 16 MB semi-spaces the garbage of that burst was
 *   still resident half a minute later.
 * - `--heap-growing-percent=20`: each NSP refresh round leaves over 100 MB of garbage in the
 *   old generation (the calls of a round outlive the young one), and V8's own heuristics let
 *   the old generation grow to three or four times the live heap before collecting it: the
 *   RSS swung between about 250 and 300 MB. Collecting once it has grown by a fifth keeps it
 *   at about 160 MB (median; the maximum 170 to 180), for about a tenth more CPU time in the
 *   refresh rounds.
 *
 * `--optimize-for-size` (with 2 MB semi-spaces) got under 150 MB, but cost the refresh rounds
 * 40 % more CPU time or more and lengthened Tap.Open's tail: README, "The sidecar's RSS".
 *
 * `npm run bench` reports sidecar.rss_mb.streams_10000 (median and maximum over three refresh
 * rounds) and the same without these flags (sidecar.rss_mb.streams_10000_default_gc).
 */
export const SIDECAR_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4', '--heap-growing-percent=20'];
