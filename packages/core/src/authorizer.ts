/**
 * The authorizer contract: who may log in, where their files are and what they may do there.
 * Implementations: `@ftpkit/authorizer-dummy` (virtual users), `@ftpkit/authorizer-unix`, ...
 */

/**
 * A permission letter, as in pyftpdlib:
 * read: `e` change directory, `l` list, `r` retrieve;
 * write: `a` append, `d` delete, `f` rename, `m` make directory, `w` store, `M` chmod, `T` set mtime.
 */
export type PermissionLetter = 'e' | 'l' | 'r' | 'a' | 'd' | 'f' | 'm' | 'w' | 'M' | 'T';

/** The read permission letters, `elr`. */
export const READ_PERMISSIONS = 'elr';
/** The write permission letters, `adfmwMT`. */
export const WRITE_PERMISSIONS = 'adfmwMT';
/** Every permission letter, `elradfmwMT`. */
export const ALL_PERMISSIONS = 'elradfmwMT';

/** True when `letter` is one of the ten permission letters. */
export function isPermissionLetter(letter: string): letter is PermissionLetter {
  return letter.length === 1 && ALL_PERMISSIONS.includes(letter);
}

/** What an authorizer learns about the connection asking to log in. */
export interface LoginContext {
  /** The client's IP address. */
  readonly remoteAddress: string;
  /** The client's port. */
  readonly remotePort: number;
  /** The session id used in logs. */
  readonly sessionId: string;
}

/**
 * Decides who may log in and what each user may do. Every method may be synchronous or return a
 * promise; none may block the event loop (do slow work, such as PAM or a database, asynchronously).
 */
export interface Authorizer {
  /**
   * Checks a user's credentials. Resolves when they are accepted; rejects with
   * `AuthenticationFailed` (its message is sent to the client as `530 <message>`) when they are not.
   * Any other rejection is treated as a failed login with the generic text and logged as an error.
   */
  validateAuthentication(username: string, password: string, context: LoginContext): Promise<void> | void;

  /** The user's home directory: the root of the filesystem the session gets after login. */
  getHomeDir(username: string): Promise<string> | string;

  /** True when the user exists. */
  hasUser(username: string): boolean;

  /**
   * True when the user holds `perm` on `path`. `path` is the filesystem's resolved path (for
   * `@ftpkit/fs-local`, the real path on disk); without it, the user's global permissions are checked.
   */
  hasPerm(username: string, perm: PermissionLetter, path?: string): boolean;

  /** The user's global permission letters, e.g. `elr`. */
  getPerms(username: string): string;

  /** The text of the `230` reply sent after a successful login. */
  getMsgLogin(username: string): string;

  /** The text of the `221` reply sent when the user quits. */
  getMsgQuit(username: string): string;
}
