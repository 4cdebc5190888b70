/**
 * {@link MemoryFileSystem}: one session's view of a {@link MemoryVolume}, rooted at a directory of it.
 *
 * @module
 */
import type { Readable, Writable } from 'node:stream';
import {
  errnoError,
  type FileStat,
  type FileSystem,
  type FileSystemContext,
  type FileSystemFactory,
  FilesystemError,
  type OpenReadOptions,
  type OpenWriteOptions,
  PathOutsideRootError,
} from '@ftpkit/core';
import { type CommitReport, ContentReader, MemoryFileWriter, quotaExceeded } from './streams.js';
import {
  type FileNode,
  isWithin,
  joinLexical,
  type NewNodeAttributes,
  type Node,
  splitPath,
  type Tree,
} from './tree.js';
import { type MemoryVolume, type MemoryVolumeEvents, treeOf, volumePath } from './volume.js';

/** Names per array of {@link MemoryFileSystem.readdirBatches}. */
const NAMES_PER_BATCH = 512;

/** The default chunk size of reads, and the largest buffer an upload allocates: 1 MiB, as core's `bufferSize`. */
export const DEFAULT_HIGH_WATER_MARK = 1024 * 1024;

/** Who owns the files and directories a session creates. Unset fields come from the volume. */
export interface OwnerAttributes {
  uid?: number;
  gid?: number;
  owner?: string;
  group?: string;
}

/** Options of a {@link MemoryFileSystem}. */
export interface MemoryFileSystemOptions extends OwnerAttributes {
  /** Refuse every change with `EROFS` (`550 Read-only file system.`). Default false. */
  readOnly?: boolean;
  /** The default chunk size of reads and block size of uploads, in bytes. Default 1 MiB. */
  highWaterMark?: number;
  /** The session's user, reported by the volume's events. */
  username?: string;
}

/** Options of {@link memoryFileSystem}. */
export interface MemoryFileSystemFactoryOptions
  extends Omit<MemoryFileSystemOptions, keyof OwnerAttributes | 'username'> {
  /**
   * Where each session's `/` is in the volume: a volume path, or a function of the login (e.g.
   * `({ username }) => '/home/' + username`, or `({ home }) => home` when the authorizer's homes are
   * volume paths). Default `/`: every user sees the whole volume.
   */
  home?: string | ((context: FileSystemContext) => string);
  /** Create a missing home directory (and its parents) at login. Default true. */
  createHome?: boolean;
  /** Who owns what a session creates, e.g. `({ username }) => ({ owner: username })`. */
  ownerOf?: (context: FileSystemContext) => OwnerAttributes;
}

/**
 * A {@link FileSystem} over a {@link MemoryVolume}, rooted at one of its directories (the session's
 * home, seen by the client as `/`).
 *
 * **Paths.** Resolved paths are volume paths (`/home/alice/docs/a.txt`), so `${dir}/${name}` of a
 * listed directory is a valid resolved path, as core's listings need, and an authorizer's `hasPerm`
 * sees stable absolute paths. `resolve` follows symlinks (on every call) and refuses anything that
 * leads outside the home with `PathOutsideRootError`; the other methods also refuse paths that are not
 * lexically below the home.
 *
 * **Errors** are Node-style errno errors (`ENOENT`, `ENOTDIR`, `EISDIR`, `EEXIST`, `ENOTEMPTY`,
 * `EINVAL`, `EBUSY`, `ELOOP`, `EROFS`) that core turns into `550 <strerror>.`; a full quota is a
 * `FilesystemError` with reply code 552.
 *
 * **Concurrency.** Any number of readers and writers may work on one file: a reader reads the bytes
 * the file had when it was opened; a writer's bytes appear when it finishes (appends and offset writes
 * are applied to the file as it is then, so concurrent appends are all kept).
 */
export class MemoryFileSystem implements FileSystem {
  /** The home in the volume: a normalised volume path. */
  readonly root: string;
  /** The volume this filesystem shows. */
  readonly volume: MemoryVolume;
  /** True when every change is refused. */
  readonly readOnly: boolean;
  /** Default chunk size of reads and block size of uploads. */
  readonly highWaterMark: number;
  readonly #tree: Tree;
  readonly #owner: NewNodeAttributes;
  readonly #username: string | undefined;

  /**
   * @param volume - The volume to show.
   * @param home - The directory of the volume that is `/` for the session. Default the volume root.
   * @param options - See {@link MemoryFileSystemOptions}.
   * @throws An `ENOENT`/`ENOTDIR` error when `home` is not a directory of the volume.
   */
  constructor(volume: MemoryVolume, home = '/', options: MemoryFileSystemOptions = {}) {
    this.volume = volume;
    this.#tree = treeOf(volume);
    this.root = volumePath(home);
    const { node } = this.#tree.get(this.root, true, 'chdir');
    if (node.kind !== 'directory') throw errnoError('ENOTDIR', 'chdir', this.root);
    this.readOnly = options.readOnly ?? false;
    this.highWaterMark = checkHighWaterMark(options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK);
    this.#owner = { uid: options.uid, gid: options.gid, owner: options.owner, group: options.group };
    this.#username = options.username;
  }

  /**
   * Maps a virtual path to the volume path below the home and checks, with symlinks followed, that it
   * stays inside the home. The target need not exist.
   *
   * @throws PathOutsideRootError for a `..` segment or a symlink leading out of the home;
   *   FilesystemError (`EINVAL`) for a relative path or a NUL byte; `ENOTDIR`/`ELOOP` met on the way.
   */
  async resolve(virtualPath: string): Promise<string> {
    if (typeof virtualPath !== 'string' || !virtualPath.startsWith('/') || virtualPath.includes('\0')) {
      throw new FilesystemError('Invalid file name', { code: 'EINVAL' });
    }
    const segments = splitPath(virtualPath);
    if (segments.includes('..')) throw new PathOutsideRootError(virtualPath);
    const target = segments.length === 0 ? this.root : joinLexical([...splitPath(this.root), ...segments]);
    const real = this.#tree.realPath(target);
    if (!isWithin(real, this.#tree.realPath(this.root))) throw new PathOutsideRootError(virtualPath);
    return target;
  }

  /** Stats a path, following symlinks. */
  async stat(path: string): Promise<FileStat> {
    return this.#tree.stat(this.#tree.get(this.#own(path), true, 'stat').node);
  }

  /** Stats a path without following a final symlink. */
  async lstat(path: string): Promise<FileStat> {
    return this.#tree.stat(this.#tree.get(this.#own(path), false, 'lstat').node);
  }

  /**
   * The names in a directory, as they are when iteration starts (`ENOENT`/`ENOTDIR` reject the first
   * `next()`).
   */
  async *readdir(path: string): AsyncGenerator<string, void, undefined> {
    yield* this.#names(path);
  }

  /**
   * The names of {@link MemoryFileSystem.readdir} in arrays of up to 512, for listings (one promise
   * per array rather than per name).
   */
  async *readdirBatches(path: string): AsyncGenerator<string[], void, undefined> {
    const names = this.#names(path);
    for (let i = 0; i < names.length; i += NAMES_PER_BATCH) yield names.slice(i, i + NAMES_PER_BATCH);
  }

  /**
   * {@link MemoryFileSystem.lstat} of many entries of the directory `dir`, for listings: one element
   * per name, in order; undefined for a name the directory does not hold (all of them when `dir` is
   * not a directory).
   */
  async lstatEntries(dir: string, names: readonly string[]): Promise<Array<FileStat | undefined>> {
    const own = this.#own(dir);
    let node: Node | undefined;
    try {
      node = this.#tree.locate(own, true, 'lstat').node;
    } catch {
      // Gone since readdir (or never a directory): like lstat of each entry, every one fails.
    }
    if (node === undefined || node.kind !== 'directory') return names.map(() => undefined);
    const children = node.children;
    return names.map((name) => {
      const child = children.get(name);
      return child === undefined ? undefined : this.#tree.stat(child);
    });
  }

  /** A snapshot of a directory's names; `ENOENT`/`ENOTDIR` throw. */
  #names(path: string): string[] {
    const own = this.#own(path);
    const { node } = this.#tree.get(own, true, 'scandir');
    if (node.kind !== 'directory') throw errnoError('ENOTDIR', 'scandir', own);
    return [...node.children.keys()];
  }

  /**
   * A stream of a file's bytes from `start`, in chunks of `highWaterMark`, from a snapshot taken now.
   *
   * @throws `ENOENT`, `EISDIR`, or a FilesystemError (`EINVAL`) for a bad offset.
   */
  async openRead(path: string, options: OpenReadOptions = {}): Promise<Readable> {
    const start = checkOffset(options.start ?? 0);
    const highWaterMark = checkHighWaterMark(options.highWaterMark ?? this.highWaterMark);
    const file = this.#file(this.#own(path), 'open');
    file.atime = this.#tree.settings.now();
    return new ContentReader(file.content, start, highWaterMark);
  }

  /**
   * Opens a file for writing: `truncate` creates or replaces it, `append` creates it or adds to its end,
   * `offset` writes into an existing file from `start` keeping the rest, `exclusive` creates a new file
   * (mode `0o600`) or fails with `EEXIST`. The name exists (empty) from now on; the bytes appear when the
   * stream finishes. `finish` is emitted after they are readable, and after the volume's `file` event.
   */
  async openWrite(path: string, options: OpenWriteOptions): Promise<Writable> {
    const own = this.#own(path);
    this.#writable(own, 'open');
    const mode = options.mode;
    if (mode !== 'truncate' && mode !== 'append' && mode !== 'offset' && mode !== 'exclusive') {
      throw new FilesystemError('Invalid open mode', { code: 'EINVAL' });
    }
    const start = mode === 'offset' ? checkOffset(options.start ?? 0) : 0;
    const highWaterMark = checkHighWaterMark(options.highWaterMark ?? this.highWaterMark);
    const tree = this.#tree;
    const location = tree.locate(own, mode !== 'exclusive', 'open');
    let file: FileNode;
    if (location.node === undefined) {
      if (mode === 'offset') throw errnoError('ENOENT', 'open', own);
      if (this.volume.available <= 0) throw quotaExceeded();
      const perm = mode === 'exclusive' ? 0o600 : tree.settings.fileMode;
      file = tree.newFile({ ...this.#owner, perm });
      tree.attach(location.parent!, location.name, file);
    } else if (mode === 'exclusive') {
      throw errnoError('EEXIST', 'open', own);
    } else if (location.node.kind === 'directory') {
      throw errnoError('EISDIR', 'open', own);
    } else if (location.node.kind === 'file') {
      file = location.node;
      if (mode === 'append' && this.volume.available <= 0) throw quotaExceeded();
    } else {
      throw errnoError('ELOOP', 'open', own);
    }
    const eventPath = location.path;
    return new MemoryFileWriter({
      tree,
      file,
      mode,
      start,
      highWaterMark,
      onCommit: (report: CommitReport) =>
        this.#emit(report.complete ? 'file' : 'incompleteFile', {
          path: eventPath,
          size: file.content.size,
          bytes: report.bytes,
          mode,
          username: this.#username,
        }),
    });
  }

  /** Creates one directory (its parent must exist). */
  async mkdir(path: string): Promise<void> {
    const own = this.#own(path);
    this.#writable(own, 'mkdir');
    this.#tree.mkdir(own, this.#owner);
    this.#emit('mkdir', { path: own, username: this.#username });
  }

  /** Removes an empty directory (never the home itself: `EBUSY`). */
  async rmdir(path: string): Promise<void> {
    const own = this.#own(path);
    this.#writable(own, 'rmdir');
    if (own === this.root) throw errnoError('EBUSY', 'rmdir', own);
    this.#tree.rmdir(own);
    this.#emit('rmdir', { path: own, username: this.#username });
  }

  /** Removes a file or a symlink. */
  async unlink(path: string): Promise<void> {
    const own = this.#own(path);
    this.#writable(own, 'unlink');
    this.#tree.unlink(own);
    this.#emit('unlink', { path: own, username: this.#username });
  }

  /** `rename(2)`; see the errors listed on the class. The home itself cannot move (`EBUSY`). */
  async rename(from: string, to: string): Promise<void> {
    const source = this.#own(from);
    const target = this.#own(to);
    this.#writable(source, 'rename');
    if (source === this.root || target === this.root) throw errnoError('EBUSY', 'rename', source);
    this.#tree.rename(source, target);
    this.#emit('rename', { from: source, to: target, username: this.#username });
  }

  /** A symlink's target (`EINVAL` for anything else). */
  async readlink(path: string): Promise<string> {
    const own = this.#own(path);
    const { node } = this.#tree.get(own, false, 'readlink');
    if (node.kind !== 'symlink') throw errnoError('EINVAL', 'readlink', own);
    return node.target;
  }

  /** Sets the permission bits (following symlinks). */
  async chmod(path: string, mode: number): Promise<void> {
    const own = this.#own(path);
    this.#writable(own, 'chmod');
    if (!Number.isInteger(mode) || mode < 0) throw new FilesystemError('Invalid mode', { code: 'EINVAL' });
    this.#tree.get(own, true, 'chmod').node.perm = mode & 0o7777;
  }

  /** Sets the access and modification times (following symlinks). */
  async utimes(path: string, atime: Date, mtime: Date): Promise<void> {
    const own = this.#own(path);
    this.#writable(own, 'utime');
    const { node } = this.#tree.get(own, true, 'utime');
    node.atime = new Date(atime.getTime());
    node.mtime = new Date(mtime.getTime());
  }

  /**
   * Creates a symlink at `path` (a resolved path) pointing to `target`, stored as given: absolute
   * targets are volume paths, relative ones start at the link's directory. Not part of the core
   * contract (no FTP command makes links); for programs and tests.
   */
  async symlink(target: string, path: string): Promise<void> {
    const own = this.#own(path);
    this.#writable(own, 'symlink');
    const location = this.#tree.locate(own, false, 'symlink');
    if (location.node !== undefined) throw errnoError('EEXIST', 'symlink', own);
    this.#tree.attach(location.parent!, location.name, this.#tree.newSymlink(target, this.#owner));
  }

  /** Checks that a resolved path is below the home (a second line of defence behind `resolve`). */
  #own(path: string): string {
    if (typeof path !== 'string' || !path.startsWith('/') || path.includes('\0')) {
      throw new FilesystemError('Invalid file name', { code: 'EINVAL' });
    }
    const segments = splitPath(path);
    const normal = joinLexical(segments);
    if (segments.includes('..') || !isWithin(normal, this.root)) throw new PathOutsideRootError(path);
    return normal;
  }

  #file(path: string, syscall: string): FileNode {
    const { node } = this.#tree.get(path, true, syscall);
    if (node.kind === 'directory') throw errnoError('EISDIR', syscall, path);
    if (node.kind !== 'file') throw errnoError('EINVAL', syscall, path);
    return node;
  }

  #writable(path: string, syscall: string): void {
    if (this.readOnly) throw errnoError('EROFS', syscall, path);
  }

  #emit<K extends keyof MemoryVolumeEvents>(event: K, ...args: MemoryVolumeEvents[K]): void {
    try {
      (this.volume.emit as (event: K, ...args: MemoryVolumeEvents[K]) => boolean)(event, ...args);
    } catch (error) {
      // A throwing listener is the embedding program's bug; it must not fail the client's command.
      process.emitWarning(`MemoryVolume "${event}" listener threw: ${String(error)}`, 'ListenerWarning');
    }
  }
}

/**
 * A `FileSystemFactory` giving every session a {@link MemoryFileSystem} over one shared volume, rooted
 * at the volume root or at a per-user directory.
 *
 * @example
 * ```ts
 * const volume = new MemoryVolume({ 'pub/readme.txt': 'hello' });
 * new FtpServer({ authorizer, filesystem: memoryFileSystem(volume, { home: ({ username }) => `/home/${username}` }) });
 * ```
 */
export function memoryFileSystem(
  volume: MemoryVolume,
  options: MemoryFileSystemFactoryOptions = {},
): FileSystemFactory {
  const { home = '/', createHome = true, ownerOf, ...rest } = options;
  return (context: FileSystemContext) => {
    const dir = volumePath(typeof home === 'function' ? home(context) : home);
    if (createHome) volume.mkdir(dir, { recursive: true });
    return new MemoryFileSystem(volume, dir, { ...rest, ...ownerOf?.(context), username: context.username });
  };
}

function checkHighWaterMark(value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`MemoryFileSystem: highWaterMark must be a positive integer, got ${value}`);
  }
  return value;
}

function checkOffset(value: number): number {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new FilesystemError('Invalid offset', { code: 'EINVAL' });
  return value;
}
