/**
 * Virtual users held in memory: pyftpdlib's `DummyAuthorizer` with its API in camelCase.
 */

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import {
  ALL_PERMISSIONS,
  AuthenticationFailed,
  type Authorizer,
  AuthorizerError,
  isPermissionLetter,
  type LoginContext,
  type PermissionLetter,
  READ_PERMISSIONS,
  WRITE_PERMISSIONS,
} from '@ftpkit/core';
import { isSubpath, normcase, type PermissionOverride, PermissionOverrides } from './permission-overrides.js';

/** The user name that {@link DummyAuthorizer.addAnonymous} registers. Compared case-sensitively. */
export const ANONYMOUS_USER = 'anonymous';

const ANONYMOUS_WRITE_WARNING = 'write permissions assigned to anonymous user.';

/** Options of {@link DummyAuthorizer.addUser} and {@link DummyAuthorizer.addAnonymous}. */
export interface AddUserOptions {
  /** The user's global permission letters (see `@ftpkit/core`'s `PermissionLetter`). Default `elr`. */
  perm?: string;
  /** The text of the `230` reply after a successful login. Default `Login successful.` */
  msgLogin?: string;
  /** The text of the `221` reply when the user quits. Default `Goodbye.` */
  msgQuit?: string;
  /**
   * Upload bandwidth limit in bytes per second, shared by all of the user's concurrent uploads (STOR,
   * APPE, STOU). Omitted or `0` means no per-user limit. Enforced only when a throttling plugin such as
   * `@ftpkit/throttle` is installed; see {@link DummyAuthorizer.getUserLimits}.
   */
  readLimit?: number;
  /**
   * Download bandwidth limit in bytes per second, shared by all of the user's concurrent downloads and
   * listings (RETR, LIST, NLST, MLSD). Omitted or `0` means no per-user limit. Enforced only when a
   * throttling plugin such as `@ftpkit/throttle` is installed.
   */
  writeLimit?: number;
}

/**
 * A user's bandwidth limits in bytes per second, as returned by {@link DummyAuthorizer.getUserLimits}:
 * `readLimit` for uploads, `writeLimit` for downloads (pyftpdlib's `read_limit` / `write_limit`, seen
 * from the server). A missing field means no limit in that direction.
 */
export interface UserLimits {
  readonly readLimit?: number;
  readonly writeLimit?: number;
}

interface UserRecord {
  /** SHA-256 of the password: fixed length, so comparing it leaks nothing about the password's length. */
  readonly passwordDigest: Buffer;
  readonly home: string;
  readonly perm: string;
  readonly overrides: PermissionOverrides;
  readonly msgLogin: string;
  readonly msgQuit: string;
  readonly limits: UserLimits | undefined;
}

/** `crypto.hash` (Node 20.12 and later): a one-shot digest without building a Hash stream per login. */
const oneShotHash: typeof crypto.hash | undefined = (crypto as Partial<typeof crypto>).hash;

function digest(password: string): Buffer {
  if (oneShotHash !== undefined) return oneShotHash('sha256', password, 'buffer');
  return crypto.createHash('sha256').update(password, 'utf8').digest();
}

/** Compared against when the user does not exist, so that an unknown name costs as much as a known one. */
const DUMMY_DIGEST = digest('');

/**
 * An authorizer whose users are declared in code, like pyftpdlib's `DummyAuthorizer`: each user has a
 * password (kept in memory; compared in constant time), a home directory, global permission letters,
 * optional per-directory overrides and login/quit messages.
 *
 * Configuration methods (`addUser`, `addAnonymous`, `overridePerm`, `removeUser`) check their arguments
 * against the disk and throw {@link AuthorizerError} on mistakes; they are meant to run before the server
 * starts. The methods the server calls per request (`hasPerm`, `getPerms`, ...) never touch the disk.
 *
 * @example
 * ```ts
 * const authorizer = new DummyAuthorizer();
 * authorizer.addUser('user', '12345', '/home/user', { perm: 'elradfmwMT' });
 * authorizer.addAnonymous('/srv/ftp/pub');
 * ```
 */
export class DummyAuthorizer implements Authorizer {
  /** The read permission letters, `elr` (pyftpdlib's `read_perms`). */
  readonly readPerms: string = READ_PERMISSIONS;
  /** The write permission letters, `adfmwMT` (pyftpdlib's `write_perms`). */
  readonly writePerms: string = WRITE_PERMISSIONS;
  /** The `530` text for an unknown user. The same as for a wrong password, so that names cannot be probed. */
  readonly msgNoSuchUser: string = 'Authentication failed.';
  /** The `530` text for a wrong password. */
  readonly msgWrongPassword: string = 'Authentication failed.';
  /** The `530` text for `anonymous` when no anonymous user was added. */
  readonly msgAnonNotAllowed: string = 'Anonymous access not allowed.';

  readonly #users = new Map<string, UserRecord>();

  /**
   * Adds a virtual user.
   *
   * @param username - the login name; must not be empty. `anonymous` gets the anonymous rules (any
   *   password is accepted, write letters draw a warning); prefer {@link addAnonymous} for it.
   * @param password - the password, compared exactly (case-sensitively).
   * @param homedir - an existing directory; stored as its real path (symlinks resolved).
   * @param options - global permission letters, login/quit messages and optional bandwidth limits.
   * @throws AuthorizerError for an empty or already registered name (`user "bob" already exists`), a
   *   home directory that is missing or not a directory (`no such directory: "/x"`), an unknown
   *   permission letter (`no such permission "z"`, the message lists the valid letters), or a limit that
   *   is not a finite number >= 0 (`readLimit must be a number of bytes per second >= 0, got -1`).
   */
  addUser(username: string, password: string, homedir: string, options: AddUserOptions = {}): void {
    const { perm = READ_PERMISSIONS, msgLogin = 'Login successful.', msgQuit = 'Goodbye.' } = options;
    if (username.length === 0) throw new AuthorizerError('username must not be empty');
    if (this.#users.has(username)) throw new AuthorizerError(`user "${username}" already exists`);
    const home = realDirectory(homedir);
    checkPermissionLetters(perm);
    const limits = userLimits(options.readLimit, options.writeLimit);
    warnIfAnonymousWrites(username, perm);
    this.#users.set(username, {
      passwordDigest: digest(password),
      home,
      perm,
      overrides: new PermissionOverrides(),
      msgLogin,
      msgQuit,
      limits,
    });
  }

  /**
   * Adds the `anonymous` user, who may log in with any password.
   *
   * Granting write letters to it works but emits a `RuntimeWarning` process warning
   * (`write permissions assigned to anonymous user.`), as pyftpdlib does.
   *
   * @param homedir - an existing directory; stored as its real path.
   * @param options - as for {@link addUser}.
   * @throws AuthorizerError as {@link addUser} does, e.g. when an anonymous user already exists.
   */
  addAnonymous(homedir: string, options: AddUserOptions = {}): void {
    this.addUser(ANONYMOUS_USER, '', homedir, options);
  }

  /**
   * Removes a user and its permission overrides. Sessions already logged in as that user are not ended;
   * their permission checks fail from then on.
   *
   * @throws AuthorizerError when the user does not exist (`no such user "bob"`).
   */
  removeUser(username: string): void {
    if (!this.#users.delete(username)) throw new AuthorizerError(`no such user "${username}"`);
  }

  /**
   * Overrides the user's permissions for one directory inside its home.
   *
   * The override applies to `directory` itself and the entries directly inside it (files and
   * subdirectories alike: RETR, DELE, RMD or RNFR of `directory/x`); with `recursive`, to the whole
   * subtree. Setting an override for the same directory again replaces it. See {@link hasPerm} for which
   * override decides when several contain a path.
   *
   * @param username - an existing user.
   * @param directory - an existing directory strictly inside the user's home; stored as its real path.
   * @param perm - the permission letters that apply there instead of the global ones.
   * @param recursive - whether the override covers everything below `directory`. Default false.
   * @throws AuthorizerError for an unknown user, an unknown letter, a missing directory,
   *   the home itself (`can't override home directory permissions`) or a directory outside it
   *   (`path escapes user home directory`).
   */
  overridePerm(username: string, directory: string, perm: string, recursive = false): void {
    const user = this.#user(username);
    checkPermissionLetters(perm);
    const real = realDirectory(directory);
    const key = normcase(real);
    const home = normcase(user.home);
    if (key === home) throw new AuthorizerError("can't override home directory permissions");
    if (!isSubpath(key, home)) throw new AuthorizerError('path escapes user home directory');
    warnIfAnonymousWrites(username, perm);
    user.overrides.set(real, perm, recursive);
  }

  /**
   * The user's permission overrides, deepest directory first (an ftpkit addition, for showing the
   * configuration).
   *
   * @throws AuthorizerError when the user does not exist.
   */
  getPermOverrides(username: string): PermissionOverride[] {
    return [...this.#user(username).overrides];
  }

  /**
   * Checks a login. `anonymous` is accepted with any password when {@link addAnonymous} was called; other
   * users need their exact password, compared in constant time. The name is case-sensitive: `Anonymous`
   * is an ordinary (and normally unknown) user.
   *
   * @param username - the name sent with USER.
   * @param password - the password sent with PASS.
   * @param _context - the client's address; unused by this authorizer.
   * @throws AuthenticationFailed (as a rejected promise) with {@link msgAnonNotAllowed} for `anonymous`
   *   when there is no anonymous user, {@link msgNoSuchUser} for an unknown user, or
   *   {@link msgWrongPassword} for a wrong password.
   */
  async validateAuthentication(username: string, password: string, _context: LoginContext): Promise<void> {
    const user = this.#users.get(username);
    if (username === ANONYMOUS_USER) {
      if (user === undefined) throw new AuthenticationFailed(this.msgAnonNotAllowed);
      return;
    }
    const matches = crypto.timingSafeEqual(user?.passwordDigest ?? DUMMY_DIGEST, digest(password));
    if (user === undefined) throw new AuthenticationFailed(this.msgNoSuchUser);
    if (!matches) throw new AuthenticationFailed(this.msgWrongPassword);
  }

  /**
   * The user's home directory, as a real path.
   *
   * @throws AuthorizerError when the user does not exist.
   */
  getHomeDir(username: string): string {
    return this.#user(username).home;
  }

  /** True when the user exists. Case-sensitive. */
  hasUser(username: string): boolean {
    return this.#users.has(username);
  }

  /**
   * True when the user holds `perm`, globally or on `path`.
   *
   * Without `path` the global letters decide. With `path` (an absolute real path, as the filesystem
   * resolved it) the override that covers it decides, and the global letters apply when none does:
   * - a recursive override covers its directory and everything below it;
   * - a non-recursive override covers its directory and each entry directly inside it, decided
   *   lexically: `dir/sub` is covered as an entry (for RMD, RNFR, CWD or LIST of `dir/sub` itself) even
   *   when it is a directory, but `dir/sub/x` is not. (pyftpdlib asks the disk whether `dir/sub` is a
   *   directory and leaves directories out; this check runs on every request and must not block.)
   * - when several overrides cover `path`, the deepest directory wins, whatever the order they were added
   *   in; a non-recursive override that does not cover `path` lets a shallower recursive one decide.
   *
   * Directories are compared by whole path segments: `/home/user2` is not inside `/home/user`. A relative
   * `path` matches no override. An unknown user holds no permission (false, not an error), so a session
   * whose user was removed is refused everything.
   */
  hasPerm(username: string, perm: PermissionLetter, path?: string): boolean {
    const user = this.#users.get(username);
    if (user === undefined || !isPermissionLetter(perm)) return false;
    const letters = path === undefined ? user.perm : (user.overrides.find(path)?.perm ?? user.perm);
    return letters.includes(perm);
  }

  /**
   * The user's global permission letters, as given to {@link addUser}.
   *
   * @throws AuthorizerError when the user does not exist.
   */
  getPerms(username: string): string {
    return this.#user(username).perm;
  }

  /**
   * The text of the `230` reply sent after the user logs in.
   *
   * @throws AuthorizerError when the user does not exist.
   */
  getMsgLogin(username: string): string {
    return this.#user(username).msgLogin;
  }

  /**
   * The text of the `221` reply sent when the user quits.
   *
   * @throws AuthorizerError when the user does not exist.
   */
  getMsgQuit(username: string): string {
    return this.#user(username).msgQuit;
  }

  /**
   * The user's bandwidth limits (bytes per second) given to {@link addUser} as `readLimit` (uploads) and
   * `writeLimit` (downloads), or undefined when the user has none or does not exist. A throttling plugin
   * (`@ftpkit/throttle`) calls this at the start of each transfer and makes all of the user's concurrent
   * transfers share one budget per direction. Never throws and never touches the disk.
   */
  getUserLimits(username: string): UserLimits | undefined {
    return this.#users.get(username)?.limits;
  }

  /**
   * Does nothing: virtual users all run as the server's own OS user. Kept for parity with pyftpdlib's
   * `impersonate_user`, which a subclass may override.
   */
  impersonateUser(_username: string, _password: string): void {}

  /** Does nothing; the counterpart of {@link impersonateUser} (pyftpdlib's `terminate_impersonation`). */
  terminateImpersonation(_username: string): void {}

  #user(username: string): UserRecord {
    const user = this.#users.get(username);
    if (user === undefined) throw new AuthorizerError(`no such user "${username}"`);
    return user;
  }
}

/** The real path of an existing directory, or an AuthorizerError. */
function realDirectory(directory: string): string {
  try {
    const real = fs.realpathSync(directory);
    if (fs.statSync(real).isDirectory()) return real;
  } catch {
    // Reported below, with the name the caller gave.
  }
  throw new AuthorizerError(`no such directory: "${directory}"`);
}

/** The frozen limits of a user, or undefined when neither direction is limited. */
function userLimits(readLimit: number | undefined, writeLimit: number | undefined): UserLimits | undefined {
  checkLimit('readLimit', readLimit);
  checkLimit('writeLimit', writeLimit);
  const limits: { readLimit?: number; writeLimit?: number } = {};
  if (readLimit !== undefined && readLimit > 0) limits.readLimit = readLimit;
  if (writeLimit !== undefined && writeLimit > 0) limits.writeLimit = writeLimit;
  return limits.readLimit === undefined && limits.writeLimit === undefined
    ? undefined
    : Object.freeze(limits);
}

function checkLimit(name: string, value: number | undefined): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new AuthorizerError(`${name} must be a number of bytes per second >= 0, got ${String(value)}`);
  }
}

function checkPermissionLetters(perm: string): void {
  for (const letter of perm) {
    if (!isPermissionLetter(letter)) {
      throw new AuthorizerError(`no such permission "${letter}" (valid letters: ${ALL_PERMISSIONS})`);
    }
  }
}

function warnIfAnonymousWrites(username: string, perm: string): void {
  if (username !== ANONYMOUS_USER) return;
  if ([...perm].some((letter) => WRITE_PERMISSIONS.includes(letter))) {
    process.emitWarning(ANONYMOUS_WRITE_WARNING, 'RuntimeWarning');
  }
}
