import * as grpc from '@grpc/grpc-js';
import { connect, type PeerCertificate } from 'node:tls';
import { spiffeIdOf, type Svid } from './svid.js';
import type { TokenAudience } from './token.js';

/**
 * Like the Go TAPA's authorize-any: the peer must present an SVID that chains to our
 * trust bundle (TLS checks that), whatever its SPIFFE ID. Host names play no part:
 * SVIDs carry a spiffe:// URI, not the DNS name of a Kubernetes Service.
 */
export function authorizeAny(_host: string, cert: PeerCertificate): Error | undefined {
  return spiffeIdOf(cert.subjectaltname) === undefined
    ? new Error('the peer certificate is not an X.509 SVID (no single spiffe:// URI SAN)')
    : undefined;
}

/** `handshake` sees every peer this channel's handshakes accept (NSM tokens are addressed to it). */
export function channelCredentials(svid: Svid, handshake?: (peer: TokenAudience) => void): grpc.ChannelCredentials {
  return grpc.credentials.createSsl(Buffer.from(svid.bundlePem), Buffer.from(svid.keyPem), Buffer.from(svid.chainPem), {
    checkServerIdentity: (host, cert) => {
      const refused = authorizeAny(host, cert);
      if (!refused) handshake?.({ spiffeId: spiffeIdOf(cert.subjectaltname)!, notAfterMs: Date.parse(cert.valid_to) });
      return refused;
    },
  });
}

/** A gRPC target as a place to open a socket: unix:///path, or host:port. */
function socketOf(target: string): { path: string } | { host: string; port: number } | undefined {
  const unix = /^unix:(?:\/\/)?(\/.*)$/.exec(target);
  if (unix) return { path: unix[1]! };
  const tcp = /^(?:dns:(?:\/\/\/)?)?(\[[^\]]+\]|[^:/]+):(\d+)$/.exec(target);
  if (!tcp) return undefined;
  return { host: tcp[1]!.replace(/^\[|\]$/g, ''), port: Number(tcp[2]) };
}

/** How long to wait after the handshake for the peer's first HTTP/2 frame. */
const VERDICT_MS = 1_000;
const DIAGNOSE_LIMIT_MS = 3_000;

/**
 * Why mTLS to `target` fails, as one sentence, or undefined when the peer accepts us.
 * gRPC only says that a channel cannot connect; an operator needs to know whether the
 * peer refuses our SVID or we refuse its. With TLS 1.3 a refused client certificate
 * shows only after the handshake: the peer hangs up instead of sending its HTTP/2
 * settings, so the socket is watched until the first frame.
 */
export function diagnoseTls(target: string, svid: Svid): Promise<string | undefined> {
  const where = socketOf(target);
  if (!where) return Promise.resolve(`cannot tell why: ${target} is not a unix:// or host:port target`);
  return new Promise((resolve) => {
    let settled = false;
    let handshaken = false;
    const finish = (reason: string | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(limit);
      socket.destroy();
      resolve(reason);
    };
    const refused = (detail: string): string => `${target} refused our certificate (${svid.spiffeId}, serial ${svid.serial}): ${detail}`;
    const socket = connect({
      ...where,
      ...('host' in where && !/^[\d.]+$|:/.test(where.host) ? { servername: where.host } : {}),
      ca: svid.bundlePem,
      cert: svid.chainPem,
      key: svid.keyPem,
      ALPNProtocols: ['h2'],
      checkServerIdentity: authorizeAny,
    });
    const limit = setTimeout(
      () => finish(handshaken ? undefined : `no TLS handshake with ${target} within ${DIAGNOSE_LIMIT_MS} ms`),
      DIAGNOSE_LIMIT_MS,
    );
    socket.on('secureConnect', () => {
      handshaken = true;
      setTimeout(() => finish(undefined), VERDICT_MS);
    });
    socket.on('data', () => finish(undefined));
    socket.on('end', () =>
      finish(
        handshaken
          ? refused('it closed the connection right after the handshake')
          : `${target} closed the connection during the TLS handshake`,
      ),
    );
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (handshaken || /alert/i.test(err.message)) return finish(refused(err.message));
      if (/CERT|SIGNATURE|ISSUER/.test(err.code ?? ''))
        return finish(`we do not trust the certificate of ${target}: ${err.code}: ${err.message}`);
      finish(`the TLS handshake with ${target} failed: ${err.code ? `${err.code}: ` : ''}${err.message}`);
    });
  });
}
