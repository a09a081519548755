import { execFileSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scratchDir } from './scratch.js';

/** An X.509 SVID as the Workload API hands it out (DER) and as TLS wants it (PEM). */
export interface IssuedSvid {
  readonly spiffeId: string;
  /** The chain, leaf only here, as concatenated DER. */
  readonly chainDer: Buffer;
  /** PKCS#8 DER. */
  readonly keyDer: Buffer;
  readonly certPem: string;
  readonly keyPem: string;
  /** Hex, as node's X509Certificate and TLS peer certificates show it. */
  readonly serial: string;
}

const EC_P256 = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

/**
 * A throw-away SPIFFE trust domain for tests, made with the openssl command: a
 * self-signed root that issues SVIDs with one spiffe:// URI SAN and no DNS name, for
 * client and server auth, as a SPIRE server does.
 */
export class TestCa {
  private serial = 1;

  private constructor(
    readonly trustDomain: string,
    private readonly dir: string,
    readonly bundlePem: string,
  ) {}

  static create(trustDomain = 'example.org'): TestCa {
    const dir = scratchDir('tapa-ca-');
    openssl(dir, [
      'req',
      '-x509',
      ...EC_P256,
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '2',
      '-subj',
      `/CN=${trustDomain} test root`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
      '-addext',
      `subjectAltName=URI:spiffe://${trustDomain}`,
    ]);
    return new TestCa(trustDomain, dir, readFileSync(join(dir, 'ca.pem'), 'utf8'));
  }

  /** The trust bundle as the Workload API sends it: concatenated DER. */
  get bundleDer(): Buffer {
    return new X509Certificate(this.bundlePem).raw;
  }

  /** A fresh key and certificate for `spiffe://<trust domain><path>`. */
  issue(path: string): IssuedSvid {
    const spiffeId = `spiffe://${this.trustDomain}${path}`;
    const serial = ++this.serial;
    writeFileSync(
      join(this.dir, 'leaf.ext'),
      [
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature,keyEncipherment,keyAgreement',
        'extendedKeyUsage=serverAuth,clientAuth',
        `subjectAltName=URI:${spiffeId}`,
      ].join('\n'),
    );
    openssl(this.dir, [
      'req',
      '-new',
      ...EC_P256,
      '-keyout',
      'leaf.key',
      '-out',
      'leaf.csr',
      '-subj',
      `/O=SPIFFE/CN=${path.replace(/\//g, '_')}`,
    ]);
    openssl(this.dir, [
      'x509',
      '-req',
      '-in',
      'leaf.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-set_serial',
      String(serial),
      '-days',
      '1',
      '-extfile',
      'leaf.ext',
      '-out',
      'leaf.pem',
    ]);
    const certPem = readFileSync(join(this.dir, 'leaf.pem'), 'utf8');
    const keyPem = readFileSync(join(this.dir, 'leaf.key'), 'utf8');
    return {
      spiffeId,
      chainDer: new X509Certificate(certPem).raw,
      keyDer: createPrivateKey(keyPem).export({ type: 'pkcs8', format: 'der' }),
      certPem,
      keyPem,
      serial: new X509Certificate(certPem).serialNumber,
    };
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function openssl(dir: string, args: readonly string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}
