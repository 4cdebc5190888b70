/**
 * A small, correct FileSystem over a temp directory (node:fs only), the baseline that the broken
 * variants in the tests start from. The testkit cannot use fs-local or fs-memory: they test themselves
 * with the testkit, and a dependency back would be a cycle.
 */
import { constants, writeSync } from 'node:fs';
import {
  type FileHandle,
  lstat,
  mkdir,
  mkdtemp,
  open,
  opendir,
  readlink,
  realpath,
  rename,
  rm,
  rmdir,
  stat,
  symlink,
  unlink,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { type Readable, Writable } from 'node:stream';
import {
  type FileStat,
  type FileSystem,
  type OpenReadOptions,
  type OpenWriteOptions,
  PathOutsideRootError,
} from '@ftpkit/core';
import type { FileSystemFixture } from '../src/index.js';

function code(error: unknown): string | undefined {
  return (error as { code?: string }).code;
}

async function realpathOfMissing(target: string, hops = 0): Promise<string> {
  try {
    return await realpath(target);
  } catch (error) {
    if (code(error) !== 'ENOENT' || hops > 40) throw error;
  }
  try {
    const info = await lstat(target);
    if (info.isSymbolicLink()) {
      const dir = await realpathOfMissing(path.dirname(target), hops + 1);
      return realpathOfMissing(path.resolve(dir, await readlink(target)), hops + 1);
    }
  } catch (error) {
    if (code(error) !== 'ENOENT') throw error;
  }
  const parent = path.dirname(target);
  if (parent === target) return target;
  return path.join(await realpathOfMissing(parent, hops + 1), path.basename(target));
}

export class ReferenceFs implements FileSystem {
  constructor(readonly root: string) {}

  async resolve(virtualPath: string): Promise<string> {
    const segments = virtualPath.split('/').filter((s) => s !== '' && s !== '.');
    if (segments.includes('..')) throw new PathOutsideRootError(virtualPath);
    const target = path.join(this.root, ...segments);
    const real = await realpathOfMissing(target);
    if (real !== this.root && !real.startsWith(`${this.root}/`)) throw new PathOutsideRootError(virtualPath);
    return target;
  }

  stat(p: string): Promise<FileStat> {
    return stat(p);
  }

  lstat(p: string): Promise<FileStat> {
    return lstat(p);
  }

  async *readdir(p: string): AsyncGenerator<string> {
    for await (const entry of await opendir(p)) yield entry.name;
  }

  async openRead(p: string, options: OpenReadOptions = {}): Promise<Readable> {
    const handle = await open(p, 'r');
    if ((await handle.stat()).isDirectory()) {
      await handle.close();
      throw Object.assign(new Error(`EISDIR: ${p}`), { code: 'EISDIR' });
    }
    return handle.createReadStream({
      start: options.start ?? 0,
      highWaterMark: options.highWaterMark ?? 65536,
    });
  }

  async openWrite(p: string, options: OpenWriteOptions): Promise<Writable> {
    const handle = await this.openWriteHandle(p, options);
    return handle.createWriteStream(options.mode === 'offset' ? { start: options.start ?? 0 } : {});
  }

  /** The file `openWrite` writes to, opened as `options.mode` says. */
  protected async openWriteHandle(p: string, options: OpenWriteOptions): Promise<FileHandle> {
    const flags = {
      truncate: constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC,
      append: constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND,
      offset: constants.O_WRONLY,
      exclusive: constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL,
    }[options.mode];
    const handle = await open(p, flags, options.mode === 'exclusive' ? 0o600 : 0o666);
    if ((await handle.stat()).isDirectory()) {
      await handle.close();
      throw Object.assign(new Error(`EISDIR: ${p}`), { code: 'EISDIR' });
    }
    return handle;
  }

  async mkdir(p: string): Promise<void> {
    await mkdir(p);
  }

  rmdir(p: string): Promise<void> {
    return rmdir(p);
  }

  unlink(p: string): Promise<void> {
    return unlink(p);
  }

  rename(from: string, to: string): Promise<void> {
    return rename(from, to);
  }

  readlink(p: string): Promise<string> {
    return readlink(p);
  }
}

/** {@link ReferenceFs} with the optional listing capabilities, built on readdir and lstat. */
export class ListingReferenceFs extends ReferenceFs {
  async *readdirBatches(p: string): AsyncGenerator<string[]> {
    let batch: string[] = [];
    for await (const name of this.readdir(p)) {
      batch.push(name);
      if (batch.length === 100) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  }

  lstatEntries(dir: string, names: readonly string[]): Promise<Array<FileStat | undefined>> {
    return Promise.all(names.map((name) => lstat(path.join(dir, name)).catch(() => undefined)));
  }
}

/**
 * An upload stream with `writeSync` (core's `SyncWritable`) over a `FileHandle`: `write()` and
 * `writeSync` both write at `position` (advancing it), or at the end of an `O_APPEND` file when it is
 * null. `writeSync` throws once the stream has ended and while a `write()` is pending.
 */
export class SyncFileWriter extends Writable {
  /** Bytes written so far, by either path. */
  bytesWritten = 0;
  protected readonly handle: FileHandle;
  #position: number | null;
  #closing: Promise<void> | undefined;

  constructor(handle: FileHandle, position: number | null) {
    super({ decodeStrings: true });
    this.handle = handle;
    this.#position = position;
  }

  writeSync(chunk: Uint8Array): void {
    if (this.writableEnded || this.destroyed) {
      throw Object.assign(new Error('write after end'), { code: 'ERR_STREAM_WRITE_AFTER_END' });
    }
    if (this.writableLength > 0) throw new Error('writeSync while a write() is pending');
    this.writeNow(chunk);
  }

  /** Writes all of `chunk` at the current position, synchronously, without checking the state. */
  protected writeNow(chunk: Uint8Array): void {
    let offset = 0;
    while (offset < chunk.length) {
      const n = writeSync(this.handle.fd, chunk, offset, chunk.length - offset, this.#position);
      offset += n;
      this.#advance(n);
    }
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#writeAll(chunk).then(
      () => callback(),
      (error: Error) => callback(error),
    );
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#close().then(
      () => callback(),
      (error: Error) => callback(error),
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#close().then(
      () => callback(error),
      (closeError: Error) => callback(error ?? closeError),
    );
  }

  async #writeAll(chunk: Buffer): Promise<void> {
    let offset = 0;
    while (offset < chunk.length) {
      const { bytesWritten } = await this.handle.write(chunk, offset, chunk.length - offset, this.#position);
      offset += bytesWritten;
      this.#advance(bytesWritten);
    }
  }

  #advance(bytes: number): void {
    this.bytesWritten += bytes;
    if (this.#position !== null) this.#position += bytes;
  }

  #close(): Promise<void> {
    this.#closing ??= this.handle.close();
    return this.#closing;
  }
}

/** What makes the upload streams of a {@link SyncWriteReferenceFs}. */
export type SyncWriterFactory = (handle: FileHandle, position: number | null) => SyncFileWriter;

/** {@link ReferenceFs} whose upload streams have `writeSync` (made by `makeWriter`). */
export class SyncWriteReferenceFs extends ReferenceFs {
  constructor(
    root: string,
    private readonly makeWriter: SyncWriterFactory = (handle, position) =>
      new SyncFileWriter(handle, position),
  ) {
    super(root);
  }

  override async openWrite(p: string, options: OpenWriteOptions): Promise<Writable> {
    const handle = await this.openWriteHandle(p, options);
    const position = options.mode === 'append' ? null : options.mode === 'offset' ? (options.start ?? 0) : 0;
    return this.makeWriter(handle, position);
  }
}

/** A fixture around a fresh temp home, with `make(root)` building the filesystem under test. */
export function referenceFixture(make: (root: string) => FileSystem = (root) => new ReferenceFs(root)) {
  return async (): Promise<FileSystemFixture> => {
    const base = await realpath(await mkdtemp(path.join(tmpdir(), 'ftpkit-testkit-')));
    const root = path.join(base, 'home');
    await mkdir(root);
    const fs = make(root);
    return {
      fs,
      cleanup: () => rm(base, { recursive: true, force: true }),
      makeSymlink: (virtualPath, target) => symlink(target, path.join(root, virtualPath)),
    };
  };
}
