/**
 * {@link startTestServer}: a real `FtpServer` on an ephemeral loopback port, with basic-ftp clients.
 *
 * @module
 */
import {
  type Authorizer,
  type FileSystemFactory,
  FtpServer,
  type ServerOptions,
  silentLogger,
} from '@ftpkit/core';
import { Client } from 'basic-ftp';

/** Options of {@link startTestServer}: the server's options, with test-friendly defaults. */
export interface TestServerOptions extends Omit<ServerOptions, 'authorizer' | 'filesystem'> {
  readonly authorizer: Authorizer;
  readonly filesystem: FileSystemFactory;
  /** The address to listen on. Default `127.0.0.1`. */
  readonly host?: string;
  /** basic-ftp's timeout for each client, in ms. Default 10 000. */
  readonly clientTimeoutMs?: number;
}

/** A running test server. */
export interface TestServer {
  readonly server: FtpServer;
  readonly host: string;
  readonly port: number;
  /** A basic-ftp client, connected and logged in (rejects when the login fails). */
  client(user: string, password: string): Promise<Client>;
  /** Closes every client made by {@link client} and every session, then the listener. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts a real server for a test. Defaults: a silent logger and a 50 ms failed-login delay
 * (`authFailedTimeout: 0.05`); anything in `options` wins.
 *
 * @example
 * ```ts
 * const t = await startTestServer({ authorizer, filesystem: memoryFileSystem(volume) });
 * try {
 *   const client = await t.client('alice', 'secret');
 *   await client.uploadFrom(Readable.from(['hello']), 'hello.txt');
 * } finally {
 *   await t.close();
 * }
 * ```
 */
export async function startTestServer(options: TestServerOptions): Promise<TestServer> {
  const { host = '127.0.0.1', clientTimeoutMs = 10_000, ...serverOptions } = options;
  const server = new FtpServer({ logger: silentLogger, authFailedTimeout: 0.05, ...serverOptions });
  const address = await server.listen({ host, port: 0 });
  const clients: Client[] = [];
  const close = async (): Promise<void> => {
    for (const client of clients.splice(0)) client.close();
    await server.closeAll();
  };
  return {
    server,
    host,
    port: address.port,
    async client(user: string, password: string): Promise<Client> {
      const client = new Client(clientTimeoutMs);
      clients.push(client);
      await client.access({ host, port: address.port, user, password });
      return client;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
