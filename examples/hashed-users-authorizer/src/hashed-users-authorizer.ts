/**
 * An ftpkit authorizer whose users live in a JSON file with bcrypt password hashes.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import {
  ALL_PERMISSIONS,
  AuthenticationFailed,
  type Authorizer,
  AuthorizerError,
  isPermissionLetter,
  type LoginContext,
  type PermissionLetter,
} from '@ftpkit/core';
import bcrypt from 'bcryptjs';

/** A per-directory override: `perm` applies in `directory` instead of the user's global letters. */
export interface UserOverride {
  /** An absolute directory (as the filesystem resolves paths), or relative to the users file. */
  readonly directory: string;
  readonly perm: string;
  /** Cover the whole subtree (default: the directory and its direct entries only). */
  readonly recursive?: boolean;
}

/** One user, as written in the users file. */
export interface UserRecord {
  readonly username: string;
  /** A bcrypt hash (`$2a$`/`$2b$`/`$2y$`), e.g. from `bcryptjs.hash(password, 12)`. */
  readonly passwordHash: string;
  /** The home directory: absolute, or relative to the users file. */
  readonly home: string;
  /** Global permission letters. Default `elr` (read-only). */
  readonly perm?: string;
  readonly overrides?: readonly UserOverride[];
  readonly msgLogin?: string;
  readonly msgQuit?: string;
}

/** The users file: `{ "users": [ ... ] }`. */
export interface UsersFile {
  readonly users: readonly UserRecord[];
}

interface User {
  readonly hash: string;
  readonly home: string;
  readonly perm: string;
  /** Deepest directory first, so the first match is the most specific. */
  readonly overrides: readonly Required<UserOverride>[];
  readonly msgLogin: string;
  readonly msgQuit: string;
}

const BCRYPT_HASH = /^\$2[aby]\$(\d{2})\$[./A-Za-z0-9]{53}$/;
const FAILED = 'Authentication failed.';

/**
 * Users with bcrypt-hashed passwords, loaded from a JSON file ({@link HashedUsersAuthorizer.fromFile})
 * or given as records. Passwords are checked with bcryptjs's asynchronous `compare`, so a login never
 * holds the event loop; an unknown user costs a comparison against a dummy hash of the same cost, and
 * gets the same reply as a wrong password, so user names cannot be probed.
 */
export class HashedUsersAuthorizer implements Authorizer {
  readonly #users = new Map<string, User>();
  readonly #dummyHash: Promise<string>;

  /**
   * @param records - The users.
   * @param baseDir - What relative homes and override directories are relative to. Default: the
   *   current directory.
   * @throws AuthorizerError naming the user and field for a malformed record.
   */
  constructor(records: readonly UserRecord[], baseDir = process.cwd()) {
    let rounds = 10;
    for (const [index, record] of records.entries()) {
      const where = `users[${index}]`;
      if (typeof record?.username !== 'string' || record.username === '') {
        throw new AuthorizerError(`${where}.username must be a non-empty string`);
      }
      const who = `user "${record.username}"`;
      if (this.#users.has(record.username)) throw new AuthorizerError(`${who} is listed twice`);
      const match = typeof record.passwordHash === 'string' ? BCRYPT_HASH.exec(record.passwordHash) : null;
      if (match === null) throw new AuthorizerError(`${who}: passwordHash must be a bcrypt hash ($2b$...)`);
      rounds = Number(match[1]);
      if (typeof record.home !== 'string' || record.home === '') {
        throw new AuthorizerError(`${who}: home must be a non-empty string`);
      }
      const perm = checkLetters(record.perm ?? 'elr', `${who}: perm`);
      const overrides = (record.overrides ?? []).map((o, i) => ({
        directory: path.resolve(baseDir, o.directory).replace(/\/+$/, '') || '/',
        perm: checkLetters(o.perm, `${who}: overrides[${i}].perm`),
        recursive: o.recursive === true,
      }));
      overrides.sort((a, b) => b.directory.length - a.directory.length);
      this.#users.set(record.username, {
        hash: record.passwordHash,
        home: path.resolve(baseDir, record.home),
        perm,
        overrides,
        msgLogin: record.msgLogin ?? 'Login successful.',
        msgQuit: record.msgQuit ?? 'Goodbye.',
      });
    }
    // The same cost as the real hashes, so that unknown names take as long as known ones.
    this.#dummyHash = bcrypt.hash('not a password', rounds);
  }

  /**
   * Reads a users file. Relative homes and override directories are taken from the file's directory.
   *
   * @throws AuthorizerError for unreadable JSON or a malformed record (the message names the file).
   */
  static async fromFile(file: string): Promise<HashedUsersAuthorizer> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(file, 'utf8'));
    } catch (error) {
      throw new AuthorizerError(`${file}: ${error instanceof Error ? error.message : String(error)}`);
    }
    const users = (parsed as Partial<UsersFile> | null)?.users;
    if (!Array.isArray(users)) throw new AuthorizerError(`${file}: expected { "users": [ ... ] }`);
    try {
      return new HashedUsersAuthorizer(users as UserRecord[], path.dirname(path.resolve(file)));
    } catch (error) {
      throw new AuthorizerError(`${file}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  async validateAuthentication(username: string, password: string, _context?: LoginContext): Promise<void> {
    const user = this.#users.get(username);
    const hash = user?.hash ?? (await this.#dummyHash);
    const matches = await bcrypt.compare(password, hash);
    if (user === undefined || !matches) throw new AuthenticationFailed(FAILED);
  }

  getHomeDir(username: string): string {
    return this.#user(username).home;
  }

  hasUser(username: string): boolean {
    return this.#users.has(username);
  }

  /**
   * True when the user holds `perm` on `path` (or globally, without a path). The deepest override that
   * covers `path` decides; a non-recursive one covers its directory and the entries directly in it.
   * Paths are compared by whole segments, lexically: this runs on every command and must not block.
   */
  hasPerm(username: string, perm: PermissionLetter, path?: string): boolean {
    const user = this.#users.get(username);
    if (user === undefined || !isPermissionLetter(perm)) return false;
    if (path === undefined) return user.perm.includes(perm);
    for (const override of user.overrides) {
      const dir = override.directory;
      if (path !== dir && !path.startsWith(dir === '/' ? '/' : `${dir}/`)) continue;
      const rest = path.slice(dir.length + 1);
      if (override.recursive || path === dir || !rest.includes('/')) return override.perm.includes(perm);
    }
    return user.perm.includes(perm);
  }

  getPerms(username: string): string {
    return this.#user(username).perm;
  }

  getMsgLogin(username: string): string {
    return this.#user(username).msgLogin;
  }

  getMsgQuit(username: string): string {
    return this.#user(username).msgQuit;
  }

  #user(username: string): User {
    const user = this.#users.get(username);
    if (user === undefined) throw new AuthorizerError(`no such user "${username}"`);
    return user;
  }
}

function checkLetters(perm: unknown, what: string): string {
  if (typeof perm !== 'string')
    throw new AuthorizerError(`${what} must be a string of letters (${ALL_PERMISSIONS})`);
  for (const letter of perm) {
    if (!isPermissionLetter(letter)) {
      throw new AuthorizerError(
        `${what}: no such permission "${letter}" (valid letters: ${ALL_PERMISSIONS})`,
      );
    }
  }
  return perm;
}
