import type { Readable, Writable } from 'node:stream';

/**
 * The filesystem contract. One instance serves one logged-in session and is rooted at the user's
 * home directory. Implementations: `@ftpkit/fs-local` (a real directory as a chroot), `@ftpkit/fs-memory`, ...
 *
 * How the session uses it: every path a client sends is first normalised by core into an absolute
 * *virtual* path (`/docs/a.txt`, never above `/`), then handed to {@link FileSystem.resolve}, which maps it
 * to the plugin's own *resolved* path and refuses anything outside the root. Every other method receives
 * resolved paths only. Errors: reject with a Node errno error (`code: 'ENOENT'`, ...) or a
 * `FilesystemError`; the session turns them into `550 <text>.` replies. No method may block the event
 * loop.
 */
export interface FileSystem {
  /** The root of this filesystem in the plugin's own terms (for fs-local, the real home directory). */
  readonly root: string;

  /**
   * Maps a normalised virtual path (absolute, `/`-separated, no `.` or `..` segments) to a resolved path,
   * checking that the target, with symlinks followed, stays inside the root. The target need not exist
   * (STOR, MKD and RNTO name new paths). Rejects with `PathOutsideRootError` for an escape.
   */
  resolve(virtualPath: string): Promise<string>;

  /** Stats a path, following symlinks. */
  stat(path: string): Promise<FileStat>;

  /** Stats a path without following a final symlink. */
  lstat(path: string): Promise<FileStat>;

  /**
   * The names in a directory (no `.` or `..`), as an async iterable so that huge directories stream.
   * Rejects (or throws on first iteration) with `ENOTDIR`/`ENOENT` like `readdir`.
   */
  readdir(path: string): AsyncIterable<string>;

  /**
   * Optional capability: the names of {@link FileSystem.readdir}, in arrays of up to a few hundred
   * (no empty arrays), which listings of big directories use: a promise per name costs more than the
   * name itself. The same names and the same errors as `readdir`; the iterable must stream (hold a
   * bounded number of names) and release the directory when iteration ends, fails or is abandoned.
   *
   * @param path - A resolved directory path.
   */
  readdirBatches?(path: string): AsyncIterable<readonly string[]>;

  /**
   * Optional capability: {@link FileSystem.lstat} of many entries of one directory at once, which
   * listings (LIST, MLSD, STAT of a directory) use in batches of a few hundred names instead of one
   * `lstat` call per entry. Without it, core calls `lstat(dir + "/" + name)` for each name.
   *
   * Resolves with one element per name, in the order of `names`: that entry's stat (symlinks not
   * followed), or `undefined` when it cannot be stat'ed (it vanished since `readdir`, ...), so a
   * listing skips it. Reject only when the whole batch fails for a reason that is not about one
   * entry. The work may be done synchronously, but only in short slices (a bounded number of entries,
   * a bounded time) with the event loop let run between them, so that other sessions stay served.
   *
   * @param dir - A resolved directory path.
   * @param names - Names of entries of `dir`, as {@link FileSystem.readdir} yields them.
   */
  lstatEntries?(dir: string, names: readonly string[]): Promise<ReadonlyArray<FileStat | undefined>>;

  /**
   * Opens a file for reading from `start` (default 0). Resolves once the file is open, so that errors
   * are reported before the transfer begins. The stream must honour backpressure.
   *
   * Optional capability: a stream that is backed by an open file descriptor may say so with a
   * {@link SendfileSource} (see {@link SendfileReadable}); core may then send the file with
   * `sendfile(2)` instead of reading the stream (`useSendfile`).
   */
  openRead(path: string, options?: OpenReadOptions): Promise<Readable>;

  /**
   * Opens a file for writing. Resolves once the file is open. The session pipes the data connection
   * into the stream and waits for it to finish (`finish`/`close`) before it answers `226`, so the
   * stream must only finish once the data is durable in the filesystem's terms.
   *
   * Optional capability: a stream that can take a write synchronously may say so with a `writeSync`
   * method (see {@link SyncWritable}); core may then read the data connection itself and write each
   * read straight into the file (`useDirectReceive`).
   */
  openWrite(path: string, options: OpenWriteOptions): Promise<Writable>;

  /** Creates a directory (not recursively). */
  mkdir(path: string): Promise<void>;

  /** Removes an empty directory. */
  rmdir(path: string): Promise<void>;

  /** Removes a file (or a symlink). */
  unlink(path: string): Promise<void>;

  /** Renames a file or directory; an existing target file is replaced, as POSIX `rename(2)` does. */
  rename(from: string, to: string): Promise<void>;

  /** The target of a symlink, shown by LIST as `name -> target`. Optional capability. */
  readlink?(path: string): Promise<string>;

  /** Changes a path's mode bits (SITE CHMOD). Optional capability. */
  chmod?(path: string, mode: number): Promise<void>;

  /** Sets a path's access and modification times (MFMT). Optional capability. */
  utimes?(path: string, atime: Date, mtime: Date): Promise<void>;
}

/** Options for {@link FileSystem.openRead}. */
export interface OpenReadOptions {
  /** The byte offset to start reading from (REST). */
  start?: number;
  /** The preferred chunk size, in bytes. */
  highWaterMark?: number;
}

/**
 * The open file behind a stream from {@link FileSystem.openRead}, for zero-copy sending. When core
 * uses it (option `useSendfile`, a binary transfer on a plain data connection with no plugin
 * transform), it sends the bytes of `fd` from `start` up to the end of the file with `sendfile(2)`,
 * never reads the stream, and destroys the stream when the transfer ends, which must close `fd`.
 * The descriptor must stay open until then and must not be read or seeked by anyone else: core
 * passes explicit offsets and does not use the file position.
 */
export interface SendfileSource {
  /** A descriptor of the open regular file, readable, owned by the stream. */
  readonly fd: number;
  /** The offset of the first byte to send: the `start` the stream was opened with. */
  readonly start: number;
}

/** A stream from {@link FileSystem.openRead} that exposes its open file (see {@link SendfileSource}). */
export interface SendfileReadable extends Readable {
  /** The file behind the stream. */
  readonly sendfileSource: SendfileSource;
}

/**
 * The {@link SendfileSource} of a stream from {@link FileSystem.openRead}, or undefined when the stream
 * does not offer one (or offers a malformed one).
 */
export function sendfileSourceOf(stream: Readable): SendfileSource | undefined {
  const source = (stream as Partial<SendfileReadable>).sendfileSource;
  if (typeof source !== 'object' || source === null) return undefined;
  const { fd, start } = source;
  if (!Number.isSafeInteger(fd) || fd < 0 || !Number.isSafeInteger(start) || start < 0) return undefined;
  return source;
}

/**
 * A stream from {@link FileSystem.openWrite} that also takes synchronous writes. When core uses it
 * (option `useDirectReceive`, a binary upload on a plain data connection with no plugin transform), it
 * reads the data connection with `recv(2)` into one buffer shared by every upload and hands each read
 * to `writeSync`, then ends the stream with `end()` as usual and waits for `'finish'`. Should the
 * writes become slow (a disk that cannot keep up), core goes back to `write()` for the rest of the
 * upload; it never calls `writeSync` while a `write()` is pending.
 */
export interface SyncWritable extends Writable {
  /**
   * Writes all of `chunk` after the bytes written so far, before returning, or throws (`ENOSPC`,
   * `EDQUOT`, a `FilesystemError` for a quota, ...). The bytes must be copied out of `chunk`
   * before it returns: core reuses the buffer for the next read. Bytes accepted here count as written
   * like those of `write()` (the stream's own byte count, its `'finish'`, what a `destroy()` keeps),
   * and a failure here must leave the stream usable for `destroy()`. Once the stream is ending (after
   * `end()` or `destroy()`), it must throw rather than write or drop the bytes silently.
   */
  writeSync(chunk: Uint8Array): void;
}

/** The stream as a {@link SyncWritable}, or undefined when it has no `writeSync` method. */
export function syncWritableOf(stream: Writable): SyncWritable | undefined {
  return typeof (stream as Partial<SyncWritable>).writeSync === 'function'
    ? (stream as SyncWritable)
    : undefined;
}

/**
 * How {@link FileSystem.openWrite} opens the file: `truncate` (STOR; create or empty it), `append` (APPE;
 * create or add at the end), `offset` (STOR after REST; the file must exist, writing starts at `start`
 * and the rest of the file is kept) or `exclusive` (STOU; create a new file readable by its owner only,
 * failing with `EEXIST` when the name is taken).
 */
export type OpenWriteMode = 'truncate' | 'append' | 'offset' | 'exclusive';

/** Options for {@link FileSystem.openWrite}. */
export interface OpenWriteOptions {
  /** See {@link OpenWriteMode}. */
  mode: OpenWriteMode;
  /** The byte offset for mode `offset`. */
  start?: number;
  /** The preferred buffer size, in bytes. */
  highWaterMark?: number;
}

/**
 * What a listing needs to know about a path. Node's `fs.Stats` satisfies it; `owner` and `group` are
 * the names LIST shows (the numeric ids are shown when they are missing).
 */
export interface FileStat {
  /** The full `st_mode`: file type bits (`S_IFDIR`, `S_IFREG`, ...) and permission bits. */
  readonly mode: number;
  /** Size in bytes. */
  readonly size: number;
  /** Last modification time. */
  readonly mtime: Date;
  /** Number of hard links. */
  readonly nlink: number;
  /** Numeric owner id. */
  readonly uid: number;
  /** Numeric group id. */
  readonly gid: number;
  /** Owner name for LIST. */
  readonly owner?: string;
  /** Group name for LIST. */
  readonly group?: string;
  /** Device number, for the MLSx `unique` fact. */
  readonly dev?: number;
  /** Inode number, for the MLSx `unique` fact. */
  readonly ino?: number;
}

/** What core passes to a {@link FileSystemFactory} when a user logs in. */
export interface FileSystemContext {
  /** The user who logged in. */
  readonly username: string;
  /** The user's home directory, from the authorizer. */
  readonly home: string;
}

/** Builds the filesystem of a session after login. */
export type FileSystemFactory = (context: FileSystemContext) => FileSystem | Promise<FileSystem>;

/** File type bits of `st_mode`. */
export const S_IFMT = 0o170000;
/** Socket. */
export const S_IFSOCK = 0o140000;
/** Symbolic link. */
export const S_IFLNK = 0o120000;
/** Regular file. */
export const S_IFREG = 0o100000;
/** Block device. */
export const S_IFBLK = 0o060000;
/** Directory. */
export const S_IFDIR = 0o040000;
/** Character device. */
export const S_IFCHR = 0o020000;
/** FIFO. */
export const S_IFIFO = 0o010000;

/** True when the stat describes a directory. */
export function isDirectory(stat: Pick<FileStat, 'mode'>): boolean {
  return (stat.mode & S_IFMT) === S_IFDIR;
}

/** True when the stat describes a regular file. */
export function isRegularFile(stat: Pick<FileStat, 'mode'>): boolean {
  return (stat.mode & S_IFMT) === S_IFREG;
}

/** True when the stat describes a symbolic link. */
export function isSymbolicLink(stat: Pick<FileStat, 'mode'>): boolean {
  return (stat.mode & S_IFMT) === S_IFLNK;
}
