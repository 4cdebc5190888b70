import { randomInt } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { plainAddress } from '../protocol/address.js';

/** Settings a {@link DataChannel} needs; all come from the session's options. */
export interface DataChannelConfig {
  /** Ports for PASV/EPSV listeners, tried in random order; undefined = kernel-chosen. */
  readonly passivePorts: readonly number[] | undefined;
  /** Milliseconds a passive listener waits for the client (0 = forever). */
  readonly passiveAcceptTimeout: number;
  /** Milliseconds an active connect may take (0 = no limit). */
  readonly activeConnectTimeout: number;
  /** Accept data connections from (and connect to) other hosts than the control peer. */
  readonly permitForeignAddresses: boolean;
  /** Backlog of passive listeners. */
  readonly backlog: number;
  /** Sets TCP_NODELAY on data sockets. */
  readonly tcpNoDelay: boolean;
}

/** What a {@link DataChannel} tells its session. */
export interface DataChannelEvents {
  /** A passive listener was not connected to in time. The channel is already closed. */
  passiveTimeout(): void;
  /** A connection from another host than the control peer was refused (the listener keeps waiting). */
  foreignConnection(address: string, port: number): void;
  /** A data connection (passive or active) is ready. */
  connected(socket: Socket): void;
  /** No free port in the configured passive range: a kernel-chosen port is used. */
  passiveRangeExhausted(): void;
}

/** The outcome of an active connect. */
export type ActiveConnectResult = { ok: true } | { ok: false; reason: 'timeout' | 'error' | 'closed' };

/**
 * One PASV/EPSV listener or PORT/EPRT connection, for one transfer. A channel is opened by one data
 * command and closed by the next, by ABOR, by the end of its transfer or by the session's end.
 */
export class DataChannel {
  private server: Server | undefined;
  private pendingSocket: Socket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** The connected data socket, once there is one. */
  socket: Socket | undefined;

  constructor(
    private readonly config: DataChannelConfig,
    private readonly controlPeer: string,
    private readonly events: DataChannelEvents,
  ) {}

  /** `passive` while a listener waits, `active` while connecting, `connected`, or `closed`. */
  get state(): 'passive' | 'active' | 'connected' | 'closed' {
    if (this.closed) return 'closed';
    if (this.socket !== undefined) return 'connected';
    if (this.server !== undefined) return 'passive';
    return 'active';
  }

  /** Opens a passive listener on `host` and resolves with its port. */
  async listen(host: string): Promise<number> {
    const server = createServer({ pauseOnConnect: true, noDelay: this.config.tcpNoDelay });
    this.server = server;
    server.on('connection', (socket) => this.onIncoming(socket));
    const port = await this.bindPassive(server, host);
    server.on('error', () => this.close());
    if (this.closed) throw new Error('data channel closed');
    if (this.config.passiveAcceptTimeout > 0) {
      this.timer = setTimeout(() => {
        this.close();
        this.events.passiveTimeout();
      }, this.config.passiveAcceptTimeout);
    }
    return port;
  }

  private async bindPassive(server: Server, host: string): Promise<number> {
    const ports = this.config.passivePorts;
    if (ports !== undefined && ports.length > 0) {
      for (const port of shuffled(ports)) {
        const result = await tryListen(server, host, port, this.config.backlog);
        if (result === 'ok') return port;
        if (result !== 'busy') throw result;
      }
      this.events.passiveRangeExhausted();
    }
    const result = await tryListen(server, host, 0, this.config.backlog);
    if (result !== 'ok') throw result === 'busy' ? new Error('no port available') : result;
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('listener has no port');
    return address.port;
  }

  private onIncoming(socket: Socket): void {
    if (this.closed || this.socket !== undefined) {
      socket.destroy();
      return;
    }
    const peer = plainAddress(socket.remoteAddress ?? '');
    if (!this.config.permitForeignAddresses && peer !== this.controlPeer) {
      socket.destroy();
      this.events.foreignConnection(peer, socket.remotePort ?? 0);
      return;
    }
    this.clearTimer();
    this.server?.close();
    this.server = undefined;
    this.adopt(socket);
  }

  /** Connects to the client's `host:port` from `localAddress`. */
  connect(host: string, port: number, localAddress: string | undefined): Promise<ActiveConnectResult> {
    return new Promise((resolve) => {
      const socket = connect({
        host,
        port,
        ...(localAddress === undefined ? {} : { localAddress }),
        noDelay: this.config.tcpNoDelay,
      });
      this.pendingSocket = socket;
      let settled = false;
      const settle = (result: ActiveConnectResult): void => {
        if (settled) return;
        settled = true;
        this.clearTimer();
        socket.removeListener('error', onError);
        resolve(result);
      };
      const onError = (): void => {
        socket.destroy();
        this.pendingSocket = undefined;
        settle({ ok: false, reason: this.closed ? 'closed' : 'error' });
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        this.pendingSocket = undefined;
        if (this.closed) {
          socket.destroy();
          settle({ ok: false, reason: 'closed' });
          return;
        }
        settle({ ok: true });
        this.adopt(socket);
      });
      if (this.config.activeConnectTimeout > 0) {
        this.timer = setTimeout(() => {
          socket.destroy();
          this.pendingSocket = undefined;
          settle({ ok: false, reason: 'timeout' });
        }, this.config.activeConnectTimeout);
      }
      socket.once('close', () => settle({ ok: false, reason: 'closed' }));
    });
  }

  private adopt(socket: Socket): void {
    this.socket = socket;
    // Errors are reported through the transfer's pipeline; this keeps an idle socket's error harmless.
    socket.on('error', () => {});
    socket.once('close', () => this.close());
    this.events.connected(socket);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Closes the listener, the pending connect and the data socket. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.clearTimer();
    this.server?.close();
    this.server = undefined;
    this.pendingSocket?.destroy();
    this.pendingSocket = undefined;
    this.socket?.destroy();
  }

  /** True once {@link close} ran. */
  get isClosed(): boolean {
    return this.closed;
  }
}

function tryListen(
  server: Server,
  host: string,
  port: number,
  backlog: number,
): Promise<'ok' | 'busy' | Error> {
  return new Promise((resolve) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      server.removeListener('listening', onListening);
      if (error.code === 'EADDRINUSE' || error.code === 'EACCES' || error.code === 'EPERM') resolve('busy');
      else resolve(error);
    };
    const onListening = (): void => {
      server.removeListener('error', onError);
      resolve('ok');
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ host, port, backlog, exclusive: true });
  });
}

/** A copy of `ports` in random order (Fisher-Yates with a CSPRNG, so the next port is unpredictable). */
function shuffled(ports: readonly number[]): number[] {
  const copy = [...ports];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    const tmp = copy[i]!;
    copy[i] = copy[j]!;
    copy[j] = tmp;
  }
  return copy;
}
