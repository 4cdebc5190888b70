/**
 * Filesystem checks of the optional synchronous-write capability: a stream from `openWrite` with a
 * `writeSync(chunk)` method (`SyncWritable`; core then reads the data connection itself and hands each
 * read to `writeSync`, from one buffer it reuses, then calls `end()` and waits for `'finish'`; when the
 * writes turn slow it goes on with `write()`). Skipped when the stream has no `writeSync` (core streams
 * the upload).
 *
 * @module
 */
import type { Writable } from 'node:stream';
import { errorCode, type OpenWriteMode, type SyncWritable, syncWritableOf } from '@ftpkit/core';
import { ensure, equal, fail, outcome, show, showError, succeeds } from './assert.js';
import { type CheckDefinition, skipCheck } from './check.js';
import { type FsCheckContext, pattern, sha256 } from './fs-fixture.js';

type FsCheck = CheckDefinition<FsCheckContext>;

const KiB = 1024;
/** What the shared buffer is filled with once a `writeSync` has returned, as core's next read would. */
const CLOBBER = 0xee;
/** Where the views start inside the shared buffer (core's views start at 0; a plugin must not care). */
const VIEW_OFFSET = 13;

/** An open upload stream that has `writeSync`, with the name to use in messages. */
interface SyncUpload {
  readonly stream: SyncWritable;
  readonly what: string;
}

/** Opens `path` for writing; skips the check when the stream has no `writeSync`. */
async function openSync(
  ctx: FsCheckContext,
  path: string,
  mode: OpenWriteMode,
  start?: number,
): Promise<SyncUpload> {
  const what = `openWrite(${show(path)}, { mode: '${mode}'${start === undefined ? '' : `, start: ${start}`} })`;
  const stream = await succeeds(
    () => ctx.fs.openWrite(path, start === undefined ? { mode } : { mode, start }),
    what,
  );
  ensure(
    typeof stream?.write === 'function' && typeof stream.end === 'function',
    `${what} must resolve with a Writable stream, got ${show(stream)}`,
  );
  const sync = syncWritableOf(stream);
  if (sync === undefined) {
    stream.destroy();
    skipCheck('openWrite streams have no writeSync (core streams uploads into them)');
  }
  // A stream failing in a check must fail the check, not the process.
  stream.on('error', () => {});
  return { stream: sync, what };
}

/**
 * Hands each chunk to `writeSync` the way core does: copied into one shared buffer, passed as a view
 * of it, and the buffer overwritten as soon as `writeSync` returns. `plain` also passes one chunk as
 * a `Uint8Array` that is not a `Buffer` (the type `writeSync` takes).
 */
function writeAllSync(upload: SyncUpload, chunks: readonly Buffer[], plain = false): void {
  const largest = Math.max(0, ...chunks.map((chunk) => chunk.length));
  const shared = Buffer.alloc(VIEW_OFFSET + largest, CLOBBER);
  chunks.forEach((chunk, index) => {
    chunk.copy(shared, VIEW_OFFSET);
    const view =
      plain && index === chunks.length - 1
        ? new Uint8Array(shared.buffer, shared.byteOffset + VIEW_OFFSET, chunk.length)
        : shared.subarray(VIEW_OFFSET, VIEW_OFFSET + chunk.length);
    const result = attempt(() => upload.stream.writeSync(view));
    if (!result.ok) {
      fail(
        `writeSync() of chunk ${index + 1} of ${chunks.length} (${chunk.length} bytes) on ${upload.what} must succeed, but it threw ${showError(result.error)}`,
        result.error,
      );
    }
    // core's next recv() lands in the same buffer: writeSync must have copied the bytes out.
    shared.fill(CLOBBER);
  });
}

function attempt(fn: () => void): { ok: true } | { ok: false; error: unknown } {
  try {
    fn();
    return { ok: true };
  } catch (error) {
    return { ok: false, error };
  }
}

/** `write(chunk)`, resolved when its callback runs. */
function writeAsync(stream: Writable, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(chunk, (error) => (error ? reject(error) : resolve()));
  });
}

/** Resolves on `'finish'`, rejects on `'error'`. */
function finished(stream: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.once('finish', () => resolve());
    stream.once('error', reject);
  });
}

/** Resolves once `stream` has emitted `'close'`. */
function closed(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    if (stream.closed) resolve();
    else stream.once('close', () => resolve());
  });
}

/** Ends the upload and waits for `'finish'`, as core does after the last `writeSync`. */
async function finish(ctx: FsCheckContext, upload: SyncUpload): Promise<void> {
  const done = finished(upload.stream);
  upload.stream.end();
  await ctx.timed(done, `${upload.what}: waiting for 'finish' after writeSync() and end()`);
}

/** Splits `data` into chunks of the given sizes, cycling through them. */
function split(data: Buffer, sizes: readonly number[]): Buffer[] {
  const chunks: Buffer[] = [];
  let offset = 0;
  for (let i = 0; offset < data.length; i++) {
    const size = sizes[i % sizes.length]!;
    chunks.push(data.subarray(offset, offset + size));
    offset += size;
  }
  return chunks;
}

async function fileText(ctx: FsCheckContext, path: string): Promise<string> {
  return (await ctx.read(path)).data.toString('latin1');
}

/** Writes `texts` with writeSync into a file opened with `mode`, ends it and waits for 'finish'. */
async function uploadSync(
  ctx: FsCheckContext,
  path: string,
  texts: readonly string[],
  mode: OpenWriteMode,
  start?: number,
): Promise<void> {
  const upload = await openSync(ctx, path, mode, start);
  try {
    writeAllSync(
      upload,
      texts.map((text) => Buffer.from(text, 'latin1')),
    );
    await finish(ctx, upload);
  } finally {
    upload.stream.destroy();
  }
}

/** How a file reads back: its bytes, or the code of the error reading it failed with. */
async function readBack(ctx: FsCheckContext, path: string): Promise<string> {
  const result = await outcome(async () => {
    const stream = await ctx.fs.openRead(path);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  });
  if (result.ok) return `the bytes ${show(result.value)}`;
  return `an error reading it (${errorCode(result.error) ?? showError(result.error)})`;
}

/** Checks that only apply to a writable filesystem whose upload streams have `writeSync`. */
export const SYNC_WRITE_CHECKS: readonly FsCheck[] = [
  {
    name: "openWrite writeSync: odd-sized writes from one reused buffer arrive intact, readable at 'finish'",
    async run(ctx) {
      await ctx.layout();
      const path = await ctx.resolve('/direct.bin');
      const data = pattern(300 * KiB + 17, 13);
      const chunks = split(data, [1, 7, 4093, 65_537, 3, 131_071, 100_003]);
      const upload = await openSync(ctx, path, 'truncate');
      try {
        writeAllSync(upload, chunks, true);
        let atFinish: Promise<{ data: Buffer }> | undefined;
        upload.stream.once('finish', () => {
          // core answers 226 on 'finish': a client may RETR the file at once.
          atFinish = ctx.read(path);
          atFinish.catch(() => {});
        });
        await finish(ctx, upload);
        ensure(atFinish !== undefined, "the upload stream must emit 'finish'");
        const { data: read } = await atFinish;
        equal(
          read.length,
          data.length,
          `the size of the file read from the 'finish' listener after ${chunks.length} writeSync() calls (the data must be complete when 'finish' fires)`,
        );
        if (!read.equals(data)) {
          const at = read.findIndex((byte, i) => byte !== data[i]);
          const clobbered =
            read[at] === CLOBBER
              ? `, 0x${CLOBBER.toString(16)} being what the buffer was overwritten with once writeSync() returned: writeSync must copy the bytes before it returns`
              : '';
          fail(
            `the bytes written with writeSync() (a view of one buffer, reused for the next chunk) must be the file's, but they differ from byte ${at} (0x${read[at]?.toString(16)} instead of 0x${data[at]?.toString(16)}${clobbered}); SHA-256 ${sha256(read)} instead of ${sha256(data)}`,
          );
        }
        const counted = (upload.stream as { bytesWritten?: unknown }).bytesWritten;
        if (typeof counted === 'number') {
          equal(
            counted,
            data.length,
            "the stream's bytesWritten after writeSync() of every byte (bytes taken by writeSync count like those of write())",
          );
        }
      } finally {
        upload.stream.destroy();
      }
    },
  },
  {
    name: 'openWrite writeSync: append adds at the end, offset writes from start and keeps the tail',
    async run(ctx) {
      await ctx.layout();
      const log = await ctx.resolve('/log.txt');
      await uploadSync(ctx, log, ['one'], 'append');
      equal(await fileText(ctx, log), 'one', 'APPE with writeSync() to a missing file');
      await uploadSync(ctx, log, ['-two', '-three'], 'append');
      equal(await fileText(ctx, log), 'one-two-three', 'APPE with writeSync() to an existing file');
      const digits = await ctx.resolve('/digits.txt');
      await ctx.write(digits, [Buffer.from('0123456789')]);
      await uploadSync(ctx, digits, ['ab', 'c'], 'offset', 3);
      equal(
        await fileText(ctx, digits),
        '012abc6789',
        'writing "abc" with writeSync() at offset 3 of "0123456789"',
      );
      await uploadSync(ctx, digits, ['XYZ'], 'offset', 8);
      equal(
        await fileText(ctx, digits),
        '012abc67XYZ',
        'writing "XYZ" with writeSync() at offset 8 (past the old end)',
      );
      await uploadSync(ctx, digits, ['!'], 'offset', 11);
      equal(
        await fileText(ctx, digits),
        '012abc67XYZ!',
        'writing "!" with writeSync() at offset == size (resuming an upload)',
      );
    },
  },
  {
    name: 'openWrite writeSync: write() after writeSync() keeps the bytes in order (core going back to streams)',
    async run(ctx) {
      await ctx.layout();
      const path = await ctx.resolve('/switched.bin');
      const data = pattern(200 * KiB + 5, 17);
      const direct = split(data.subarray(0, 70_006), [70_001, 5]);
      const streamed = split(data.subarray(70_006), [64 * KiB, 12_345]);
      const upload = await openSync(ctx, path, 'truncate');
      try {
        writeAllSync(upload, direct);
        // core pipes the data connection into the stream from here: writes without waiting.
        const writes = streamed.map((chunk) => writeAsync(upload.stream, chunk));
        await ctx.timed(Promise.all(writes), `${upload.what}: write() after writeSync()`);
        await finish(ctx, upload);
        const { data: read } = await ctx.read(path);
        if (!read.equals(data)) {
          const at = read.findIndex((byte, i) => byte !== data[i]);
          fail(
            `${direct.length} writeSync() calls (70006 bytes) then ${streamed.length} write() calls must leave the bytes in that order, but the file (${read.length} bytes, ${data.length} expected) differs from byte ${at === -1 ? Math.min(read.length, data.length) : at}`,
          );
        }
      } finally {
        upload.stream.destroy();
      }
    },
  },
  {
    name: 'openWrite writeSync: throws once the stream has ended; destroy() treats its bytes like those of write()',
    async run(ctx) {
      await ctx.layout();
      const path = await ctx.resolve('/ended.txt');
      const upload = await openSync(ctx, path, 'truncate');
      try {
        writeAllSync(upload, [Buffer.from('abc')]);
        const done = finished(upload.stream);
        upload.stream.end();
        const afterEnd = attempt(() => upload.stream.writeSync(Buffer.from('XYZ')));
        ensure(
          !afterEnd.ok,
          `writeSync() after end() on ${upload.what} must throw (a stream that has ended takes no more bytes), but it returned`,
        );
        await ctx.timed(done, `${upload.what}: waiting for 'finish' after end()`);
        const afterFinish = attempt(() => upload.stream.writeSync(Buffer.from('!')));
        ensure(!afterFinish.ok, `writeSync() after 'finish' on ${upload.what} must throw, but it returned`);
        equal(
          await fileText(ctx, path),
          'abc',
          'a file written with writeSync("abc"), then end() and writeSync() calls that threw',
        );
      } finally {
        upload.stream.destroy();
      }

      // The contract: bytes taken by writeSync count as written like those of write(). So whatever a
      // destroyed stream (ABOR, a lost connection) does with the bytes write() has called back for,
      // it does with those writeSync() took.
      const content = Buffer.from('partial upload');
      const viaWrite = await ctx.resolve('/aborted-write.txt');
      const streamed = await succeeds(
        () => ctx.fs.openWrite(viaWrite, { mode: 'truncate' }),
        `openWrite(${show(viaWrite)})`,
      );
      streamed.on('error', () => {});
      await ctx.timed(writeAsync(streamed, content), `write() on openWrite(${show(viaWrite)})`);
      streamed.destroy();
      await ctx.timed(
        closed(streamed),
        `waiting for 'close' after destroy() of a stream written with write()`,
      );
      const viaSync = await ctx.resolve('/aborted-sync.txt');
      const upload2 = await openSync(ctx, viaSync, 'truncate');
      try {
        writeAllSync(upload2, [content]);
      } finally {
        upload2.stream.destroy();
      }
      await ctx.timed(
        closed(upload2.stream),
        `waiting for 'close' after destroy() of a stream written with writeSync()`,
      );
      const expected = await readBack(ctx, viaWrite);
      const actual = await readBack(ctx, viaSync);
      equal(
        actual,
        expected,
        `after destroy(), a file whose ${content.length} bytes went through writeSync() (bytes taken by writeSync count as written like those of write()) compared with one whose bytes went through write()`,
      );
    },
  },
];
