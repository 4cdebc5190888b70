/**
 * `statx(2)` relative to an open directory, for listings: one path component to resolve per entry
 * instead of the whole path, and no `Stats` object with four `Date`s per entry, only the fields a
 * `FileStat` holds. Reached through koffi (prebuilt, no install script), loaded on the first listing;
 * where it cannot load (not Linux, a libc without `statx`), listings use `lstatSync` instead.
 *
 * Measured on 10,000 entries of a cached directory: about 30 ms against 55 ms for `lstatSync` of each
 * full path, before counting the `Stats` objects that no longer need collecting.
 *
 * @module
 */
import type { FileStat } from '@ftpkit/core';
import { cachedGroupName, cachedUserName } from './user-names.js';

/** `statx` of one entry of a directory, into a reused buffer. */
export interface EntryStatx {
  /**
   * The `FileStat` of `name` in the directory open as `dirFd` (symlinks not followed), or undefined
   * when `statx` cannot give it (the entry vanished since `readdir`, a filesystem without some
   * field, ...): the caller then asks `lstat`, which decides.
   */
  stat(dirFd: number, name: string): FileStat | undefined;
}

/** `AT_SYMLINK_NOFOLLOW`: stat a symlink itself, as `lstat` does. */
const AT_SYMLINK_NOFOLLOW = 0x100;
/** `STATX_BASIC_STATS`: every field of a classic `struct stat`. */
const STATX_BASIC_STATS = 0x7ff;
/** Bits of `stx_mask` that must be set for the fields read here: type, mode, nlink, uid, gid, mtime, ino, size. */
const NEEDED = 0x1 | 0x2 | 0x4 | 0x8 | 0x10 | 0x40 | 0x100 | 0x200;
/** `sizeof(struct statx)`: fixed on every architecture. */
const STATX_SIZE = 256;
const TWO_32 = 4294967296;

let loading: Promise<EntryStatx | undefined> | undefined;

/** The binding, loaded once per process (undefined, for good, when it cannot be). */
export function loadEntryStatx(): Promise<EntryStatx | undefined> {
  loading ??= bind();
  return loading;
}

async function bind(): Promise<EntryStatx | undefined> {
  if (process.platform !== 'linux') return undefined;
  try {
    const koffi = (await import('koffi')).default;
    const libc = koffi.load(null);
    const call = libc.func('int statx(int dirfd, const char *path, int flags, unsigned int mask, void *buf)');
    const buffer = Buffer.alloc(STATX_SIZE);
    const statx = (dirFd: number, name: string): number =>
      call(dirFd, name, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, buffer) as number;
    return {
      stat(dirFd, name) {
        if (statx(dirFd, name) !== 0) return undefined;
        if ((buffer.readUInt32LE(0) & NEEDED) !== NEEDED) return undefined;
        return fileStatOfStatx(buffer);
      },
    };
  } catch {
    return undefined;
  }
}

/** An unsigned 64-bit field as a number (exact below 2^53, as Node's `Stats` numbers are). */
function u64(buffer: Buffer, offset: number): number {
  return buffer.readUInt32LE(offset) + buffer.readUInt32LE(offset + 4) * TWO_32;
}

/**
 * glibc's `makedev`, which is how libuv (and so Node's `Stats.dev`) combines the two halves of a
 * device number: MLSx `unique` facts then match whether an entry came from a listing or from `lstat`.
 */
function makedev(major: number, minor: number): number {
  return (major & 0xfff) * 0x100 + (minor & 0xff) + (minor >>> 8) * 0x100000 + (major >>> 12) * 2 ** 44;
}

/**
 * The `FileStat` in a `struct statx`, built as fs-local's `fileStatOf` builds one from `Stats` (same
 * fields, same shape, `mtime` rounded to the millisecond as Node rounds it).
 */
export function fileStatOfStatx(buffer: Buffer): FileStat {
  const uid = buffer.readUInt32LE(20);
  const gid = buffer.readUInt32LE(24);
  const seconds = buffer.readUInt32LE(112) + buffer.readInt32LE(116) * TWO_32;
  const mtimeMs = seconds * 1e3 + buffer.readUInt32LE(120) / 1e6;
  return {
    mode: buffer.readUInt16LE(28),
    size: u64(buffer, 40),
    mtime: new Date(Math.round(mtimeMs)),
    nlink: buffer.readUInt32LE(16),
    uid,
    gid,
    dev: makedev(buffer.readUInt32LE(136), buffer.readUInt32LE(140)),
    ino: u64(buffer, 32),
    owner: cachedUserName(uid),
    group: cachedGroupName(gid),
  };
}
