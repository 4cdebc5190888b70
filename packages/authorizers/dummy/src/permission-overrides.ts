/**
 * Per-directory permission overrides and the path arithmetic behind them. Everything here is lexical:
 * `hasPerm` runs on every request, so it must never touch the disk.
 */

import * as path from 'node:path';

/** One `overridePerm` entry: the permission letters that apply in `directory` instead of the global ones. */
export interface PermissionOverride {
  /** The directory's real path, as given to `overridePerm` once resolved. */
  readonly directory: string;
  /** The permission letters granted there, e.g. `elr`. */
  readonly perm: string;
  /** True when the override covers the whole subtree, not just the directory and its entries. */
  readonly recursive: boolean;
}

interface StoredOverride extends PermissionOverride {
  /** `directory` normalised for comparison (see {@link normcase}). */
  readonly key: string;
}

/**
 * A path normalised for comparison, like Python's `os.path.normcase`: unchanged on POSIX; lower-cased
 * with `/` turned into `\` on Windows, whose filesystems compare names case-insensitively.
 */
export function normcase(p: string): string {
  return path.sep === '\\' ? p.replaceAll('/', '\\').toLowerCase() : p;
}

/**
 * True when `child` is `parent` or lies below it. Compares whole path segments, so `/home/user2` is not
 * inside `/home/user`. Both paths must already be normalised the same way (absolute, {@link normcase}d,
 * no trailing separator except for a root).
 */
export function isSubpath(child: string, parent: string): boolean {
  if (child === parent) return true;
  const prefix = parent.endsWith(path.sep) ? parent : parent + path.sep;
  return child.startsWith(prefix);
}

/**
 * The overrides of one user, kept ordered from the deepest directory to the shallowest so that the most
 * specific override containing a path is the first one found.
 */
export class PermissionOverrides {
  #ordered: StoredOverride[] = [];

  /**
   * Sets the override for `directory` (an absolute real path), replacing any earlier one for the same
   * directory.
   */
  set(directory: string, perm: string, recursive: boolean): void {
    const key = normcase(path.resolve(directory));
    const entry: StoredOverride = { directory, perm, recursive, key };
    const rest = this.#ordered.filter((other) => other.key !== key);
    rest.push(entry);
    // Among directories that all contain one path, the longest is the deepest.
    rest.sort((a, b) => b.key.length - a.key.length);
    this.#ordered = rest;
  }

  /**
   * The override that decides for `target`, or undefined when none covers it (the global permissions
   * apply then). `target` must be an absolute path; a relative one matches nothing.
   *
   * Coverage rules:
   * - a recursive override covers its directory and everything below it;
   * - a non-recursive override covers its directory and the entries directly inside it (`dir/x`,
   *   whether `x` is a file or a directory), but nothing deeper (`dir/sub/y` is not covered).
   *
   * When several overrides cover `target`, the deepest (most specific) directory wins, whatever the
   * order in which they were added.
   */
  find(target: string): PermissionOverride | undefined {
    if (this.#ordered.length === 0 || !path.isAbsolute(target)) return undefined;
    const key = normcase(path.resolve(target));
    for (const entry of this.#ordered) {
      if (!isSubpath(key, entry.key)) continue;
      if (entry.recursive || key === entry.key || path.dirname(key) === entry.key) return entry;
    }
    return undefined;
  }

  /** The number of overrides. */
  get size(): number {
    return this.#ordered.length;
  }

  /** The overrides, deepest directory first. */
  *[Symbol.iterator](): IterableIterator<PermissionOverride> {
    for (const { directory, perm, recursive } of this.#ordered) yield { directory, perm, recursive };
  }
}
