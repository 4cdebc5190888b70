import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Certificates generated for a test file with the `openssl` command (EC P-256: fast to make). */
export interface TestCertificates {
  readonly dir: string;
  /** The test CA (signs `server` and `client`). */
  readonly caCert: string;
  /** Server certificate for 127.0.0.1 and localhost, signed by the CA. */
  readonly serverCert: string;
  readonly serverKey: string;
  /** Certificate and key in one file (for `certFile` alone). */
  readonly serverCombined: string;
  /** A second, self-signed server certificate (CN=reloaded), for reload tests. */
  readonly otherCert: string;
  readonly otherKey: string;
  /** A client certificate signed by the CA. */
  readonly clientCert: string;
  readonly clientKey: string;
  /** A client certificate nobody trusts (self-signed). */
  readonly rogueCert: string;
  readonly rogueKey: string;
  remove(): void;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function openssl(dir: string, args: string[]): Promise<void> {
  await run('openssl', args, { cwd: dir, timeout: 15_000 });
}

/** Makes a CA, a server certificate, a client certificate and two strangers in a fresh temp dir. */
export async function makeCertificates(): Promise<TestCertificates> {
  const dir = mkdtempSync(join(tmpdir(), 'ftpkit-tls-certs-'));
  const p = (name: string): string => join(dir, name);
  writeFileSync(p('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  writeFileSync(p('client.ext'), 'extendedKeyUsage=clientAuth\n');
  const selfSigned = (name: string, cn: string): Promise<void> =>
    openssl(dir, [
      'req',
      '-x509',
      ...EC,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      '-subj',
      `/CN=${cn}`,
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ]);
  const signed = async (name: string, cn: string, ext: string): Promise<void> => {
    await openssl(dir, ['req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
    await openssl(dir, [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-set_serial',
      String(Math.floor(Math.random() * 1e9)),
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      '-extfile',
      ext,
    ]);
  };
  await Promise.all([
    selfSigned('ca', 'ftpkit test CA'),
    selfSigned('other', 'reloaded'),
    selfSigned('rogue', 'rogue'),
  ]);
  await Promise.all([
    signed('server', 'localhost', 'server.ext'),
    signed('client', 'ftpkit client', 'client.ext'),
  ]);
  writeFileSync(
    p('combined.pem'),
    Buffer.concat([readFileSync(p('server.pem')), readFileSync(p('server.key'))]),
  );
  return {
    dir,
    caCert: p('ca.pem'),
    serverCert: p('server.pem'),
    serverKey: p('server.key'),
    serverCombined: p('combined.pem'),
    otherCert: p('other.pem'),
    otherKey: p('other.key'),
    clientCert: p('client.pem'),
    clientKey: p('client.key'),
    rogueCert: p('rogue.pem'),
    rogueKey: p('rogue.key'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
