import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import type { SecureVersion } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DATA_HANDSHAKE_FAILED, SESSION_REUSE_REQUIRED } from '../src/index.js';
import { makeCertificates, type TestCertificates } from './helpers/certs.js';
import { FtpsClient, readAll, writeAll } from './helpers/ftps-client.js';
import { type FtpsServer, startFtps } from './helpers/server.js';

let certs: TestCertificates;
let t: FtpsServer | undefined;
const clients: FtpsClient[] = [];

beforeAll(async () => {
  certs = await makeCertificates();
});
afterAll(() => certs.remove());
afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await t?.close();
  t = undefined;
});

async function server(options: Parameters<typeof startFtps>[1] = {}): Promise<FtpsServer> {
  t = await startFtps(certs, options);
  return t;
}

async function secureClient(maxVersion: SecureVersion = 'TLSv1.3'): Promise<FtpsClient> {
  const c = await FtpsClient.connect(t!.port);
  clients.push(c);
  await c.secureLogin({ maxVersion });
  return c;
}

/** RETR over a protected data connection offering `session`; returns the bytes and the final reply. */
async function retr(c: FtpsClient, name: string, session: Buffer | undefined, maxVersion?: SecureVersion) {
  const raw = await c.openData();
  const secure = FtpsClient.secureData(raw, { session, ...(maxVersion === undefined ? {} : { maxVersion }) });
  const prelim = await c.send(`RETR ${name}`);
  const data = await secure.then(readAll, () => Buffer.alloc(0));
  return { prelim, data, final: await c.reply(), resumed: (await secure.catch(() => undefined))?.resumed };
}

describe('protected transfers', () => {
  it.each<SecureVersion>(['TLSv1.2', 'TLSv1.3'])(
    'RETR, STOR and LIST with PROT P and session reuse (%s)',
    async (version) => {
      await server();
      const c = await secureClient(version);
      expect((c.socket as import('node:tls').TLSSocket).getProtocol()).toBe(version);
      await c.expect('TYPE I', 200);
      const content = randomBytes(3 * 1024 * 1024 + 17);
      // STOR: TLS right after connecting, before the command (curl, basic-ftp); the server answers the
      // ClientHello once the command is there.
      const up = await c.openData();
      const upHandshake = FtpsClient.secureData(up, { session: c.session, maxVersion: version });
      const prelim = await c.send('STOR up.bin');
      expect(prelim.code).toBe(125);
      const upSecure = await upHandshake;
      expect(upSecure.resumed).toBe(true);
      await writeAll(upSecure, content);
      expect((await c.reply()).code).toBe(226);
      expect(readFileSync(join(t!.root, 'up.bin')).equals(content)).toBe(true);
      // RETR: TLS only after the 150 (ftplib, lftp).
      const down = await c.openData();
      expect((await c.send('RETR up.bin')).code).toBe(125);
      const downSecure = await FtpsClient.secureData(down, { session: c.session, maxVersion: version });
      expect((await readAll(downSecure)).equals(content)).toBe(true);
      expect((await c.reply()).code).toBe(226);
      // LIST: TLS after sending the command, without waiting for its reply (FileZilla).
      const list = await c.openData();
      c.write('LIST\r\n');
      const listSecure = await FtpsClient.secureData(list, { session: c.session, maxVersion: version });
      const listing = (await readAll(listSecure)).toString();
      expect((await c.reply()).code).toBe(125);
      expect((await c.reply()).code).toBe(226);
      expect(listing).toContain('up.bin');
    },
  );

  it('transfers in plaintext after PROT C', async () => {
    await server();
    writeFileSync(join(t!.root, 'plain.txt'), 'clear text');
    const c = await secureClient();
    await c.expect('PROT C', 200);
    const raw = await c.openData();
    expect((await c.send('RETR plain.txt')).code).toBe(125);
    expect((await readAll(raw)).toString()).toBe('clear text');
    expect((await c.reply()).code).toBe(226);
  });

  it('works in active mode (EPRT) too: the server connects, the client is the TLS client', async () => {
    await server();
    writeFileSync(join(t!.root, 'active.txt'), 'active data');
    const c = await secureClient();
    const listener = createServer();
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const port = (listener.address() as import('node:net').AddressInfo).port;
    const accepted = new Promise<Socket>((resolve) => listener.once('connection', resolve));
    expect((await c.send(`EPRT |1|127.0.0.1|${port}|`)).code).toBe(200);
    const secure = FtpsClient.secureData(await accepted, { session: c.session });
    expect((await c.send('RETR active.txt')).code).toBe(125);
    expect((await readAll(await secure)).toString()).toBe('active data');
    expect((await c.reply()).code).toBe(226);
    listener.close();
  });

  it('defaults to protected data on implicit TLS', async () => {
    await server();
    writeFileSync(join(t!.root, 'implicit.txt'), 'implicit data');
    const c = await FtpsClient.connectImplicit(t!.implicitPort);
    clients.push(c);
    await c.reply();
    await c.login();
    await c.waitForSession();
    const result = await retr(c, 'implicit.txt', c.session);
    expect(result.resumed).toBe(true);
    expect(result.data.toString()).toBe('implicit data');
    expect(result.final.code).toBe(226);
  });
});

describe('session reuse', () => {
  it.each<SecureVersion>(['TLSv1.2', 'TLSv1.3'])(
    "refuses a data connection that does not resume under 'require' (%s), and the session goes on",
    async (version) => {
      await server();
      writeFileSync(join(t!.root, 'f.txt'), 'data');
      const c = await secureClient(version);
      const result = await retr(c, 'f.txt', undefined, version);
      expect(result.prelim.code).toBe(125);
      expect(result.data.length).toBe(0);
      expect(result.final).toMatchObject({ code: 522, text: SESSION_REUSE_REQUIRED });
      expect(t!.logger.at('warn').join('\n')).toContain("did not reuse the control connection's TLS session");
      expect((await c.send('NOOP')).code).toBe(200);
      const again = await retr(c, 'f.txt', c.session, version);
      expect(again.data.toString()).toBe('data');
      expect(again.final.code).toBe(226);
    },
  );

  it("refuses a data connection that resumes another control connection's session", async () => {
    await server();
    writeFileSync(join(t!.root, 'f.txt'), 'data');
    const victim = await secureClient();
    const other = await secureClient();
    const result = await retr(victim, 'f.txt', other.session);
    expect(result.resumed).toBe(false);
    expect(result.final).toMatchObject({ code: 522, text: SESSION_REUSE_REQUIRED });
  });

  it("accepts with a warning under 'prefer' and silently under 'off'", async () => {
    await server({ sessionReuse: 'prefer' });
    writeFileSync(join(t!.root, 'f.txt'), 'data');
    const c = await secureClient();
    const result = await retr(c, 'f.txt', undefined);
    expect(result.resumed).toBe(false);
    expect(result.data.toString()).toBe('data');
    expect(result.final.code).toBe(226);
    expect(t!.logger.at('warn').join('\n')).toContain("accepted: sessionReuse is 'prefer'");
    await t!.close();

    await server({ sessionReuse: 'off' });
    writeFileSync(join(t!.root, 'f.txt'), 'data');
    const d = await secureClient();
    const off = await retr(d, 'f.txt', undefined);
    expect(off.data.toString()).toBe('data');
    expect(off.final.code).toBe(226);
    expect(t!.logger.at('warn')).toEqual([]);
  });

  it('keeps resuming over many transfers and after a REIN', async () => {
    await server();
    writeFileSync(join(t!.root, 'f.txt'), 'data');
    const c = await secureClient();
    for (let i = 0; i < 5; i++) {
      const result = await retr(c, 'f.txt', c.session);
      expect(result.final.code).toBe(226);
    }
    await c.expect('REIN', 230);
    await c.login();
    await c.expect('PBSZ 0', 200);
    await c.expect('PROT P', 200);
    const result = await retr(c, 'f.txt', c.session);
    expect(result.data.toString()).toBe('data');
  });
});

describe('data handshake failures', () => {
  it('answers 522 SSL handshake failed. when the client sends no TLS, and the session goes on', async () => {
    await server();
    writeFileSync(join(t!.root, 'f.txt'), 'data');
    const c = await secureClient();
    const raw = await c.openData();
    raw.on('error', () => {});
    expect((await c.send('RETR f.txt')).code).toBe(125);
    raw.write('this is not a ClientHello\r\n');
    expect(await c.reply()).toMatchObject({ code: 522, text: DATA_HANDSHAKE_FAILED });
    expect(t!.logger.at('warn').join('\n')).toContain('handshake failed on the data connection');
    expect((await c.send('NOOP')).code).toBe(200);
  });

  it('answers 522 when the data connection vanishes during its handshake', async () => {
    await server();
    writeFileSync(join(t!.root, 'f.txt'), 'data');
    const c = await secureClient();
    const raw = await c.openData();
    expect((await c.send('RETR f.txt')).code).toBe(125);
    raw.write(Buffer.from([22, 3, 1, 2, 0, 1, 0]));
    raw.destroy();
    expect(await c.reply()).toMatchObject({ code: 522, text: DATA_HANDSHAKE_FAILED });
    expect((await c.send('NOOP')).code).toBe(200);
  });
});
