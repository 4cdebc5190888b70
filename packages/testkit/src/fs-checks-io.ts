/**
 * Filesystem checks: openRead and openWrite.
 *
 * @module
 */
import type { Writable } from 'node:stream';
import { isRegularFile } from '@ftpkit/core';
import { ensure, equal, fail, failsWithCode, show, succeeds } from './assert.js';
import type { CheckDefinition } from './check.js';
import { type FsCheckContext, pattern, sha256 } from './fs-fixture.js';

type FsCheck = CheckDefinition<FsCheckContext>;

const KiB = 1024;

async function fileText(ctx: FsCheckContext, virtualPath: string): Promise<string> {
  const { data } = await ctx.read(await ctx.resolve(virtualPath));
  return data.toString('latin1');
}

function waitFor(stream: Writable, event: 'finish' | 'close'): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.once(event, () => resolve());
    stream.once('error', reject);
  });
}

/** Checks that only apply to a writable filesystem. */
export const WRITE_IO_CHECKS: readonly FsCheck[] = [
  {
    name: 'openWrite truncate: creates a file',
    async run(ctx) {
      await ctx.layout();
      const path = await ctx.resolve('/new.txt');
      await ctx.write(path, [Buffer.from('new '), Buffer.from('content')]);
      const stat = await succeeds(() => ctx.fs.stat(path), `stat(${show(path)}) after an upload`);
      ensure(
        isRegularFile(stat),
        `a file made by openWrite must stat as a regular file, got mode 0o${stat.mode.toString(8)}`,
      );
      equal(stat.size, 11, `stat(${show(path)}).size after writing 11 bytes`);
      equal(await fileText(ctx, '/new.txt'), 'new content', 'the content of a new file');
    },
  },
  {
    name: 'openWrite truncate: replaces all of a longer file',
    async run(ctx) {
      await ctx.layout();
      const path = await ctx.resolve('/file.txt');
      await ctx.write(path, [Buffer.from('bye')]);
      equal(await fileText(ctx, '/file.txt'), 'bye', 'a 13-byte file after STOR of "bye" (truncate)');
      await ctx.write(path, []);
      equal(await fileText(ctx, '/file.txt'), '', 'a file after STOR of nothing');
    },
  },
  {
    name: "openWrite: 'finish' comes only once the data is readable",
    async run(ctx) {
      await ctx.layout();
      const path = await ctx.resolve('/durable.bin');
      const data = pattern(300 * KiB);
      const stream = await succeeds(
        () => ctx.fs.openWrite(path, { mode: 'truncate', highWaterMark: 64 * KiB }),
        `openWrite(${show(path)})`,
      );
      let atFinish: Promise<number> | undefined;
      stream.once('finish', () => {
        // core answers 226 on 'finish': a client may RETR or SIZE the file at once.
        atFinish = Promise.resolve(ctx.fs.stat(path)).then((stat) => stat.size);
      });
      const finished = waitFor(stream, 'finish');
      for (let offset = 0; offset < data.length; offset += 64 * KiB)
        stream.write(data.subarray(offset, offset + 64 * KiB));
      stream.end();
      await ctx.timed(finished, "waiting for the upload stream's 'finish'");
      ensure(atFinish !== undefined, "the upload stream must emit 'finish'");
      const sizeAtFinish = await succeeds(() => atFinish!, "stat() started in the 'finish' listener");
      equal(
        sizeAtFinish,
        data.length,
        "stat().size started from the 'finish' listener (the data must be complete when 'finish' fires)",
      );
      const { data: read } = await ctx.read(path);
      equal(sha256(read), sha256(data), 'SHA-256 of the file read back after finish');
    },
  },
  {
    name: 'openWrite append: creates a missing file, then adds at its end',
    async run(ctx) {
      await ctx.layout();
      const path = await ctx.resolve('/log.txt');
      await ctx.write(path, [Buffer.from('one')], 'append');
      equal(await fileText(ctx, '/log.txt'), 'one', 'APPE to a missing file');
      await ctx.write(path, [Buffer.from('-two'), Buffer.from('-three')], 'append');
      equal(await fileText(ctx, '/log.txt'), 'one-two-three', 'APPE to an existing file');
    },
  },
  {
    name: 'openWrite offset: writes from start and keeps the tail (REST + STOR)',
    async run(ctx) {
      await ctx.layout();
      const path = await ctx.resolve('/digits.txt');
      await ctx.write(path, [Buffer.from('0123456789')]);
      await ctx.write(path, [Buffer.from('ab'), Buffer.from('c')], 'offset', undefined, { start: 3 });
      equal(await fileText(ctx, '/digits.txt'), '012abc6789', 'writing "abc" at offset 3 of "0123456789"');
      await ctx.write(path, [Buffer.from('XYZ')], 'offset', undefined, { start: 8 });
      equal(
        await fileText(ctx, '/digits.txt'),
        '012abc67XYZ',
        'writing "XYZ" at offset 8 (past the old end)',
      );
      await ctx.write(path, [Buffer.from('!')], 'offset', undefined, { start: 11 });
      equal(
        await fileText(ctx, '/digits.txt'),
        '012abc67XYZ!',
        'writing at offset == size (resuming an upload)',
      );
    },
  },
  {
    name: 'openWrite offset: a missing file fails with ENOENT and is not created',
    async run(ctx) {
      await ctx.layout();
      const path = await ctx.resolve('/missing.txt');
      await failsWithCode(
        () => ctx.fs.openWrite(path, { mode: 'offset', start: 0 }),
        ['ENOENT'],
        `openWrite(${show(path)}, { mode: 'offset' })`,
      );
      await failsWithCode(
        () => ctx.fs.stat(path),
        ['ENOENT'],
        'stat() of the file a failed offset write named',
      );
    },
  },
  {
    name: 'openWrite exclusive: creates a new file; an existing name fails with EEXIST (STOU)',
    async run(ctx) {
      await ctx.layout();
      const path = await ctx.resolve('/unique.txt');
      await ctx.write(path, [Buffer.from('first')], 'exclusive');
      equal(await fileText(ctx, '/unique.txt'), 'first', 'a file created with mode exclusive');
      await failsWithCode(
        () => ctx.fs.openWrite(path, { mode: 'exclusive' }),
        ['EEXIST'],
        `openWrite(${show(path)}, { mode: 'exclusive' }) of an existing file`,
      );
      equal(await fileText(ctx, '/unique.txt'), 'first', 'the content after a refused exclusive open');
      const existing = await ctx.resolve('/file.txt');
      await failsWithCode(
        () => ctx.fs.openWrite(existing, { mode: 'exclusive' }),
        ['EEXIST'],
        `openWrite(${show(existing)}, { mode: 'exclusive' })`,
      );
    },
  },
  {
    name: 'openWrite: a directory fails with EISDIR, a missing parent with ENOENT',
    async run(ctx) {
      await ctx.layout();
      const dir = await ctx.resolve('/dir');
      for (const mode of ['truncate', 'append'] as const) {
        await failsWithCode(
          () => ctx.fs.openWrite(dir, { mode }),
          ['EISDIR'],
          `openWrite(${show(dir)}, { mode: '${mode}' }) of a directory`,
        );
      }
      const orphan = await ctx.resolve('/no/such/dir/file.txt');
      await failsWithCode(
        () => ctx.fs.openWrite(orphan, { mode: 'truncate' }),
        ['ENOENT'],
        `openWrite(${show(orphan)}) in a missing directory`,
      );
    },
  },
  {
    name: 'openWrite: a 3 MiB upload in 64 KiB chunks arrives intact',
    async run(ctx) {
      await ctx.layout();
      const path = await ctx.resolve('/big.bin');
      const data = pattern(3 * 1024 * KiB, 11);
      const chunks: Buffer[] = [];
      for (let offset = 0; offset < data.length; offset += 64 * KiB)
        chunks.push(data.subarray(offset, offset + 64 * KiB));
      await ctx.write(path, chunks, 'truncate', undefined, { highWaterMark: 256 * KiB });
      const stat = await succeeds(() => ctx.fs.stat(path), `stat(${show(path)})`);
      equal(stat.size, data.length, 'the size of a 3 MiB upload');
      const { data: read } = await ctx.read(path);
      equal(sha256(read), sha256(data), 'SHA-256 of a 3 MiB upload read back');
    },
  },
  {
    name: 'openWrite: a writer may reuse its buffer once a write has called back',
    async run(ctx) {
      await ctx.layout();
      const path = await ctx.resolve('/reused.txt');
      const stream = await succeeds(
        () => ctx.fs.openWrite(path, { mode: 'truncate' }),
        `openWrite(${show(path)})`,
      );
      const buffer = Buffer.from('aaaa');
      await new Promise<void>((resolve, reject) =>
        stream.write(buffer, (error) => (error ? reject(error) : resolve())),
      );
      buffer.fill('b');
      await new Promise<void>((resolve, reject) =>
        stream.write(buffer, (error) => (error ? reject(error) : resolve())),
      );
      const done = waitFor(stream, 'finish');
      stream.end();
      await ctx.timed(done, "waiting for 'finish'");
      equal(
        await fileText(ctx, '/reused.txt'),
        'aaaabbbb',
        'a file written twice from one buffer, modified between the writes',
      );
    },
  },
];

/** Checks for every filesystem. */
export const READ_IO_CHECKS: readonly FsCheck[] = [
  {
    name: 'openRead: reads a whole file',
    async run(ctx) {
      await ctx.layout();
      equal(await fileText(ctx, '/file.txt'), 'hello, world\n', 'RETR /file.txt');
      const { data } = await ctx.read(await ctx.resolve('/dir/sub/b.bin'));
      equal(data, pattern(1000), 'RETR /dir/sub/b.bin');
    },
  },
  {
    name: 'openRead: starts at an offset (REST)',
    async run(ctx) {
      await ctx.layout();
      const path = await ctx.resolve('/file.txt');
      equal(
        (await ctx.read(path, 7)).data.toString(),
        'world\n',
        'openRead with start 7 of "hello, world\\n"',
      );
      equal((await ctx.read(path, 0)).data.toString(), 'hello, world\n', 'openRead with start 0');
      equal((await ctx.read(path, 13)).data.length, 0, 'bytes read with start == size');
      const bin = await ctx.resolve('/dir/sub/b.bin');
      equal(
        (await ctx.read(bin, 999)).data,
        pattern(1000).subarray(999),
        'openRead with start 999 of a 1000-byte file',
      );
    },
  },
  {
    name: 'openRead: chunks are at most highWaterMark bytes',
    async run(ctx) {
      const data = pattern(40 * KiB, 3);
      await ctx.layout([{ type: 'file', path: '/chunky.bin', content: data }]);
      const { data: read, chunks } = await ctx.read(await ctx.resolve('/chunky.bin'), 0, 4 * KiB);
      equal(sha256(read), sha256(data), 'SHA-256 of a 40 KiB file');
      const largest = Math.max(...chunks.map((c) => c.length));
      ensure(
        largest <= 4 * KiB,
        `openRead with highWaterMark 4096 must yield chunks of at most 4096 bytes (core's bufferSize), got a chunk of ${largest}`,
      );
      ensure(
        chunks.length >= 10,
        `openRead of 40 KiB with highWaterMark 4096 must yield the file in chunks, got ${chunks.length} chunk(s)`,
      );
    },
  },
  {
    name: 'openRead: honours backpressure (does not buffer the whole file)',
    async run(ctx) {
      const data = pattern(512 * KiB, 5);
      await ctx.layout([{ type: 'file', path: '/slow.bin', content: data }]);
      const path = await ctx.resolve('/slow.bin');
      const stream = await succeeds(
        () => ctx.fs.openRead(path, { highWaterMark: 4 * KiB }),
        `openRead(${show(path)})`,
      );
      ensure(
        typeof stream?.read === 'function',
        `openRead(${show(path)}) must resolve with a Readable, got ${show(stream)}`,
      );
      stream.read(0);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const buffered = stream.readableLength;
      stream.destroy();
      ensure(
        buffered <= 128 * KiB,
        `a Readable from openRead with highWaterMark 4096 that nobody reads must stop pushing, but it buffered ${buffered} bytes of a 512 KiB file (push() returning false must pause it)`,
      );
    },
  },
  {
    name: 'openRead: a missing file fails with ENOENT, a directory with EISDIR',
    async run(ctx) {
      await ctx.layout();
      const missing = await ctx.resolve('/missing.txt');
      await failsWithCode(
        () => ctx.fs.openRead(missing),
        ['ENOENT'],
        `openRead(${show(missing)}) (the promise must reject before any stream exists)`,
      );
      const dir = await ctx.resolve('/dir');
      await failsWithCode(
        async () => {
          const stream = await ctx.fs.openRead(dir);
          // A stream that fails on its first read is still accepted by core, but reports late.
          for await (const _ of stream) {
            // drain
          }
          return stream;
        },
        ['EISDIR'],
        `openRead(${show(dir)}) of a directory`,
      );
    },
  },
  {
    name: 'openRead: destroying a stream early is clean',
    async run(ctx) {
      const data = pattern(256 * KiB, 9);
      await ctx.layout([{ type: 'file', path: '/abort.bin', content: data }]);
      const path = await ctx.resolve('/abort.bin');
      const stream = await succeeds(
        () => ctx.fs.openRead(path, { highWaterMark: 16 * KiB }),
        `openRead(${show(path)})`,
      );
      const closed = new Promise<void>((resolve) => stream.once('close', () => resolve()));
      let errored: unknown;
      stream.on('error', (error) => {
        errored = error;
      });
      stream.once('data', () => stream.destroy());
      await ctx.timed(closed, "waiting for 'close' after destroying a read stream (ABOR)");
      if (errored !== undefined)
        fail(`destroying a read stream must not emit an error, got ${String(errored)}`);
      const again = await ctx.read(path);
      equal(again.data.length, data.length, 'the file size read after an aborted read');
    },
  },
];
