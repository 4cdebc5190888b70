import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from 'basic-ftp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_REUSE_REQUIRED } from '../src/index.js';
import { makeCertificates, type TestCertificates } from './helpers/certs.js';
import { runCommand } from './helpers/run.js';
import { type FtpsServer, startFtps } from './helpers/server.js';

let certs: TestCertificates;
let t: FtpsServer | undefined;

beforeAll(async () => {
  certs = await makeCertificates();
});
afterAll(() => certs.remove());
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function server(options: Parameters<typeof startFtps>[1] = {}): Promise<FtpsServer> {
  t = await startFtps(certs, options);
  writeFileSync(join(t.root, 'hello.txt'), 'hello over TLS\n');
  return t;
}

const FTPLIB_CLIENT = fileURLToPath(new URL('./fixtures/ftplib_client.py', import.meta.url));

describe('basic-ftp', () => {
  it.each([
    ['explicit', true],
    ['implicit', 'implicit'],
  ] as const)('uploads, lists and downloads over %s FTPS with PROT P', async (_name, secure) => {
    await server();
    const client = new Client(10_000);
    try {
      await client.access({
        host: '127.0.0.1',
        port: secure === true ? t!.port : t!.implicitPort,
        user: 'user',
        password: '12345',
        secure,
        secureOptions: { ca: readFileSync(certs.caCert) },
      });
      const content = randomBytes(256 * 1024);
      const local = join(t!.root, 'local.bin');
      writeFileSync(local, content);
      await client.uploadFrom(local, 'up.bin');
      expect(readFileSync(join(t!.root, 'up.bin')).equals(content)).toBe(true);
      expect((await client.list()).map((entry) => entry.name).sort()).toEqual([
        'hello.txt',
        'local.bin',
        'up.bin',
      ]);
      await client.downloadTo(join(t!.root, 'down.bin'), 'up.bin');
      expect(readFileSync(join(t!.root, 'down.bin')).equals(content)).toBe(true);
      const [session] = [...t!.server.sessions];
      expect(t!.tls.tlsInfo(session!)).toMatchObject({ control: 'tls', protection: 'P' });
    } finally {
      client.close();
    }
  });
});

describe('curl', () => {
  const url = (path = 'hello.txt'): string => `ftp://user:12345@127.0.0.1:${t!.port}/${path}`;

  it.each([
    ['TLS 1.2', ['--tls-max', '1.2']],
    ['TLS 1.3', ['--tlsv1.3']],
  ])('downloads, uploads and lists with --ssl-reqd over %s', async (_name, versionArgs) => {
    await server();
    const base = ['-sS', '--ssl-reqd', '-k', ...versionArgs];
    const down = await runCommand('curl', [...base, url()]);
    expect(down).toMatchObject({ code: 0, stdout: 'hello over TLS\n' });
    const local = join(t!.root, 'curl-local.bin');
    const content = randomBytes(200_000);
    writeFileSync(local, content);
    expect((await runCommand('curl', [...base, '-T', local, url('curl-up.bin')])).code).toBe(0);
    expect(readFileSync(join(t!.root, 'curl-up.bin')).equals(content)).toBe(true);
    const list = await runCommand('curl', [...base, url('')]);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('curl-up.bin');
    expect(t!.logger.at('warn')).toEqual([]);
  });

  it('verifies the server certificate with --cacert', async () => {
    await server();
    const ok = await runCommand('curl', ['-sS', '--ssl-reqd', '--cacert', certs.caCert, url()]);
    expect(ok).toMatchObject({ code: 0, stdout: 'hello over TLS\n' });
    const untrusted = await runCommand('curl', ['-sS', '--ssl-reqd', '--cacert', certs.otherCert, url()]);
    expect(untrusted.code).toBe(60);
  });

  it('speaks implicit FTPS with ftps://', async () => {
    await server();
    const implicit = `ftps://user:12345@127.0.0.1:${t!.implicitPort}/hello.txt`;
    expect(await runCommand('curl', ['-sS', '-k', implicit])).toMatchObject({
      code: 0,
      stdout: 'hello over TLS\n',
    });
    expect(
      await runCommand('curl', ['-sS', '--cacert', certs.caCert, '--tls-max', '1.2', implicit]),
    ).toMatchObject({
      code: 0,
      stdout: 'hello over TLS\n',
    });
  });

  it('clears the control connection with --ftp-ssl-ccc (active mode) and keeps PROT P', async () => {
    await server();
    const result = await runCommand('curl', [
      '-sS',
      '-v',
      '--ssl-reqd',
      '-k',
      '--ftp-ssl-ccc',
      '--ftp-ssl-ccc-mode',
      'active',
      url(),
    ]);
    expect(result).toMatchObject({ code: 0, stdout: 'hello over TLS\n' });
    expect(result.stderr).toContain('< 200 Clearing control channel protection.');
    // The commands after CCC went in plaintext, and were answered.
    expect(result.stderr).toMatch(/> (EPSV|PASV)[\s\S]*< 226/);
  });

  it("clears with curl's default (passive) CCC mode too, where curl drops its session: 'prefer' serves it", async () => {
    await server({ sessionReuse: 'prefer' });
    const result = await runCommand('curl', ['-sS', '--ssl-reqd', '-k', '--ftp-ssl-ccc', url()]);
    expect(result).toMatchObject({ code: 0, stdout: 'hello over TLS\n' });
  });
});

describe('lftp', () => {
  const settings =
    'set ftp:ssl-force true; set ftp:ssl-protect-data true; set ssl:verify-certificate no; ' +
    'set net:max-retries 1; set net:timeout 10; set cmd:fail-exit true; ';

  it.each([
    ['TLS 1.3', ''],
    ['TLS 1.2', 'set ssl:priority "NORMAL:-VERS-TLS1.3"; '],
  ])('lists, uploads and downloads over explicit FTPS with protected data (%s)', async (_name, priority) => {
    await server();
    const local = join(t!.root, 'lftp-local.bin');
    const content = randomBytes(300_000);
    writeFileSync(local, content);
    const result = await runCommand('lftp', [
      '-c',
      `${settings}${priority} open -u user,12345 ftp://127.0.0.1:${t!.port}; ls; put ${local} -o lftp-up.bin; ` +
        `get lftp-up.bin -o ${join(t!.root, 'lftp-down.bin')}; cat hello.txt`,
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('hello.txt');
    expect(result.stdout).toContain('hello over TLS');
    expect(readFileSync(join(t!.root, 'lftp-up.bin')).equals(content)).toBe(true);
    expect(readFileSync(join(t!.root, 'lftp-down.bin')).equals(content)).toBe(true);
    expect(t!.logger.at('warn')).toEqual([]);
  });

  it('speaks implicit FTPS with ftps://', async () => {
    await server();
    const result = await runCommand('lftp', [
      '-c',
      `${settings} open -u user,12345 ftps://127.0.0.1:${t!.implicitPort}; cat hello.txt`,
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('hello over TLS\n');
  });
});

interface FtplibResult {
  ok: boolean;
  error?: string;
  reply?: string;
  names?: string[];
  size?: number;
  version?: string;
  ccc?: string;
  pwd?: string;
}

async function ftplib(
  mode: 'stock' | 'reuse',
  action: 'list' | 'ccc',
  tlsMax?: '1.2',
): Promise<FtplibResult> {
  const args = [FTPLIB_CLIENT, String(t!.port), mode, action, ...(tlsMax === undefined ? [] : [tlsMax])];
  const result = await runCommand('python3', args);
  if (result.code !== 0) throw new Error(`python3 failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as FtplibResult;
}

describe('Python ftplib FTP_TLS', () => {
  it("stock FTP_TLS, which does not resume on data connections, is refused under 'require' with a reason", async () => {
    await server();
    const result = await ftplib('stock', 'list');
    expect(result.ok).toBe(false);
    expect(result.error).toBe(`522 ${SESSION_REUSE_REQUIRED}`);
  });

  it.each(['prefer', 'off'] as const)("stock FTP_TLS is served under '%s'", async (sessionReuse) => {
    await server({ sessionReuse });
    const result = await ftplib('stock', 'list');
    expect(result, JSON.stringify(result)).toMatchObject({ ok: true, size: 100_000 });
    expect(result.names).toContain('py.bin');
  });

  it.each([undefined, '1.2'] as const)(
    "FTP_TLS wrapping data sockets with session=self.sock.session is served under 'require' (TLS max %s)",
    async (tlsMax) => {
      await server();
      const result = await ftplib('reuse', 'list', tlsMax);
      expect(result).toMatchObject({
        ok: true,
        size: 100_000,
        version: tlsMax === '1.2' ? 'TLSv1.2' : 'TLSv1.3',
      });
      expect(t!.logger.at('warn')).toEqual([]);
    },
  );

  it.each([undefined, '1.2'] as const)(
    'CCC returns the control connection to plaintext, and protected transfers go on (TLS max %s)',
    async (tlsMax) => {
      await server();
      const result = await ftplib('reuse', 'ccc', tlsMax);
      expect(result).toMatchObject({
        ok: true,
        ccc: '200 Clearing control channel protection.',
        pwd: '257 "/" is the current directory.',
      });
      expect(result.names).toContain('hello.txt');
    },
  );
});
