import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DummyAuthorizer } from '@ftpkit/authorizer-dummy';
import { type FileSystem, FtpServer, type Logger, type ServerOptions, silentLogger } from '@ftpkit/core';
import { localFileSystem } from '@ftpkit/fs-local';
import { Client } from 'basic-ftp';

/** A server on an ephemeral port serving a fresh temp directory to `user`/`12345` and anonymous. */
export interface TestServer {
  readonly server: FtpServer;
  readonly port: number;
  readonly root: string;
  readonly authorizer: DummyAuthorizer;
  /** A basic-ftp client logged in as `user` (or the given user). */
  client(user?: string, password?: string): Promise<Client>;
  /** A raw control connection. */
  raw(): Promise<RawClient>;
  close(): Promise<void>;
}

export async function startServer(
  options: Partial<ServerOptions> = {},
  host = '127.0.0.1',
): Promise<TestServer> {
  const root = await realpath(mkdtempSync(join(tmpdir(), 'ftpkit-it-')));
  const authorizer = new DummyAuthorizer();
  authorizer.addUser('user', '12345', root, { perm: 'elradfmwMT' });
  authorizer.addAnonymous(root);
  const server = new FtpServer({
    authorizer,
    filesystem: localFileSystem(),
    logger: silentLogger,
    authFailedTimeout: 0.05,
    ...options,
  });
  const address = await server.listen({ host, port: 0 });
  const clients: Client[] = [];
  const raws: RawClient[] = [];
  return {
    server,
    port: address.port,
    root,
    authorizer,
    async client(user = 'user', password = '12345') {
      const client = new Client(10_000);
      clients.push(client);
      await client.access({ host, port: address.port, user, password });
      return client;
    },
    async raw() {
      const raw = await RawClient.connect(address.port, host);
      raws.push(raw);
      return raw;
    },
    async close() {
      for (const client of clients) client.close();
      for (const raw of raws) raw.destroy();
      await server.closeAll();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** One reply: its code, the text of the last line, and every line. */
export interface Reply {
  code: number;
  text: string;
  lines: string[];
}

/** A minimal control-connection client that reads whole (multi-line) replies. */
export class RawClient {
  private buffer = '';
  private readonly waiting: Array<(reply: Reply) => void> = [];
  private readonly ready: Reply[] = [];
  private pendingLines: string[] = [];
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('close', () => {
      this.closed = true;
    });
    socket.on('error', () => {});
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host }, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let index = this.buffer.indexOf('\r\n');
    while (index >= 0) {
      const line = this.buffer.slice(0, index);
      this.buffer = this.buffer.slice(index + 2);
      this.pendingLines.push(line);
      const first = this.pendingLines[0]!;
      const code = first.slice(0, 3);
      const done = this.pendingLines.length === 1 ? line[3] !== '-' : line.startsWith(`${code} `);
      if (done && /^\d{3}/.test(first)) {
        const reply: Reply = { code: Number(code), text: line.slice(4), lines: this.pendingLines };
        this.pendingLines = [];
        const waiter = this.waiting.shift();
        if (waiter) waiter(reply);
        else this.ready.push(reply);
      }
      index = this.buffer.indexOf('\r\n');
    }
  }

  /** The next reply (waits up to `timeout` ms). */
  reply(timeout = 10_000): Promise<Reply> {
    const ready = this.ready.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiting.indexOf(done);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(new Error(`no reply within ${timeout} ms`));
      }, timeout);
      const done = (reply: Reply): void => {
        clearTimeout(timer);
        resolve(reply);
      };
      this.waiting.push(done);
    });
  }

  /** Sends raw bytes. */
  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Sends a command line and returns its reply. */
  async send(line: string): Promise<Reply> {
    this.socket.write(`${line}\r\n`);
    return this.reply();
  }

  /** Waits for the banner, then logs in. */
  async login(user = 'user', password = '12345'): Promise<void> {
    await this.reply();
    await this.send(`USER ${user}`);
    const reply = await this.send(`PASS ${password}`);
    if (reply.code !== 230) throw new Error(`login failed: ${reply.code} ${reply.text}`);
  }

  /** Resolves when the server closed the connection. */
  waitClosed(timeout = 10_000): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('connection not closed')), timeout);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Opens the data connection a 227 reply announces. */
export function connectPasv(reply: Reply): Promise<Socket> {
  const match = /\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)/.exec(reply.text);
  if (!match) throw new Error(`not a 227 reply: ${reply.text}`);
  const host = match.slice(1, 5).join('.');
  const port = Number(match[5]) * 256 + Number(match[6]);
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Reads a socket to its end. */
export function readAll(socket: Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('end', () => resolve(Buffer.concat(chunks)));
    socket.once('error', reject);
  });
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .once('end', () => resolve(hash.digest('hex')))
      .once('error', reject);
  });
}

export { randomBytes };

/** A temp directory removed by the returned function. */
export function tempDir(): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), 'ftpkit-local-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Keeps every line, so tests can see which path a transfer took (core logs it at debug level). */
export class LineLogger implements Logger {
  readonly lines: string[] = [];
  debug(message: string): void {
    this.lines.push(message);
  }
  info(message: string): void {
    this.lines.push(message);
  }
  warn(message: string): void {
    this.lines.push(message);
  }
  error(message: string): void {
    this.lines.push(message);
  }
  /** The byte counts of the transfers of `path` that ended, in order (from their `completed=` lines). */
  bytesLogged(path: string): number[] {
    return this.lines
      .filter((line) => line.includes(` ${path} completed=`))
      .map((line) => Number(/bytes=(\d+)/.exec(line)?.[1]));
  }
  /** The lines that mention `text`, without their session prefix (`[...] `). */
  mentioning(text: string): string[] {
    return this.lines.filter((line) => line.includes(text)).map((line) => line.replace(/^.*?\] /, ''));
  }
}

/**
 * `fs` with some methods replaced (a proxy rather than a subclass: LocalFileSystem keeps private
 * fields, which its own methods must see on the real object).
 */
export function overriding(fs: FileSystem, overrides: Partial<FileSystem>): FileSystem {
  return new Proxy(fs, {
    get(target, property) {
      if (Object.hasOwn(overrides, property)) return overrides[property as keyof FileSystem];
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
