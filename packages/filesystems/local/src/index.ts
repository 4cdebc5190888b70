/**
 * `@ftpkit/fs-local`: a real directory served as the user's root, like pyftpdlib's `AbstractedFS`.
 *
 * @example
 * ```ts
 * import { localFileSystem } from '@ftpkit/fs-local';
 * const factory = localFileSystem({ highWaterMark: 1024 * 1024 });
 * ```
 *
 * @packageDocumentation
 */
export { FileWriter, type FileWriterOptions } from './file-writer.js';
export {
  DEFAULT_HIGH_WATER_MARK,
  LocalFileSystem,
  type LocalFileSystemOptions,
  localFileSystem,
} from './local-file-system.js';
