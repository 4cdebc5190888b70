/**
 * A `Writable` over an open `FileHandle` that batches small chunks into large writes.
 *
 * Socket reads arrive as ~64 KiB chunks; writing each one costs a thread-pool round trip. Copying them
 * into one reused batch buffer and writing it once `highWaterMark` bytes have gathered roughly doubles
 * upload throughput (reference/platform.md section 4.2). The copy matters: a chunk's write callback
 * means the producer may reuse that memory, so the writer must not keep a reference to it.
 *
 * @module
 */
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
 * Destroying the stream (ABOR, a lost or reset connection) first writes what was gathered, so the file
 * keeps every byte received; after a failed write (`ENOSPC`, `EIO`, ...) the handle is closed at once.
 * Either way `'close'` follows (after `'error'` when there is one).
 */
export class FileWriter extends Writable {
  readonly #handle: FileHandle;
  readonly #batchBytes: number;
  #position: number | null;
  #batch: Buffer | undefined;
  #fill = 0;
  #written = 0;
  #writeFailed = false;
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

  /** Writable plumbing: copies one chunk into the batch, writing the batch whenever it fills. */
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.#fill + chunk.length < this.#batchBytes) {
      chunk.copy(this.#buffer(), this.#fill);
      this.#fill += chunk.length;
      callback();
      return;
    }
    this.#track(this.#take(chunk)).then(() => callback(), callback);
  }

  /** Writable plumbing: takes the chunks queued while a batch was being written, in order. */
  override _writev(
    chunks: Array<{ chunk: Buffer; encoding: BufferEncoding }>,
    callback: (error?: Error | null) => void,
  ): void {
    const takeAll = async (): Promise<void> => {
      for (const { chunk } of chunks) await this.#take(chunk);
    };
    this.#track(takeAll()).then(() => callback(), callback);
  }

  /** Writable plumbing: writes the remainder, then closes the handle. */
  override _final(callback: (error?: Error | null) => void): void {
    this.#track(this.#flush())
      .then(() => this.#close())
      .then(() => callback(), callback);
  }

  /** Writable plumbing: closes the handle (after any write in progress) and drops the rest. */
  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const inFlight = this.#flushing ?? Promise.resolve();
    // What was received before the destroy (ABOR, a lost connection) is kept, as pyftpdlib keeps it.
    inFlight
      .catch(() => undefined)
      .then(() => (this.#writeFailed ? undefined : this.#flush()))
      .catch(() => undefined)
      .then(() => {
        this.#fill = 0;
        return this.#close();
      })
      .then(
        () => callback(error),
        (closeError: unknown) => callback(error ?? toError(closeError)),
      );
  }

  #buffer(): Buffer {
    this.#batch ??= Buffer.allocUnsafe(this.#batchBytes);
    return this.#batch;
  }

  /** Remembers the write in progress so that `_destroy` waits for it before closing the handle. */
  #track(work: Promise<void>): Promise<void> {
    const tracked = work.finally(() => {
      if (this.#flushing === tracked) this.#flushing = undefined;
    });
    this.#flushing = tracked;
    return tracked;
  }

  async #take(chunk: Buffer): Promise<void> {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#fill === 0 && chunk.length - offset >= this.#batchBytes) {
        // A chunk at least a batch long goes out as it is; its callback waits for the write.
        await this.#writeAll([chunk.subarray(offset)]);
        return;
      }
      const copied = chunk.copy(this.#buffer(), this.#fill, offset);
      this.#fill += copied;
      offset += copied;
      if (this.#fill === this.#batchBytes) await this.#flush();
    }
  }

  async #flush(): Promise<void> {
    if (this.#fill === 0) return;
    const filled = this.#buffer().subarray(0, this.#fill);
    await this.#writeAll([filled]);
    this.#fill = 0;
  }

  async #writeAll(buffers: Buffer[]): Promise<void> {
    try {
      await this.#writeVectors(buffers);
    } catch (error) {
      this.#writeFailed = true;
      throw error;
    }
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
