/**
 * {@link MemoryVolume}: the tree of files one or many sessions share, with a synchronous API for the
 * program that embeds the server (seed it, read what was uploaded, watch uploads finish).
 *
 * @module
 */
import { EventEmitter } from 'node:events';
import { posix } from 'node:path';
import type { FileStat } from '@ftpkit/core';
import { errnoError } from '@ftpkit/core';
import { contentFromBytes, toBuffer } from './content.js';
import {
  isSeedEntry,
  isSeedTree,
  type NodeAttributes,
  SEED_KIND,
  type SeedTree,
  type SeedValue,
  symlinkEntry,
} from './seed.js';
import type { WriteMode } from './streams.js';
import { type DirectoryNode, type NewNodeAttributes, type Node, Tree } from './tree.js';

/** Options of a {@link MemoryVolume}. */
export interface MemoryVolumeOptions {
  /**
   * The most bytes all files together may hold. An upload that would pass it fails with
   * `552 Quota exceeded.` Program writes ({@link MemoryVolume.writeFile}) are counted but never refused.
   * Default: no limit.
   */
  quota?: number;
  /** Permission bits of new files. Default `0o644` (`0o600` for STOU's exclusive create). */
  fileMode?: number;
  /** Permission bits of new directories. Default `0o755`. */
  directoryMode?: number;
  /** Numeric owner of new nodes. Default 0. */
  uid?: number;
  /** Numeric group of new nodes. Default 0. */
  gid?: number;
  /** Owner name LIST shows. Default `ftp`. */
  owner?: string;
  /** Group name LIST shows. Default `ftp`. */
  group?: string;
  /** The clock for modification times. Default `() => new Date()`. */
  now?: () => Date;
}

/** An upload that ended. */
export interface UploadEvent {
  /** The file's path in the volume (where it was opened). */
  readonly path: string;
  /** The file's size after the upload. */
  readonly size: number;
  /** Bytes the client sent. */
  readonly bytes: number;
  /** How the file was opened: `truncate` (STOR), `append` (APPE), `offset` (REST + STOR), `exclusive` (STOU). */
  readonly mode: WriteMode;
  /** The session's user, when the filesystem was made for one. */
  readonly username: string | undefined;
}

/** A path that a session created or removed. */
export interface PathEvent {
  readonly path: string;
  readonly username: string | undefined;
}

/** A rename made by a session. */
export interface RenameEvent {
  readonly from: string;
  readonly to: string;
  readonly username: string | undefined;
}

/** The events of a {@link MemoryVolume}: changes made through sessions (not through the volume's own API). */
export interface MemoryVolumeEvents {
  /** An upload finished: every byte is in the file. Emitted before the client gets its `226`. */
  file: [UploadEvent];
  /** An upload ended early (aborted, connection lost, quota): the bytes received are kept. */
  incompleteFile: [UploadEvent];
  mkdir: [PathEvent];
  rmdir: [PathEvent];
  unlink: [PathEvent];
  rename: [RenameEvent];
}

/** One node, as {@link MemoryVolume.entries} reports it. */
export interface VolumeEntry {
  /** Absolute path in the volume. */
  readonly path: string;
  readonly type: 'file' | 'directory' | 'symlink';
  readonly stat: FileStat;
  /** The link target, for symlinks. */
  readonly target?: string;
}

/** Options of {@link MemoryVolume.mkdir}. */
export interface VolumeMkdirOptions extends NodeAttributes {
  /** Create missing parents, and accept an existing directory. */
  recursive?: boolean;
}

const trees = new WeakMap<MemoryVolume, Tree>();
let nextDev = 1;

/** The tree of a volume (internal to this package). */
export function treeOf(volume: MemoryVolume): Tree {
  return trees.get(volume)!;
}

/**
 * A normalised absolute volume path: relative paths are taken from the root, `.`/`..` applied, never
 * above `/`.
 */
export function volumePath(path: string): string {
  if (typeof path !== 'string' || path.includes('\0')) throw errnoError('EINVAL', 'path', String(path));
  const normal = posix.normalize(`/${path}`);
  return normal.length > 1 && normal.endsWith('/') ? normal.slice(0, -1) : normal;
}

function attributesOf(value: NodeAttributes): NewNodeAttributes {
  return {
    perm: value.mode,
    mtime: value.mtime,
    uid: value.uid,
    gid: value.gid,
    owner: value.owner,
    group: value.group,
  };
}

/**
 * Files, directories and symlinks held in memory. One volume can back many sessions at once (see
 * `memoryFileSystem`), each rooted at the whole volume or at a directory inside it.
 *
 * The methods here are for the embedding program: synchronous, taking volume paths (`/docs/a.txt`;
 * relative paths start at the root), raising Node-style errno errors. They bypass read-only settings
 * and the quota (their bytes are counted, though) and emit no events.
 *
 * @example
 * ```ts
 * const volume = new MemoryVolume({ 'pub/readme.txt': 'hello', 'incoming/': {} }, { quota: 10e6 });
 * volume.on('file', ({ path, size }) => console.log(`received ${path} (${size} bytes)`));
 * const data = volume.readFile('/incoming/report.csv', 'utf8');
 * ```
 */
export class MemoryVolume extends EventEmitter<MemoryVolumeEvents> {
  /** The quota in bytes, or undefined. */
  readonly quota: number | undefined;

  /**
   * @param seed - Initial contents; see `SeedTree`.
   * @param options - See {@link MemoryVolumeOptions}.
   * @throws TypeError for a malformed seed or option.
   */
  constructor(seed: SeedTree = {}, options: MemoryVolumeOptions = {}) {
    super();
    const quota = options.quota;
    if (quota !== undefined && (!Number.isSafeInteger(quota) || quota < 0)) {
      throw new TypeError(`MemoryVolume: quota must be a non-negative integer, got ${quota}`);
    }
    this.quota = quota;
    trees.set(
      this,
      new Tree({
        quota,
        fileMode: options.fileMode ?? 0o644,
        directoryMode: options.directoryMode ?? 0o755,
        ownership: {
          uid: options.uid ?? 0,
          gid: options.gid ?? 0,
          owner: options.owner ?? 'ftp',
          group: options.group ?? 'ftp',
        },
        now: options.now ?? (() => new Date()),
        dev: nextDev++,
      }),
    );
    this.seed(seed);
  }

  /** Bytes held by all files. */
  get used(): number {
    return treeOf(this).used;
  }

  /** Bytes still free under the quota (uploads in progress count), or `Infinity` without one. */
  get available(): number {
    const tree = treeOf(this);
    return this.quota === undefined
      ? Number.POSITIVE_INFINITY
      : Math.max(0, this.quota - tree.used - tree.reserved);
  }

  /**
   * Adds seed entries below `base` (default the root), creating parents. Directories merge with
   * existing ones; files and links replace what is there.
   *
   * @throws TypeError for a malformed key or value.
   */
  seed(seed: SeedTree, base = '/'): void {
    if (!isSeedTree(seed)) throw new TypeError('MemoryVolume: a seed must be a plain object');
    const tree = treeOf(this);
    const dir = tree.mkdirp(volumePath(base), {});
    applySeed(tree, dir, volumePath(base), seed);
  }

  /** A file's bytes (a copy), following symlinks. */
  readFile(path: string): Buffer;
  /** A file's text, following symlinks. */
  readFile(path: string, encoding: BufferEncoding): string;
  readFile(path: string, encoding?: BufferEncoding): Buffer | string {
    const normal = volumePath(path);
    const { node } = treeOf(this).get(normal, true, 'open');
    if (node.kind === 'directory') throw errnoError('EISDIR', 'read', normal);
    if (node.kind !== 'file') throw errnoError('EINVAL', 'read', normal);
    const bytes = toBuffer(node.content);
    return encoding === undefined ? bytes : bytes.toString(encoding);
  }

  /** Creates or replaces a file (parents are created), following a final symlink. */
  writeFile(path: string, data: string | Uint8Array, attributes: NodeAttributes = {}): void {
    const normal = volumePath(path);
    const tree = treeOf(this);
    tree.mkdirp(posix.dirname(normal), {});
    const location = tree.locate(normal, true, 'open');
    const content = contentFromBytes(data);
    if (location.node === undefined) {
      const file = tree.newFile(attributesOf(attributes), content);
      tree.attach(location.parent!, location.name, file);
      return;
    }
    if (location.node.kind !== 'file') throw errnoError('EISDIR', 'open', normal);
    tree.setContent(location.node, content, attributes.mtime);
    if (attributes.mode !== undefined) location.node.perm = attributes.mode & 0o7777;
  }

  /** Creates a directory (with `recursive`, its parents too). */
  mkdir(path: string, options: VolumeMkdirOptions = {}): void {
    const normal = volumePath(path);
    const tree = treeOf(this);
    if (options.recursive === true) tree.mkdirp(normal, attributesOf(options));
    else tree.mkdir(normal, attributesOf(options));
  }

  /** Creates a symlink at `path` pointing to `target` (absolute from the volume root, or relative). */
  symlink(target: string, path: string): void {
    const normal = volumePath(path);
    const tree = treeOf(this);
    const location = tree.locate(normal, false, 'symlink');
    if (location.node !== undefined) throw errnoError('EEXIST', 'symlink', normal);
    tree.attach(location.parent!, location.name, tree.newSymlink(target, {}));
  }

  /** Removes a file, a symlink or a directory (a non-empty one only with `recursive`). */
  remove(path: string, options: { recursive?: boolean } = {}): void {
    const normal = volumePath(path);
    const tree = treeOf(this);
    const location = tree.get(normal, false, 'rm');
    if (location.parent === undefined) throw errnoError('EBUSY', 'rm', normal);
    const node = location.node;
    if (node.kind === 'directory' && node.children.size > 0 && options.recursive !== true) {
      throw errnoError('ENOTEMPTY', 'rm', normal);
    }
    tree.detach(location.parent, location.name);
  }

  /** Renames like `rename(2)`. */
  rename(from: string, to: string): void {
    treeOf(this).rename(volumePath(from), volumePath(to));
  }

  /** True when something (a dangling symlink included) is at `path`. */
  exists(path: string): boolean {
    try {
      return treeOf(this).locate(volumePath(path), false, 'lstat').node !== undefined;
    } catch {
      return false;
    }
  }

  /** Stats a path, following symlinks. */
  stat(path: string): FileStat {
    const tree = treeOf(this);
    return tree.stat(tree.get(volumePath(path), true, 'stat').node);
  }

  /** Stats a path without following a final symlink. */
  lstat(path: string): FileStat {
    const tree = treeOf(this);
    return tree.stat(tree.get(volumePath(path), false, 'lstat').node);
  }

  /** A symlink's target. */
  readlink(path: string): string {
    const normal = volumePath(path);
    const { node } = treeOf(this).get(normal, false, 'readlink');
    if (node.kind !== 'symlink') throw errnoError('EINVAL', 'readlink', normal);
    return node.target;
  }

  /** The sorted names in a directory. */
  list(path = '/'): string[] {
    return [...directoryAt(treeOf(this), volumePath(path)).children.keys()].sort();
  }

  /** Every node below `path` (not `path` itself), depth first, names sorted; symlinks are not followed. */
  *entries(path = '/'): Generator<VolumeEntry, void, undefined> {
    const tree = treeOf(this);
    const base = volumePath(path);
    yield* walkEntries(tree, directoryAt(tree, base), base);
  }

  /**
   * The volume (or the directory `path`) in the seed format, flat: one key per file, symlink and empty
   * directory (`'empty/': {}`). Files are `Buffer`s, or strings with an `encoding`. Feeding the result
   * to `new MemoryVolume()` rebuilds the tree (attributes aside).
   *
   * @example
   * ```ts
   * expect(volume.toSeed('/', 'utf8')).toEqual({ 'incoming/a.txt': 'hello', 'empty/': {} });
   * ```
   */
  toSeed(path = '/', encoding?: BufferEncoding): Record<string, SeedValue> {
    const base = volumePath(path);
    const out: Record<string, SeedValue> = {};
    const strip = base === '/' ? 1 : base.length + 1;
    for (const entry of this.entries(base)) {
      const key = entry.path.slice(strip);
      if (entry.type === 'file') {
        const bytes = this.readFile(entry.path);
        out[key] = encoding === undefined ? bytes : bytes.toString(encoding);
      } else if (entry.type === 'symlink') {
        out[key] = symlinkEntry(entry.target!);
      } else if (this.list(entry.path).length === 0) {
        out[`${key}/`] = {};
      }
    }
    return out;
  }
}

function directoryAt(tree: Tree, path: string): DirectoryNode {
  const { node } = tree.get(path, true, 'scandir');
  if (node.kind !== 'directory') throw errnoError('ENOTDIR', 'scandir', path);
  return node;
}

function* walkEntries(tree: Tree, dir: DirectoryNode, path: string): Generator<VolumeEntry, void, undefined> {
  for (const name of [...dir.children.keys()].sort()) {
    const node = dir.children.get(name)!;
    const childPath = path === '/' ? `/${name}` : `${path}/${name}`;
    yield {
      path: childPath,
      type: node.kind,
      stat: tree.stat(node),
      ...(node.kind === 'symlink' ? { target: node.target } : {}),
    };
    if (node.kind === 'directory') yield* walkEntries(tree, node, childPath);
  }
}

function seedKey(key: string): { segments: string[]; directory: boolean } {
  const directory = key.endsWith('/');
  const trimmed = directory ? key.slice(0, -1) : key;
  const segments = trimmed.split('/');
  if (trimmed === '' || segments.some((s) => s === '' || s === '.' || s === '..' || s.includes('\0'))) {
    throw new TypeError(`MemoryVolume seed: invalid path "${key}"`);
  }
  return { segments, directory };
}

function applySeed(tree: Tree, base: DirectoryNode, basePath: string, seed: SeedTree): void {
  for (const [key, value] of Object.entries(seed)) {
    const { segments, directory } = seedKey(key);
    const name = segments.pop()!;
    const parentPath = posix.join(basePath, ...segments);
    let parent = base;
    if (segments.length > 0) {
      try {
        parent = tree.mkdirp(parentPath, {});
      } catch {
        throw new TypeError(`MemoryVolume seed: a parent of "${key}" is not a directory`);
      }
    }
    const path = posix.join(parentPath, name);
    placeSeedValue(tree, parent, path, name, value as SeedValue, directory, key);
  }
}

function placeSeedValue(
  tree: Tree,
  parent: DirectoryNode,
  path: string,
  name: string,
  value: SeedValue,
  directoryKey: boolean,
  key: string,
): void {
  const existing = parent.children.get(name);
  const entry = isSeedEntry(value) ? value : undefined;
  const isDirectory = isSeedTree(value) || entry?.[SEED_KIND] === 'directory';
  if (directoryKey && !isDirectory) {
    throw new TypeError(`MemoryVolume seed: "${key}" ends with "/" but is not a directory`);
  }
  if (isDirectory) {
    let dir: Node | undefined = existing;
    if (dir === undefined) {
      dir = tree.newDirectory(entry === undefined ? {} : attributesOf(entry));
      tree.attach(parent, name, dir);
    } else if (dir.kind !== 'directory') {
      throw new TypeError(`MemoryVolume seed: "${key}" is both a directory and a file`);
    } else if (entry !== undefined) {
      applyAttributes(dir, entry);
    }
    const children = entry?.[SEED_KIND] === 'directory' ? entry.children : (value as SeedTree);
    applySeed(tree, dir, path, children);
    // Adding the children touched the directory; a seeded mtime wins.
    if (entry?.mtime !== undefined) dir.mtime = new Date(entry.mtime.getTime());
    return;
  }
  if (existing?.kind === 'directory') {
    throw new TypeError(`MemoryVolume seed: "${key}" is both a directory and a file`);
  }
  if (existing !== undefined) tree.detach(parent, name);
  let node: Node;
  if (typeof value === 'string' || value instanceof Uint8Array) {
    node = tree.newFile({}, contentFromBytes(value));
  } else if (entry?.[SEED_KIND] === 'file') {
    node = tree.newFile(attributesOf(entry), contentFromBytes(entry.content));
  } else if (entry?.[SEED_KIND] === 'symlink') {
    node = tree.newSymlink(entry.target, attributesOf(entry));
  } else {
    throw new TypeError(`MemoryVolume seed: "${key}" has an unsupported value`);
  }
  tree.attach(parent, name, node);
}

function applyAttributes(node: Node, attributes: NodeAttributes): void {
  if (attributes.mode !== undefined) node.perm = attributes.mode & 0o7777;
  if (attributes.mtime !== undefined) node.mtime = new Date(attributes.mtime.getTime());
  if (attributes.uid !== undefined) node.uid = attributes.uid;
  if (attributes.gid !== undefined) node.gid = attributes.gid;
  if (attributes.owner !== undefined) node.owner = attributes.owner;
  if (attributes.group !== undefined) node.group = attributes.group;
}
