import { readFileSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { Transform, type Writable } from 'node:stream';
import type { FileSystemFactory, SyncWritable } from '@ftpkit/core';
import { LocalFileSystem } from '@ftpkit/fs-local';
import { afterEach, describe, expect, it } from 'vitest';
import {
  connectPasv,
  LineLogger,
  overriding,
  type RawClient,
  randomBytes,
  sha256,
  startServer,
  type TestServer,
} from './helpers.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const pause = new Int32Array(new SharedArrayBuffer(4));

/** Writes `data` in 256 KiB pieces with backpressure, then ends the socket. */
async function send(socket: Socket, data: Buffer): Promise<void> {
  for (let offset = 0; offset < data.length; offset += 256 * KiB) {
    if (!socket.write(data.subarray(offset, offset + 256 * KiB))) {
      await new Promise((resolve) => socket.once('drain', resolve));
    }
  }
  socket.end();
}

/** `LocalFileSystem` whose upload streams get `adapt` applied. */
function adaptingWrites(adapt: (stream: Writable) => Writable): FileSystemFactory {
  return (context) => {
    const local = new LocalFileSystem(context.home);
    return overriding(local, {
      openWrite: async (path, options) => adapt(await local.openWrite(path, options)),
    });
  };
}

describe('direct receive (useDirectReceive)', () => {
  let t: TestServer;
  let c: RawClient;
  let logger: LineLogger;
  const events: string[] = [];

  async function start(options: Parameters<typeof startServer>[0] = {}): Promise<void> {
    logger = new LineLogger();
    events.length = 0;
    t = await startServer({ useDirectReceive: true, logger, ...options });
    t.server.on('fileReceived', (_s, path) => events.push(`received ${path}`));
    t.server.on('incompleteFileReceived', (_s, path) => events.push(`incomplete ${path}`));
    c = await t.raw();
    await c.login();
    await c.send('TYPE I');
  }
  afterEach(async () => {
    await t.close();
  });

  /** `command` with `data` on a fresh passive connection; resolves with the final reply. */
  async function upload(command: string, data: Buffer): Promise<{ code: number; text: string }> {
    const socket = await connectPasv(await c.send('PASV'));
    expect((await c.send(command)).code).toBe(125);
    await send(socket, data);
    return c.reply();
  }

  const direct = (): string[] => logger.mentioning('direct receive');

  it('takes STOR, APPE and STOU straight into the file, counting every byte', async () => {
    await start();
    const path = join(t.root, 'big.bin');
    const first = randomBytes(9 * MiB + 5);
    expect(await upload('STOR big.bin', first)).toMatchObject({ code: 226 });
    const more = randomBytes(MiB + 3);
    expect(await upload('APPE big.bin', more)).toMatchObject({ code: 226 });
    expect(sha256(readFileSync(path))).toBe(sha256(Buffer.concat([first, more])));
    const unique = await upload('STOU', Buffer.from('unique'));
    expect(unique.code).toBe(226);
    expect(direct()).toHaveLength(3);
    expect(direct().slice(0, 2)).toEqual([
      `STOR ${path}: direct receive done`,
      `APPE ${path}: direct receive done`,
    ]);
    expect(logger.bytesLogged(path)).toEqual([first.length, more.length]);
    expect(events.slice(0, 2)).toEqual([`received ${path}`, `received ${path}`]);
  });

  it('takes a whole upload sent and shut down before STOR arrived', async () => {
    await start();
    const data = randomBytes(700 * KiB + 1);
    const socket = await connectPasv(await c.send('PASV'));
    await new Promise<void>((resolve) => socket.end(data, () => resolve()));
    await sleep(20);
    expect((await c.send('STOR early.bin')).code).toBe(125);
    expect((await c.reply()).code).toBe(226);
    expect(sha256(readFileSync(join(t.root, 'early.bin')))).toBe(sha256(data));
    expect(direct()).toEqual([`STOR ${join(t.root, 'early.bin')}: direct receive done`]);
  });

  it('stores an empty upload', async () => {
    await start();
    writeFileSync(join(t.root, 'empty.bin'), 'old');
    expect(await upload('STOR empty.bin', Buffer.alloc(0))).toMatchObject({ code: 226 });
    expect(readFileSync(join(t.root, 'empty.bin')).length).toBe(0);
  });

  it('answers 426 when the client resets the data connection, keeping a prefix', async () => {
    await start();
    const path = join(t.root, 'reset.bin');
    const data = randomBytes(4 * MiB);
    const socket = await connectPasv(await c.send('PASV'));
    socket.on('error', () => {});
    expect((await c.send('STOR reset.bin')).code).toBe(125);
    await new Promise<void>((resolve) => socket.write(data, () => resolve()));
    await sleep(50);
    socket.resetAndDestroy();
    const reply = await c.reply();
    expect(reply.code).toBe(426);
    expect(reply.text).toMatch(/^(Connection reset by peer|Data connection lost); transfer aborted\.$/);
    expect(events).toEqual([`incomplete ${path}`]);
    const kept = readFileSync(path);
    expect(sha256(kept)).toBe(sha256(data.subarray(0, kept.length)));
    expect((await c.send('NOOP')).code).toBe(200);
  });

  it('cuts a stalled upload with 421 and closes the session', async () => {
    await start({ dataTimeout: 0.3, timeout: 60 });
    const socket = await connectPasv(await c.send('PASV'));
    socket.on('error', () => {});
    expect((await c.send('STOR stall.bin')).code).toBe(125);
    socket.write(Buffer.alloc(100 * KiB, 7));
    expect(await c.reply(5000)).toMatchObject({ code: 421, text: 'Data connection timed out.' });
    await c.waitClosed();
    expect(events).toEqual([`incomplete ${join(t.root, 'stall.bin')}`]);
    expect(readFileSync(join(t.root, 'stall.bin')).length).toBe(100 * KiB);
    socket.destroy();
  });

  it('goes back to streams when the writes turn slow, losing and reordering nothing', async () => {
    let calls = 0;
    await start({
      // The first two synchronous writes take 25 ms each: a disk that does not keep up.
      filesystem: adaptingWrites((stream) => {
        const file = stream as SyncWritable;
        const writeSync = file.writeSync.bind(file);
        return Object.assign(file, {
          writeSync(chunk: Uint8Array): void {
            if (calls++ < 2) Atomics.wait(pause, 0, 0, 25);
            writeSync(chunk);
          },
        });
      }),
    });
    const data = randomBytes(12 * MiB + 77);
    expect(await upload('STOR slow.bin', data)).toMatchObject({ code: 226 });
    const path = join(t.root, 'slow.bin');
    expect(sha256(readFileSync(path))).toBe(sha256(data));
    expect(direct()).toEqual([`STOR ${path}: streaming, direct receive stopped (2 writes took over 20 ms)`]);
    expect(calls).toBe(2);
    expect(logger.bytesLogged(path)).toEqual([data.length]);
  });

  it('streams uploads into files without writeSync', async () => {
    await start({
      filesystem: adaptingWrites((stream) => Object.assign(stream, { writeSync: undefined })),
    });
    const data = randomBytes(3 * MiB);
    expect(await upload('STOR plain.bin', data)).toMatchObject({ code: 226 });
    expect(sha256(readFileSync(join(t.root, 'plain.bin')))).toBe(sha256(data));
    expect(direct()).toEqual([]);
  });

  it('streams TYPE A uploads and uploads through a plugin transform', async () => {
    await start({
      plugins: [
        {
          name: 'pass-through',
          transformData: (_session, direction) =>
            direction === 'receive'
              ? new Transform({
                  transform(chunk, _encoding, callback) {
                    callback(null, chunk);
                  },
                })
              : undefined,
        },
      ],
    });
    const data = randomBytes(2 * MiB);
    expect(await upload('STOR through.bin', data)).toMatchObject({ code: 226 });
    expect(sha256(readFileSync(join(t.root, 'through.bin')))).toBe(sha256(data));
    await c.send('TYPE A');
    expect(await upload('STOR text.txt', Buffer.from('a\r\nb\r\n'))).toMatchObject({ code: 226 });
    expect(readFileSync(join(t.root, 'text.txt'), 'latin1')).toBe('a\nb\n');
    expect(direct()).toEqual([]);
  });

  it('is off when useDirectReceive is false, and defaults to true on Linux only', async () => {
    await start({ useDirectReceive: false });
    expect(await upload('STOR off.bin', randomBytes(MiB))).toMatchObject({ code: 226 });
    expect(direct()).toEqual([]);
    const { resolveOptions } = await import('@ftpkit/core');
    const base = { authorizer: {} as never, filesystem: () => ({}) as never };
    expect(resolveOptions(base).useDirectReceive).toBe(process.platform === 'linux');
    expect(resolveOptions({ ...base, useDirectReceive: false }).useDirectReceive).toBe(false);
  });
});
