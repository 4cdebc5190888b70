import { closeSync, openSync, readdirSync, readlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import type { FileSystemFactory } from '@ftpkit/core';
import { LocalFileSystem } from '@ftpkit/fs-local';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  connectPasv,
  LineLogger,
  overriding,
  type RawClient,
  randomBytes,
  readAll,
  startServer,
  type TestServer,
} from './helpers.js';

const MiB = 1024 * 1024;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Descriptors of this process (server and clients share it) open on `path`. */
function descriptorsOn(path: string): number {
  let count = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === path) count++;
    } catch {
      // Closed between readdir and readlink.
    }
  }
  return count;
}

/** Resolves once `check` holds (polled; bounded, so a failure is a clear timeout). */
async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Reads the data socket slowly: one chunk per `ms`, `rounds` times, then to the end. */
async function readSlowly(data: Socket, rounds: number, ms: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  data.pause();
  const ended = new Promise<void>((resolve) => data.once('end', resolve));
  for (let i = 0; i < rounds; i++) {
    await sleep(ms);
    const chunk = await new Promise<Buffer>((resolve) => {
      data.once('data', (c: Buffer) => {
        data.pause();
        resolve(c);
      });
      data.resume();
    });
    chunks.push(chunk);
  }
  data.on('data', (c: Buffer) => chunks.push(c));
  data.resume();
  await ended;
  return Buffer.concat(chunks);
}

for (const useSendfile of [true, false]) {
  describe(`RETR with useSendfile: ${useSendfile}`, () => {
    let t: TestServer;
    let c: RawClient;
    let logger: LineLogger;
    const events: string[] = [];
    const sent = (path: string): string[] => (useSendfile ? [`RETR ${path}: sendfile sent`] : []);

    async function start(options: Parameters<typeof startServer>[0] = {}): Promise<void> {
      logger = new LineLogger();
      t = await startServer({ useSendfile, logger, ...options });
      t.server.on('fileSent', (_s, path) => events.push(`sent ${path}`));
      t.server.on('incompleteFileSent', (_s, path) => events.push(`incomplete ${path}`));
      c = await t.raw();
      await c.login();
      await c.send('TYPE I');
    }
    beforeEach(() => {
      events.length = 0;
    });
    afterEach(async () => {
      await t.close();
    });

    /** RETR `name` on a fresh passive connection: the bytes and the final reply. */
    async function retr(name: string): Promise<{ data: Buffer; code: number; text: string }> {
      const data = await connectPasv(await c.send('PASV'));
      const body = readAll(data);
      expect((await c.send(`RETR ${name}`)).code).toBe(125);
      const bytes = await body;
      const final = await c.reply();
      return { data: bytes, code: final.code, text: final.text };
    }

    it('sends a big file whole and from a REST offset, counting every byte', async () => {
      await start();
      const content = randomBytes(24 * MiB + 123);
      const path = join(t.root, 'big.bin');
      writeFileSync(path, content);
      const whole = await retr('big.bin');
      expect(whole.code).toBe(226);
      expect(whole.data.equals(content)).toBe(true);
      const offset = 5 * MiB + 1;
      expect((await c.send(`REST ${offset}`)).code).toBe(350);
      const rest = await retr('big.bin');
      expect(rest.code).toBe(226);
      expect(rest.data.equals(content.subarray(offset))).toBe(true);
      expect(logger.bytesLogged(path)).toEqual([content.length, content.length - offset]);
      expect(logger.mentioning('sendfile')).toEqual([...sent(path), ...sent(path)]);
      expect(events).toEqual([`sent ${path}`, `sent ${path}`]);
    });

    it('sends empty files and REST at the very end', async () => {
      await start();
      writeFileSync(join(t.root, 'empty.bin'), '');
      writeFileSync(join(t.root, 'five.bin'), '12345');
      expect(await retr('empty.bin')).toMatchObject({ code: 226, data: Buffer.alloc(0) });
      expect((await c.send('REST 5')).code).toBe(350);
      expect(await retr('five.bin')).toMatchObject({ code: 226, data: Buffer.alloc(0) });
      expect((await c.send('REST 2')).code).toBe(350);
      expect((await retr('five.bin')).data.toString()).toBe('345');
    });

    it('closes the file before the final reply', async () => {
      await start();
      const path = join(t.root, 'closed.bin');
      writeFileSync(path, Buffer.alloc(64 * MiB));
      const data = await connectPasv(await c.send('PASV'));
      const body = readAll(data);
      data.pause();
      expect((await c.send('RETR closed.bin')).code).toBe(125);
      expect(descriptorsOn(path)).toBe(1);
      data.resume();
      await body;
      expect((await c.reply()).code).toBe(226);
      expect(descriptorsOn(path)).toBe(0);
    });

    it('stops at once on ABOR (426 then 226), closes the file, and the session goes on', async () => {
      await start();
      const path = join(t.root, 'abor.bin');
      writeFileSync(path, Buffer.alloc(64 * MiB));
      const data = await connectPasv(await c.send('PASV'));
      data.pause();
      const closed = new Promise((resolve) => data.once('close', resolve));
      expect((await c.send('RETR abor.bin')).code).toBe(125);
      await sleep(50);
      c.write('ABOR\r\n');
      expect(await c.reply()).toMatchObject({ code: 426, text: 'Transfer aborted via ABOR.' });
      expect(await c.reply()).toMatchObject({ code: 226, text: 'ABOR command successful.' });
      data.resume();
      await closed;
      await until(() => events.length > 0, 'the end of the transfer');
      expect(descriptorsOn(path)).toBe(0);
      expect(events).toEqual([`incomplete ${path}`]);
      expect(logger.bytesLogged(path)[0]).toBeLessThan(64 * MiB);
      expect((await c.send('NOOP')).code).toBe(200);
      writeFileSync(join(t.root, 'after.txt'), 'after');
      expect((await retr('after.txt')).data.toString()).toBe('after');
    });

    it('answers 426 when the client closes the data connection mid-transfer', async () => {
      await start();
      const path = join(t.root, 'cut.bin');
      writeFileSync(path, Buffer.alloc(64 * MiB));
      const data = await connectPasv(await c.send('PASV'));
      expect((await c.send('RETR cut.bin')).code).toBe(125);
      await new Promise((resolve) => data.once('data', resolve));
      data.destroy();
      const reply = await c.reply();
      expect(reply.code).toBe(426);
      expect(reply.text).toMatch(/^Transfer aborted; \d+ bytes transmitted\.$/);
      expect(descriptorsOn(path)).toBe(0);
      expect(events).toEqual([`incomplete ${path}`]);
      expect((await c.send('NOOP')).code).toBe(200);
    });

    it('cuts a stalled download with 421 and closes the session', async () => {
      await start({ dataTimeout: 0.3, timeout: 60 });
      const path = join(t.root, 'stall.bin');
      writeFileSync(path, Buffer.alloc(64 * MiB));
      const data = await connectPasv(await c.send('PASV'));
      data.pause();
      expect((await c.send('RETR stall.bin')).code).toBe(125);
      expect(await c.reply(5000)).toMatchObject({ code: 421, text: 'Data connection timed out.' });
      await c.waitClosed();
      expect(descriptorsOn(path)).toBe(0);
      expect(events).toEqual([`incomplete ${path}`]);
      data.destroy();
    });

    it('does not time out the control connection while a slow download runs', async () => {
      await start({ timeout: 0.4 });
      const content = randomBytes(32 * MiB);
      writeFileSync(join(t.root, 'slow.bin'), content);
      const data = await connectPasv(await c.send('PASV'));
      expect((await c.send('RETR slow.bin')).code).toBe(125);
      const received = await readSlowly(data, 8, 100);
      expect(received.equals(content)).toBe(true);
      expect((await c.reply()).code).toBe(226);
      expect((await c.send('NOOP')).code).toBe(200);
    });

    it('ends at the end of a file that shrinks during the transfer', async () => {
      await start();
      const path = join(t.root, 'shrink.bin');
      const content = randomBytes(32 * MiB);
      writeFileSync(path, content);
      const data = await connectPasv(await c.send('PASV'));
      data.pause();
      const body = readAll(data);
      expect((await c.send('RETR shrink.bin')).code).toBe(125);
      truncateSync(path, MiB);
      data.resume();
      const received = await body;
      expect((await c.reply()).code).toBe(226);
      expect(received.length).toBeGreaterThanOrEqual(MiB);
      expect(received.length).toBeLessThan(content.length);
      // The first MiB survives; bytes in flight past it may show the truncation (zero-copy sends the
      // page cache as it is when the data leaves), as they may with pyftpdlib and vsftpd.
      expect(received.subarray(0, MiB).equals(content.subarray(0, MiB))).toBe(true);
      expect(logger.bytesLogged(path)).toEqual([received.length]);
    });

    it('ends at the end of a file that grows during the transfer', async () => {
      await start();
      const path = join(t.root, 'grow.bin');
      const first = randomBytes(MiB);
      const more = randomBytes(3 * MiB);
      writeFileSync(path, first);
      const data = await connectPasv(await c.send('PASV'));
      data.pause();
      const body = readAll(data);
      expect((await c.send('RETR grow.bin')).code).toBe(125);
      await appendFile(path, more);
      data.resume();
      const received = await body;
      expect((await c.reply()).code).toBe(226);
      // The end is wherever the file ended when the sender reached it.
      expect(received.length).toBeGreaterThanOrEqual(first.length);
      expect(received.equals(Buffer.concat([first, more]).subarray(0, received.length))).toBe(true);
      expect(logger.bytesLogged(path)).toEqual([received.length]);
    });

    it('streams TYPE A transfers (line endings converted), never with sendfile', async () => {
      await start();
      const text = 'one\ntwo\r\nthree\n'.repeat(100_000);
      writeFileSync(join(t.root, 'unix.txt'), text);
      await c.send('TYPE A');
      const result = await retr('unix.txt');
      expect(result.code).toBe(226);
      expect(result.data.toString()).toBe(text.replace(/\r?\n/g, '\r\n'));
      expect(logger.mentioning('sendfile')).toEqual([]);
    });

    it('streams through a plugin transform (throttling), never with sendfile', async () => {
      const { Transform } = await import('node:stream');
      await start({
        plugins: [
          {
            name: 'pass-through',
            transformData: () =>
              new Transform({
                transform(chunk, _encoding, callback) {
                  callback(null, chunk);
                },
              }),
          },
        ],
      });
      const content = randomBytes(3 * MiB);
      writeFileSync(join(t.root, 'through.bin'), content);
      const result = await retr('through.bin');
      expect(result.code).toBe(226);
      expect(result.data.equals(content)).toBe(true);
      expect(logger.mentioning('sendfile')).toEqual([]);
    });
  });
}

describe('useSendfile fallbacks', () => {
  let t: TestServer | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('streams instead when the first sendfile call fails (EINVAL), sending the whole file', async () => {
    const logger = new LineLogger();
    const directories: number[] = [];
    // A filesystem whose streams claim a descriptor sendfile cannot read from: a directory's.
    const filesystem: FileSystemFactory = (context) => {
      const local = new LocalFileSystem(context.home);
      return overriding(local, {
        openRead: async (path, options) => {
          const stream = await local.openRead(path, options);
          const fd = openSync(context.home, 'r');
          directories.push(fd);
          return Object.assign(stream, { sendfileSource: { fd, start: stream.sendfileSource.start } });
        },
      });
    };
    t = await startServer({ logger, filesystem, useSendfile: true });
    const content = randomBytes(4 * MiB + 5);
    const path = join(t.root, 'fallback.bin');
    writeFileSync(path, content);
    const c = await t.raw();
    await c.login();
    await c.send('TYPE I');
    expect((await c.send('REST 5')).code).toBe(350);
    const data = await connectPasv(await c.send('PASV'));
    const body = readAll(data);
    expect((await c.send('RETR fallback.bin')).code).toBe(125);
    expect((await body).equals(content.subarray(5))).toBe(true);
    expect((await c.reply()).code).toBe(226);
    expect(logger.mentioning('sendfile')).toEqual([
      `RETR ${path}: streaming, sendfile unavailable (sendfile failed with EINVAL)`,
    ]);
    for (const fd of directories) closeSync(fd);
  });

  it('streams files from filesystems that expose no descriptor', async () => {
    const logger = new LineLogger();
    const filesystem: FileSystemFactory = (context) => {
      const local = new LocalFileSystem(context.home);
      return overriding(local, {
        openRead: async (path, options) => {
          const stream = await local.openRead(path, options);
          return Object.assign(stream, { sendfileSource: undefined });
        },
      });
    };
    t = await startServer({ logger, filesystem });
    writeFileSync(join(t.root, 'plain.bin'), 'plain bytes');
    const c = await t.raw();
    await c.login();
    await c.send('TYPE I');
    const data = await connectPasv(await c.send('PASV'));
    const body = readAll(data);
    expect((await c.send('RETR plain.bin')).code).toBe(125);
    expect((await body).toString()).toBe('plain bytes');
    expect((await c.reply()).code).toBe(226);
    expect(logger.mentioning('sendfile')).toEqual([]);
  });

  it('defaults to true on Linux only', async () => {
    const { resolveOptions } = await import('@ftpkit/core');
    const base = { authorizer: {} as never, filesystem: () => ({}) as never };
    expect(resolveOptions(base).useSendfile).toBe(process.platform === 'linux');
    expect(resolveOptions({ ...base, useSendfile: false }).useSendfile).toBe(false);
    expect(resolveOptions({ ...base, useSendfile: true }).useSendfile).toBe(true);
  });
});
