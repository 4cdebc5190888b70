/**
 * `@ftpkit/fs-memory`: a filesystem held in memory, for tests and for programs that serve generated
 * content or receive uploads without touching the disk.
 *
 * @example
 * ```ts
 * import { MemoryVolume, memoryFileSystem } from '@ftpkit/fs-memory';
 * const volume = new MemoryVolume({ 'pub/readme.txt': 'hello', 'incoming/': {} });
 * volume.on('file', ({ path }) => console.log(volume.readFile(path, 'utf8')));
 * const server = new FtpServer({ authorizer, filesystem: memoryFileSystem(volume) });
 * ```
 *
 * @packageDocumentation
 */
export {
  DEFAULT_HIGH_WATER_MARK,
  MemoryFileSystem,
  type MemoryFileSystemFactoryOptions,
  type MemoryFileSystemOptions,
  memoryFileSystem,
  type OwnerAttributes,
} from './memory-file-system.js';
export {
  type DirectoryEntry,
  directoryEntry,
  type FileEntry,
  fileEntry,
  type NodeAttributes,
  SEED_KIND,
  type SeedEntry,
  type SeedTree,
  type SeedValue,
  type SymlinkEntry,
  symlinkEntry,
} from './seed.js';
export { type CommitReport, ContentReader, MemoryFileWriter, type WriteMode } from './streams.js';
export {
  MemoryVolume,
  type MemoryVolumeEvents,
  type MemoryVolumeOptions,
  type PathEvent,
  type RenameEvent,
  type UploadEvent,
  type VolumeEntry,
  type VolumeMkdirOptions,
} from './volume.js';
