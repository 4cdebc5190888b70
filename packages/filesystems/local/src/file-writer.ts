/**
 * A `Writable` over an open `FileHandle` that writes queued chunks with one vectored write.
 *
 * Socket reads arrive as ~64 KiB chunks. While one write runs, the stream's own queue collects the
 * next chunks, and `_writev` hands them all to one `filehandle.writev` as they are: no copy, no batch
 * buffer. When the disk keeps up, writes are small and the data spends no time in memory; when it
 * does not, they grow towards the queue size. Measured on loopback (1 GiB from one client, and
 * 200 clients × 10 MiB): copying the chunks into a reused 1 MiB batch buffer instead, as this writer
 * did before, cost 1.5 to 2 times the server CPU, most of it in the kernel copying that buffer into the
 * page cache; keeping chunk references past their callbacks to gather fixed 1 MiB batches saved
 * nothing over this (and would break the rule that a producer may reuse a buffer once its write has
 * called back); a queue of twice the batch size took about 8 % less CPU than one batch.
 *
 * @module
 */
import { writeSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { Writable } from 'node:stream';

/** Options of a {@link FileWriter}. */
export interface FileWriterOptions {
  /**
   * Where the first byte goes. A number writes at that offset and advances from there (`pwritev`);
   * `null` writes at the file position, which is what `O_APPEND` needs.
   */
  position: number | null;
  /**
   * The batch size. The stream's `writableHighWaterMark` is twice this (one batch being written, the
   * next one queuing behind it) while few writers are open; see {@link WRITE_BUDGET}.
   */
  highWaterMark: number;
}

/**
 * What the writers of the process may hold, shared out when a writer is created: its
 * `writableHighWaterMark` is `2 × highWaterMark`, or `WRITE_BUDGET / open writers` when that is less,
 * but never less than 128 KiB (two socket chunks) on that account. With the default 1 MiB, up to 32 concurrent uploads get the
 * full 2 MiB each; of 200 that start together, the 200th gets 328 KiB. For 200 concurrent 10 MiB
 * uploads this took the server's peak memory from about 300 MiB (PSS) to about 200 to 250 MiB, with
 * the same wall time and server CPU within the noise: with that many uploads the CPU and the thread
 * pool, not the queue sizes, set the pace.
 */
export const WRITE_BUDGET = 64 * 1024 * 1024;
const MIN_QUEUE = 128 * 1024;

/** Writers not yet closed, which share {@link WRITE_BUDGET}. */
let openWriters = 0;

/**
 * A `Writable` that owns a `FileHandle` and writes what it receives with `filehandle.writev`, at most
 * one write at a time, each taking every chunk queued meanwhile.
 *
 * **Memory.** The write in progress and the chunks queued behind it count together against
 * `writableHighWaterMark`: a producer that outruns the disk sees `write()` return false once they reach
 * it, until `'drain'`. So a writer holds at most that plus one chunk: 2 MiB with the default 1 MiB
 * `highWaterMark` while at most 32 writers are open, less beyond (see {@link WRITE_BUDGET}). A chunk's
 * callback runs once it is written, so the producer may then reuse its buffer.
 *
 * Lifecycle: `'finish'` is emitted only after every byte has been written **and** the handle has been
 * closed (so a failing `close(2)` is reported as an error instead of a silent loss); `'close'` follows.
 * A failed write (`ENOSPC`, `EIO`, ...) fails its chunks' callbacks, which destroys the stream with that
 * error and closes the handle. Destroying the stream (ABOR, a lost or reset connection) lets the write
 * in progress finish before the handle is closed, so the file keeps what had been handed to it; chunks
 * still queued behind it are dropped. Either way `'close'` follows (after `'error'` when there is one).
 */
export class FileWriter extends Writable {
  readonly #handle: FileHandle;
  #position: number | null;
  /** The write in progress; it never rejects (its callback carries the error). */
  #writing: Promise<void> | undefined;
  #written = 0;
  #closing: Promise<void> | undefined;

  /**
   * @param handle - An open handle; the writer closes it when it finishes or is destroyed.
   * @param options - See {@link FileWriterOptions}.
   */
  constructor(handle: FileHandle, options: FileWriterOptions) {
    const share = Math.max(MIN_QUEUE, Math.floor(WRITE_BUDGET / (openWriters + 1)));
    const highWaterMark = Math.min(2 * options.highWaterMark, share);
    super({ highWaterMark, decodeStrings: true, emitClose: true, autoDestroy: true });
    openWriters++;
    this.#handle = handle;
    this.#position = options.position;
  }

  /** Bytes written to the file so far (not counting chunks still queued). */
  get bytesWritten(): number {
    return this.#written;
  }

  /** The underlying handle (closed once the stream has finished or been destroyed). */
  get handle(): FileHandle {
    return this.#handle;
  }

  /**
   * Writes all of `chunk` now, after everything written so far (core's direct receive; see
   * `SyncWritable` in `@ftpkit/core`). Throws the system error (`ENOSPC`, ...) when a write fails,
   * and refuses to run while a `write()` is queued or in progress, or once the stream is ending, since
   * the bytes would then land out of order.
   */
  writeSync(chunk: Uint8Array): void {
    if (this.#writing !== undefined || this.writableLength > 0 || this.writableEnded || this.destroyed) {
      throw new Error('FileWriter.writeSync: the stream has pending writes or is closing');
    }
    let offset = 0;
    while (offset < chunk.length) {
      const n = writeSync(this.#handle.fd, chunk, offset, chunk.length - offset, this.#position);
      if (n <= 0) throw Object.assign(new Error('EIO: write wrote no bytes'), { code: 'EIO' });
      offset += n;
      this.#written += n;
      if (this.#position !== null) this.#position += n;
    }
  }

  /** Writable plumbing: writes one chunk. */
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#write([chunk], callback);
  }

  /** Writable plumbing: writes the chunks queued during the previous write, in one `writev`. */
  override _writev(
    chunks: Array<{ chunk: Buffer; encoding: BufferEncoding }>,
    callback: (error?: Error | null) => void,
  ): void {
    this.#write(
      chunks.map(({ chunk }) => chunk),
      callback,
    );
  }

  /** Writable plumbing: every write has called back by now; closes the handle. */
  override _final(callback: (error?: Error | null) => void): void {
    this.#close().then(
      () => callback(),
      (error: unknown) => callback(toError(error)),
    );
  }

  /** Writable plumbing: lets the write in progress finish, then closes the handle. */
  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    (this.#writing ?? Promise.resolve())
      .then(() => this.#close())
      .then(
        () => callback(error),
        (closeError: unknown) => callback(error ?? toError(closeError)),
      );
  }

  #write(buffers: Buffer[], callback: (error?: Error | null) => void): void {
    this.#writing = this.#writeVectors(buffers).then(
      () => {
        this.#writing = undefined;
        callback();
      },
      (error: unknown) => {
        this.#writing = undefined;
        callback(toError(error));
      },
    );
  }

  async #writeVectors(buffers: Buffer[]): Promise<void> {
    let remaining = buffers;
    while (remaining.length > 0) {
      const { bytesWritten } = await this.#handle.writev(remaining, this.#position ?? undefined);
      // libuv stops short (without an error) when an error follows a partial write; retrying surfaces it.
      if (bytesWritten <= 0) throw Object.assign(new Error('EIO: writev wrote no bytes'), { code: 'EIO' });
      this.#written += bytesWritten;
      if (this.#position !== null) this.#position += bytesWritten;
      remaining = advance(remaining, bytesWritten);
    }
  }

  /** Closes the handle once; later callers (e.g. `_destroy` racing `_final`) wait for the same close. */
  #close(): Promise<void> {
    if (this.#closing === undefined) {
      openWriters--;
      this.#closing = this.#handle.close();
    }
    return this.#closing;
  }
}

/** The buffers left after the first `count` bytes of `buffers` have been written (views, no copies). */
function advance(buffers: Buffer[], count: number): Buffer[] {
  let index = 0;
  let left = count;
  while (index < buffers.length && left >= buffers[index]!.length) {
    left -= buffers[index]!.length;
    index++;
  }
  if (index === buffers.length) return [];
  const rest = buffers.slice(index);
  if (left > 0) rest[0] = rest[0]!.subarray(left);
  return rest;
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
