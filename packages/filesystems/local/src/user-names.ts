/**
 * Owner and group names for LIST, read from `/etc/passwd` and `/etc/group` (pyftpdlib's
 * `get_user_by_uid` / `get_group_by_gid`).
 *
 * The files are parsed asynchronously, once per process, and re-read only when they change (checked at
 * most once per {@link NameTableOptions.checkIntervalMs}). Users known only through NSS (LDAP, sssd,
 * extrausers) are not found; core then shows the numeric id, as pyftpdlib does for unknown ids.
 *
 * @module
 */
import { readFile, stat } from 'node:fs/promises';

/** Options of a {@link NameTable}. */
export interface NameTableOptions {
  /** How long, in milliseconds, a parsed table is trusted before the file's stat is checked again. Default 5000. */
  checkIntervalMs?: number;
}

/** The default of {@link NameTableOptions.checkIntervalMs}. */
export const DEFAULT_CHECK_INTERVAL_MS = 5000;

/**
 * Parses `passwd(5)` / `group(5)` text into an id → name map. The first entry for an id wins, as with
 * `getpwuid`; comments, blank lines and NIS `+`/`-` lines are skipped.
 *
 * @param text - The file's contents.
 */
export function parseNameFile(text: string): Map<number, string> {
  const names = new Map<number, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#') || line.startsWith('+') || line.startsWith('-')) continue;
    const fields = line.split(':');
    if (fields.length < 3) continue;
    const name = fields[0]!.trim();
    const idText = fields[2]!.trim();
    if (name === '' || !/^\d+$/.test(idText)) continue;
    const id = Number(idText);
    if (Number.isSafeInteger(id) && !names.has(id)) names.set(id, name);
  }
  return names;
}

/** A cached id → name table backed by one `passwd`-format file. */
export class NameTable {
  /** The file the names come from. */
  readonly file: string;
  readonly #checkIntervalMs: number;
  #names: Map<number, string> | undefined;
  /** Identity of the parsed version: `mtimeMs:size:ino`, or undefined when the file was unreadable. */
  #version: string | undefined;
  #checkedAt = Number.NEGATIVE_INFINITY;
  #refreshing: Promise<void> | undefined;

  /**
   * @param file - A file in `passwd(5)` layout (name in field 1, numeric id in field 3).
   * @param options - See {@link NameTableOptions}.
   */
  constructor(file: string, options: NameTableOptions = {}) {
    this.file = file;
    this.#checkIntervalMs = options.checkIntervalMs ?? DEFAULT_CHECK_INTERVAL_MS;
  }

  /**
   * The name for `id`, or undefined when the file lacks it or cannot be read. Never rejects.
   *
   * @param id - A numeric uid or gid.
   */
  async lookup(id: number): Promise<string | undefined> {
    await this.refreshIfStale();
    return this.#names?.get(id);
  }

  /**
   * Brings the table up to date when it was never loaded or is older than the check interval: a
   * promise to await then, or undefined when it is fresh (the common case, and no promise is made).
   * Never rejects. Listings call it once per batch and then use {@link NameTable.cached} per entry.
   */
  refreshIfStale(): Promise<void> | undefined {
    if (this.#names === undefined || Date.now() - this.#checkedAt >= this.#checkIntervalMs) {
      return this.#refresh();
    }
    return undefined;
  }

  /**
   * The name for `id` in the table as last loaded, or undefined (also before the first load).
   *
   * @param id - A numeric uid or gid.
   */
  cached(id: number): string | undefined {
    return this.#names?.get(id);
  }

  #refresh(): Promise<void> {
    this.#refreshing ??= this.#load().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #load(): Promise<void> {
    try {
      const info = await stat(this.file);
      const version = `${info.mtimeMs}:${info.size}:${info.ino}`;
      if (this.#names === undefined || version !== this.#version) {
        const text = await readFile(this.file, 'utf8');
        this.#names = parseNameFile(text);
        this.#version = version;
      }
    } catch {
      // Missing or unreadable (e.g. on Windows): no names, core shows numeric ids.
      this.#names = new Map();
      this.#version = undefined;
    }
    this.#checkedAt = Date.now();
  }
}

const users = new NameTable('/etc/passwd');
const groups = new NameTable('/etc/group');

/**
 * Brings both tables up to date when they are stale: a promise to await then, or undefined when they
 * are fresh. Never rejects. After it, {@link cachedUserName} and {@link cachedGroupName} answer
 * synchronously.
 */
export function refreshNames(): Promise<unknown> | undefined {
  const user = users.refreshIfStale();
  const group = groups.refreshIfStale();
  if (user === undefined) return group;
  return group === undefined ? user : Promise.all([user, group]);
}

/**
 * The login name of `uid` as last read from `/etc/passwd`, or undefined.
 *
 * @param uid - A numeric user id.
 */
export function cachedUserName(uid: number): string | undefined {
  return users.cached(uid);
}

/**
 * The name of `gid` as last read from `/etc/group`, or undefined.
 *
 * @param gid - A numeric group id.
 */
export function cachedGroupName(gid: number): string | undefined {
  return groups.cached(gid);
}
