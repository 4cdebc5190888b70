/**
 * Stats for listings: Node's `Stats` turned into core's `FileStat`, and the batched `lstatEntries`
 * that LIST and MLSD use.
 *
 * @module
 */
import { closeSync, constants, lstatSync, openSync, type Stats } from 'node:fs';
import { lstat } from 'node:fs/promises';
import type { FileStat } from '@ftpkit/core';
import { type EntryStatx, loadEntryStatx } from './statx.js';
import { cachedGroupName, cachedUserName, refreshNames } from './user-names.js';

/**
 * Entries stat'ed in one synchronous slice at most. A cached `lstat(2)` costs a few microseconds, so a
 * slice holds the event loop for about a millisecond.
 */
export const SLICE_ENTRIES = 256;

/** A slice also ends once it has run this long, in milliseconds, whatever the count. */
export const SLICE_MS = 4;

/**
 * A slice that ran out of time before this many entries (at least 60 µs each, some twenty times a
 * cached `lstat`) means that `lstat` waits for a device: a cold cache on a spinning disk, a network
 * filesystem. Two such slices in a row send the rest of the call through the thread pool, where the
 * waiting does not hold the event loop and entries are stat'ed concurrently. One alone is more likely
 * the process being preempted on a busy machine, which the thread pool would not help.
 */
export const SLOW_SLICE_ENTRIES = 64;

/**
 * The `FileStat` of a Node `Stats`, owner and group named from the cached `/etc/passwd` and
 * `/etc/group` tables (call {@link refreshNames} first). One object of a single shape per entry.
 */
export function fileStatOf(stats: Stats): FileStat {
  return {
    mode: stats.mode,
    size: stats.size,
    mtime: stats.mtime,
    nlink: stats.nlink,
    uid: stats.uid,
    gid: stats.gid,
    dev: stats.dev,
    ino: stats.ino,
    owner: cachedUserName(stats.uid),
    group: cachedGroupName(stats.gid),
  };
}

function now(): number {
  return performance.now();
}

/** Lets the event loop run (other sessions' commands, timers) before the next slice or array. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A name that `readdir` could have given: anything else would stat another path than `dir`'s entry. */
function isEntryName(name: string): boolean {
  return (
    name.length > 0 && name !== '.' && name !== '..' && name.indexOf('/') === -1 && name.indexOf('\0') === -1
  );
}

/** `lstatSync` options: undefined rather than an exception for a missing entry. Made once. */
const LSTAT_OPTIONS = { bigint: false, throwIfNoEntry: false } as const;

function lstatOneSync(path: string): FileStat | undefined {
  try {
    const stats = lstatSync(path, LSTAT_OPTIONS);
    return stats === undefined ? undefined : fileStatOf(stats);
  } catch {
    return undefined;
  }
}

async function lstatOne(path: string): Promise<FileStat | undefined> {
  try {
    return fileStatOf(await lstat(path));
  } catch {
    return undefined;
  }
}

/**
 * Stats `names[from..end)` synchronously into `stats`, stopping early once the slice has run
 * {@link SLICE_MS}; returns the index it stopped at. A plain function rather than a loop inside the
 * async one, so that V8 optimizes it within the first listing.
 */
function statSlice(
  dir: OpenDirectory,
  names: readonly string[],
  stats: Array<FileStat | undefined>,
  from: number,
  end: number,
  clock: () => number,
): number {
  const started = clock();
  const { prefix, statx, fd } = dir;
  let i = from;
  while (i < end) {
    const name = names[i] as string;
    if (!isEntryName(name)) stats[i] = undefined;
    else if (fd === undefined) stats[i] = lstatOneSync(prefix + name);
    else stats[i] = statx!.stat(fd, name) ?? lstatOneSync(prefix + name);
    i++;
    if (clock() - started >= SLICE_MS) break;
  }
  return i;
}

/** The directory being listed: its path with a trailing slash, and, with `statx`, an open descriptor. */
interface OpenDirectory {
  readonly prefix: string;
  readonly statx: EntryStatx | undefined;
  readonly fd: number | undefined;
}

/** Opens `dir` for `statx` relative to it; without the binding (or when the open fails) there is no fd. */
async function openDirectory(dir: string): Promise<OpenDirectory> {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  const statx = await loadEntryStatx();
  let fd: number | undefined;
  if (statx !== undefined) {
    try {
      fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    } catch {
      fd = undefined;
    }
  }
  return { prefix, statx, fd };
}

/**
 * `lstat` of each of `names` in the directory `dir`, in order; undefined for an entry that cannot be
 * stat'ed (vanished, or not an entry name).
 *
 * Why synchronous: a promise-based `lstat` per entry costs far more than the system call itself (a
 * thread-pool round trip, a promise and a callback per entry); LIST of 10,000 files spent most of its
 * time there. On Linux each entry is stat'ed with `statx(2)` relative to the directory, opened once
 * per call (see `statx.ts`; `lstatSync` of the full path elsewhere, or for an entry `statx` cannot
 * give). Slices of at most {@link SLICE_ENTRIES} entries or {@link SLICE_MS} ms,
 * with the event loop let run between slices, keeps every other session served. When a slice shows
 * that `lstat` waits for a device (see {@link SLOW_SLICE_ENTRIES}), the rest goes to the thread pool.
 *
 * @param dir - A resolved directory path.
 * @param names - Entry names.
 * @param clock - Milliseconds, for the slice budget; tests pass a fake one.
 */
export async function lstatEntries(
  dir: string,
  names: readonly string[],
  clock: () => number = now,
): Promise<Array<FileStat | undefined>> {
  const refreshing = refreshNames();
  if (refreshing !== undefined) await refreshing;
  const directory = await openDirectory(dir);
  const prefix = directory.prefix;
  const stats = new Array<FileStat | undefined>(names.length);
  let i = 0;
  let slowSlices = 0;
  try {
    while (i < names.length) {
      if (i > 0) await yieldToEventLoop();
      const first = i;
      const end = Math.min(names.length, i + SLICE_ENTRIES);
      i = statSlice(directory, names, stats, i, end, clock);
      slowSlices = i < end && i - first < SLOW_SLICE_ENTRIES ? slowSlices + 1 : 0;
      if (slowSlices >= 2) {
        for (; i < names.length; i += SLICE_ENTRIES) {
          const slice = names.slice(i, i + SLICE_ENTRIES);
          const done = await Promise.all(
            slice.map((name) => (isEntryName(name) ? lstatOne(prefix + name) : undefined)),
          );
          for (let j = 0; j < done.length; j++) stats[i + j] = done[j];
        }
      }
    }
  } finally {
    if (directory.fd !== undefined) closeSync(directory.fd);
  }
  return stats;
}
