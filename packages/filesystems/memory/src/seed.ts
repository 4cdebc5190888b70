/**
 * The seed format: a plain object describing files, directories and symlinks.
 *
 * ```ts
 * new MemoryVolume({
 *   'docs/a.txt': 'hello',                    // a file; parent directories are created
 *   'empty/': {},                             // a trailing slash (or any plain object) is a directory
 *   pub: { 'readme.md': 'read me', img: {} }, // nested form: an object is a directory of its keys
 *   'bin/run.sh': fileEntry('#!/bin/sh\n', { mode: 0o755 }),
 *   latest: symlinkEntry('docs/a.txt'),
 * });
 * ```
 *
 * @module
 */

/** The brand that tells an entry made by {@link fileEntry} & co. from a nested directory object. */
export const SEED_KIND: unique symbol = Symbol.for('ftpkit.fs-memory.seed-kind');

/** Attributes any node can be given. Unset ones come from the volume's defaults. */
export interface NodeAttributes {
  /** Permission bits, e.g. `0o644` (the file type bits are added by the volume). */
  readonly mode?: number;
  /** Modification time. Default: now. */
  readonly mtime?: Date;
  /** Numeric owner id. */
  readonly uid?: number;
  /** Numeric group id. */
  readonly gid?: number;
  /** Owner name shown by LIST. */
  readonly owner?: string;
  /** Group name shown by LIST. */
  readonly group?: string;
}

/** A file with attributes, made by {@link fileEntry}. */
export interface FileEntry extends NodeAttributes {
  readonly [SEED_KIND]: 'file';
  /** The bytes (a string is UTF-8). */
  readonly content: string | Uint8Array;
}

/** A directory with attributes, made by {@link directoryEntry}. */
export interface DirectoryEntry extends NodeAttributes {
  readonly [SEED_KIND]: 'directory';
  /** The directory's contents, in the seed format. */
  readonly children: SeedTree;
}

/** A symbolic link, made by {@link symlinkEntry}. */
export interface SymlinkEntry extends NodeAttributes {
  readonly [SEED_KIND]: 'symlink';
  /** The link's target: absolute (from the volume root) or relative to the link's directory. */
  readonly target: string;
}

/** An entry with explicit kind and attributes. */
export type SeedEntry = FileEntry | DirectoryEntry | SymlinkEntry;

/**
 * What a seed key maps to: file content (string or bytes), an explicit entry, or a nested directory
 * (a plain object).
 */
export type SeedValue = string | Uint8Array | SeedEntry | SeedTree;

/**
 * A directory's contents. Keys are names or `/`-separated relative paths (`docs/a.txt`); a key ending
 * in `/` must map to a directory. Parent directories are created as needed, and directories given
 * twice (`'a/': {}` and `'a/b': 'x'`) are merged; a file or link given twice is an error.
 */
export interface SeedTree {
  readonly [path: string]: SeedValue;
}

/** A file with attributes: `fileEntry('#!/bin/sh', { mode: 0o755 })`. */
export function fileEntry(content: string | Uint8Array, attributes: NodeAttributes = {}): FileEntry {
  return { ...attributes, [SEED_KIND]: 'file', content };
}

/** A directory with attributes: `directoryEntry({ 'a.txt': 'x' }, { mode: 0o700 })`. */
export function directoryEntry(children: SeedTree = {}, attributes: NodeAttributes = {}): DirectoryEntry {
  return { ...attributes, [SEED_KIND]: 'directory', children };
}

/** A symbolic link: `symlinkEntry('../shared/logo.png')`. */
export function symlinkEntry(target: string, attributes: NodeAttributes = {}): SymlinkEntry {
  return { ...attributes, [SEED_KIND]: 'symlink', target };
}

/** True for an entry made by {@link fileEntry}, {@link directoryEntry} or {@link symlinkEntry}. */
export function isSeedEntry(value: unknown): value is SeedEntry {
  return typeof value === 'object' && value !== null && SEED_KIND in value;
}

/** True for a nested directory object (a plain object that is not an entry or bytes). */
export function isSeedTree(value: unknown): value is SeedTree {
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array || isSeedEntry(value)) {
    return false;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
