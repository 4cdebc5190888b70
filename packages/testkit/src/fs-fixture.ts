/**
 * What the filesystem contract checks share: the plugin author's options, the fixture each check
 * builds, and helpers to lay out files and move bytes through the plugin's streams.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FileSystem, OpenWriteMode } from '@ftpkit/core';
import { ensure, fail, show, showError, succeeds } from './assert.js';

/** One file or directory the suite wants under the root, by virtual path (parents come first). */
export type FixtureEntry =
  | { readonly type: 'directory'; readonly path: string }
  | { readonly type: 'file'; readonly path: string; readonly content: Buffer };

/** What {@link FileSystemContractOptions.create} returns: a fresh filesystem for one check. */
export interface FileSystemFixture {
  /** The filesystem under test, rooted at an empty directory (or one holding only what `seed` adds). */
  readonly fs: FileSystem;
  /** Called after the check, passed or failed: remove temp directories and the like. */
  cleanup?(): void | Promise<void>;
  /**
   * Lays out files and directories below the root by the plugin's own means. Without it, the suite
   * creates them through the filesystem (`mkdir`, `openWrite`). Required for a read-only filesystem.
   */
  seed?(entries: readonly FixtureEntry[]): void | Promise<void>;
  /**
   * Creates a symlink at `virtualPath` whose raw target is `target` (relative targets such as
   * `../x` are what the suite uses). Give it when the filesystem has symlinks: the containment checks
   * need it. The filesystem's own symlink API, or `fs.symlink` on disk, fits.
   */
  makeSymlink?(virtualPath: string, target: string): void | Promise<void>;
}

/** Options of the filesystem contract. */
export interface FileSystemContractOptions {
  /** Builds a fresh fixture; called once per check. */
  create(): FileSystemFixture | Promise<FileSystemFixture>;
  /**
   * The filesystem refuses every change: the write checks are replaced by one that checks each change
   * is refused cleanly. `seed` is then required.
   */
  readOnly?: boolean;
  /** Checks to skip, by name, each with the reason (shown by vitest as a skipped test). */
  skip?: Readonly<Record<string, string>>;
  /** How long one stream operation may take before the check fails, in ms. Default 10 000. */
  streamTimeoutMs?: number;
}

/** Bytes of a deterministic test pattern. */
export function pattern(size: number, seed = 7): Buffer {
  const out = Buffer.allocUnsafe(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    out[i] = x >>> 16;
  }
  return out;
}

/** SHA-256 of bytes, hex. */
export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The tree most checks start from. */
export const STANDARD_TREE: readonly FixtureEntry[] = [
  { type: 'directory', path: '/dir' },
  { type: 'directory', path: '/dir/sub' },
  { type: 'directory', path: '/empty' },
  { type: 'file', path: '/file.txt', content: Buffer.from('hello, world\n') },
  { type: 'file', path: '/dir/a.txt', content: Buffer.from('a') },
  { type: 'file', path: '/dir/sub/b.bin', content: pattern(1000) },
];

/** The helpers a check gets. */
export class FsCheckContext {
  readonly fs: FileSystem;
  readonly fixture: FileSystemFixture;
  readonly options: FileSystemContractOptions;

  constructor(fixture: FileSystemFixture, options: FileSystemContractOptions) {
    this.fixture = fixture;
    this.fs = fixture.fs;
    this.options = options;
  }

  get timeoutMs(): number {
    return this.options.streamTimeoutMs ?? 10_000;
  }

  /** `resolve`, failing the check when it fails. */
  resolve(virtualPath: string): Promise<string> {
    return succeeds(() => this.fs.resolve(virtualPath), `resolve(${show(virtualPath)})`);
  }

  /** Lays out entries through `seed`, or through the filesystem itself. */
  async layout(entries: readonly FixtureEntry[] = STANDARD_TREE): Promise<void> {
    const seed = this.fixture.seed;
    if (seed !== undefined) {
      await succeeds(() => seed.call(this.fixture, entries), "the fixture's seed()");
      return;
    }
    ensure(!this.options.readOnly, 'a read-only filesystem needs a seed() hook in its fixture');
    for (const entry of entries) {
      const path = await this.resolve(entry.path);
      if (entry.type === 'directory') await succeeds(() => this.fs.mkdir(path), `mkdir(${show(path)})`);
      else await this.write(path, [entry.content], 'truncate', `writing the fixture ${entry.path}`);
    }
  }

  /** Opens `path` for writing and sends `chunks` through the stream. */
  async write(
    path: string,
    chunks: readonly Buffer[],
    mode: OpenWriteMode = 'truncate',
    what = `openWrite(${show(path)}, { mode: '${mode}' })`,
    extra: { start?: number; highWaterMark?: number } = {},
  ): Promise<Writable> {
    const stream = await succeeds(() => this.fs.openWrite(path, { mode, ...extra }), what);
    ensure(isWritable(stream), `${what} must resolve with a Writable stream, got ${show(stream)}`);
    await this.timed(pipeline(Readable.from(chunks), stream), `${what}: writing ${chunks.length} chunk(s)`);
    return stream;
  }

  /** Reads a whole file through `openRead`. */
  async read(
    path: string,
    start?: number,
    highWaterMark?: number,
  ): Promise<{ data: Buffer; chunks: Buffer[] }> {
    const what = `openRead(${show(path)}${start === undefined ? '' : `, { start: ${start} }`})`;
    const options = {
      ...(start === undefined ? {} : { start }),
      ...(highWaterMark === undefined ? {} : { highWaterMark }),
    };
    const stream = await succeeds(() => this.fs.openRead(path, options), what);
    ensure(isReadable(stream), `${what} must resolve with a Readable stream, got ${show(stream)}`);
    const chunks: Buffer[] = [];
    await this.timed(
      (async () => {
        for await (const chunk of stream) {
          ensure(Buffer.isBuffer(chunk), `${what} must yield Buffers, got ${show(chunk)}`);
          chunks.push(chunk);
        }
      })(),
      `${what}: reading to the end`,
    );
    return { data: Buffer.concat(chunks), chunks };
  }

  /** All names `readdir` yields, sorted. */
  async names(dir: string): Promise<string[]> {
    const what = `readdir(${show(dir)})`;
    const names = await succeeds(async () => {
      const iterable = this.fs.readdir(dir);
      ensure(
        iterable !== null && typeof iterable === 'object' && Symbol.asyncIterator in iterable,
        `${what} must return an async iterable (e.g. an async generator), got ${show(iterable)}`,
      );
      const out: string[] = [];
      for await (const name of iterable) out.push(name);
      return out;
    }, what);
    return names.sort();
  }

  /** Fails the check when `promise` takes longer than the stream timeout. */
  async timed<T>(promise: Promise<T>, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${what} did not finish within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
    });
    try {
      return await Promise.race([promise, timeout]);
    } catch (error) {
      if (error instanceof Error && error.name === 'ContractViolation') throw error;
      fail(`${what} failed: ${showError(error)}`, error);
    } finally {
      clearTimeout(timer);
    }
  }
}

function isWritable(value: unknown): value is Writable {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Writable).write === 'function' &&
    typeof (value as Writable).end === 'function' &&
    typeof (value as Writable).on === 'function'
  );
}

function isReadable(value: unknown): value is Readable {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Readable).pipe === 'function' &&
    typeof (value as Readable)[Symbol.asyncIterator] === 'function'
  );
}
