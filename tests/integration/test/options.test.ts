import { writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import type { Logger, OpenWriteOptions } from '@ftpkit/core';
import { LocalFileSystem } from '@ftpkit/fs-local';
import { afterEach, describe, expect, it } from 'vitest';
import { connectPasv, RawClient, readAll, startServer, type TestServer } from './helpers.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function pasvPort(text: string): number {
  const m = /\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)/.exec(text);
  if (!m) throw new Error(text);
  return Number(m[5]) * 256 + Number(m[6]);
}

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const push = (m: string): void => {
    lines.push(m);
  };
  return { lines, debug: push, info: push, warn: push, error: push };
}

async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  for (let i = 0; i < count; i++) {
    const s = createServer();
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    servers.push(s);
  }
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

describe('options', () => {
  let t: TestServer | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('announces masqueradeAddress, and masqueradeAddressMap first', async () => {
    t = await startServer({ masqueradeAddress: '203.0.113.7' });
    let c = await t.raw();
    await c.login();
    expect((await c.send('PASV')).text).toMatch(/^Entering passive mode \(203,0,113,7,\d+,\d+\)\.$/);
    expect((await c.send('EPSV')).text).toMatch(/^Entering extended passive mode \(\|\|\|\d+\|\)\.$/);
    await t.close();
    t = await startServer({
      masqueradeAddress: '203.0.113.7',
      masqueradeAddressMap: { '127.0.0.1': '198.51.100.9' },
    });
    c = await t.raw();
    await c.login();
    expect((await c.send('PASV')).text).toMatch(/\(198,51,100,9,\d+,\d+\)/);
  });

  it('uses only passivePorts, in an unpredictable order, and falls back to a kernel port when all are busy', async () => {
    const ports = await freePorts(6);
    const logger = recordingLogger();
    t = await startServer({ passivePorts: ports, logger });
    const c = await t.raw();
    await c.login();
    const seen: number[] = [];
    for (let i = 0; i < 12; i++) {
      const port = pasvPort((await c.send('PASV')).text);
      expect(ports).toContain(port);
      seen.push(port);
    }
    // Twelve draws from six ports in a fixed order would repeat one sequence; random order does not.
    expect(new Set(seen).size).toBeGreaterThan(1);
    expect(seen.slice(0, 6).join()).not.toBe(seen.slice(6, 12).join());
    await c.send('ABOR');
    const holders: Server[] = [];
    for (const port of ports) {
      const s = createServer();
      await new Promise<void>((resolve) => s.listen(port, '127.0.0.1', resolve));
      holders.push(s);
    }
    const fallback = pasvPort((await c.send('PASV')).text);
    expect(ports).not.toContain(fallback);
    expect(logger.lines.join('\n')).toContain(
      "Can't find a valid passive port in the configured range. A random kernel-assigned port will be used.",
    );
    for (const s of holders) s.close();
  });

  it('serves IPv4 clients on a dual-stack :: listener', async () => {
    t = await startServer({}, '::');
    writeFileSync(join(t.root, 'v4.txt'), 'four');
    const c = await RawClient.connect(t.port, '127.0.0.1');
    await c.login();
    const pasv = await c.send('PASV');
    expect(pasv.text).toMatch(/\(127,0,0,1,\d+,\d+\)/);
    const data = await connectPasv(pasv);
    const body = readAll(data);
    await c.send('RETR v4.txt');
    expect((await body).toString()).toBe('four');
    expect((await c.reply()).code).toBe(226);
    expect((await c.send('EPRT |2|::1|2000|')).code).toBe(522);
    c.destroy();
  });

  it('refuses a passive data connection from a foreign address, then accepts the client', async () => {
    t = await startServer();
    writeFileSync(join(t.root, 'f.txt'), 'data');
    const c = await t.raw();
    await c.login();
    const pasv = await c.send('PASV');
    const port = pasvPort(pasv.text);
    const foreign = connect({ host: '127.0.0.1', port, localAddress: '127.0.0.2' });
    foreign.on('error', () => {});
    const refusal = await c.reply();
    expect(refusal.code).toBe(425);
    expect(refusal.text).toMatch(/^Rejected data connection from foreign address 127\.0\.0\.2:\d+\.$/);
    const data = await connectPasv(pasv);
    const body = readAll(data);
    await c.send('RETR f.txt');
    expect((await body).toString()).toBe('data');
    expect((await c.reply()).code).toBe(226);
  });

  it('accepts foreign addresses and privileged ports when permitted', async () => {
    t = await startServer({ permitForeignAddresses: true, permitPrivilegedPorts: true });
    const c = await t.raw();
    await c.login();
    const pasv = await c.send('PASV');
    const data = connect({ host: '127.0.0.1', port: pasvPort(pasv.text), localAddress: '127.0.0.2' });
    await new Promise((resolve) => data.once('connect', resolve));
    await sleep(50);
    expect((await c.send('STAT')).lines).toContain(' Data connection open.');
    data.destroy();
    const sink = createServer();
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.2', resolve));
    const port = (sink.address() as { port: number }).port;
    expect((await c.send(`PORT 127,0,0,2,${Math.floor(port / 256)},${port % 256}`)).code).toBe(200);
    sink.close();
  });

  it('shows local times with useGmtTimes false', async () => {
    const previous = process.env.TZ;
    t = await startServer({ useGmtTimes: false });
    writeFileSync(join(t.root, 'f.txt'), 'x');
    const c = await t.raw();
    await c.login();
    await c.send('TYPE I');
    await c.send('MFMT 20200101120000 f.txt');
    const local = new Date(Date.UTC(2020, 0, 1, 12, 0, 0));
    const expected = `${local.getFullYear()}${String(local.getMonth() + 1).padStart(2, '0')}${String(local.getDate()).padStart(2, '0')}${String(local.getHours()).padStart(2, '0')}0000`;
    expect((await c.send('MDTM f.txt')).text).toBe(expected);
    process.env.TZ = previous;
  });

  it('sends a banner from a function, and long messages in the 75-character form', async () => {
    const long = `Welcome to a server whose banner is definitely longer than seventy-five characters.`;
    t = await startServer({ banner: ({ remoteAddress }) => `${long} ${remoteAddress}` });
    t.authorizer.addUser('long', 'pw', t.root, { msgLogin: long, msgQuit: 'Bye now.' });
    const c = await t.raw();
    const banner = await c.reply();
    expect(banner.lines).toEqual([`220-${long} 127.0.0.1`, '220 ']);
    await c.send('USER long');
    expect((await c.send('PASS pw')).lines).toEqual([`230-${long}`, '230 ']);
    expect(await c.send('QUIT')).toMatchObject({ code: 221, text: 'Bye now.' });
  });

  it('reports STAT during a transfer', async () => {
    t = await startServer();
    writeFileSync(join(t.root, 'big.bin'), Buffer.alloc(32 * 1024 * 1024));
    const c = await t.raw();
    await c.login();
    await c.send('TYPE I');
    const data = await connectPasv(await c.send('PASV'));
    data.pause();
    await c.send('RETR big.bin');
    await sleep(100);
    const stat = await c.send('STAT');
    expect(stat.lines[4]).toBe(' Data connection open:');
    expect(stat.lines[5]).toMatch(/^ Total bytes sent: \d+$/);
    expect(stat.lines[6]).toBe(' Total bytes received: 0');
    expect(stat.lines[7]).toMatch(/^ Transfer elapsed time: [\d.]+ secs$/);
    data.destroy();
    expect((await c.reply()).code).toBe(426);
  });

  it('gives up STOU after bounded attempts when every name is taken', async () => {
    let attempts = 0;
    class Crowded extends LocalFileSystem {
      override async openWrite(path: string, options: OpenWriteOptions): Promise<Writable> {
        if (options.mode !== 'exclusive') return super.openWrite(path, options);
        attempts += 1;
        throw Object.assign(new Error('exists'), { code: 'EEXIST' });
      }
    }
    t = await startServer({ filesystem: (context) => new Crowded(context.home) });
    const c = await t.raw();
    await c.login();
    await c.send('PASV');
    expect(await c.send('STOU')).toMatchObject({ code: 450, text: 'No usable unique file name found.' });
    expect(attempts).toBe(50);
  });

  it("answers an upload that fails mid-way with the filesystem's own reply code (552 quota)", async () => {
    const { FilesystemError } = await import('@ftpkit/core');
    const { Writable: WritableStream } = await import('node:stream');
    class Quota extends LocalFileSystem {
      override async openWrite(): Promise<Writable> {
        let used = 0;
        return new WritableStream({
          write(chunk: Buffer, _encoding, callback) {
            used += chunk.length;
            callback(
              used > 1000 ? new FilesystemError('Quota exceeded', { replyCode: 552, code: 'EDQUOT' }) : null,
            );
          },
        });
      }
    }
    t = await startServer({ filesystem: (context) => new Quota(context.home) });
    const c = await t.raw();
    await c.login();
    await c.send('TYPE I');
    const data = await connectPasv(await c.send('PASV'));
    data.on('error', () => {});
    expect((await c.send('STOR q.bin')).code).toBe(125);
    data.write(Buffer.alloc(5000));
    const quotaReply = await c.reply();
    expect(quotaReply, quotaReply.text).toMatchObject({ code: 552, text: 'Quota exceeded.' });
  });

  it('fires the incomplete-file events for an aborted upload and a cut download', async () => {
    t = await startServer();
    writeFileSync(join(t.root, 'big.bin'), Buffer.alloc(32 * 1024 * 1024));
    const events: string[] = [];
    t.server.on('incompleteFileSent', (_s, path) => events.push(`sent ${path}`));
    t.server.on('incompleteFileReceived', (_s, path) => events.push(`received ${path}`));
    t.server.on('fileSent', (_s, path) => events.push(`WRONG ${path}`));
    const c = await t.raw();
    await c.login();
    await c.send('TYPE I');
    let data: Socket = await connectPasv(await c.send('PASV'));
    await c.send('STOR up.bin');
    data.write(Buffer.alloc(1000));
    await sleep(50);
    c.write('ABOR\r\n');
    expect((await c.reply()).code).toBe(426);
    expect((await c.reply()).code).toBe(226);
    data.destroy();
    data = await connectPasv(await c.send('PASV'));
    await c.send('RETR big.bin');
    await new Promise((resolve) => data.once('data', resolve));
    data.destroy();
    expect((await c.reply()).code).toBe(426);
    await sleep(20);
    expect(events).toEqual([`received ${join(t.root, 'up.bin')}`, `sent ${join(t.root, 'big.bin')}`]);
  });

  it('a listener that never settles does not hold up the session', async () => {
    t = await startServer();
    t.server.on('login', () => new Promise(() => {}));
    const c = await t.raw();
    await c.login();
    expect((await c.send('NOOP')).code).toBe(200);
  });
});
