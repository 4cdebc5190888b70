import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { FileWriter, LocalFileSystem } from '@ftpkit/fs-local';
import { afterEach, describe, expect, it } from 'vitest';
import { connectPasv, type RawClient, randomBytes, sha256, startServer, type TestServer } from './helpers.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** Sends `data` in pieces of the given sizes (cycled), waiting for 'drain', then ends the socket. */
async function sendInPieces(socket: Socket, data: Buffer, sizes: readonly number[]): Promise<void> {
  let offset = 0;
  for (let i = 0; offset < data.length; i++) {
    const piece = data.subarray(offset, offset + sizes[i % sizes.length]!);
    offset += piece.length;
    if (!socket.write(piece)) await new Promise((resolve) => socket.once('drain', resolve));
  }
  socket.end();
}

/** STOR/APPE `data` as `command name` on a fresh passive connection; resolves with the final reply. */
async function upload(
  c: RawClient,
  command: string,
  data: Buffer,
  sizes: readonly number[],
): Promise<number> {
  const socket = await connectPasv(await c.send('PASV'));
  expect((await c.send(command)).code).toBe(125);
  await sendInPieces(socket, data, sizes);
  return (await c.reply()).code;
}

// Odd piece sizes, so that socket reads straddle the server's 64 KiB batches in every way.
const PIECES = [1, 7 * KiB + 3, 100 * KiB + 1, 3, 64 * KiB, 13 * KiB + 11, 250 * KiB];

for (const useDirectReceive of [true, false])
  describe(`the upload data path (STOR, APPE, REST, TYPE A) with small batches, useDirectReceive: ${useDirectReceive}`, () => {
    let t: TestServer;
    let c: RawClient;
    afterEach(async () => {
      await t.close();
    });

    async function start(options: Parameters<typeof startServer>[0] = {}): Promise<void> {
      t = await startServer({ bufferSize: 64 * KiB, useDirectReceive, ...options });
      c = await t.raw();
      await c.login();
      await c.send('TYPE I');
    }

    it('stores, appends and resumes byte for byte', async () => {
      await start();
      const first = randomBytes(5 * MiB + 4321);
      expect(await upload(c, 'STOR f.bin', first, PIECES)).toBe(226);
      expect(sha256(readFileSync(join(t.root, 'f.bin')))).toBe(sha256(first));

      const more = randomBytes(MiB + 17);
      expect(await upload(c, 'APPE f.bin', more, [...PIECES].reverse())).toBe(226);
      const appended = Buffer.concat([first, more]);
      expect(sha256(readFileSync(join(t.root, 'f.bin')))).toBe(sha256(appended));

      const patch = randomBytes(700 * KiB + 9);
      expect((await c.send('REST 3000001')).code).toBe(350);
      expect(await upload(c, 'STOR f.bin', patch, PIECES)).toBe(226);
      patch.copy(appended, 3_000_001);
      expect(sha256(readFileSync(join(t.root, 'f.bin')))).toBe(sha256(appended));
    });

    it('converts CRLF in TYPE A across batch and chunk boundaries', async () => {
      await start();
      const lines: string[] = [];
      for (let i = 0; i < 40_000; i++) lines.push(`line ${i} ${'x'.repeat(i % 90)}`);
      const unix = `${lines.join('\n')}\n`;
      const dos = Buffer.from(unix.replaceAll('\n', '\r\n'));
      await c.send('TYPE A');
      // A piece ending in CR puts the CR and its LF in different socket reads.
      const sizes = [1, 4095, 65_537, 10_000, 2];
      expect(await upload(c, 'STOR a.txt', dos, sizes)).toBe(226);
      expect(readFileSync(join(t.root, 'a.txt'), 'latin1')).toBe(unix);
    });

    it('keeps every byte received before an ABOR, as a prefix of what was sent', async () => {
      await start();
      const data = randomBytes(32 * MiB);
      const socket = await connectPasv(await c.send('PASV'));
      socket.on('error', () => {});
      expect((await c.send('STOR cut.bin')).code).toBe(125);
      let sent = 0;
      while (sent < 8 * MiB) {
        const piece = data.subarray(sent, sent + 100 * KiB + 3);
        sent += piece.length;
        if (!socket.write(piece)) await new Promise((resolve) => socket.once('drain', resolve));
      }
      expect((await c.send('ABOR')).code).toBe(426);
      expect((await c.reply()).code).toBe(226);
      socket.destroy();
      expect((await c.send('NOOP')).code).toBe(200);
      const kept = readFileSync(join(t.root, 'cut.bin'));
      expect(kept.length).toBeGreaterThan(0);
      expect(kept.length).toBeLessThanOrEqual(sent);
      expect(sha256(kept)).toBe(sha256(data.subarray(0, kept.length)));
    });

    it.skipIf(!existsSync('/dev/full'))(
      'answers a write that fails mid-upload (ENOSPC) with 426, without waiting for the client to stop',
      async () => {
        class Full extends LocalFileSystem {
          override async openWrite(): Promise<Writable> {
            return new FileWriter(await open('/dev/full', 'w'), { position: null, highWaterMark: 64 * KiB });
          }
        }
        await start({ filesystem: (context) => new Full(context.home) });
        const socket = await connectPasv(await c.send('PASV'));
        socket.on('error', () => {});
        expect((await c.send('STOR full.bin')).code).toBe(125);
        // The client keeps sending; the reply must come anyway, and the data connection must close.
        const chunk = Buffer.alloc(64 * KiB, 1);
        const pump = setInterval(() => socket.writable && socket.write(chunk), 1);
        try {
          expect(await c.reply()).toMatchObject({
            code: 426,
            text: 'No space left on device; transfer aborted.',
          });
        } finally {
          clearInterval(pump);
        }
        await new Promise((resolve) => (socket.closed ? resolve(undefined) : socket.once('close', resolve)));
        expect((await c.send('NOOP')).code).toBe(200);
      },
    );

    it('stores 40 concurrent uploads correctly while they share the write budget', async () => {
      t = await startServer({ useDirectReceive });
      const files = Array.from({ length: 40 }, (_, i) => randomBytes(2 * MiB + i * 1001));
      await Promise.all(
        files.map(async (data, i) => {
          const client = await t.raw();
          await client.login();
          await client.send('TYPE I');
          expect(await upload(client, `STOR c${i}.bin`, data, PIECES)).toBe(226);
        }),
      );
      for (const [i, data] of files.entries()) {
        expect(sha256(readFileSync(join(t.root, `c${i}.bin`)))).toBe(sha256(data));
      }
    });

    it('writes nothing before the file is open, yet loses no first bytes of a fast client', async () => {
      await start();
      writeFileSync(join(t.root, 'slow.bin'), 'old content that must be replaced entirely');
      const data = randomBytes(3 * MiB);
      const socket = await connectPasv(await c.send('PASV'));
      // The data is sent before STOR: it waits in the paused socket until the file exists.
      socket.write(data.subarray(0, 512 * KiB));
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect((await c.send('STOR slow.bin')).code).toBe(125);
      await sendInPieces(socket, data.subarray(512 * KiB), PIECES);
      expect((await c.reply()).code).toBe(226);
      expect(sha256(readFileSync(join(t.root, 'slow.bin')))).toBe(sha256(data));
    });
  });
