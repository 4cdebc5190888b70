// End-to-end: FTPS (--tls, --certfile, --keyfile, --tls-*-required, --implicit-tls-port,
// --tls-session-reuse, SIGHUP) of the built binary, driven by curl, lftp, openssl s_client and raw sockets.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  assertBuilt,
  cleanup,
  curl,
  lftp,
  makeCertificate,
  presentedFingerprint,
  rawClient,
  runFtpd,
  sha256,
  startFtpd,
  type TestCertificate,
  tempDir,
} from './helpers.js';

vi.setConfig({ testTimeout: 15_000, hookTimeout: 15_000 });
beforeAll(assertBuilt);
afterEach(cleanup);

/** A served directory with a text file and a 1 MiB random file. */
function servedDir(): string {
  const dir = tempDir();
  writeFileSync(join(dir, 'a.txt'), 'hello over TLS\n');
  writeFileSync(join(dir, 'big.bin'), randomBytes(1024 * 1024));
  return dir;
}

/** A certificate in its own temp dir (not the served one). */
function certificate(cn = 'localhost'): TestCertificate {
  return makeCertificate(tempDir('ftpd-cert-'), cn);
}

function tlsArgs(cert: TestCertificate, ...more: string[]): string[] {
  return ['--tls', '--certfile', cert.cert, '--keyfile', cert.key, ...more];
}

describe('explicit FTPS (--tls)', () => {
  it('curl --ssl-reqd lists and downloads over AUTH TLS with protected data', async () => {
    const dir = servedDir();
    const ftpd = await startFtpd(dir, tlsArgs(certificate()));
    const listing = await curl(['--ssl-reqd', '-k', '-v', ftpd.url]);
    expect(listing.code).toBe(0);
    expect(listing.stdout).toMatch(/ a\.txt\r?\n/);
    expect(listing.stdout).toMatch(/ big\.bin\r?\n/);
    // curl asks for AUTH SSL first (both mean TLS).
    expect(listing.stderr).toMatch(/^< 234 AUTH (SSL|TLS) successful\.\r?$/m);
    expect(listing.stderr).toContain('> PROT P');
    const out = join(tempDir(), 'big.bin');
    const download = await curl(['--ssl-reqd', '-k', '-o', out, `${ftpd.url}big.bin`]);
    expect(download.code).toBe(0);
    expect(sha256(out)).toBe(sha256(join(dir, 'big.bin')));
  });

  it('still serves plain FTP on the same port unless TLS is required', async () => {
    const ftpd = await startFtpd(servedDir(), tlsArgs(certificate()));
    const plain = await curl([`${ftpd.url}a.txt`]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toBe('hello over TLS\n');
  });

  it('lftp with ftp:ssl-force and ftp:ssl-protect-data lists and downloads', async () => {
    const dir = servedDir();
    // Both required, so a plaintext login or transfer would fail rather than pass unnoticed.
    const ftpd = await startFtpd(
      dir,
      tlsArgs(certificate(), '--tls-control-required', '--tls-data-required'),
    );
    const local = tempDir();
    const result = await lftp(ftpd, 'ls; get big.bin -o big.bin', undefined, {
      tls: true,
      cwd: local,
      debug: true,
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/ a\.txt\r?\n/);
    expect(sha256(join(local, 'big.bin'))).toBe(sha256(join(dir, 'big.bin')));
    // lftp's debug trace: TLS on the control connection, then protected data.
    expect(result.stderr).toMatch(/<--- 234 AUTH TLS successful\./);
    expect(result.stderr).toMatch(/---> PROT P/);
    expect(result.stderr).toMatch(/<--- 200 Protection set to Private/);
  });

  it('a --keyfile-less certificate file holding the key too', async () => {
    const cert = certificate();
    const combined = join(tempDir(), 'combined.pem');
    writeFileSync(combined, readFileSync(cert.cert, 'utf8') + readFileSync(cert.key, 'utf8'));
    const ftpd = await startFtpd(servedDir(), ['--tls', '--certfile', combined]);
    expect(await presentedFingerprint(ftpd.port)).toBe(cert.fingerprint);
  });
});

describe('implicit FTPS (--implicit-tls-port)', () => {
  it('curl ftps:// lists and downloads on the implicit port; the control port still offers AUTH TLS', async () => {
    const dir = servedDir();
    const cert = certificate();
    const ftpd = await startFtpd(dir, [
      '--certfile',
      cert.cert,
      '--keyfile',
      cert.key,
      '--implicit-tls-port',
      '0',
    ]);
    expect(ftpd.implicitPort).toBeGreaterThan(0);
    expect(ftpd.implicitPort).not.toBe(ftpd.port);
    const url = `ftps://127.0.0.1:${ftpd.implicitPort}/`;
    const listing = await curl(['-k', url]);
    expect(listing.code).toBe(0);
    expect(listing.stdout).toMatch(/ a\.txt\r?\n/);
    const out = join(tempDir(), 'big.bin');
    const download = await curl(['-k', '-o', out, `${url}big.bin`]);
    expect(download.code).toBe(0);
    expect(sha256(out)).toBe(sha256(join(dir, 'big.bin')));
    expect(await presentedFingerprint(ftpd.implicitPort!, true)).toBe(cert.fingerprint);
    // --implicit-tls-port implies --tls: the control port speaks AUTH TLS too.
    const explicit = await curl(['--ssl-reqd', '-k', `${ftpd.url}a.txt`]);
    expect(explicit.stdout).toBe('hello over TLS\n');
  });
});

describe('--tls-control-required, --tls-data-required, --tls-session-reuse', () => {
  it('--tls-control-required refuses a plaintext USER; curl --ssl-reqd still logs in', async () => {
    const ftpd = await startFtpd(servedDir(), tlsArgs(certificate(), '--tls-control-required'));
    const client = await rawClient(ftpd.port);
    const from = client.received().length;
    client.send('USER anonymous');
    expect(await client.until(/^\d{3} .*\r\n/m, from)).toBe(
      '550 SSL/TLS required on the control channel.\r\n',
    );
    const secure = await curl(['--ssl-reqd', '-k', `${ftpd.url}a.txt`]);
    expect(secure.code).toBe(0);
    expect(secure.stdout).toBe('hello over TLS\n');
  });

  it('--tls-data-required refuses PASV before PROT P', async () => {
    const ftpd = await startFtpd(servedDir(), tlsArgs(certificate(), '--tls-data-required'));
    const client = await rawClient(ftpd.port);
    client.send('USER anonymous');
    client.send('PASS guest@');
    await client.until(/^230 /m);
    const from = client.received().length;
    client.send('PASV');
    expect(await client.until(/^\d{3} .*\r\n/m, from)).toBe('550 SSL/TLS required on the data channel.\r\n');
  });

  it('session reuse is required by default (curl --ftp-ssl-ccc gets 522); prefer accepts it', async () => {
    const cert = certificate();
    const strict = await startFtpd(servedDir(), tlsArgs(cert));
    const refused = await curl(['--ssl-reqd', '-k', '--ftp-ssl-ccc', strict.url]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('522');
    const relaxed = await startFtpd(servedDir(), tlsArgs(cert, '--tls-session-reuse', 'prefer'));
    const accepted = await curl(['--ssl-reqd', '-k', '--ftp-ssl-ccc', relaxed.url]);
    expect(accepted.stderr).toBe('');
    expect(accepted.stdout).toMatch(/ a\.txt\r?\n/);
    await relaxed.waitForStderr(/\[W .*did not reuse the control connection's TLS session \(accepted/);
  });
});

describe('SIGHUP reloads the certificate', () => {
  it('new connections get the new certificate; a broken one is refused and the old one kept', async () => {
    const dir = tempDir('ftpd-cert-');
    const first = makeCertificate(dir, 'first.test');
    const ftpd = await startFtpd(servedDir(), [...tlsArgs(first), '--implicit-tls-port', '0']);
    expect(await presentedFingerprint(ftpd.port)).toBe(first.fingerprint);
    const second = makeCertificate(dir, 'second.test');
    expect(second.fingerprint).not.toBe(first.fingerprint);
    ftpd.child.kill('SIGHUP');
    await ftpd.waitForStderr(
      /\[I [^\]]+\] certificates reloaded \(certfile .*cert\.pem, keyfile .*key\.pem\)$/m,
    );
    expect(await presentedFingerprint(ftpd.port)).toBe(second.fingerprint);
    const verbose = await curl(['-k', '-v', `ftps://127.0.0.1:${ftpd.implicitPort}/a.txt`]);
    expect(verbose.stdout).toBe('hello over TLS\n');
    expect(verbose.stderr).toMatch(/subject: CN ?= ?second\.test/);

    writeFileSync(second.cert, 'not a certificate\n');
    ftpd.child.kill('SIGHUP');
    await ftpd.waitForStderr(/\[E [^\]]+\] cannot reload certificates, keeping the previous ones: .+$/m);
    expect(ftpd.child.exitCode).toBeNull();
    expect(await presentedFingerprint(ftpd.port)).toBe(second.fingerprint);
    expect((await curl(['--ssl-reqd', '-k', `${ftpd.url}a.txt`])).stdout).toBe('hello over TLS\n');
  });
});

describe('SIGHUP without TLS', () => {
  it('keeps its default effect: the process ends', async () => {
    const ftpd = await startFtpd(tempDir());
    ftpd.child.kill('SIGHUP');
    expect(await ftpd.exited()).toEqual({ code: null, signal: 'SIGHUP' });
  });
});

describe('TLS usage and certificate errors: status 2, one line', () => {
  it.each([
    [['--tls'], '--tls needs a certificate: add --certfile PATH'],
    [['--implicit-tls-port', '0'], '--implicit-tls-port needs a certificate: add --certfile PATH'],
    [['--certfile', 'cert.pem'], '--certfile needs --tls (or --implicit-tls-port)'],
    [['--keyfile', 'key.pem'], '--keyfile needs --tls (or --implicit-tls-port)'],
    [['--tls-control-required'], '--tls-control-required needs --tls (or --implicit-tls-port)'],
    [['--tls-data-required'], '--tls-data-required needs --tls (or --implicit-tls-port)'],
    [['--tls-session-reuse', 'off'], '--tls-session-reuse needs --tls (or --implicit-tls-port)'],
  ])('%j', async (argv, message) => {
    const result = await runFtpd(argv);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`ftpd: error: ${message}\n`);
  });

  it('a missing, an invalid or a mismatched certificate', async () => {
    const dir = tempDir();
    const missing = join(dir, 'missing.pem');
    const bad = join(dir, 'bad.pem');
    writeFileSync(bad, 'not a certificate\n');
    const one = makeCertificate(dir, 'one', { cert: 'one.pem', key: 'one.key' });
    const two = makeCertificate(dir, 'two', { cert: 'two.pem', key: 'two.key' });
    const base = ['-p', '0', '-i', '127.0.0.1', '-d', dir, '--tls'];
    const cases: Array<[string[], RegExp]> = [
      [['--certfile', missing], /^ftpd: error: cannot read certFile .*missing\.pem: ENOENT.*\n$/],
      [['--certfile', bad], /^ftpd: error: invalid TLS certificate or key \(.*bad\.pem.*\): .+\n$/],
      [['--certfile', one.cert, '--keyfile', two.key], /^ftpd: error: invalid TLS certificate or key .+\n$/],
      [['--certfile', one.cert], /^ftpd: error: invalid TLS certificate or key .+\n$/],
    ];
    for (const [args, expected] of cases) {
      const result = await runFtpd([...base, ...args]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(expected);
    }
  });
});
