import type { Authorizer } from './authorizer.js';
import type { CommandDefinition } from './commands/types.js';
import type { FileSystemFactory } from './filesystem.js';
import type { Logger } from './logger.js';
import { createLogger } from './logger.js';
import type { FtpPlugin } from './plugin.js';
import { type Charset, charsetFor } from './protocol/charset.js';
import { VERSION } from './version.js';

/**
 * Everything a server (and each of its sessions) is configured with. Names are pyftpdlib's in camelCase,
 * with its defaults; times are in seconds, as in pyftpdlib.
 */
export interface ServerOptions {
  /** Who may log in and what they may do (pyftpdlib's `authorizer`). Required. */
  authorizer: Authorizer;
  /** Builds each logged-in session's filesystem (pyftpdlib's `abstracted_fs`). Required. */
  filesystem: FileSystemFactory;
  /** Where logs go; default: pyftpdlib's format on stderr at level info. */
  logger?: Logger;
  /** The 220 greeting, or a function of the connection; default `ftpkit <version> ready.` */
  banner?: string | ((connection: { remoteAddress: string; remotePort: number }) => string);
  /** Control-connection idle timeout in seconds, suspended while a transfer moves bytes; 0 disables. Default 300. */
  timeout?: number;
  /** Data stall timeout in seconds: a transfer with no progress for this long is cut (421); 0 disables. Default 300. */
  dataTimeout?: number;
  /** Seconds a PASV/EPSV listener waits for the client to connect; 0 disables. Default 30. */
  passiveAcceptTimeout?: number;
  /** Seconds a PORT/EPRT connect may take; 0 disables. Default 30. */
  activeConnectTimeout?: number;
  /** Failed logins per connection before it is closed. Default 3. */
  maxLoginAttempts?: number;
  /** Seconds before a failed login is answered (slows password guessing). Default 3. */
  authFailedTimeout?: number;
  /** Allow data connections with other hosts than the client (FXP, RFC 2577). Default false. */
  permitForeignAddresses?: boolean;
  /** Allow PORT/EPRT to ports below 1024. Default false. */
  permitPrivilegedPorts?: boolean;
  /** The IPv4 address announced in 227 replies, for servers behind NAT. */
  masqueradeAddress?: string;
  /** Local IP to announced IP, for servers with several addresses behind NAT (checked first). */
  masqueradeAddressMap?: Readonly<Record<string, string>>;
  /** Ports for passive listeners, tried in random order; default: kernel-chosen ports. */
  passivePorts?: readonly number[];
  /** Report times in UTC (LIST, MLSx, MDTM); false uses the server's local time. Default true. */
  useGmtTimes?: boolean;
  /** Disable Nagle's algorithm on control and data sockets. Default true. */
  tcpNoDelay?: boolean;
  /** Maximum simultaneous connections, control and data together; 0 means no limit. Default 512. */
  maxCons?: number;
  /** Maximum control connections from one IP address; 0 means no limit. Default 0. */
  maxConsPerIp?: number;
  /** Listen backlog of the control listener and passive listeners. Default 100. */
  backlog?: number;
  /** Longest command line in bytes; longer ones get `500 Command too long.` Default 2048. */
  maxLineLength?: number;
  /** Buffer size of the data path in bytes (file reads and writes). Default 1 MiB. */
  bufferSize?: number;
  /**
   * Send files with `sendfile(2)` (zero-copy, pyftpdlib's `use_sendfile`): RETR in binary type on a plain
   * data connection (no TLS, no throttle or other plugin transform), from a filesystem whose `openRead`
   * stream exposes its descriptor (`@ftpkit/fs-local` does). Everything else, and every transfer where
   * the platform, the FFI binding (koffi, loaded on first use) or the first `sendfile` call fails, uses
   * streams. The file is read synchronously by the kernel on the event loop thread, a few MiB per
   * call: fine for files in the page cache, a pause for other sessions when they come from a slow disk.
   * Default true on Linux, false elsewhere.
   */
  useSendfile?: boolean;
  /**
   * Receive uploads directly: STOR, APPE and STOU in binary type on a plain data connection (no TLS, no
   * throttle or other plugin transform), into a filesystem whose `openWrite` stream takes synchronous
   * writes (`writeSync`; `@ftpkit/fs-local`'s and `@ftpkit/fs-memory`'s do), are read from the socket
   * with `recv(2)` into one buffer shared by all uploads and written into the file at once, instead of
   * flowing through streams as 64 KiB chunks: about half the server CPU per byte, and no per-upload
   * buffers. The writes run on the event loop thread; an upload whose writes turn slow (two over
   * 20 ms: a disk that does not keep up) goes back to streams for the rest, so that other sessions are
   * not stalled. Everything else, and every upload where the platform or the FFI binding (koffi,
   * loaded on first use) fails, uses streams. Default true on Linux, false elsewhere.
   */
  useDirectReceive?: boolean;
  /**
   * Give memory back to the operating system when the server goes quiet after a burst of work. Once
   * {@link ServerOptions.releaseMemoryQuietTime} passed with no connection, login or data channel opening or closing,
   * no data channel is open (so never while a transfer moves bytes), the event loop was mostly idle,
   * and the process grew by 4 MiB or more since the last release (at most one every 2 s), the server
   * runs V8's memory-reducing full garbage collection (which also shrinks the young generation that a
   * burst grew), then glibc's `malloc_trim(0)`. The collection is reached through an in-process
   * `node:inspector` session, or `gc()` where there is no inspector; `malloc_trim` through koffi, and
   * only when `useSendfile` or `useDirectReceive` is on (so koffi is loaded anyway), not on musl. A
   * release takes some tens of milliseconds on the event loop thread, as a large collection does, and
   * prints one debug line. The memory is the process's: with several servers in one process, they
   * share the baseline and the interval. Default true.
   */
  releaseMemoryWhenIdle?: boolean;
  /** Seconds without activity before {@link ServerOptions.releaseMemoryWhenIdle} releases memory; > 0. Default 0.25. */
  releaseMemoryQuietTime?: number;
  /**
   * Character set of commands, replies and listings: `utf8` (default) or any label `TextDecoder` knows
   * (`latin1`, `cp1252`, `gbk`, `shift_jis`, ...), for clients that do not speak UTF-8.
   */
  encoding?: string;
  /** Commands added to (or replacing those of) the built-in table. */
  commands?: readonly CommandDefinition[];
  /** Plugins (TLS, throttling, ...), applied in order. */
  plugins?: readonly FtpPlugin[];
}

/** {@link ServerOptions} with every default applied and times in milliseconds. */
export interface ResolvedOptions {
  readonly authorizer: Authorizer;
  readonly filesystem: FileSystemFactory;
  readonly logger: Logger;
  readonly banner: (connection: { remoteAddress: string; remotePort: number }) => string;
  readonly timeoutMs: number;
  readonly dataTimeoutMs: number;
  readonly passiveAcceptTimeoutMs: number;
  readonly activeConnectTimeoutMs: number;
  readonly maxLoginAttempts: number;
  readonly authFailedTimeoutMs: number;
  readonly permitForeignAddresses: boolean;
  readonly permitPrivilegedPorts: boolean;
  readonly masqueradeAddress: string | undefined;
  readonly masqueradeAddressMap: Readonly<Record<string, string>>;
  readonly passivePorts: readonly number[] | undefined;
  readonly useGmtTimes: boolean;
  readonly tcpNoDelay: boolean;
  readonly maxCons: number;
  readonly maxConsPerIp: number;
  readonly backlog: number;
  readonly maxLineLength: number;
  readonly bufferSize: number;
  readonly useSendfile: boolean;
  readonly useDirectReceive: boolean;
  readonly releaseMemoryWhenIdle: boolean;
  readonly releaseMemoryQuietMs: number;
  readonly charset: Charset;
  readonly commands: readonly CommandDefinition[];
  readonly plugins: readonly FtpPlugin[];
}

/** The default banner, `ftpkit <version> ready.` */
export const DEFAULT_BANNER = `ftpkit ${VERSION} ready.`;

function seconds(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v < 0) throw new TypeError(`${name} must be a number of seconds >= 0, got ${v}`);
  return Math.round(v * 1000);
}

function count(name: string, value: number | undefined, fallback: number, min = 0): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min) throw new TypeError(`${name} must be an integer >= ${min}, got ${v}`);
  return v;
}

function quietTime(value: number | undefined): number {
  const v = value ?? 0.25;
  if (!Number.isFinite(v) || v <= 0) {
    throw new TypeError(`releaseMemoryQuietTime must be a number of seconds > 0, got ${v}`);
  }
  return Math.max(1, Math.round(v * 1000));
}

/** Checks options and applies defaults. Throws a TypeError naming the first bad option. */
export function resolveOptions(options: ServerOptions): ResolvedOptions {
  if (typeof options.authorizer !== 'object' || options.authorizer === null) {
    throw new TypeError('options.authorizer is required');
  }
  if (typeof options.filesystem !== 'function')
    throw new TypeError('options.filesystem must be a factory function');
  const banner = options.banner ?? DEFAULT_BANNER;
  const ports = options.passivePorts;
  if (ports !== undefined) {
    for (const port of ports) {
      if (!Number.isInteger(port) || port < 1 || port > 65535) {
        throw new TypeError(`passivePorts must hold ports 1..65535, got ${port}`);
      }
    }
  }
  return {
    authorizer: options.authorizer,
    filesystem: options.filesystem,
    logger: options.logger ?? createLogger(),
    banner: typeof banner === 'function' ? banner : () => banner,
    timeoutMs: seconds('timeout', options.timeout, 300),
    dataTimeoutMs: seconds('dataTimeout', options.dataTimeout, 300),
    passiveAcceptTimeoutMs: seconds('passiveAcceptTimeout', options.passiveAcceptTimeout, 30),
    activeConnectTimeoutMs: seconds('activeConnectTimeout', options.activeConnectTimeout, 30),
    maxLoginAttempts: count('maxLoginAttempts', options.maxLoginAttempts, 3, 1),
    authFailedTimeoutMs: seconds('authFailedTimeout', options.authFailedTimeout, 3),
    permitForeignAddresses: options.permitForeignAddresses ?? false,
    permitPrivilegedPorts: options.permitPrivilegedPorts ?? false,
    masqueradeAddress: options.masqueradeAddress,
    masqueradeAddressMap: options.masqueradeAddressMap ?? {},
    passivePorts: ports === undefined || ports.length === 0 ? undefined : [...ports],
    useGmtTimes: options.useGmtTimes ?? true,
    tcpNoDelay: options.tcpNoDelay ?? true,
    maxCons: count('maxCons', options.maxCons, 512),
    maxConsPerIp: count('maxConsPerIp', options.maxConsPerIp, 0),
    backlog: count('backlog', options.backlog, 100, 1),
    maxLineLength: count('maxLineLength', options.maxLineLength, 2048, 16),
    bufferSize: count('bufferSize', options.bufferSize, 1024 * 1024, 1024),
    useSendfile: options.useSendfile ?? process.platform === 'linux',
    useDirectReceive: options.useDirectReceive ?? process.platform === 'linux',
    releaseMemoryWhenIdle: options.releaseMemoryWhenIdle ?? true,
    releaseMemoryQuietMs: quietTime(options.releaseMemoryQuietTime),
    charset: charsetFor(options.encoding ?? 'utf8'),
    commands: options.commands ?? [],
    plugins: options.plugins ?? [],
  };
}
