/**
 * The streams of {@link MemoryFileSystem.openRead} and {@link MemoryFileSystem.openWrite}.
 *
 * @module
 */
import { Readable, Writable } from 'node:stream';
import { FilesystemError } from '@ftpkit/core';
import { type Content, contentOf, overwrite } from './content.js';
import type { FileNode, Tree } from './tree.js';

/** The smallest buffer an upload allocates; blocks then grow with the upload, up to `highWaterMark`. */
const MIN_BLOCK = 16 * 1024;

/**
 * Reads a snapshot of a file's bytes in chunks of `highWaterMark` (the last one shorter), one chunk per
 * `_read`, so a slow consumer holds back the producer. Chunks are views of the volume's buffers where a
 * chunk lies inside one buffer (no copy); they must be treated as read-only.
 */
export class ContentReader extends Readable {
  readonly #chunks: readonly Buffer[];
  readonly #size: number;
  readonly #chunkSize: number;
  #position: number;
  /** The buffer holding `#position`, and where that buffer starts in the file. */
  #index = 0;
  #indexStart = 0;

  constructor(content: Content, start: number, highWaterMark: number) {
    super({ highWaterMark });
    this.#chunks = content.chunks;
    this.#size = content.size;
    this.#chunkSize = highWaterMark;
    this.#position = Math.min(start, content.size);
  }

  override _read(): void {
    while (this.#position < this.#size) {
      const end = Math.min(this.#size, this.#position + this.#chunkSize);
      const chunk = this.#take(end);
      if (!this.push(chunk)) return;
    }
    this.push(null);
  }

  /** The bytes from the current position to `end`, advancing the cursor. */
  #take(end: number): Buffer {
    this.#seek();
    const buffer = this.#chunks[this.#index]!;
    const bufferEnd = this.#indexStart + buffer.length;
    if (end <= bufferEnd) {
      const view = buffer.subarray(this.#position - this.#indexStart, end - this.#indexStart);
      this.#position = end;
      return view;
    }
    // The chunk spans buffers: copy it into one.
    const out = Buffer.allocUnsafe(end - this.#position);
    let copied = 0;
    while (this.#position < end) {
      this.#seek();
      const current = this.#chunks[this.#index]!;
      const from = this.#position - this.#indexStart;
      const count = Math.min(current.length - from, end - this.#position);
      current.copy(out, copied, from, from + count);
      copied += count;
      this.#position += count;
    }
    return out;
  }

  /** Moves the cursor to the buffer holding `#position`. */
  #seek(): void {
    while (this.#position >= this.#indexStart + this.#chunks[this.#index]!.length) {
      this.#indexStart += this.#chunks[this.#index]!.length;
      this.#index++;
    }
  }
}

/** How an upload changes its file. */
export type WriteMode = 'truncate' | 'append' | 'offset' | 'exclusive';

/** What {@link MemoryFileWriter} reports when it commits. */
export interface CommitReport {
  /** True when the stream finished; false when it was destroyed (or failed) first. */
  readonly complete: boolean;
  /** Bytes received. */
  readonly bytes: number;
}

/** Options of a {@link MemoryFileWriter}. */
export interface MemoryFileWriterOptions {
  readonly tree: Tree;
  readonly file: FileNode;
  readonly mode: WriteMode;
  /** Where the first byte goes, for `offset`. */
  readonly start: number;
  readonly highWaterMark: number;
  /** Called once, after the bytes are in the file and before `finish` (or `close`) is emitted. */
  readonly onCommit: (report: CommitReport) => void;
}

/** The error an upload fails with when the volume's quota would be exceeded. */
export function quotaExceeded(): FilesystemError {
  return new FilesystemError('Quota exceeded', { replyCode: 552, code: 'EDQUOT' });
}

/**
 * A `Writable` that copies each chunk once into blocks it owns (a caller may reuse its buffer after the
 * write callback) and swaps the result into the file when it finishes: readers that opened the file
 * before keep their snapshot, readers that open it after `finish` see every byte. Destroyed early, it
 * keeps what it received (as a disk does), so a client can resume with REST. Each chunk is checked
 * against the quota before it is accepted; past it the stream fails with a `FilesystemError`
 * (`EDQUOT`, reply code 552).
 */
export class MemoryFileWriter extends Writable {
  readonly #options: MemoryFileWriterOptions;
  readonly #blocks: Buffer[] = [];
  #block: Buffer | undefined;
  #blockUsed = 0;
  #written = 0;
  #reservation = 0;
  #committed = false;

  constructor(options: MemoryFileWriterOptions) {
    super({ highWaterMark: options.highWaterMark, decodeStrings: true });
    this.#options = options;
  }

  /** Bytes received so far. */
  get bytesWritten(): number {
    return this.#written;
  }

  /**
   * Copies all of `chunk` now, after everything received so far (core's direct receive; see
   * `SyncWritable` in `@ftpkit/core`). Throws the quota error ({@link quotaExceeded}) when the chunk
   * does not fit, and refuses to run while a `write()` is queued or once the stream is ending.
   */
  writeSync(chunk: Uint8Array): void {
    if (this.writableLength > 0 || this.writableEnded || this.destroyed || this.#committed) {
      throw new Error('MemoryFileWriter.writeSync: the stream has pending writes or is closing');
    }
    if (!this.#reserveFor(chunk.length)) throw quotaExceeded();
    this.#copy(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (!this.#reserveFor(chunk.length)) {
      callback(quotaExceeded());
      return;
    }
    this.#copy(chunk);
    callback();
  }

  override _writev(
    chunks: Array<{ chunk: Buffer; encoding: BufferEncoding }>,
    callback: (error?: Error | null) => void,
  ): void {
    let total = 0;
    for (const { chunk } of chunks) total += chunk.length;
    if (!this.#reserveFor(total)) {
      callback(quotaExceeded());
      return;
    }
    for (const { chunk } of chunks) this.#copy(chunk);
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    try {
      this.#commit(true);
      callback();
    } catch (error) {
      callback(error instanceof Error ? error : new Error(String(error)));
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    try {
      if (!this.#committed) this.#commit(false);
    } catch {
      // The stream is failing already; the original error is the one to report.
    }
    callback(error);
  }

  /** The size the file will have once `extra` more bytes are written. */
  #projectedSize(extra: number): number {
    const { file, mode, start } = this.#options;
    const written = this.#written + extra;
    if (mode === 'append') return file.content.size + written;
    if (mode === 'offset') return Math.max(file.content.size, start + written);
    return written;
  }

  #reserveFor(bytes: number): boolean {
    const needed = Math.max(0, this.#projectedSize(bytes) - this.#options.file.content.size);
    const delta = needed - this.#reservation;
    if (!this.#options.tree.reserve(delta)) return false;
    this.#reservation = needed;
    return true;
  }

  #copy(chunk: Buffer): void {
    const highWaterMark = this.#options.highWaterMark;
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#block === undefined || this.#blockUsed === this.#block.length) {
        if (this.#block !== undefined) this.#blocks.push(this.#block);
        const size = Math.min(highWaterMark, Math.max(MIN_BLOCK, this.#written));
        this.#block = Buffer.allocUnsafe(Math.max(size, 1));
        this.#blockUsed = 0;
      }
      const copied = chunk.copy(this.#block, this.#blockUsed, offset);
      this.#blockUsed += copied;
      this.#written += copied;
      offset += copied;
    }
  }

  #commit(complete: boolean): void {
    this.#committed = true;
    const { tree, file, mode, start } = this.#options;
    const chunks = [...this.#blocks];
    if (this.#block !== undefined && this.#blockUsed > 0) {
      // A mostly empty last block would pin its whole allocation: keep an exact copy instead.
      const last = this.#block.subarray(0, this.#blockUsed);
      chunks.push(this.#blockUsed * 2 < this.#block.length ? Buffer.from(last) : last);
    }
    this.#blocks.length = 0;
    this.#block = undefined;
    const written = contentOf(chunks);
    let next: Content;
    if (mode === 'append') next = contentOf([...file.content.chunks, ...written.chunks]);
    else if (mode === 'offset') next = overwrite(file.content, start, written);
    else next = written;
    tree.reserved -= this.#reservation;
    this.#reservation = 0;
    tree.setContent(file, next);
    this.#options.onCommit({ complete, bytes: this.#written });
  }
}
