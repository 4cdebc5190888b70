export * from './authorizer.js';
export type { ArgumentRule, CommandDefinition, CommandRequest, PathRule } from './commands/types.js';
export * from './errors.js';
export type { FtpEventName, FtpEvents, SessionHost } from './events.js';
export * from './filesystem.js';
export { formatFileMode, formatListLine } from './listing/ls-line.js';
export { AVAILABLE_FACTS, DEFAULT_FACTS, formatMlsxFacts, type MlsxFact } from './listing/mlsx.js';
export { formatTimeval, parseTimeval } from './listing/times.js';
export {
  type CreateLoggerOptions,
  createLogger,
  isLevelEnabled,
  type Logger,
  type LogLevel,
  silentLogger,
} from './logger.js';
export { DEFAULT_BANNER, type ResolvedOptions, resolveOptions, type ServerOptions } from './options.js';
export type { CommandInfo, FtpPlugin, Refusal, TransferDirection } from './plugin.js';
export { normalizeVirtualPath } from './protocol/virtual-path.js';
export { type FtpListener, FtpServer } from './server.js';
export { Session, type TransferType } from './session.js';
export type { DataChannel } from './transfer/data-channel.js';
export type { PendingTransfer, TransferRunner, TransferStatus } from './transfer/transfer-runner.js';
export { VERSION } from './version.js';
