/**
 * Errors shaped like the ones Node's `fs` raises, so that core's `describeFilesystemError` turns them
 * into the same `550 <strerror>.` replies as a real disk would produce.
 *
 * @module
 */
import { constants } from 'node:os';

const MESSAGES: Readonly<Record<string, string>> = {
  EBUSY: 'resource busy or locked',
  EEXIST: 'file already exists',
  EINVAL: 'invalid argument',
  EISDIR: 'illegal operation on a directory',
  ELOOP: 'too many symbolic links encountered',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'not a directory',
  ENOTEMPTY: 'directory not empty',
  EROFS: 'read-only file system',
  EXDEV: 'cross-device link not permitted',
};

/**
 * An `Error` carrying `code`, `errno`, `syscall` and `path` like a Node `fs` error.
 *
 * @param code - The errno name, e.g. `ENOENT`.
 * @param syscall - The operation that failed (`open`, `rename`, ...).
 * @param path - The volume path involved.
 */
export function errnoError(code: string, syscall: string, path: string): NodeJS.ErrnoException {
  const text = MESSAGES[code] ?? 'operation failed';
  const error: NodeJS.ErrnoException = new Error(`${code}: ${text}, ${syscall} '${path}'`);
  error.code = code;
  const errno = (constants.errno as Readonly<Record<string, number | undefined>>)[code];
  if (errno !== undefined) error.errno = -errno;
  error.syscall = syscall;
  error.path = path;
  return error;
}
