/**
 * The tree behind a {@link MemoryVolume}: nodes, path walking with symlinks, POSIX operations and the
 * quota accounting. Everything is synchronous and O(path length) or O(directory size); the async
 * `FileSystem` methods are thin wrappers around it.
 *
 * @module
 */
import { errnoError, type FileStat, S_IFDIR, S_IFLNK, S_IFREG } from '@ftpkit/core';
import { type Content, EMPTY_CONTENT } from './content.js';

/** Linux's `MAXSYMLINKS`. */
const MAX_SYMLINK_HOPS = 40;

/** Who owns a node. */
export interface Ownership {
  readonly uid: number;
  readonly gid: number;
  readonly owner: string | undefined;
  readonly group: string | undefined;
}

interface BaseNode {
  readonly ino: number;
  /** Permission bits (`0o7777` at most). */
  perm: number;
  mtime: Date;
  atime: Date;
  uid: number;
  gid: number;
  owner: string | undefined;
  group: string | undefined;
  /** False once removed from the tree (a writer may still hold it). */
  linked: boolean;
}

/** A regular file. */
export interface FileNode extends BaseNode {
  readonly kind: 'file';
  content: Content;
}

/** A directory. */
export interface DirectoryNode extends BaseNode {
  readonly kind: 'directory';
  readonly children: Map<string, Node>;
  /** Number of child directories, for `nlink`. */
  subdirectories: number;
}

/** A symbolic link. */
export interface SymlinkNode extends BaseNode {
  readonly kind: 'symlink';
  readonly target: string;
}

/** Any node. */
export type Node = FileNode | DirectoryNode | SymlinkNode;

/** Where a path leads. */
export interface Location {
  /** The node there, or undefined when the final name does not exist (its parent does). */
  readonly node: Node | undefined;
  /** The directory holding the final name; undefined for the volume root. */
  readonly parent: DirectoryNode | undefined;
  /** The final name ('' for the volume root). */
  readonly name: string;
  /** The canonical path, symlinks followed (the final one only when asked to). */
  readonly path: string;
}

/** Attributes given when a node is made. */
export interface NewNodeAttributes {
  readonly perm?: number | undefined;
  readonly mtime?: Date | undefined;
  readonly uid?: number | undefined;
  readonly gid?: number | undefined;
  readonly owner?: string | undefined;
  readonly group?: string | undefined;
}

/** Settings of a tree. */
export interface TreeSettings {
  readonly quota: number | undefined;
  readonly fileMode: number;
  readonly directoryMode: number;
  readonly ownership: Ownership;
  readonly now: () => Date;
  readonly dev: number;
}

/** The segments of a `/`-separated path, without empty and `.` segments (`..` is kept). */
export function splitPath(path: string): string[] {
  return path.split('/').filter((segment) => segment !== '' && segment !== '.');
}

/** The absolute path of `segments`, with `..` applied lexically (never above `/`). */
export function joinLexical(segments: readonly string[]): string {
  const out: string[] = [];
  for (const segment of segments) {
    if (segment === '..') out.pop();
    else if (segment !== '' && segment !== '.') out.push(segment);
  }
  return `/${out.join('/')}`;
}

function childPathOf(parentSegments: readonly string[], name: string): string {
  return parentSegments.length === 0 ? `/${name}` : `/${parentSegments.join('/')}/${name}`;
}

/** True when `path` is `ancestor` or lies below it (both canonical absolute paths). */
export function isWithin(path: string, ancestor: string): boolean {
  if (ancestor === '/') return true;
  return path === ancestor || path.startsWith(`${ancestor}/`);
}

export class Tree {
  readonly root: DirectoryNode;
  readonly settings: TreeSettings;
  /** Bytes held by files in the tree. */
  used = 0;
  /** Bytes promised to uploads in progress. */
  reserved = 0;
  #nextIno = 1;

  constructor(settings: TreeSettings) {
    this.settings = settings;
    this.root = this.newDirectory({});
    this.root.linked = true;
  }

  // ---- nodes ---------------------------------------------------------------------------------

  #base(attributes: NewNodeAttributes, perm: number) {
    const now = attributes.mtime ?? this.settings.now();
    const own = this.settings.ownership;
    return {
      ino: this.#nextIno++,
      perm: (attributes.perm ?? perm) & 0o7777,
      mtime: new Date(now.getTime()),
      atime: new Date(now.getTime()),
      uid: attributes.uid ?? own.uid,
      gid: attributes.gid ?? own.gid,
      owner: attributes.owner ?? own.owner,
      group: attributes.group ?? own.group,
      linked: false,
    };
  }

  newFile(attributes: NewNodeAttributes, content: Content = EMPTY_CONTENT): FileNode {
    return { ...this.#base(attributes, this.settings.fileMode), kind: 'file', content };
  }

  newDirectory(attributes: NewNodeAttributes): DirectoryNode {
    return {
      ...this.#base(attributes, this.settings.directoryMode),
      kind: 'directory',
      children: new Map(),
      subdirectories: 0,
    };
  }

  newSymlink(target: string, attributes: NewNodeAttributes): SymlinkNode {
    if (target === '' || target.includes('\0')) throw errnoError('EINVAL', 'symlink', target);
    return { ...this.#base(attributes, 0o777), kind: 'symlink', target };
  }

  /** Puts `node` into `parent` under `name` (which must be free). */
  attach(parent: DirectoryNode, name: string, node: Node): void {
    parent.children.set(name, node);
    if (node.kind === 'directory') parent.subdirectories++;
    this.#setLinked(node, true);
    this.touch(parent);
  }

  /** Takes `name` out of `parent`; files below it stop counting against the quota. */
  detach(parent: DirectoryNode, name: string): Node | undefined {
    const node = parent.children.get(name);
    if (node === undefined) return undefined;
    parent.children.delete(name);
    if (node.kind === 'directory') parent.subdirectories--;
    this.#setLinked(node, false);
    this.touch(parent);
    return node;
  }

  #setLinked(node: Node, linked: boolean): void {
    if (node.linked === linked) return;
    node.linked = linked;
    if (node.kind === 'file') this.used += linked ? node.content.size : -node.content.size;
    if (node.kind === 'directory') for (const child of node.children.values()) this.#setLinked(child, linked);
  }

  /** Replaces a file's bytes, keeping the quota count right. */
  setContent(file: FileNode, content: Content, mtime = this.settings.now()): void {
    if (file.linked) this.used += content.size - file.content.size;
    file.content = content;
    file.mtime = new Date(mtime.getTime());
  }

  /** Sets a node's modification time to now. */
  touch(node: Node): void {
    node.mtime = this.settings.now();
  }

  // ---- paths ---------------------------------------------------------------------------------

  /**
   * Walks `path` from the root. Symlinks in the middle are always followed; the final one only with
   * `follow`. A missing final name is fine (`node` is undefined); a missing or non-directory
   * intermediate is `ENOENT`/`ENOTDIR`; more than 40 links is `ELOOP`.
   */
  locate(path: string, follow: boolean, syscall: string): Location {
    const result = this.#walk(path, follow, syscall, false);
    if (result === undefined) throw errnoError('ENOENT', syscall, path);
    return result;
  }

  /** {@link locate} for a node that must exist. */
  get(path: string, follow: boolean, syscall: string): Location & { readonly node: Node } {
    const location = this.locate(path, follow, syscall);
    if (location.node === undefined) throw errnoError('ENOENT', syscall, path);
    return location as Location & { readonly node: Node };
  }

  /**
   * The canonical path `path` leads to, every symlink followed, even when a tail of it does not exist
   * (the missing part is appended lexically). Errors other than "missing" (`ENOTDIR`, `ELOOP`) propagate.
   */
  realPath(path: string): string {
    const result = this.#walk(path, true, 'realpath', true);
    return result === undefined ? '/' : result.path;
  }

  #walk(path: string, follow: boolean, syscall: string, tolerant: boolean): Location | undefined {
    let pending = splitPath(path);
    let stack: DirectoryNode[] = [this.root];
    let names: string[] = [];
    let hops = 0;
    while (pending.length > 0) {
      const name = pending.shift()!;
      if (name === '..') {
        if (stack.length > 1) {
          stack.pop();
          names.pop();
        }
        continue;
      }
      const dir = stack[stack.length - 1]!;
      const child = dir.children.get(name);
      const last = pending.length === 0;
      if (child === undefined) {
        if (last) return { node: undefined, parent: dir, name, path: childPathOf(names, name) };
        if (tolerant) {
          return {
            node: undefined,
            parent: undefined,
            name,
            path: joinLexical([...names, name, ...pending]),
          };
        }
        return undefined;
      }
      if (child.kind === 'symlink' && (!last || follow)) {
        hops++;
        if (hops > MAX_SYMLINK_HOPS) throw errnoError('ELOOP', syscall, path);
        if (child.target.startsWith('/')) {
          stack = [this.root];
          names = [];
        }
        pending = [...splitPath(child.target), ...pending];
        continue;
      }
      if (last) return { node: child, parent: dir, name, path: childPathOf(names, name) };
      if (child.kind !== 'directory') throw errnoError('ENOTDIR', syscall, path);
      stack.push(child);
      names.push(name);
    }
    return {
      node: stack[stack.length - 1]!,
      parent: stack[stack.length - 2],
      name: names[names.length - 1] ?? '',
      path: `/${names.join('/')}`,
    };
  }

  // ---- operations ----------------------------------------------------------------------------

  /** Creates one directory; its parent must exist. */
  mkdir(path: string, attributes: NewNodeAttributes): DirectoryNode {
    const location = this.locate(path, false, 'mkdir');
    if (location.node !== undefined) throw errnoError('EEXIST', 'mkdir', path);
    const dir = this.newDirectory(attributes);
    this.attach(location.parent!, location.name, dir);
    return dir;
  }

  /** Creates a directory and any missing parents; an existing directory is fine. */
  mkdirp(path: string, attributes: NewNodeAttributes): DirectoryNode {
    let current = this.root;
    let walked = '';
    for (const name of splitPath(path)) {
      walked = `${walked}/${name}`;
      const location = this.locate(walked, true, 'mkdir');
      if (location.node === undefined) {
        const dir = this.newDirectory(attributes);
        this.attach(location.parent!, location.name, dir);
        current = dir;
      } else if (location.node.kind === 'directory') {
        current = location.node;
      } else {
        throw errnoError(location.node.kind === 'file' ? 'ENOTDIR' : 'EEXIST', 'mkdir', walked);
      }
    }
    return current;
  }

  /** Removes an empty directory. */
  rmdir(path: string): void {
    const location = this.get(path, false, 'rmdir');
    const node = location.node;
    if (node.kind !== 'directory') throw errnoError('ENOTDIR', 'rmdir', path);
    if (location.parent === undefined) throw errnoError('EBUSY', 'rmdir', path);
    if (node.children.size > 0) throw errnoError('ENOTEMPTY', 'rmdir', path);
    this.detach(location.parent, location.name);
  }

  /** Removes a file or a symlink (never a link's target). */
  unlink(path: string): void {
    const location = this.get(path, false, 'unlink');
    if (location.node.kind === 'directory') throw errnoError('EISDIR', 'unlink', path);
    this.detach(location.parent!, location.name);
  }

  /**
   * `rename(2)`: moves `from` to `to`, replacing a file there, or an empty directory when `from` is a
   * directory. A directory cannot move into itself (`EINVAL`), onto a file (`ENOTDIR`) or onto a
   * non-empty directory (`ENOTEMPTY`); a file cannot replace a directory (`EISDIR`).
   */
  rename(from: string, to: string): void {
    const source = this.get(from, false, 'rename');
    if (source.parent === undefined) throw errnoError('EBUSY', 'rename', from);
    const target = this.locate(to, false, 'rename');
    const node = source.node;
    if (target.node === node) return;
    if (target.parent === undefined) throw errnoError('EBUSY', 'rename', to);
    if (node.kind === 'directory' && isWithin(target.path, source.path)) {
      throw errnoError('EINVAL', 'rename', to);
    }
    const existing = target.node;
    if (existing !== undefined) {
      if (node.kind === 'directory') {
        if (existing.kind !== 'directory') throw errnoError('ENOTDIR', 'rename', to);
        if (existing.children.size > 0) throw errnoError('ENOTEMPTY', 'rename', to);
      } else if (existing.kind === 'directory') {
        throw errnoError('EISDIR', 'rename', to);
      }
      this.detach(target.parent, target.name);
    }
    // Moving keeps the node linked: detach + attach would count its bytes out and in again.
    source.parent.children.delete(source.name);
    if (node.kind === 'directory') source.parent.subdirectories--;
    this.touch(source.parent);
    target.parent.children.set(target.name, node);
    if (node.kind === 'directory') target.parent.subdirectories++;
    this.touch(target.parent);
  }

  /** The {@link FileStat} of a node. */
  stat(node: Node): FileStat {
    const type = node.kind === 'file' ? S_IFREG : node.kind === 'directory' ? S_IFDIR : S_IFLNK;
    const size =
      node.kind === 'file' ? node.content.size : node.kind === 'symlink' ? Buffer.byteLength(node.target) : 0;
    return {
      mode: type | node.perm,
      size,
      mtime: new Date(node.mtime.getTime()),
      nlink: node.kind === 'directory' ? 2 + node.subdirectories : 1,
      uid: node.uid,
      gid: node.gid,
      dev: this.settings.dev,
      ino: node.ino,
      ...(node.owner === undefined ? {} : { owner: node.owner }),
      ...(node.group === undefined ? {} : { group: node.group }),
    };
  }

  /** Checks that `bytes` more can be promised to an upload, and promises them. */
  reserve(bytes: number): boolean {
    const quota = this.settings.quota;
    if (bytes > 0 && quota !== undefined && this.used + this.reserved + bytes > quota) return false;
    this.reserved += bytes;
    return true;
  }
}
