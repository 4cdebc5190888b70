/**
 * A `Writable` over an open `FileHandle` that batches small chunks into large vectored writes.
 *
 * Socket reads arrive as ~64 KiB chunks; writing each one costs a thread-pool round trip. Keeping
 * references to the chunks (no copy) and handing them to one `writev` once about `highWaterMark` bytes
 * have gathered roughly doubles upload throughput (reference/platform.md section 4.2).
 *
 * @module
 */
import type { FileHandle } from 'node:fs/promises';
import { Writable } from 'node:stream';

/** libuv splits larger vectors itself, but a flood of tiny chunks should not build huge arrays. */
const MAX_BUFFERS_PER_WRITE = 1024;

/** Options of a {@link FileWriter}. */
export interface FileWriterOptions {
  /**
   * Where the first byte goes. A number writes at that offset and advances from there (`pwritev`);
   * `null` writes at the file position, which is what `O_APPEND` needs.
   */
  position: number | null;
  /**
   * How many bytes are gathered before they are written, and the stream's `writableHighWaterMark`.
   * Up to about twice this much can be held in memory: one batch being written plus the stream's queue.
   */
  highWaterMark: number;
}

/**
 * A `Writable` that owns a `FileHandle` and writes what it receives in batches of about
 * `highWaterMark` bytes with `filehandle.writev`.
 *
 * Lifecycle: `'finish'` is emitted only after every byte has been written **and** the handle has been
 * closed (so a failing `close(2)` is reported as an error instead of a silent loss); `'close'` follows.
 * Destroying the stream, or any write error (`ENOSPC`, `EIO`, ...), closes the handle, drops data not
 * yet written and emits `'error'` (when there is one) and `'close'`.
 */
export class FileWriter extends Writable {
  readonly #handle: FileHandle;
  readonly #batchBytes: number;
  #position: number | null;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #written = 0;
  #flushing: Promise<void> | undefined;
  #closing: Promise<void> | undefined;

  /**
   * @param handle - An open handle; the writer closes it when it finishes or is destroyed.
   * @param options - See {@link FileWriterOptions}.
   */
  constructor(handle: FileHandle, options: FileWriterOptions) {
    super({ highWaterMark: options.highWaterMark, decodeStrings: true, emitClose: true, autoDestroy: true });
    this.#handle = handle;
    this.#batchBytes = options.highWaterMark;
    this.#position = options.position;
  }

  /** Bytes written to the file so far (not counting data still gathered in memory). */
  get bytesWritten(): number {
    return this.#written;
  }

  /** The underlying handle (closed once the stream has finished or been destroyed). */
  get handle(): FileHandle {
    return this.#handle;
  }

  /** Writable plumbing: gathers one chunk. */
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#add(chunk);
    this.#maybeFlush(callback);
  }

  /** Writable plumbing: gathers the chunks queued while a batch was being written. */
  override _writev(
    chunks: Array<{ chunk: Buffer; encoding: BufferEncoding }>,
    callback: (error?: Error | null) => void,
  ): void {
    for (const { chunk } of chunks) this.#add(chunk);
    this.#maybeFlush(callback);
  }

  /** Writable plumbing: writes the remainder, then closes the handle. */
  override _final(callback: (error?: Error | null) => void): void {
    this.#flush()
      .then(() => this.#close())
      .then(() => callback(), callback);
  }

  /** Writable plumbing: closes the handle (after any write in progress) and drops the rest. */
  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#pending = [];
    this.#pendingBytes = 0;
    const inFlight = this.#flushing ?? Promise.resolve();
    inFlight
      .catch(() => undefined)
      .then(() => this.#close())
      .then(
        () => callback(error),
        (closeError: unknown) => callback(error ?? toError(closeError)),
      );
  }

  #add(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
  }

  #maybeFlush(callback: (error?: Error | null) => void): void {
    if (this.#pendingBytes < this.#batchBytes && this.#pending.length < MAX_BUFFERS_PER_WRITE) {
      callback();
      return;
    }
    this.#flush().then(() => callback(), callback);
  }

  #flush(): Promise<void> {
    if (this.#pending.length === 0) return Promise.resolve();
    const buffers = this.#pending;
    this.#pending = [];
    this.#pendingBytes = 0;
    const flushing = this.#writeAll(buffers).finally(() => {
      if (this.#flushing === flushing) this.#flushing = undefined;
    });
    this.#flushing = flushing;
    return flushing;
  }

  async #writeAll(buffers: Buffer[]): Promise<void> {
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
    this.#closing ??= this.#handle.close();
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
