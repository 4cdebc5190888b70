/**
 * Turns a {@link ServeConfig} into a listening {@link FtpServer}: checks the shared directory, builds the
 * authorizer and the server, logs pyftpdlib's start lines and binds.
 */

import { stat } from 'node:fs/promises';
import { type AddressInfo, isIPv6 } from 'node:net';
import { resolve } from 'node:path';
import { DummyAuthorizer } from '@ftpkit/authorizer-dummy';
import { DEFAULT_BANNER, FtpServer, type Logger, type ServerOptions } from '@ftpkit/core';
import { localFileSystem } from '@ftpkit/fs-local';
import type { ServeConfig } from './cli.js';
import { StartupError } from './errors.js';

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

/** The anonymous user, or the one named user, with the config's permission letters on `home`. */
export function buildAuthorizer(config: ServeConfig, home: string): DummyAuthorizer {
  const authorizer = new DummyAuthorizer();
  try {
    if (config.user === undefined) authorizer.addAnonymous(home, { perm: config.perm });
    else authorizer.addUser(config.user.name, config.user.password, home, { perm: config.perm });
  } catch (error) {
    throw new StartupError(error instanceof Error ? error.message : String(error));
  }
  return authorizer;
}

/** The server options that follow from the config (pyftpdlib's `FTPHandler` attributes). */
export function serverOptions(
  config: ServeConfig,
  authorizer: DummyAuthorizer,
  logger: Logger,
): ServerOptions {
  const range = config.passivePorts;
  return {
    authorizer,
    filesystem: localFileSystem(),
    logger,
    timeout: config.timeout,
    dataTimeout: config.timeout,
    maxCons: config.maxCons,
    maxConsPerIp: config.maxConsPerIp,
    maxLoginAttempts: config.maxLoginAttempts,
    permitForeignAddresses: config.permitForeignAddresses,
    permitPrivilegedPorts: config.permitPrivilegedPorts,
    useGmtTimes: !config.useLocaltime,
    ...(config.banner === undefined ? {} : { banner: config.banner }),
    ...(config.natAddress === undefined ? {} : { masqueradeAddress: config.natAddress }),
    ...(range === undefined
      ? {}
      : { passivePorts: Array.from({ length: range.to - range.from + 1 }, (_, i) => range.from + i) }),
  };
}

/** pyftpdlib's `FTPServer._log_start` lines, minus the final `>>> starting` one that core logs. */
export function logStart(config: ServeConfig, home: string, logger: Logger): void {
  const range = config.passivePorts;
  logger.info('concurrency model: async');
  logger.info(`masquerade (NAT) address: ${config.natAddress ?? 'None'}`);
  logger.info(`passive ports: ${range === undefined ? 'None' : `${range.from}->${range.to}`}`);
  logger.debug(`authorizer: 'DummyAuthorizer'`);
  logger.debug(`filesystem: 'LocalFileSystem'`);
  logger.debug(`shared directory: '${home}'`);
  logger.debug(`user: '${config.user?.name ?? 'anonymous'}', perm: '${config.perm}'`);
  logger.debug(`max connections: ${config.maxCons || 'unlimited'}`);
  logger.debug(`max connections per ip: ${config.maxConsPerIp || 'unlimited'}`);
  logger.debug(`timeout: ${config.timeout || 'unlimited'}`);
  logger.debug(`banner: '${config.banner ?? DEFAULT_BANNER}'`);
  logger.debug(`max login attempts: ${config.maxLoginAttempts}`);
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
 * Binds the server to the config's interface and port.
 *
 * @throws StartupError `cannot listen on <host>:<port>: address already in use` (or `permission
 *   denied`, ...); an IPv6 host is bracketed (`[::1]:2121`).
 */
export async function listen(server: FtpServer, config: ServeConfig): Promise<AddressInfo> {
  try {
    return await server.listen(
      config.interface === undefined ? { port: config.port } : { host: config.interface, port: config.port },
    );
  } catch (error) {
    const { code, address, message } = error as NodeJS.ErrnoException & { address?: string };
    const host = config.interface ?? address ?? '::';
    const reason = (code === undefined ? undefined : LISTEN_ERRORS[code]) ?? message;
    // Bracketed like an IPv6 URL host, as core's start line shows it.
    const shown = isIPv6(host) ? `[${host}]` : host;
    throw new StartupError(`cannot listen on ${shown}:${config.port}: ${reason}`);
  }
}

/** Everything {@link startServer} built. */
export interface StartedServer {
  readonly server: FtpServer;
  readonly address: AddressInfo;
  /** The shared directory, absolute. */
  readonly home: string;
}

/**
 * Starts the server a config describes: directory check, authorizer (whose `RuntimeWarning` for an
 * anonymous writer is printed before the start lines, as pyftpdlib's is), start lines, bind.
 *
 * @throws StartupError for anything that keeps the server from starting.
 */
export async function startServer(config: ServeConfig, logger: Logger): Promise<StartedServer> {
  const home = await resolveDirectory(config.directory);
  const authorizer = buildAuthorizer(config, home);
  // process.emitWarning prints on the next tick; let it come out before our own lines.
  await new Promise<void>((done) => setImmediate(done));
  let server: FtpServer;
  try {
    server = new FtpServer(serverOptions(config, authorizer, logger));
  } catch (error) {
    throw new StartupError(error instanceof Error ? error.message : String(error));
  }
  logStart(config, home, logger);
  const address = await listen(server, config);
  return { server, address, home };
}
