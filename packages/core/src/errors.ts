import { constants } from 'node:os';

/**
 * Errors that cross the plugin boundary. They are recognised by a brand (a registered symbol),
 * not by `instanceof`, so a plugin built against another copy of `@ftpkit/core` still works.
 */

const FILESYSTEM_ERROR = Symbol.for('ftpkit.FilesystemError');
const AUTHENTICATION_FAILED = Symbol.for('ftpkit.AuthenticationFailed');
const AUTHORIZER_ERROR = Symbol.for('ftpkit.AuthorizerError');
const PATH_OUTSIDE_ROOT = Symbol.for('ftpkit.PathOutsideRootError');

function hasBrand(value: unknown, brand: symbol): boolean {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}

/** Options accepted by {@link FilesystemError}. */
export interface FilesystemErrorOptions {
  /** An errno-style code (`ENOENT`, `EACCES`, ...) describing the failure, when there is one. */
  code?: string;
  /** The FTP reply code to send instead of the default `550`, e.g. `552` for a quota. */
  replyCode?: number;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * Raised by a {@link FileSystem} to refuse an operation with a message meant for the client.
 * The session answers `550 <message>.` (or `replyCode` when given), like pyftpdlib's `FilesystemError`.
 */
export class FilesystemError extends Error {
  /** An errno-style code, when the failure has one. */
  readonly code: string | undefined;
  /** The FTP reply code the session sends; 550 unless the plugin asked for another. */
  readonly replyCode: number;

  constructor(message: string, options: FilesystemErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FilesystemError';
    this.code = options.code;
    this.replyCode = options.replyCode ?? 550;
    Object.defineProperty(this, FILESYSTEM_ERROR, { value: true });
  }
}

/** True when `value` is a {@link FilesystemError} from any copy of `@ftpkit/core`. */
export function isFilesystemError(value: unknown): value is FilesystemError {
  return hasBrand(value, FILESYSTEM_ERROR);
}

/**
 * Raised by {@link Authorizer.validateAuthentication} when the credentials are refused. The message is
 * sent to the client after the failed-login delay (`530 <message>`).
 */
export class AuthenticationFailed extends Error {
  constructor(message = 'Authentication failed.') {
    super(message);
    this.name = 'AuthenticationFailed';
    Object.defineProperty(this, AUTHENTICATION_FAILED, { value: true });
  }
}

/** True when `value` is an {@link AuthenticationFailed} from any copy of `@ftpkit/core`. */
export function isAuthenticationFailed(value: unknown): value is AuthenticationFailed {
  return hasBrand(value, AUTHENTICATION_FAILED);
}

/**
 * Raised by an authorizer for configuration mistakes (a duplicate user, a missing home directory, an
 * unknown permission letter). Never sent to a client: it is meant for the program that configures users.
 */
export class AuthorizerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthorizerError';
    Object.defineProperty(this, AUTHORIZER_ERROR, { value: true });
  }
}

/** True when `value` is an {@link AuthorizerError} from any copy of `@ftpkit/core`. */
export function isAuthorizerError(value: unknown): value is AuthorizerError {
  return hasBrand(value, AUTHORIZER_ERROR);
}

/**
 * Raised by {@link FileSystem.resolve} when a path, once symlinks are resolved, lies outside the
 * filesystem's root. The session answers `550 '<path>' points to a path which is outside the user's
 * root directory.`
 */
export class PathOutsideRootError extends Error {
  /** The virtual path the client asked for. */
  readonly virtualPath: string;

  constructor(virtualPath: string) {
    super(`'${virtualPath}' points to a path which is outside the user's root directory.`);
    this.name = 'PathOutsideRootError';
    this.virtualPath = virtualPath;
    Object.defineProperty(this, PATH_OUTSIDE_ROOT, { value: true });
  }
}

/** True when `value` is a {@link PathOutsideRootError} from any copy of `@ftpkit/core`. */
export function isPathOutsideRootError(value: unknown): value is PathOutsideRootError {
  return hasBrand(value, PATH_OUTSIDE_ROOT);
}

/** Linux `strerror()` texts for the errno codes a filesystem can produce, as pyftpdlib shows them. */
const STRERROR: Readonly<Record<string, string>> = {
  EPERM: 'Operation not permitted',
  ENOENT: 'No such file or directory',
  EIO: 'Input/output error',
  EBADF: 'Bad file descriptor',
  EAGAIN: 'Resource temporarily unavailable',
  ENOMEM: 'Cannot allocate memory',
  EACCES: 'Permission denied',
  EBUSY: 'Device or resource busy',
  EEXIST: 'File exists',
  EXDEV: 'Invalid cross-device link',
  ENODEV: 'No such device',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  EINVAL: 'Invalid argument',
  ENFILE: 'Too many open files in system',
  EMFILE: 'Too many open files',
  ETXTBSY: 'Text file busy',
  EFBIG: 'File too large',
  ENOSPC: 'No space left on device',
  ESPIPE: 'Illegal seek',
  EROFS: 'Read-only file system',
  EMLINK: 'Too many links',
  ENAMETOOLONG: 'File name too long',
  ENOTEMPTY: 'Directory not empty',
  ELOOP: 'Too many levels of symbolic links',
  EDQUOT: 'Disk quota exceeded',
  ENOTSUP: 'Operation not supported',
  EOPNOTSUPP: 'Operation not supported',
  ENOSYS: 'Function not implemented',
  ESTALE: 'Stale file handle',
  ETIMEDOUT: 'Connection timed out',
  ECONNRESET: 'Connection reset by peer',
  EPIPE: 'Broken pipe',
};

/** The `strerror()` text for an errno code such as `ENOENT`, or undefined when unknown. */
export function strerror(code: string): string | undefined {
  return STRERROR[code];
}

/** The errno-style code of an error, if it carries one. */
export function errorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/**
 * The text a client sees for a failed filesystem operation, without a final period: the message of a
 * {@link FilesystemError}, the `strerror()` text of an errno error, or a generic text for anything else
 * (internal details never reach the client).
 */
export function describeFilesystemError(error: unknown): string {
  if (isFilesystemError(error)) return error.message.replace(/\.$/, '');
  if (isPathOutsideRootError(error)) return error.message.replace(/\.$/, '');
  const code = errorCode(error);
  if (code !== undefined) {
    const text = strerror(code);
    if (text !== undefined) return text;
    if (code === 'ERR_INVALID_ARG_VALUE' || code === 'ERR_INVALID_ARG_TYPE') return 'Invalid file name';
    if (/^E[A-Z]+$/.test(code)) return `Operation failed (${code})`;
  }
  return 'Internal error';
}

/**
 * An `Error` shaped like the ones Node's `fs` raises (`code`, `errno`, `syscall`, `path`), for plugins
 * that detect a condition themselves: the session answers it with the same `550 <strerror>.` reply as a
 * real disk error, e.g. `errnoError('ENOTEMPTY', 'rmdir', path)` → `550 Directory not empty.`
 */
export function errnoError(code: string, syscall: string, path: string): NodeJS.ErrnoException {
  const text = strerror(code)?.toLowerCase() ?? 'operation failed';
  const error: NodeJS.ErrnoException = new Error(`${code}: ${text}, ${syscall} '${path}'`);
  error.code = code;
  const errno = (constants.errno as Readonly<Record<string, number | undefined>>)[code];
  if (errno !== undefined) error.errno = -errno;
  error.syscall = syscall;
  error.path = path;
  return error;
}
