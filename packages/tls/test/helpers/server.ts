import { mkdtempSync, rmSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DummyAuthorizer } from '@ftpkit/authorizer-dummy';
import { FtpServer, type Logger, type ServerOptions } from '@ftpkit/core';
import { localFileSystem } from '@ftpkit/fs-local';
import { createTlsPlugin, type TlsOptions, type TlsPlugin } from '../../src/index.js';
import type { TestCertificates } from './certs.js';

/** A logger that keeps every line (for assertions on warnings). */
export class MemoryLogger implements Logger {
  readonly lines: Array<{ level: string; message: string }> = [];
  debug(message: string): void {
    this.lines.push({ level: 'debug', message });
  }
  info(message: string): void {
    this.lines.push({ level: 'info', message });
  }
  warn(message: string): void {
    this.lines.push({ level: 'warn', message });
  }
  error(message: string): void {
    this.lines.push({ level: 'error', message });
  }
  /** Messages at `level`. */
  at(level: string): string[] {
    return this.lines.filter((line) => line.level === level).map((line) => line.message);
  }
}

/** An FTPS server on ephemeral ports serving a fresh temp directory to `user`/`12345`. */
export interface FtpsServer {
  readonly server: FtpServer;
  readonly tls: TlsPlugin;
  readonly logger: MemoryLogger;
  /** The explicit-FTPS (plain + AUTH TLS) port. */
  readonly port: number;
  /** The implicit-FTPS port. */
  readonly implicitPort: number;
  readonly root: string;
  close(): Promise<void>;
}

/** Starts a server with the TLS plugin, listening for explicit and implicit FTPS on 127.0.0.1. */
export async function startFtps(
  certs: TestCertificates,
  tlsOptions: Partial<TlsOptions> = {},
  serverOptions: Partial<ServerOptions> = {},
): Promise<FtpsServer> {
  const root = await realpath(mkdtempSync(join(tmpdir(), 'ftpkit-tls-root-')));
  const authorizer = new DummyAuthorizer();
  authorizer.addUser('user', '12345', root, { perm: 'elradfmwMT' });
  const logger = new MemoryLogger();
  const tls = createTlsPlugin({ certFile: certs.serverCert, keyFile: certs.serverKey, ...tlsOptions });
  const server = new FtpServer({
    authorizer,
    filesystem: localFileSystem(),
    logger,
    authFailedTimeout: 0.05,
    plugins: [tls],
    ...serverOptions,
  });
  const address = await server.listen({ host: '127.0.0.1', port: 0 });
  const implicit = await tls.listenImplicit(server, { host: '127.0.0.1', port: 0 });
  return {
    server,
    tls,
    logger,
    port: address.port,
    implicitPort: implicit.port,
    root,
    async close() {
      await server.closeAll();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Resolves once `server` has no session left (or rejects after `timeout` ms). */
export async function waitForNoSessions(server: FtpServer, timeout = 5000): Promise<void> {
  const start = Date.now();
  while (server.sessions.size > 0 || server.connectionCount > 0) {
    if (Date.now() - start > timeout) {
      throw new Error(`still ${server.sessions.size} sessions, ${server.connectionCount} connections`);
    }
    await sleep(20);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
