/**
 * The `ftpd` program: parse the command line, start the server, run until SIGINT or SIGTERM, stop cleanly.
 * Importing this module does nothing; {@link main} does it all.
 */

import type { AddressInfo } from 'node:net';
import { createLogger, DEFAULT_BANNER, type FtpServer, type Logger } from '@ftpkit/core';
import type { TlsPlugin } from '@ftpkit/tls';
import { parseArguments, type ServeConfig } from './cli.js';
import { StartupError, UsageError } from './errors.js';
import { helpText } from './flags.js';
import {
  type ReloadTrap,
  type SignalTarget,
  signalExitCode,
  trapReloadSignal,
  trapShutdownSignals,
} from './signals.js';
import { type StartedServer, startServer } from './startup.js';
import { FTPD_VERSION } from './version.js';

/** The exit status for a bad command line or a failed start (argparse's). */
export const EXIT_USAGE = 2;

/** How long a clean shutdown may take before the process is made to exit. */
export const SHUTDOWN_TIMEOUT_MS = 5000;

/** Something text can be written to. */
export interface TextSink {
  write(chunk: string): unknown;
}

/** What {@link main} talks to; every member defaults to the real process. Tests replace them. */
export interface MainEnvironment {
  /** Help and version text. Default `process.stdout`. */
  readonly stdout: TextSink;
  /** Log lines and `ftpd: error:` lines. Default `process.stderr`. */
  readonly stderr: TextSink;
  /** Where the SIGINT/SIGTERM (and, with TLS, SIGHUP) handlers go. Default `process`. */
  readonly signals: SignalTarget;
  /** Ends the process at once: a second signal, or a shutdown that hangs. Default `process.exit`. */
  readonly exit: (code: number) => void;
  /** The default shared directory. Default `process.cwd()`. */
  readonly cwd: string;
  /**
   * Called once the server listens on every port (tests learn the ports, the server and the rest here).
   */
  readonly onListening?: (address: AddressInfo, server: FtpServer, started: StartedServer) => void;
}

function environment(overrides: Partial<MainEnvironment>): MainEnvironment {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    signals: process,
    exit: (code) => process.exit(code),
    cwd: process.cwd(),
    ...overrides,
  };
}

/**
 * What SIGHUP does with TLS on: re-reads the certificate and key files, logging `certificates reloaded
 * (...)` or, when that fails (the previous certificate then stays in force), the reason. Never throws.
 *
 * @param tls - the running server's FTPS plugin; undefined while the server is still starting.
 */
export function reloadCertificates(tls: TlsPlugin | undefined, logger: Logger): void {
  if (tls === undefined) {
    logger.warn('SIGHUP ignored: the server is still starting');
    return;
  }
  const { certFile, keyFile } = tls.options;
  const files = keyFile === certFile ? `certfile ${certFile}` : `certfile ${certFile}, keyfile ${keyFile}`;
  try {
    tls.reloadCertificates();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    logger.error(`cannot reload certificates, keeping the previous ones: ${reason}`);
    return;
  }
  logger.info(`certificates reloaded (${files})`);
}

/**
 * Runs `ftpd` with the given arguments and resolves with the exit status once it is over: 0 after
 * `--help`, `--version` or a clean shutdown on SIGINT/SIGTERM; {@link EXIT_USAGE} (2) after printing one
 * `ftpd: error: <message>` line for a bad command line or a server that cannot start.
 *
 * On the first SIGINT or SIGTERM it logs `>>> shutting down FTP server (<n> active sessions) <<<`,
 * disconnects every session, removes its signal handlers and resolves 0, leaving the process to exit
 * by itself once the last socket is flushed. A second signal exits at once (128 + signal number), and
 * so does a shutdown still running after {@link SHUTDOWN_TIMEOUT_MS} (status 1). With TLS, each SIGHUP
 * reloads the certificates ({@link reloadCertificates}); without TLS, SIGHUP keeps its default effect.
 *
 * @param argv - the arguments, e.g. `process.argv.slice(2)`.
 * @param overrides - replacements for the process's streams, signals, exit and cwd (for tests).
 */
export async function main(
  argv: readonly string[],
  overrides: Partial<MainEnvironment> = {},
): Promise<number> {
  const env = environment(overrides);
  const fail = (message: string): number => {
    env.stderr.write(`ftpd: error: ${message}\n`);
    return EXIT_USAGE;
  };
  let config: ServeConfig;
  try {
    const parsed = parseArguments(argv, env.cwd);
    if (parsed.action === 'help') {
      env.stdout.write(helpText(DEFAULT_BANNER));
      return 0;
    }
    if (parsed.action === 'version') {
      env.stdout.write(`ftpd ${FTPD_VERSION}\n`);
      return 0;
    }
    config = parsed;
  } catch (error) {
    if (error instanceof UsageError) return fail(error.message);
    throw error;
  }
  const logger = createLogger({ level: config.debug ? 'debug' : 'info', stream: env.stderr });
  // Trapped before listening: a client (or a test) may signal as soon as the start line is out.
  const trap = trapShutdownSignals(env.signals, (signal) => env.exit(signalExitCode(signal)));
  let started: StartedServer | undefined;
  const reload: ReloadTrap | undefined =
    config.tls === undefined
      ? undefined
      : trapReloadSignal(env.signals, () => reloadCertificates(started?.tls, logger));
  try {
    started = await startServer(config, logger);
  } catch (error) {
    trap.dispose();
    reload?.dispose();
    if (error instanceof StartupError) return fail(error.message);
    throw error;
  }
  const { server, address } = started;
  env.onListening?.(address, server, started);
  await trap.received;
  logger.info(`>>> shutting down FTP server (${server.sessions.size} active sessions) <<<`);
  const watchdog = setTimeout(() => {
    logger.error(`shutdown took longer than ${SHUTDOWN_TIMEOUT_MS / 1000} s; exiting`);
    env.exit(1);
  }, SHUTDOWN_TIMEOUT_MS);
  // The watchdog must not be what keeps the process alive.
  watchdog.unref();
  try {
    await server.closeAll();
    await started.dispose();
  } finally {
    clearTimeout(watchdog);
    trap.dispose();
    reload?.dispose();
  }
  return 0;
}
