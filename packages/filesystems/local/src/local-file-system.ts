/**
 * {@link LocalFileSystem}: a real directory served as the user's whole world (pyftpdlib's
 * `AbstractedFS`).
 *
 * @module
 */
import type { Dir, Stats } from 'node:fs';
import { constants } from 'node:fs';
import {
  chmod,
  type FileHandle,
  lstat,
  mkdir,
  open,
  opendir,
  readlink,
  realpath,
  rename,
  rmdir,
  stat,
  unlink,
  utimes,
} from 'node:fs/promises';
import * as path from 'node:path';
import type { Writable } from 'node:stream';
import {
  errnoError,
  type FileStat,
  type FileSystem,
  type FileSystemContext,
  type FileSystemFactory,
  FilesystemError,
  type OpenReadOptions,
  type OpenWriteMode,
  type OpenWriteOptions,
  type SendfileReadable,
  type SendfileSource,
} from '@ftpkit/core';
import { assertInsideRoot, virtualPathSegments } from './containment.js';
import { FileWriter } from './file-writer.js';
import { fileStatOf, lstatEntries, yieldToEventLoop } from './listing-stats.js';
import { refreshNames } from './user-names.js';

/** Directory entries read per `getdents(2)` by {@link LocalFileSystem.readdirBatches}. */
const READDIR_BUFFER = 512;

/**
 * Up to {@link READDIR_BUFFER} names from `dir`, fewer only at its end: one `getdents(2)`. A plain
 * function, which V8 optimizes sooner than a loop inside the async generator.
 */
function readNames(dir: Dir): string[] {
  const names: string[] = [];
  while (names.length < READDIR_BUFFER) {
    const entry = dir.readSync();
    if (entry === null) break;
    names.push(entry.name);
  }
  return names;
}

/** The last absolute root given to the constructor, and what `path.resolve` made of it. */
let lastRoot = '';
let lastResolved = '';

/**
 * `path.resolve(root)`. A login builds a filesystem for the same home again and again, and an absolute
 * path resolves the same whatever the working directory, so the last one is remembered.
 */
function resolveRoot(root: string): string {
  if (root === lastRoot) return lastResolved;
  const resolved = path.resolve(root);
  if (path.isAbsolute(root)) {
    lastRoot = root;
    lastResolved = resolved;
  }
  return resolved;
}

/** The default {@link LocalFileSystemOptions.highWaterMark}: 1 MiB, measured best for RETR and STOR. */
export const DEFAULT_HIGH_WATER_MARK = 1024 * 1024;

/** Options of a {@link LocalFileSystem}. */
export interface LocalFileSystemOptions {
  /**
   * Buffer size in bytes of the streams returned by `openRead` (read size) and `openWrite` (the batch
   * size: up to twice this is held, written with one vectored write per batch; less while more than 32
   * uploads run at once, see {@link FileWriter}). A per-call `highWaterMark` wins.
   * Default {@link DEFAULT_HIGH_WATER_MARK} (1 MiB); 256 KiB halves the memory per transfer.
   */
  highWaterMark?: number;
}

/**
 * `O_NONBLOCK` keeps `open(2)` of a FIFO from parking a thread-pool thread until a peer shows up (such
 * files are then refused); it changes nothing for regular files. Windows has no such flag.
 */
const O_NONBLOCK = process.platform === 'win32' ? 0 : (constants.O_NONBLOCK ?? 0);

const WRITE_FLAGS: Readonly<Record<OpenWriteMode, number>> = {
  truncate: constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | O_NONBLOCK,
  append: constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | O_NONBLOCK,
  // No O_CREAT: resuming an upload needs the file. Write-only, so a file without read permission works too.
  offset: constants.O_WRONLY | O_NONBLOCK,
  // STOU: a new file only, owner-only like mkstemp(3).
  exclusive: constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | O_NONBLOCK,
};

/**
 * A {@link FileSystem} rooted at a real directory, which the session sees as `/`.
 *
 * **Confinement.** {@link LocalFileSystem.resolve} joins the virtual path below the root and then,
 * on every call (nothing is cached), follows symlinks: the target is realpath'd, or, when it does not
 * exist, its nearest existing ancestor is (dangling links are followed through their target). Anything
 * that lands outside the real root is refused with `PathOutsideRootError`, so a symlink inside the home
 * may point anywhere inside it but never out (pyftpdlib's `validpath`). The check happens before the
 * operation; concurrent local changes between the two are not guarded against (the same race exists in
 * pyftpdlib).
 *
 * **The root.** The constructor does no I/O: {@link LocalFileSystem.root} is the directory as given
 * (made absolute), and its real path is looked up once, lazily, by the first `resolve` (a failure, e.g.
 * a missing home, is retried on the next call). {@link LocalFileSystem.create} does the lookup up front
 * and makes `root` the real path. Paths returned by `resolve` are always below the real root.
 *
 * All other methods take resolved paths and reject with Node's errno errors (`ENOENT`, `EISDIR`, ...)
 * or a `FilesystemError`. Nothing blocks the event loop.
 */
export class LocalFileSystem implements FileSystem {
  /** The home directory: absolute, as given to the constructor (the real path when made by {@link LocalFileSystem.create}). */
  readonly root: string;
  /** The default buffer size of the streams, in bytes. */
  readonly highWaterMark: number;
  #realRoot: Promise<string> | undefined;

  /**
   * @param root - The home directory. It must exist by the time the first path is resolved.
   * @param options - See {@link LocalFileSystemOptions}.
   * @throws TypeError for an empty root or a root containing NUL, RangeError for a bad `highWaterMark`.
   */
  constructor(root: string, options: LocalFileSystemOptions = {}) {
    if (typeof root !== 'string' || root === '' || root.includes('\0')) {
      throw new TypeError('LocalFileSystem: root must be a non-empty path');
    }
    this.root = resolveRoot(root);
    this.highWaterMark = checkHighWaterMark(options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK);
  }

  /**
   * Builds a filesystem whose root is first resolved to its real path, so that `root` is the real home
   * and a missing home is reported here rather than at the first command.
   *
   * @param root - The home directory; it must exist.
   * @param options - See {@link LocalFileSystemOptions}.
   */
  static async create(root: string, options: LocalFileSystemOptions = {}): Promise<LocalFileSystem> {
    const real = await realpath(path.resolve(root));
    const fs = new LocalFileSystem(real, options);
    fs.#realRoot = Promise.resolve(real);
    return fs;
  }

  /** The root with every symlink resolved (looked up once, on first use). */
  realRoot(): Promise<string> {
    if (this.#realRoot === undefined) {
      const lookup = realpath(this.root);
      this.#realRoot = lookup;
      lookup.catch(() => {
        if (this.#realRoot === lookup) this.#realRoot = undefined;
      });
    }
    return this.#realRoot;
  }

  /**
   * Maps a virtual path (`/`, `/docs/a.txt`) to the path below the real root and checks, with symlinks
   * followed, that it stays inside. The result is lexical (a symlink inside the root is returned as the
   * link, so `lstat`/LIST see the link); the target need not exist.
   *
   * @param virtualPath - An absolute, normalised virtual path.
   * @throws PathOutsideRootError when the path (or a `..` segment in it) leads outside the root.
   * @throws FilesystemError (`EINVAL`) for a relative path or a NUL byte; errno errors such as `ELOOP`,
   *   `ENOTDIR` or `EACCES` met while following the path propagate.
   */
  async resolve(virtualPath: string): Promise<string> {
    const segments = virtualPathSegments(virtualPath);
    const realRoot = await this.realRoot();
    const target = path.join(realRoot, ...segments);
    await assertInsideRoot(target, realRoot, virtualPath);
    return target;
  }

  /**
   * Stats a path, following symlinks. `owner`/`group` come from `/etc/passwd` and `/etc/group`.
   *
   * @param filePath - A resolved path.
   */
  async stat(filePath: string): Promise<FileStat> {
    return toFileStat(await stat(filePath));
  }

  /**
   * Stats a path without following a final symlink.
   *
   * @param filePath - A resolved path.
   */
  async lstat(filePath: string): Promise<FileStat> {
    return toFileStat(await lstat(filePath));
  }

  /**
   * `lstat` of many entries of one directory, for listings: one element per name, in order, undefined
   * for an entry that vanished (or a name that is not a plain entry name: empty, `.`, `..`, or holding
   * `/` or NUL). The system calls are made synchronously, in slices of at most 256 entries or 4 ms
   * with the event loop let run between them, which is several times cheaper than one promise-based
   * `lstat` per entry. When the calls turn out to wait for a device (a cold cache on a spinning disk, a
   * network filesystem), the rest of the batch is stat'ed through the thread pool instead.
   *
   * @param dirPath - A resolved directory path.
   * @param names - Entry names, as {@link LocalFileSystem.readdir} yields them.
   */
  lstatEntries(dirPath: string, names: readonly string[]): Promise<Array<FileStat | undefined>> {
    return lstatEntries(dirPath, names);
  }

  /**
   * Streams the names in a directory (no `.`/`..`), read as {@link LocalFileSystem.readdirBatches}
   * reads them, so huge directories never sit in memory. The directory is opened on the first
   * iteration, which therefore rejects with `ENOENT`/`ENOTDIR`; it is closed when iteration ends, fails
   * or is abandoned.
   *
   * @param dirPath - A resolved path.
   */
  async *readdir(dirPath: string): AsyncGenerator<string, void, undefined> {
    for await (const names of this.readdirBatches(dirPath)) yield* names;
  }

  /**
   * The names in a directory in arrays of up to 512, for listings. Opened on the first iteration
   * (`ENOENT`/`ENOTDIR` reject it), closed when iteration ends, fails or is abandoned.
   *
   * Each array is one `getdents(2)` made with `Dir.readSync`: the async reader costs a promise and a
   * tick per entry, which showed in LIST of big directories. The event loop is let run between
   * arrays, so no turn holds more than one such system call.
   *
   * @param dirPath - A resolved path.
   */
  async *readdirBatches(dirPath: string): AsyncGenerator<string[], void, undefined> {
    const dir = await opendir(dirPath, { bufferSize: READDIR_BUFFER });
    try {
      for (;;) {
        const names = readNames(dir);
        if (names.length > 0) yield names;
        if (names.length < READDIR_BUFFER) return;
        await yieldToEventLoop();
      }
    } finally {
      await dir.close();
    }
  }

  /**
   * Opens a regular file and returns a stream of its bytes from `start`. The file is opened (and checked:
   * a directory rejects with `EISDIR`, a FIFO or device with a `FilesystemError`) before this resolves;
   * the stream closes the descriptor on end, error or destroy. The stream exposes its descriptor as
   * `sendfileSource`, so core can send the file with `sendfile(2)` (`useSendfile`) without reading it.
   *
   * @param filePath - A resolved path.
   * @param options - `start` (REST offset, default 0) and `highWaterMark` (default the filesystem's).
   */
  async openRead(filePath: string, options: OpenReadOptions = {}): Promise<SendfileReadable> {
    const start = checkOffset(options.start ?? 0);
    const highWaterMark = checkHighWaterMark(options.highWaterMark ?? this.highWaterMark);
    const handle = await openRegularFile(filePath, constants.O_RDONLY | O_NONBLOCK);
    try {
      const stream = handle.createReadStream({ start, highWaterMark, autoClose: true, emitClose: true });
      const sendfileSource: SendfileSource = { fd: handle.fd, start };
      return Object.assign(stream, { sendfileSource });
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
  }

  /**
   * Opens a file for writing and returns a {@link FileWriter}: `truncate` creates or empties it,
   * `append` creates it or writes at its end, `offset` writes from `start` into an existing file
   * (`ENOENT` otherwise), keeping the bytes after the written range. The file is open before this
   * resolves; the stream emits `finish` only once all data is written and the descriptor closed.
   *
   * @param filePath - A resolved path.
   * @param options - `mode`, `start` (for `offset`) and `highWaterMark` (default the filesystem's).
   */
  async openWrite(filePath: string, options: OpenWriteOptions): Promise<Writable> {
    const mode = options.mode;
    const flags = WRITE_FLAGS[mode];
    if (flags === undefined) throw new FilesystemError('Invalid open mode', { code: 'EINVAL' });
    const start = mode === 'offset' ? checkOffset(options.start ?? 0) : 0;
    const highWaterMark = checkHighWaterMark(options.highWaterMark ?? this.highWaterMark);
    const handle = await openRegularFile(filePath, flags, mode === 'exclusive' ? 0o600 : 0o666);
    return new FileWriter(handle, { position: mode === 'append' ? null : start, highWaterMark });
  }

  /**
   * Creates one directory (its parent must exist).
   *
   * @param dirPath - A resolved path.
   */
  async mkdir(dirPath: string): Promise<void> {
    await mkdir(dirPath);
  }

  /**
   * Removes an empty directory.
   *
   * @param dirPath - A resolved path.
   */
  async rmdir(dirPath: string): Promise<void> {
    await rmdir(dirPath);
  }

  /**
   * Removes a file or a symlink (never the link's target).
   *
   * @param filePath - A resolved path.
   */
  async unlink(filePath: string): Promise<void> {
    await unlink(filePath);
  }

  /**
   * Renames a file or directory, replacing an existing target file (`rename(2)`).
   *
   * @param from - A resolved path.
   * @param to - A resolved path.
   */
  async rename(from: string, to: string): Promise<void> {
    await rename(from, to);
  }

  /**
   * The raw target of a symlink, for LIST's `name -> target`.
   *
   * @param linkPath - A resolved path.
   */
  async readlink(linkPath: string): Promise<string> {
    return readlink(linkPath);
  }

  /**
   * Sets the permission bits of a path (following symlinks, which `resolve` has checked).
   *
   * @param filePath - A resolved path.
   * @param mode - The new mode, e.g. `0o644`.
   */
  async chmod(filePath: string, mode: number): Promise<void> {
    await chmod(filePath, mode);
  }

  /**
   * Sets the access and modification times of a path.
   *
   * @param filePath - A resolved path.
   * @param atime - The new access time.
   * @param mtime - The new modification time.
   */
  async utimes(filePath: string, atime: Date, mtime: Date): Promise<void> {
    await utimes(filePath, atime, mtime);
  }
}

/**
 * A {@link FileSystemFactory} giving each session a {@link LocalFileSystem} rooted at the user's home.
 *
 * @param options - Passed to every {@link LocalFileSystem}.
 */
export function localFileSystem(options: LocalFileSystemOptions = {}): FileSystemFactory {
  return (context: FileSystemContext) => new LocalFileSystem(context.home, options);
}

async function toFileStat(stats: Stats): Promise<FileStat> {
  const refreshing = refreshNames();
  if (refreshing !== undefined) await refreshing;
  return fileStatOf(stats);
}

/** Opens `filePath` and refuses, closing it again, anything but a regular file. */
async function openRegularFile(filePath: string, flags: number, mode = 0o666): Promise<FileHandle> {
  const handle = await open(filePath, flags, mode);
  try {
    const info = await handle.stat();
    if (info.isDirectory()) throw errnoError('EISDIR', 'open', filePath);
    if (!info.isFile()) throw new FilesystemError('Not a regular file', { code: 'EINVAL' });
    return handle;
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
}

function checkHighWaterMark(value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`LocalFileSystem: highWaterMark must be a positive integer, got ${value}`);
  }
  return value;
}

function checkOffset(value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new FilesystemError('Invalid offset', { code: 'EINVAL' });
  }
  return value;
}
