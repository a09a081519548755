import type { NspStream, NspTarget } from '../../core/wire.js';

/** Target.Type as the Go enum's integer, which is what Meridio writes into the key. */
const TYPE_NUMBER: Readonly<Record<NspTarget['type'], number>> = { DEFAULT: 0, FRONTEND: 1, UNRECOGNIZED: -1 };

/**
 * The NSP's primary key of a target (reference §2.5):
 * `<ips joined by ';'>-<type>-<stream>.<conduit>.<trench>`. The identifier and the status
 * are not in it, so re-registering the same IPs with another identifier or status is an
 * update; the IP order is, so [a, b] and [b, a] are two targets.
 */
export function targetKey(target: NspTarget): string {
  return `${target.ips.join(';')}-${TYPE_NUMBER[target.type]}-${streamOf(target.stream)}`;
}

/** The stream part of a target's key: `<stream>.<conduit>.<trench>`. */
export function streamOf(stream: NspStream | undefined): string {
  return `${stream?.name ?? ''}.${stream?.conduit?.name ?? ''}.${stream?.conduit?.trench?.name ?? ''}`;
}

/** The stream a filter names completely, or undefined when any level is a wildcard. */
export function namedStream(filter: NspTarget): string | undefined {
  const s = filter.stream;
  return s?.name && s.conduit?.name && s.conduit.trench?.name ? streamOf(s) : undefined;
}

/** The trench a target was registered in ('' when it names none). */
export function trenchOf(target: NspTarget): string {
  return target.stream?.conduit?.trench?.name ?? '';
}
