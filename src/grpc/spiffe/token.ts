import { SignJWT } from 'jose';
import type { KeyObject } from 'node:crypto';
import type { Svid } from './svid.js';

/** A token for our segment of an NSM path, as NSM's SPIFFE token generator makes it. */
export interface NsmToken {
  readonly token: string;
  readonly expires: Date;
}

/** The NSM manager as its TLS handshake showed it: whom the token is for, and until when it may be. */
export interface TokenAudience {
  readonly spiffeId: string;
  /** Its certificate's expiry (ms since the epoch): no token for it may outlive it. */
  readonly notAfterMs: number;
}

/** NSM signs and checks ES256 only (its OPA policy verifies the previous token with ES256). */
function checkKey(key: KeyObject): void {
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return;
  throw new Error(`cannot sign NSM tokens with a ${key.asymmetricKeyType ?? 'unknown'} key: NSM wants ES256, an EC P-256 SVID key`);
}

/**
 * A JWT as NSM's default policies want it: subject our SPIFFE ID, audience the NSM manager's
 * (an array: the policy looks for the peer in `aud[_]`), signed with the SVID key, expiring
 * after `lifetimeMs` (MERIDIO_MAX_TOKEN_LIFETIME) or with either certificate, whichever is first.
 */
export async function nsmToken(svid: Svid, audience: TokenAudience, lifetimeMs: number, nowMs: number): Promise<NsmToken> {
  checkKey(svid.key);
  const expiresMs = Math.min(nowMs + lifetimeMs, svid.notAfterMs, audience.notAfterMs);
  const token = await new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
    .setSubject(svid.spiffeId)
    .setAudience([audience.spiffeId])
    .setExpirationTime(Math.floor(expiresMs / 1000))
    .sign(svid.key);
  return { token, expires: new Date(Math.floor(expiresMs / 1000) * 1000) };
}
