import { SignJWT } from 'jose';
import type { KeyObject } from 'node:crypto';
import type { Svid } from './svid.js';

/** A token for our segment of an NSM path, as NSM's SPIFFE token generator makes it. */
export interface NsmToken {
  readonly token: string;
  readonly expires: Date;
}

/** NSM signs with ES256 (SPIRE's default P-256 keys); an RSA SVID gets RS256. */
function algorithmOf(key: KeyObject): string {
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  throw new Error(`cannot sign NSM tokens with a ${key.asymmetricKeyType ?? 'unknown'} key: expected EC P-256 or RSA`);
}

/**
 * A JWT with subject = our SPIFFE ID, signed with the SVID key, that expires after
 * `lifetimeMs` (MERIDIO_MAX_TOKEN_LIFETIME) or with the certificate, whichever is first.
 */
export async function nsmToken(svid: Svid, lifetimeMs: number, nowMs: number): Promise<NsmToken> {
  const expiresMs = Math.min(nowMs + lifetimeMs, svid.notAfterMs);
  const token = await new SignJWT({})
    .setProtectedHeader({ alg: algorithmOf(svid.key), typ: 'JWT' })
    .setSubject(svid.spiffeId)
    .setExpirationTime(Math.floor(expiresMs / 1000))
    .sign(svid.key);
  return { token, expires: new Date(Math.floor(expiresMs / 1000) * 1000) };
}
