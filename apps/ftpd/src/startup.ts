/**
 * Turns a {@link ServeConfig} into a listening {@link FtpServer}: checks the shared directory (or makes
 * the memory tree), loads the TLS certificate, builds the authorizer and the server, logs pyftpdlib's
 * start lines and binds the control port and, if asked, the implicit-FTPS port.
 */

import { mkdtemp, rmdir, stat } from 'node:fs/promises';
import { type AddressInfo, isIPv6 } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DummyAuthorizer } from '@ftpkit/authorizer-dummy';
import {
  DEFAULT_BANNER,
  type FileSystemFactory,
  type FtpPlugin,
  FtpServer,
  isLevelEnabled,
  type Logger,
  type LogLevel,
  type ServerOptions,
} from '@ftpkit/core';
import { localFileSystem } from '@ftpkit/fs-local';
import { MemoryVolume, memoryFileSystem } from '@ftpkit/fs-memory';
import { createThrottlePlugin } from '@ftpkit/throttle';
import { createTlsPlugin, type TlsPlugin } from '@ftpkit/tls';
import type { ServeConfig, TlsConfig } from './cli.js';
import { StartupError } from './errors.js';
import { encodingName } from './values.js';

/**
 * The absolute path of the shared directory.
 *
 * @throws StartupError `no such directory: <path>` or `not a directory: <path>` (the path as given).
 */
export async function resolveDirectory(directory: string): Promise<string> {
  const absolute = resolve(directory);
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(absolute)).isDirectory();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new StartupError(`no such directory: ${directory}`);
    if (code === 'EACCES') throw new StartupError(`permission denied: ${directory}`);
    throw new StartupError(`cannot use directory ${directory}: ${(error as Error).message}`);
  }
  if (!isDirectory) throw new StartupError(`not a directory: ${directory}`);
  return absolute;
}

/** What the sessions see: the files, and the home directory the authorizer is given. */
export interface Storage {
  /** The filesystem factory of the server. */
  readonly filesystem: FileSystemFactory;
  /**
   * The home of the user in the authorizer: the shared directory (`--fs local`), or, with `--fs memory`,
   * an empty temporary directory that exists only because the dummy authorizer insists on an existing
   * home; the memory filesystem ignores it (every session sees the volume root as `/`).
   */
  readonly home: string;
  /** The in-memory tree with `--fs memory`. */
  readonly volume: MemoryVolume | undefined;
  /** Removes what {@link home} needed on disk (the empty temporary directory). Idempotent; never throws. */
  dispose(): Promise<void>;
}

/** The prefix of the nominal home directory of `--fs memory`, under the system temp directory. */
export const MEMORY_HOME_PREFIX = 'ftpd-memory-';

/**
 * The filesystem of the config: the `-d` directory on disk, or an empty {@link MemoryVolume}.
 *
 * @throws StartupError for a missing shared directory, or a temp directory that cannot be made.
 */
export async function buildStorage(config: ServeConfig): Promise<Storage> {
  if (config.fs === 'local') {
    const home = await resolveDirectory(config.directory ?? process.cwd());
    return { filesystem: localFileSystem(), home, volume: undefined, dispose: async () => {} };
  }
  let home: string;
  try {
    home = await mkdtemp(join(tmpdir(), MEMORY_HOME_PREFIX));
  } catch (error) {
    throw new StartupError(`cannot create a temporary directory: ${(error as Error).message}`);
  }
  const volume = new MemoryVolume();
  let disposed = false;
  return {
    // No `home` option: every session is rooted at the volume root, whatever the authorizer says.
    filesystem: memoryFileSystem(volume),
    home,
    volume,
    async dispose() {
      if (disposed) return;
      disposed = true;
      // rmdir, not rm -r: the directory is meant to be empty, and anything else in it is not ours to delete.
      await rmdir(home).catch(() => {});
    },
  };
}

/**
 * The bandwidth-limit plugin when any limit is set (server-wide flags; the user's limits reach it through
 * the dummy authorizer's `getUserLimits`). Without limits, no plugin: the data path stays untouched.
 */
export function throttlePlugins(config: ServeConfig): FtpPlugin[] {
  const { readLimit, writeLimit, userReadLimit, userWriteLimit } = config;
  if (readLimit + writeLimit + userReadLimit + userWriteLimit === 0) return [];
  return [createThrottlePlugin({ readLimit, writeLimit })];
}

/** The anonymous user, or the one named user, with the config's permission letters on `home`. */
export function buildAuthorizer(config: ServeConfig, home: string): DummyAuthorizer {
  const authorizer = new DummyAuthorizer();
  try {
    const options = {
      perm: config.perm,
      ...(config.userReadLimit > 0 ? { readLimit: config.userReadLimit } : {}),
      ...(config.userWriteLimit > 0 ? { writeLimit: config.userWriteLimit } : {}),
    };
    if (config.user === undefined) authorizer.addAnonymous(home, options);
    else authorizer.addUser(config.user.name, config.user.password, home, options);
  } catch (error) {
    throw new StartupError(error instanceof Error ? error.message : String(error));
  }
  return authorizer;
}

/**
 * The FTPS plugin of the TLS flags; the certificate and key files are resolved against the current
 * directory once, so a reload reads the same files.
 *
 * @throws StartupError when a file cannot be read or does not hold a usable certificate and key
 *   (`cannot read certFile /x.pem: ENOENT: ...`, `invalid TLS certificate or key (...): ...`).
 */
export function buildTls(tls: TlsConfig): TlsPlugin {
  try {
    return createTlsPlugin({
      certFile: resolve(tls.certFile),
      keyFile: resolve(tls.keyFile),
      tlsControlRequired: tls.controlRequired,
      tlsDataRequired: tls.dataRequired,
      sessionReuse: tls.sessionReuse,
    });
  } catch (error) {
    throw new StartupError(error instanceof Error ? error.message : String(error));
  }
}

/** What {@link serverOptions} needs besides the config. */
export interface ServerParts {
  readonly authorizer: DummyAuthorizer;
  readonly filesystem: FileSystemFactory;
  readonly logger: Logger;
  readonly plugins: readonly FtpPlugin[];
}

/** The server options that follow from the config (pyftpdlib's `FTPHandler` attributes). */
export function serverOptions(config: ServeConfig, parts: ServerParts): ServerOptions {
  const range = config.passivePorts;
  return {
    authorizer: parts.authorizer,
    filesystem: parts.filesystem,
    logger: parts.logger,
    plugins: parts.plugins,
    encoding: config.encoding,
    timeout: config.timeout,
    dataTimeout: config.timeout,
    maxCons: config.maxCons,
    maxConsPerIp: config.maxConsPerIp,
    maxLoginAttempts: config.maxLoginAttempts,
    permitForeignAddresses: config.permitForeignAddresses,
    permitPrivilegedPorts: config.permitPrivilegedPorts,
    useGmtTimes: !config.useLocaltime,
    ...(config.disableSendfile ? { useSendfile: false } : {}),
    ...(config.disableDirectReceive ? { useDirectReceive: false } : {}),
    ...(config.disableMemoryRelease ? { releaseMemoryWhenIdle: false } : {}),
    ...(config.banner === undefined ? {} : { banner: config.banner }),
    ...(config.natAddress === undefined ? {} : { masqueradeAddress: config.natAddress }),
    ...(range === undefined
      ? {}
      : { passivePorts: Array.from({ length: range.to - range.from + 1 }, (_, i) => range.from + i) }),
  };
}

function pythonBool(value: boolean): string {
  return value ? 'True' : 'False';
}

/** pyftpdlib's `FTPServer._log_start` lines, minus the final `>>> starting` one that core logs. */
export function logStart(config: ServeConfig, home: string, logger: Logger): void {
  const range = config.passivePorts;
  logger.info('concurrency model: async');
  logger.info(`masquerade (NAT) address: ${config.natAddress ?? 'None'}`);
  logger.info(`passive ports: ${range === undefined ? 'None' : `${range.from}->${range.to}`}`);
  if (config.fs === 'memory') {
    logger.info('serving an empty in-memory tree: nothing is written to disk, everything is lost at exit');
  }
  logger.debug(`authorizer: 'DummyAuthorizer'`);
  if (config.fs === 'memory') {
    logger.debug(`filesystem: 'MemoryFileSystem'`);
    logger.debug(`shared directory: (memory; nominal home '${home}', unused)`);
  } else {
    logger.debug(`filesystem: 'LocalFileSystem'`);
    logger.debug(`shared directory: '${home}'`);
  }
  logger.debug(`user: '${config.user?.name ?? 'anonymous'}', perm: '${config.perm}'`);
  logger.debug(`max connections: ${config.maxCons || 'unlimited'}`);
  logger.debug(`max connections per ip: ${config.maxConsPerIp || 'unlimited'}`);
  logger.debug(`timeout: ${config.timeout || 'unlimited'}`);
  logger.debug(`banner: '${config.banner ?? DEFAULT_BANNER}'`);
  logger.debug(`max login attempts: ${config.maxLoginAttempts}`);
  logger.debug(`sendfile: ${pythonBool(!config.disableSendfile && process.platform === 'linux')}`);
  logger.debug(`direct receive: ${pythonBool(!config.disableDirectReceive && process.platform === 'linux')}`);
  logger.debug(`release memory when idle: ${pythonBool(!config.disableMemoryRelease)}`);
  logger.debug(`encoding: '${encodingName(config.encoding)}'`);
  const tls = config.tls;
  if (tls !== undefined) {
    logger.debug(`certfile: '${resolve(tls.certFile)}'`);
    logger.debug(`keyfile: '${resolve(tls.keyFile)}'`);
    logger.debug(`tls control required: ${pythonBool(tls.controlRequired)}`);
    logger.debug(`tls data required: ${pythonBool(tls.dataRequired)}`);
    logger.debug(`tls session reuse: ${tls.sessionReuse}`);
  }
}

const LISTEN_ERRORS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'address already in use',
  EACCES: 'permission denied',
  EADDRNOTAVAIL: 'address not available',
  ENOTFOUND: 'unknown host',
  EAI_AGAIN: 'host name lookup failed',
  EAFNOSUPPORT: 'address family not supported',
};

/**
 * Runs `bind` for `port` of the config's interface, turning its failure into a one-line StartupError.
 *
 * @throws StartupError `cannot listen on <host>:<port>: address already in use` (or `permission
 *   denied`, ...); an IPv6 host is bracketed (`[::1]:2121`).
 */
async function bindOrExplain(
  config: ServeConfig,
  port: number,
  bind: (options: { host?: string; port: number }) => Promise<AddressInfo>,
): Promise<AddressInfo> {
  try {
    return await bind(config.interface === undefined ? { port } : { host: config.interface, port });
  } catch (error) {
    const { code, address, message } = error as NodeJS.ErrnoException & { address?: string };
    const host = config.interface ?? address ?? '::';
    const reason = (code === undefined ? undefined : LISTEN_ERRORS[code]) ?? message;
    // Bracketed like an IPv6 URL host, as core's start line shows it.
    const shown = isIPv6(host) ? `[${host}]` : host;
    throw new StartupError(`cannot listen on ${shown}:${port}: ${reason}`);
  }
}

/**
 * Binds the server to the config's interface and port.
 *
 * @throws StartupError `cannot listen on <host>:<port>: address already in use` (or `permission
 *   denied`, ...); an IPv6 host is bracketed (`[::1]:2121`).
 */
export function listen(server: FtpServer, config: ServeConfig): Promise<AddressInfo> {
  return bindOrExplain(config, config.port, (options) => server.listen(options));
}

/** What core logs when any listener starts. */
const CORE_START_LINE = '>>> starting FTP server on ';
/** How `ftpd` shows the start of the implicit-FTPS listener instead. */
export const IMPLICIT_START_LINE = '>>> starting FTPS (implicit) server on ';

/**
 * The server's logger: `logger`, except that while {@link relabelImplicit} is set, core's start line
 * (which says `FTP server` for every listener) is relabelled `FTPS (implicit) server`.
 */
class ServerLogger implements Logger {
  relabelImplicit = false;

  constructor(private readonly inner: Logger) {}

  debug(message: string): void {
    this.inner.debug(message);
  }

  info(message: string): void {
    this.inner.info(
      this.relabelImplicit && message.startsWith(CORE_START_LINE)
        ? IMPLICIT_START_LINE + message.slice(CORE_START_LINE.length)
        : message,
    );
  }

  warn(message: string): void {
    this.inner.warn(message);
  }

  error(message: string): void {
    this.inner.error(message);
  }

  isLevelEnabled(level: LogLevel): boolean {
    return isLevelEnabled(this.inner, level);
  }
}

/** Everything {@link startServer} built. */
export interface StartedServer {
  readonly server: FtpServer;
  /** The control listener's address (plain FTP, and explicit FTPS with TLS). */
  readonly address: AddressInfo;
  /** The implicit-FTPS listener's address, with `--implicit-tls-port`. */
  readonly implicitAddress: AddressInfo | undefined;
  /** The FTPS plugin, with TLS: `reloadCertificates()` is what SIGHUP calls. */
  readonly tls: TlsPlugin | undefined;
  /** The authorizer's home: the shared directory, absolute, or the nominal home of `--fs memory`. */
  readonly home: string;
  /** The tree served with `--fs memory`. */
  readonly volume: MemoryVolume | undefined;
  /** Removes what the server needed on disk (the nominal home of `--fs memory`); call after closing. */
  dispose(): Promise<void>;
}

/**
 * Starts the server a config describes: directory check (or memory tree), certificate, authorizer (whose
 * `RuntimeWarning` for an anonymous writer is printed before the start lines, as pyftpdlib's is), start
 * lines, bind, and the implicit-FTPS listener.
 *
 * @throws StartupError for anything that keeps the server from starting; whatever was bound or created
 *   by then is released.
 */
export async function startServer(config: ServeConfig, logger: Logger): Promise<StartedServer> {
  // The certificate first: it needs no cleanup, and a bad one is the likeliest mistake.
  const tls = config.tls === undefined ? undefined : buildTls(config.tls);
  const storage = await buildStorage(config);
  let server: FtpServer | undefined;
  try {
    const authorizer = buildAuthorizer(config, storage.home);
    // process.emitWarning prints on the next tick; let it come out before our own lines.
    await new Promise<void>((done) => setImmediate(done));
    const serverLogger = new ServerLogger(logger);
    try {
      server = new FtpServer(
        serverOptions(config, {
          authorizer,
          filesystem: storage.filesystem,
          logger: serverLogger,
          plugins: [...(tls === undefined ? [] : [tls]), ...throttlePlugins(config)],
        }),
      );
    } catch (error) {
      throw new StartupError(error instanceof Error ? error.message : String(error));
    }
    logStart(config, storage.home, logger);
    const address = await listen(server, config);
    let implicitAddress: AddressInfo | undefined;
    const implicitPort = config.tls?.implicitPort;
    if (tls !== undefined && implicitPort !== undefined) {
      const running = server;
      serverLogger.relabelImplicit = true;
      try {
        implicitAddress = await bindOrExplain(config, implicitPort, (options) =>
          tls.listenImplicit(running, options),
        );
      } finally {
        serverLogger.relabelImplicit = false;
      }
    }
    return {
      server,
      address,
      implicitAddress,
      tls,
      home: storage.home,
      volume: storage.volume,
      dispose: () => storage.dispose(),
    };
  } catch (error) {
    await server?.close();
    await storage.dispose();
    throw error;
  }
}
