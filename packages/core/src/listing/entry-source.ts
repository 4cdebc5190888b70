/**
 * The names and stats of a directory's entries as listings consume them: in batches, through the
 * filesystem's optional `readdirBatches` and `lstatEntries` when it has them, through `readdir` and
 * one `lstat` per entry when it does not.
 *
 * @module
 */
import type { FileStat, FileSystem } from '../filesystem.js';

/**
 * Entries per batch while a listing streams: one `lstatEntries` call (or that many concurrent `lstat`s)
 * and one chunk written to the data connection. A few hundred keeps the per-batch costs (a chunk, a
 * write, a turn of the event loop) small next to the per-entry ones, and the time spent per turn short.
 */
export const BATCH = 256;

/** The resolved path of `name` inside the resolved directory `dir`. */
export function childPath(dir: string, name: string): string {
  return dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`;
}

/**
 * Lets the event loop run (other sessions' commands, timers) before the next batch. Without it, a
 * listing whose chunks the data socket accepts at once chains batch after batch in microtasks and holds
 * the loop for the whole directory, the more so with a filesystem that works synchronously.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The names of `dir` in arrays of at most {@link BATCH}. */
export async function* nameBatches(fs: FileSystem, dir: string): AsyncGenerator<readonly string[]> {
  if (fs.readdirBatches !== undefined) {
    for await (const names of fs.readdirBatches(dir)) {
      if (names.length <= BATCH) {
        if (names.length > 0) yield names;
        continue;
      }
      for (let i = 0; i < names.length; i += BATCH) yield names.slice(i, i + BATCH);
    }
    return;
  }
  let batch: string[] = [];
  for await (const name of fs.readdir(dir)) {
    batch.push(name);
    if (batch.length >= BATCH) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/** Every name of `dir`, sorted (LIST and NLST; RFC 959 recommends sorted listings, as pyftpdlib does). */
export async function sortedNames(fs: FileSystem, dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const batch of nameBatches(fs, dir)) names.push(...batch);
  return names.sort();
}

/** The lstat of each of `names` in `dir` (undefined for those that fail), in one call when the filesystem can. */
export function lstatBatch(
  fs: FileSystem,
  dir: string,
  names: readonly string[],
): Promise<ReadonlyArray<FileStat | undefined>> {
  if (fs.lstatEntries !== undefined) return fs.lstatEntries(dir, names);
  return Promise.all(
    names.map((name) =>
      fs.lstat(childPath(dir, name)).then(
        (stat) => stat,
        () => undefined,
      ),
    ),
  );
}
