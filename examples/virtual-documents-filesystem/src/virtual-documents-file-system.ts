/**
 * {@link VirtualDocumentsFileSystem}: a read-only ftpkit filesystem serving a {@link DocumentTree}.
 *
 * @module
 */
import { constants } from 'node:os';
import { Readable, type Writable } from 'node:stream';
import {
  type FileStat,
  type FileSystem,
  type FileSystemFactory,
  FilesystemError,
  type OpenReadOptions,
  PathOutsideRootError,
  S_IFDIR,
  S_IFREG,
} from '@ftpkit/core';
import type { DocumentNode, DocumentTree } from './document-tree.js';

/** Options of a {@link VirtualDocumentsFileSystem}. */
export interface VirtualDocumentsOptions {
  /**
   * How long a rendered document is reused, in ms, so that SIZE and the RETR after it agree and a
   * LIST of many documents does not render each twice. Default 2000; 0 renders on every call.
   */
  readonly cacheMs?: number;
  /** Owner and group names LIST shows. Default `docs`. */
  readonly owner?: string;
}

/** An errno-style error, as Node's fs raises them, so core replies `550 <strerror>.` */
function errno(code: string, path: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`${code}: ${path}`);
  error.code = code;
  error.errno = -((constants.errno as Record<string, number | undefined>)[code] ?? 0);
  error.path = path;
  return error;
}

/**
 * Serves generated documents: every path is a document of the tree or a directory implied by one;
 * there is nothing on disk. Resolved paths are the normalised virtual paths themselves (there are no
 * symlinks, so nothing can lead out of `/`). Every change is refused with `EROFS`
 * (`550 Read-only file system.`). A document whose function throws is reported as `EIO`.
 */
export class VirtualDocumentsFileSystem implements FileSystem {
  readonly root = '/';
  readonly #tree: DocumentTree;
  readonly #cacheMs: number;
  readonly #owner: string;
  readonly #cache = new WeakMap<DocumentNode, { bytes: Buffer; at: number }>();

  constructor(tree: DocumentTree, options: VirtualDocumentsOptions = {}) {
    this.#tree = tree;
    this.#cacheMs = options.cacheMs ?? 2000;
    this.#owner = options.owner ?? 'docs';
  }

  async resolve(virtualPath: string): Promise<string> {
    if (!virtualPath.startsWith('/') || virtualPath.includes('\0')) {
      throw new FilesystemError('Invalid file name', { code: 'EINVAL' });
    }
    const segments = virtualPath.split('/').filter((s) => s !== '' && s !== '.');
    if (segments.includes('..')) throw new PathOutsideRootError(virtualPath);
    return `/${segments.join('/')}`;
  }

  async stat(path: string): Promise<FileStat> {
    const node = this.#node(path);
    const base = { nlink: 1, uid: 0, gid: 0, owner: this.#owner, group: this.#owner, mtime: node.mtime };
    if (node.kind === 'directory') return { ...base, mode: S_IFDIR | 0o555, size: 0 };
    return { ...base, mode: S_IFREG | 0o444, size: (await this.#render(node, path)).length };
  }

  lstat(path: string): Promise<FileStat> {
    return this.stat(path);
  }

  async *readdir(path: string): AsyncGenerator<string, void, undefined> {
    const node = this.#node(path);
    if (node.kind !== 'directory') throw errno('ENOTDIR', path);
    yield* this.#tree.names(path) ?? [];
  }

  async openRead(path: string, options: OpenReadOptions = {}): Promise<Readable> {
    const node = this.#node(path);
    if (node.kind === 'directory') throw errno('EISDIR', path);
    const bytes = await this.#render(node, path);
    const chunkSize = options.highWaterMark ?? 64 * 1024;
    const start = Math.min(options.start ?? 0, bytes.length);
    // A generator pulled by the stream: one chunk per read, so a slow client holds it back.
    return Readable.from(
      (function* () {
        for (let offset = start; offset < bytes.length; offset += chunkSize) {
          yield bytes.subarray(offset, offset + chunkSize);
        }
      })(),
      { objectMode: false, highWaterMark: chunkSize },
    );
  }

  async openWrite(path: string): Promise<Writable> {
    throw errno('EROFS', path);
  }

  async mkdir(path: string): Promise<void> {
    throw errno('EROFS', path);
  }

  async rmdir(path: string): Promise<void> {
    throw errno('EROFS', path);
  }

  async unlink(path: string): Promise<void> {
    throw errno('EROFS', path);
  }

  async rename(from: string): Promise<void> {
    throw errno('EROFS', from);
  }

  /** The node at `path`: ENOENT when missing, ENOTDIR when a parent is a document. */
  #node(path: string) {
    const node = this.#tree.get(path);
    if (node !== undefined) return node;
    for (
      let parent = path.slice(0, path.lastIndexOf('/'));
      parent !== '';
      parent = parent.slice(0, parent.lastIndexOf('/'))
    ) {
      if (this.#tree.get(parent)?.kind === 'document') throw errno('ENOTDIR', path);
    }
    throw errno('ENOENT', path);
  }

  async #render(node: DocumentNode, path: string): Promise<Buffer> {
    const cached = this.#cache.get(node);
    if (cached !== undefined && Date.now() - cached.at < this.#cacheMs) return cached.bytes;
    let value: string | Uint8Array;
    try {
      value = typeof node.source === 'function' ? await node.source() : node.source;
    } catch (cause) {
      throw new FilesystemError(`Document ${path} unavailable`, { code: 'EIO', cause });
    }
    const bytes =
      typeof value === 'string'
        ? Buffer.from(value)
        : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    this.#cache.set(node, { bytes, at: Date.now() });
    return bytes;
  }
}

/** A `FileSystemFactory` giving every session the same documents. */
export function virtualDocumentsFileSystem(
  tree: DocumentTree,
  options: VirtualDocumentsOptions = {},
): FileSystemFactory {
  return () => new VirtualDocumentsFileSystem(tree, options);
}
