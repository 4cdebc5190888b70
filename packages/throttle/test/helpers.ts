import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { DummyAuthorizer } from '@ftpkit/authorizer-dummy';
import {
  type FileSystemFactory,
  type FtpPlugin,
  FtpServer,
  type OpenWriteOptions,
  type ServerOptions,
  silentLogger,
} from '@ftpkit/core';
import { localFileSystem } from '@ftpkit/fs-local';
import { Client } from 'basic-ftp';
import { expect, vi } from 'vitest';

export const KiB = 1024;
export const MiB = 1024 * 1024;

/** A server on an ephemeral port serving a temp directory to `user`/`12345`, `other`/`pw` and anonymous. */
export interface TestServer {
  readonly server: FtpServer;
  readonly port: number;
  readonly root: string;
  readonly authorizer: DummyAuthorizer;
  /** Creates `name` in the root with `size` bytes (a repeating pattern, cheap to make). */
  file(name: string, size: number): Buffer;
  /** A raw control connection, logged in (default `user`) and in binary mode. */
  login(user?: string, password?: string): Promise<RawClient>;
  /** A basic-ftp client logged in as `user` (or the given user). */
  client(user?: string, password?: string): Promise<Client>;
  close(): Promise<void>;
}

export interface StartOptions {
  readonly plugins: readonly FtpPlugin[];
  readonly server?: Partial<ServerOptions>;
  /** Adds users; default `user` (all permissions), `other` (all permissions) and anonymous (read-only). */
  readonly users?: (authorizer: DummyAuthorizer, root: string) => void;
}

export async function startServer(options: StartOptions): Promise<TestServer> {
  const root = await realpath(mkdtempSync(join(tmpdir(), 'ftpkit-throttle-')));
  const authorizer = new DummyAuthorizer();
  if (options.users) options.users(authorizer, root);
  else {
    authorizer.addUser('user', '12345', root, { perm: 'elradfmwMT' });
    authorizer.addUser('other', 'pw', root, { perm: 'elradfmwMT' });
    authorizer.addAnonymous(root);
  }
  const server = new FtpServer({
    authorizer,
    filesystem: localFileSystem(),
    logger: silentLogger,
    authFailedTimeout: 0.05,
    plugins: options.plugins,
    ...options.server,
  });
  const address = await server.listen({ host: '127.0.0.1', port: 0 });
  const raws: RawClient[] = [];
  const clients: Client[] = [];
  return {
    server,
    port: address.port,
    root,
    authorizer,
    file(name, size) {
      const data = pattern(size);
      writeFileSync(join(root, name), data);
      return data;
    },
    async login(user = 'user', password = '12345') {
      const raw = await RawClient.connect(address.port);
      raws.push(raw);
      await raw.login(user, password);
      expect(await raw.send('TYPE I')).toMatchObject({ code: 200 });
      return raw;
    },
    async client(user = 'user', password = '12345') {
      const client = new Client(10_000);
      clients.push(client);
      await client.access({ host: '127.0.0.1', port: address.port, user, password });
      return client;
    },
    async close() {
      for (const client of clients) client.close();
      for (const raw of raws) raw.destroy();
      await server.closeAll();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** `size` bytes of a pattern that changes every byte, so truncation or reordering shows. */
export function pattern(size: number): Buffer {
  const data = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) data[i] = (i * 7 + (i >>> 10)) & 0xff;
  return data;
}

/** One reply: its code and the text of its last line. */
export interface Reply {
  code: number;
  text: string;
}

/** A minimal control-connection client. */
export class RawClient {
  private buffer = '';
  private readonly waiting: Array<(reply: Reply) => void> = [];
  private readonly ready: Reply[] = [];
  private pending: string | undefined;

  private constructor(readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', () => {});
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1' }, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let index = this.buffer.indexOf('\r\n');
    while (index >= 0) {
      const line = this.buffer.slice(0, index);
      this.buffer = this.buffer.slice(index + 2);
      index = this.buffer.indexOf('\r\n');
      const code = this.pending ?? line.slice(0, 3);
      if (this.pending === undefined && line[3] === '-') {
        this.pending = code;
        continue;
      }
      if (this.pending !== undefined && !line.startsWith(`${code} `)) continue;
      this.pending = undefined;
      const reply = { code: Number(code), text: line.slice(4) };
      const waiter = this.waiting.shift();
      if (waiter) waiter(reply);
      else this.ready.push(reply);
    }
  }

  /** The next reply (waits up to `timeout` ms). */
  reply(timeout = 15_000): Promise<Reply> {
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

  /** Sends a command line without waiting. */
  write(line: string): void {
    this.socket.write(`${line}\r\n`);
  }

  /** Sends a command line and returns its reply. */
  async send(line: string): Promise<Reply> {
    this.write(line);
    return this.reply();
  }

  async login(user: string, password: string): Promise<void> {
    await this.reply();
    await this.send(`USER ${user}`);
    const reply = await this.send(`PASS ${password}`);
    if (reply.code !== 230) throw new Error(`login failed: ${reply.code} ${reply.text}`);
  }

  /** PASV, then connects the data socket. */
  async pasv(): Promise<Socket> {
    const reply = await this.send('PASV');
    const match = /\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)/.exec(reply.text);
    if (!match) throw new Error(`not a 227 reply: ${reply.code} ${reply.text}`);
    const host = match.slice(1, 5).join('.');
    const port = Number(match[5]) * 256 + Number(match[6]);
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port }, () => resolve(socket));
      socket.once('error', reject);
    });
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Counts bytes as they arrive and when, for rate measurements. */
export class Meter {
  /** Bytes so far. */
  bytes = 0;
  /** performance.now() of the first byte, NaN before. */
  first = Number.NaN;
  /** performance.now() of the latest byte. */
  last = Number.NaN;
  private readonly times: number[] = [];
  private readonly totals: number[] = [];

  /** Records `count` bytes arriving now. */
  add(count: number): void {
    const t = performance.now();
    if (Number.isNaN(this.first)) this.first = t;
    this.last = t;
    this.bytes += count;
    this.times.push(t);
    this.totals.push(this.bytes);
  }

  /** Counts everything the socket delivers; resolves when it ends. */
  watch(socket: Socket): Promise<void> {
    socket.on('data', (chunk: Buffer) => this.add(chunk.length));
    return new Promise((resolve, reject) => {
      socket.once('end', () => resolve());
      socket.once('error', reject);
    });
  }

  /** Bytes per second between two performance.now() values. */
  rateBetween(from: number, to: number): number {
    return ((this.bytesAt(to) - this.bytesAt(from)) * 1000) / (to - from);
  }

  /** Bytes received by `time` (a performance.now() value). */
  bytesAt(time: number): number {
    let total = 0;
    for (let i = 0; i < this.times.length && this.times[i]! <= time; i++) total = this.totals[i]!;
    return total;
  }

  /**
   * Bytes per second from the first arrival at or after `first + skipMs` to the last one, ignoring the
   * initial burst; also returns the length of that window in seconds.
   */
  steadyRate(skipMs = 500): { rate: number; seconds: number } {
    const from = this.times.findIndex((t) => t >= this.first + skipMs);
    if (from < 0) throw new Error('transfer shorter than the skipped start');
    const seconds = (this.last - this.times[from]!) / 1000;
    return { rate: (this.bytes - this.totals[from]!) / seconds, seconds };
  }
}

/**
 * Starts a RETR on a fresh data connection. `done()` waits for the data to end and for the `226`; a
 * test that expects another ending (ABOR) reads the replies itself instead.
 */
export async function startDownload(
  client: RawClient,
  path: string,
): Promise<{ meter: Meter; data: Socket; done: () => Promise<void> }> {
  const data = await client.pasv();
  const meter = new Meter();
  const ended = meter.watch(data);
  ended.catch(() => {});
  client.write(`RETR ${path}`);
  const preliminary = await client.reply();
  expect([125, 150]).toContain(preliminary.code);
  const done = async (): Promise<void> => {
    await ended;
    expect(await client.reply()).toMatchObject({ code: 226 });
  };
  return { meter, data, done };
}

/** The relative error of `actual` against `expected`. */
export function error(actual: number, expected: number): number {
  return Math.abs(actual - expected) / expected;
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Wraps a filesystem factory so every file opened for writing reports the bytes written to it to a
 * meter: the server-side view of an upload, after the throttle.
 */
export function meteredUploads(meters: Map<string, Meter>): FileSystemFactory {
  const base = localFileSystem();
  return async (context) => {
    const fs = await base(context);
    const openWrite = fs.openWrite.bind(fs);
    fs.openWrite = async (path: string, options: OpenWriteOptions) => {
      const meter = new Meter();
      meters.set(path.slice(path.lastIndexOf('/') + 1), meter);
      return new MeteredWritable(await openWrite(path, options), meter);
    };
    return fs;
  };
}

class MeteredWritable extends Writable {
  constructor(
    private readonly inner: Writable,
    private readonly meter: Meter,
  ) {
    super();
    inner.on('error', (e) => this.destroy(e));
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.meter.add(chunk.length);
    if (this.inner.write(chunk)) callback();
    else this.inner.once('drain', () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.inner.end();
    finished(this.inner).then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.inner.destroy();
    callback(error);
  }
}

/**
 * Waits until every meter has seen its first byte, then measures the window that starts `skipMs` after
 * the last of those first bytes and lasts `windowMs`; returns each meter's rate over that same window.
 */
export async function measureTogether(
  meters: readonly Meter[],
  windowMs: number,
  skipMs = 500,
): Promise<{ rates: number[]; total: number }> {
  await vi.waitFor(() => {
    if (meters.some((m) => Number.isNaN(m.first))) throw new Error('not all transfers started');
  }, 10_000);
  const from = Math.max(...meters.map((m) => m.first)) + skipMs;
  const to = from + windowMs;
  await sleep(to - performance.now() + 20);
  const rates = meters.map((m) => m.rateBetween(from, to));
  return { rates, total: rates.reduce((a, b) => a + b, 0) };
}
