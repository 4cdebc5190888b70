import { EventEmitter } from 'node:events';
import {
  type AddressInfo,
  createServer,
  type ListenOptions,
  Server as NetServer,
  type Server,
  type Socket,
} from 'node:net';
import type { FtpEventName, FtpEvents, SessionHost } from './events.js';
import { MemoryReleaser } from './memory-release.js';
import { type ResolvedOptions, resolveOptions, type ServerOptions } from './options.js';
import { plainAddress } from './protocol/address.js';
import { formatReply } from './protocol/reply.js';
import { ignoreError, Session } from './session.js';

/** A listener of one of the {@link FtpEvents}. */
export type FtpListener<K extends FtpEventName> = (...args: FtpEvents[K]) => unknown;

/**
 * The FTP server (pyftpdlib's `FTPServer` plus `FTPHandler`'s configuration). It accepts connections,
 * enforces the connection limits and runs one {@link Session} per control connection.
 *
 * ```ts
 * const server = new FtpServer({ authorizer, filesystem: localFileSystem() });
 * await server.listen({ host: '127.0.0.1', port: 2121 });
 * server.on('login', (session, user) => console.log(user, 'logged in'));
 * ```
 */
export class FtpServer {
  /** The resolved options every session of this server shares. */
  readonly options: ResolvedOptions;
  private readonly emitter = new EventEmitter();
  private readonly listening = new Set<Server>();
  private readonly live = new Set<Session>();
  private readonly perIp = new Map<string, number>();
  private dataConnections = 0;
  private readonly idleWaiters: Array<() => void> = [];
  private readonly host: SessionHost;
  /** Gives memory back when the server goes quiet (`releaseMemoryWhenIdle`); undefined when off. */
  private readonly releaser: MemoryReleaser | undefined;

  constructor(options: ServerOptions) {
    this.options = resolveOptions(options);
    this.emitter.setMaxListeners(0);
    const { releaseMemoryWhenIdle, releaseMemoryQuietMs, useSendfile, useDirectReceive, logger } =
      this.options;
    this.releaser = releaseMemoryWhenIdle
      ? new MemoryReleaser({
          quietMs: releaseMemoryQuietMs,
          logger,
          // koffi, which malloc_trim is reached through, is loaded for these data paths anyway.
          trimMalloc: useSendfile || useDirectReceive,
          busy: () => this.dataConnections > 0,
        })
      : undefined;
    // One host for every session: the server learns of a disconnect from the session in the event.
    this.host = {
      emit: (event, ...args) => {
        this.releaser?.noteActivity();
        if (event === 'disconnect') this.forget(args[0] as Session);
        this.deliver(event, args);
      },
      acquireConnection: () => {
        if (this.options.maxCons > 0 && this.connectionCount >= this.options.maxCons) return false;
        this.dataConnections += 1;
        this.releaser?.noteActivity();
        return true;
      },
      releaseConnection: () => {
        this.dataConnections = Math.max(0, this.dataConnections - 1);
        this.releaser?.noteActivity();
      },
    };
  }

  /** Control sessions plus data channels: what `maxCons` limits. */
  get connectionCount(): number {
    return this.live.size + this.dataConnections;
  }

  /** The sessions currently connected. */
  get sessions(): ReadonlySet<Session> {
    return this.live;
  }

  /** Adds an event listener (see {@link FtpEvents}). */
  on<K extends FtpEventName>(event: K, listener: FtpListener<K>): this {
    this.emitter.on(event, listener as (...args: unknown[]) => unknown);
    return this;
  }

  /** Adds a listener that runs once. */
  once<K extends FtpEventName>(event: K, listener: FtpListener<K>): this {
    this.emitter.once(event, listener as (...args: unknown[]) => unknown);
    return this;
  }

  /** Removes a listener. */
  off<K extends FtpEventName>(event: K, listener: FtpListener<K>): this {
    this.emitter.off(event, listener as (...args: unknown[]) => unknown);
    return this;
  }

  /** Calls every listener; one that throws or rejects is logged and never reaches the session. */
  private deliver(event: FtpEventName, args: readonly unknown[]): void {
    // Most servers listen to few events or none; this runs several times per login.
    if (this.emitter.listenerCount(event) === 0) return;
    for (const listener of this.emitter.listeners(event) as Array<(...a: unknown[]) => unknown>) {
      try {
        const result = listener(...args);
        if (result instanceof Promise) result.catch((error: unknown) => this.listenerFailed(event, error));
      } catch (error) {
        this.listenerFailed(event, error);
      }
    }
  }

  private listenerFailed(event: string, error: unknown): void {
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    this.options.logger.error(`listener of '${event}' failed: ${detail}`);
  }

  /**
   * Starts listening. Without a host the server listens on all interfaces (`::`, dual-stack where the
   * system allows); the default port is 2121. Given a `net.Server` (already listening or not), the
   * server serves the connections it accepts instead of opening its own listener (pyftpdlib's
   * `FTPServer(sock, ...)`). Resolves with the bound address; rejects (e.g. `EADDRINUSE`) when binding fails.
   */
  async listen(options: ListenOptions | Server = {}): Promise<AddressInfo> {
    const server =
      options instanceof NetServer ? options : createServer({ noDelay: this.options.tcpNoDelay });
    server.on('connection', (socket: Socket) => this.handleConnection(socket));
    if (!server.listening) {
      const listenOptions: ListenOptions = options instanceof NetServer ? {} : options;
      const bind: ListenOptions =
        listenOptions.port === undefined && listenOptions.path === undefined
          ? { port: 2121, ...listenOptions }
          : listenOptions;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ backlog: this.options.backlog, ...bind }, () => {
          server.off('error', reject);
          resolve();
        });
      });
    }
    server.on('error', (error) => this.options.logger.error(`listener error: ${error.message}`));
    this.listening.add(server);
    const address = server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.options.logger.info(`>>> starting FTP server on ${host}:${address.port}, pid=${process.pid} <<<`);
    return address;
  }

  /** The address of the first listener, if listening. */
  address(): AddressInfo | undefined {
    for (const server of this.listening) {
      const address = server.address();
      if (address !== null && typeof address !== 'string') return address;
    }
    return undefined;
  }

  /**
   * Runs a session on a connection accepted elsewhere (another listener, a cluster worker, a process
   * handed the socket). Applies the connection limits first.
   */
  handleConnection(socket: Socket): void {
    this.releaser?.noteActivity();
    // A refused socket gets an error listener here; a session's socket has one from start() on (nothing
    // is emitted before: errors come on a later tick).
    if (socket.remoteAddress === undefined) {
      socket.on('error', ignoreError);
      socket.destroy();
      return;
    }
    const { maxCons, maxConsPerIp, logger } = this.options;
    const ip = plainAddress(socket.remoteAddress);
    if (maxCons > 0 && this.connectionCount >= maxCons) {
      logger.warn(`${ip}:${socket.remotePort}-[] Too many connections. Service temporarily unavailable.`);
      socket.on('error', ignoreError);
      socket.end(formatReply(421, 'Too many connections. Service temporarily unavailable.'));
      socket.setTimeout(2000, () => socket.destroy());
      return;
    }
    const fromIp = this.perIp.get(ip) ?? 0;
    if (maxConsPerIp > 0 && fromIp >= maxConsPerIp) {
      logger.warn(`${ip}:${socket.remotePort}-[] Too many connections from the same IP address.`);
      socket.on('error', ignoreError);
      socket.end(formatReply(421, 'Too many connections from the same IP address.'));
      socket.setTimeout(2000, () => socket.destroy());
      return;
    }
    this.perIp.set(ip, fromIp + 1);
    const session = new Session(socket, this.options, this.host);
    this.live.add(session);
    this.deliver('connect', [session]);
    if (session.isClosing) return;
    session.start();
  }

  private forget(session: Session): void {
    if (!this.live.delete(session)) return;
    // The session's remoteAddress is the same plainAddress() that handleConnection counted.
    const ip = session.remoteAddress;
    const left = (this.perIp.get(ip) ?? 1) - 1;
    if (left <= 0) this.perIp.delete(ip);
    else this.perIp.set(ip, left);
    if (this.live.size === 0) for (const wake of this.idleWaiters.splice(0)) wake();
  }

  /** Stops accepting connections; sessions already connected go on. Resolves when the listeners closed. */
  async close(): Promise<void> {
    const servers = [...this.listening];
    this.listening.clear();
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  }

  /** Stops accepting and disconnects every session; resolves when all of them are gone. */
  async closeAll(): Promise<void> {
    const closing = this.close();
    for (const session of [...this.live]) session.close('server shutting down');
    if (this.live.size > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    await closing;
    this.releaser?.stop();
  }

  /** `await using server = new FtpServer(...)` closes everything at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.closeAll();
  }
}
