/**
 * {@link DocumentTree}: named documents whose bytes come from values or functions.
 *
 * @module
 */
import { posix } from 'node:path';

/** Where a document's bytes come from: fixed bytes, or a function called when the document is read. */
export type DocumentSource = string | Uint8Array | (() => string | Uint8Array | Promise<string | Uint8Array>);

/** Options of {@link DocumentTree.add}. */
export interface DocumentOptions {
  /** The modification time LIST and MDTM show. Default: when the document was added. */
  readonly mtime?: Date;
}

/** A document in the tree. */
export interface DocumentNode {
  readonly source: DocumentSource;
  readonly mtime: Date;
}

/** A directory or a document. */
export type TreeNode =
  | { readonly kind: 'directory'; readonly mtime: Date }
  | ({ readonly kind: 'document' } & DocumentNode);

/** A normalised absolute path (`/a/b`), or a TypeError for anything with `..`, NUL or empty names. */
export function documentPath(path: string): string {
  const normal = posix.normalize(`/${path}`).replace(/\/+$/, '') || '/';
  if (path.includes('\0') || path.split('/').includes('..'))
    throw new TypeError(`invalid document path "${path}"`);
  return normal;
}

/**
 * The documents a `VirtualDocumentsFileSystem` serves, by path. Directories are implied by the
 * documents' paths (or added empty with {@link addDirectory}). The tree can change while sessions
 * use it: a document added now is listed by the next LIST.
 *
 * @example
 * ```ts
 * const docs = new DocumentTree()
 *   .add('/README.txt', 'Reports are regenerated on every download.\n')
 *   .add('/reports/status.json', async () => JSON.stringify(await collectStatus()));
 * ```
 */
export class DocumentTree {
  readonly #nodes = new Map<string, TreeNode>([['/', { kind: 'directory', mtime: new Date() }]]);
  readonly #children = new Map<string, Set<string>>([['/', new Set()]]);

  /**
   * Adds (or replaces) a document, creating its parent directories.
   *
   * @throws TypeError when a parent is a document, or `path` is a directory.
   */
  add(path: string, source: DocumentSource, options: DocumentOptions = {}): this {
    const normal = documentPath(path);
    if (normal === '/' || this.#nodes.get(normal)?.kind === 'directory') {
      throw new TypeError(`"${normal}" is a directory`);
    }
    this.#ensureDirectory(posix.dirname(normal));
    this.#nodes.set(normal, { kind: 'document', source, mtime: options.mtime ?? new Date() });
    this.#children.get(posix.dirname(normal))!.add(posix.basename(normal));
    return this;
  }

  /** Adds a directory (and its parents); an existing directory is fine. */
  addDirectory(path: string): this {
    this.#ensureDirectory(documentPath(path));
    return this;
  }

  /** Removes a document or an empty directory; true when something was removed. */
  remove(path: string): boolean {
    const normal = documentPath(path);
    const node = this.#nodes.get(normal);
    if (node === undefined || normal === '/') return false;
    if (node.kind === 'directory' && (this.#children.get(normal)?.size ?? 0) > 0) return false;
    this.#nodes.delete(normal);
    this.#children.delete(normal);
    this.#children.get(posix.dirname(normal))?.delete(posix.basename(normal));
    return true;
  }

  /** The node at a normalised path. */
  get(path: string): TreeNode | undefined {
    return this.#nodes.get(path);
  }

  /** The names in a directory (a copy), or undefined when `path` is not a directory. */
  names(path: string): string[] | undefined {
    const children = this.#children.get(path);
    return children === undefined ? undefined : [...children];
  }

  #ensureDirectory(path: string): void {
    const existing = this.#nodes.get(path);
    if (existing?.kind === 'directory') return;
    if (existing?.kind === 'document') throw new TypeError(`"${path}" is a document, not a directory`);
    this.#ensureDirectory(posix.dirname(path));
    this.#nodes.set(path, { kind: 'directory', mtime: new Date() });
    this.#children.set(path, new Set());
    this.#children.get(posix.dirname(path))!.add(posix.basename(path));
  }
}
