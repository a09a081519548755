import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import type { X509SVID } from '../../wire/spiffe/workload/workload.js';

/** The workload's X.509 identity, ready for TLS and for signing NSM tokens. */
export interface Svid {
  /** spiffe://trust-domain/path */
  readonly spiffeId: string;
  /** Leaf first, PEM. */
  readonly chainPem: string;
  readonly keyPem: string;
  readonly key: KeyObject;
  /** The CAs of our trust domain, PEM: peers must chain to one of them. */
  readonly bundlePem: string;
  /** When the leaf certificate expires (ms since the epoch): no token may outlive it. */
  readonly notAfterMs: number;
  /** Hex serial of the leaf, for log lines about rotation. */
  readonly serial: string;
}

export class SvidError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SvidError';
  }
}

/**
 * Splits concatenated DER certificates, the Workload API's encoding of chains and
 * bundles. Each is an ASN.1 SEQUENCE whose header says how long it is.
 */
export function splitDer(der: Uint8Array): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  while (at < der.length) {
    if (der[at] !== 0x30 || at + 2 > der.length) throw new SvidError(`malformed DER certificate at byte ${at}`);
    const first = der[at + 1]!;
    let length = first;
    let header = 2;
    if (first & 0x80) {
      const bytes = first & 0x7f;
      if (bytes === 0 || bytes > 4 || at + 2 + bytes > der.length) throw new SvidError(`malformed DER length at byte ${at}`);
      length = 0;
      for (let i = 0; i < bytes; i++) length = length * 256 + der[at + 2 + i]!;
      header = 2 + bytes;
    }
    const end = at + header + length;
    if (end > der.length) throw new SvidError(`truncated DER certificate at byte ${at}`);
    out.push(Buffer.from(der.subarray(at, end)));
    at = end;
  }
  return out;
}

/** The one spiffe:// URI SAN of a certificate, or undefined when it has none or several. */
export function spiffeIdOf(subjectAltName: string | undefined): string | undefined {
  const uris = (subjectAltName ?? '')
    .split(', ')
    .filter((san) => san.startsWith('URI:'))
    .map((san) => san.slice(4));
  return uris.length === 1 && uris[0]!.startsWith('spiffe://') ? uris[0] : undefined;
}

function certificates(der: Uint8Array, what: string): X509Certificate[] {
  const parts = splitDer(der);
  if (parts.length === 0) throw new SvidError(`the SVID has no ${what}`);
  try {
    return parts.map((p) => new X509Certificate(p));
  } catch (err) {
    throw new SvidError(`the SVID's ${what} is not X.509: ${(err as Error).message}`);
  }
}

/** Checks an SVID from the Workload API and turns it into PEM and key objects. */
export function parseSvid(svid: X509SVID): Svid {
  const chain = certificates(svid.x509Svid, 'certificate chain');
  const bundle = certificates(svid.bundle, 'trust bundle');
  const leaf = chain[0]!;
  const id = spiffeIdOf(leaf.subjectAltName);
  if (id === undefined) throw new SvidError('the SVID leaf certificate does not carry exactly one spiffe:// URI SAN');
  if (id !== svid.spiffeId) throw new SvidError(`the SVID is for ${svid.spiffeId} but its certificate says ${id}`);
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: Buffer.from(svid.x509SvidKey), format: 'der', type: 'pkcs8' });
  } catch (err) {
    throw new SvidError(`the SVID key is not PKCS#8 DER: ${(err as Error).message}`);
  }
  if (!leaf.checkPrivateKey(key)) throw new SvidError('the SVID key does not belong to its certificate');
  return {
    spiffeId: id,
    chainPem: chain.map((c) => c.toString()).join(''),
    keyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
    key,
    bundlePem: bundle.map((c) => c.toString()).join(''),
    notAfterMs: Date.parse(leaf.validTo),
    serial: leaf.serialNumber,
  };
}
