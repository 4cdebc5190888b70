/**
 * Errors shaped like the ones Node's `fs` raises, for conditions this package detects itself.
 *
 * @module
 */
import { constants } from 'node:os';

const MESSAGES: Readonly<Record<string, string>> = {
  EISDIR: 'illegal operation on a directory',
  ENOENT: 'no such file or directory',
  ELOOP: 'too many symbolic links encountered',
};

/**
 * An `Error` carrying `code`, `errno`, `syscall` and `path` like a Node `fs` error, so callers (and
 * core's `describeFilesystemError`) treat it the same way.
 *
 * @param code - The errno name, e.g. `EISDIR`.
 * @param syscall - The operation that failed.
 * @param path - The path involved.
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
