import { X509Certificate } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';
import { errors, jwtVerify } from 'jose';
import type { Connection } from '../wire/networkservice/connection.js';
import { spiffeIdOf } from '../grpc/spiffe/svid.js';

/**
 * What an NSMgr's default policies check of a client's token: an ES256 JWT signed with the
 * key of the certificate the client presented in the mTLS handshake, which TLS has already
 * chained to the trust bundle (`prev_token_signed`); its subject is that certificate's SPIFFE
 * ID and its audience holds the manager's own (`tokens_chained`); it has not expired
 * (`tokens_expired`). Returns why it fails, or undefined.
 */
export async function tokenProblem(
  token: string | undefined,
  peer: PeerCertificate | undefined,
  audience: string,
  nowMs: number,
): Promise<string | undefined> {
  if (!token) return 'no token';
  if (!peer?.raw) return 'no client certificate to check the token against';
  const subject = spiffeIdOf(peer.subjectaltname);
  if (!subject) return 'the client certificate has no SPIFFE ID';
  try {
    await jwtVerify(token, new X509Certificate(peer.raw).publicKey, {
      algorithms: ['ES256'],
      subject,
      audience,
      requiredClaims: ['exp', 'sub', 'aud'],
      currentDate: new Date(nowMs),
    });
    return undefined;
  } catch (err) {
    if (err instanceof errors.JWTExpired) return 'the token has expired';
    return `the token is not valid: ${(err as Error).message}`;
  }
}

/** The client's own segment of a request's path: where its token must be. */
export function clientSegment(connection: Connection | undefined): { token: string; expires: string | undefined } | string {
  const path = connection?.path;
  const own = path?.pathSegments[path.index];
  if (!connection || !own) return 'the request has no path segment for its client';
  if (own.id !== connection.id) return `the client's path segment is for ${own.id}, not for connection ${connection.id}`;
  return { token: own.token, expires: own.expires };
}
