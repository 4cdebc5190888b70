/**
 * Path confinement: mapping virtual paths into the root and proving, with symlinks followed, that the
 * result stays there (pyftpdlib's `ftp2fs` + `validpath`, reference section 7.2).
 *
 * @module
 */
import { lstat, readlink, realpath } from 'node:fs/promises';
import * as path from 'node:path';
import { errnoError, FilesystemError, PathOutsideRootError } from '@ftpkit/core';

/** Linux's `MAXSYMLINKS`: how many dangling links are followed before giving up with `ELOOP`. */
const MAX_SYMLINK_HOPS = 40;

const SEGMENT_SEPARATOR = path.sep === '\\' ? /[\\/]/ : /\//;

/**
 * Checks a virtual path and splits it into its non-empty segments.
 *
 * Core only hands over normalised absolute paths; this is the second line of defence, so anything else
 * is refused rather than repaired: a relative path or a NUL byte is a {@link FilesystemError}
 * (`EINVAL`), a `..` segment is a {@link PathOutsideRootError}. Empty and `.` segments are dropped.
 *
 * @param virtualPath - The path the client named, as normalised by core.
 * @returns The segments to join below the root (empty for `/`).
 */
export function virtualPathSegments(virtualPath: string): string[] {
  if (typeof virtualPath !== 'string' || !virtualPath.startsWith('/')) {
    throw new FilesystemError('Invalid file name', { code: 'EINVAL' });
  }
  if (virtualPath.includes('\0')) {
    throw new FilesystemError('Invalid file name', { code: 'EINVAL' });
  }
  const segments: string[] = [];
  for (const segment of virtualPath.split(SEGMENT_SEPARATOR)) {
    if (segment === '..') throw new PathOutsideRootError(virtualPath);
    if (segment !== '' && segment !== '.') segments.push(segment);
  }
  return segments;
}

/**
 * True when `realPath` is `realRoot` itself or lies below it. The comparison adds a trailing separator,
 * so `/srv/ftp2` is not inside `/srv/ftp`.
 *
 * @param realPath - A path with every symlink resolved.
 * @param realRoot - The root, with every symlink resolved.
 */
export function isInside(realPath: string, realRoot: string): boolean {
  if (realPath === realRoot) return true;
  const prefix = realRoot.endsWith(path.sep) ? realRoot : realRoot + path.sep;
  return realPath.startsWith(prefix);
}

function hasCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

async function exists(target: string): Promise<boolean> {
  try {
    await lstat(target);
    return true;
  } catch (error) {
    if (hasCode(error, 'ENOENT')) return false;
    throw error;
  }
}

/**
 * Where `target` leads once every symlink is followed, even when it (or a tail of it) does not exist
 * yet: the nearest existing ancestor is realpath'd and the missing tail appended lexically. A dangling
 * symlink is followed through its `readlink` target (relative targets are taken relative to the real
 * directory holding the link, as the kernel does), because creating a file through it would create the
 * link's target.
 *
 * Errors other than "does not exist" (`ELOOP`, `ENOTDIR`, `EACCES`, ...) propagate.
 *
 * @param target - An absolute path.
 * @returns The absolute real path the kernel would reach by creating `target`.
 */
export async function realpathOfPossiblyMissing(target: string): Promise<string> {
  let candidate = target;
  for (let hops = 0; ; hops++) {
    try {
      return await realpath(candidate);
    } catch (error) {
      if (!hasCode(error, 'ENOENT')) throw error;
    }
    // Walk up to the deepest entry that exists (as a link or otherwise); `/` always exists.
    let existing = candidate;
    const tail: string[] = [];
    while (!(await exists(existing))) {
      const parent = path.dirname(existing);
      if (parent === existing) throw errnoError('ENOENT', 'realpath', target);
      tail.unshift(path.basename(existing));
      existing = parent;
    }
    try {
      return path.join(await realpath(existing), ...tail);
    } catch (error) {
      if (!hasCode(error, 'ENOENT')) throw error;
    }
    // `existing` is there but does not resolve: a dangling symlink (or it vanished meanwhile; the next
    // round sorts that out). Follow it by hand.
    if (hops >= MAX_SYMLINK_HOPS) throw errnoError('ELOOP', 'realpath', target);
    let link: string;
    try {
      link = await readlink(existing);
    } catch (error) {
      if (hasCode(error, 'EINVAL') || hasCode(error, 'ENOENT')) continue;
      throw error;
    }
    const directory = await realpath(path.dirname(existing));
    candidate = path.join(path.resolve(directory, link), ...tail);
  }
}

/**
 * Refuses `target` with a {@link PathOutsideRootError} unless, with symlinks followed, it lies inside
 * `realRoot`. Nothing is cached: the filesystem may change between calls.
 *
 * @param target - The lexical path below the root that an operation will use.
 * @param realRoot - The root, with every symlink resolved.
 * @param virtualPath - The client's path, for the error message.
 */
export async function assertInsideRoot(target: string, realRoot: string, virtualPath: string): Promise<void> {
  const real = await realpathOfPossiblyMissing(target);
  if (!isInside(real, realRoot)) throw new PathOutsideRootError(virtualPath);
}
