import { Server, Socket } from 'node:net';

/**
 * The listener of implicit FTPS (port 990 by convention): a `net.Server` that emits `'connection'` only
 * for connections whose TLS handshake is done, with the secure socket. Handed to `FtpServer.listen()`,
 * it is served like any other listener (connection limits, sessions, `close()`/`closeAll()`), while the
 * raw TCP connections it accepts go to the `secure` callback first.
 *
 * Closing it also cuts the handshakes still in progress, so no session can start after `closeAll()`.
 */
export class ImplicitTlsListener extends Server {
  private readonly handshaking = new Set<Socket>();

  /**
   * @param secure - takes each accepted TCP connection and later calls {@link forward} with its secure
   *   socket (or destroys it).
   * @param noDelay - TCP_NODELAY on accepted sockets.
   */
  constructor(
    private readonly secure: (socket: Socket) => void,
    noDelay: boolean,
  ) {
    super({ noDelay });
  }

  /** Accepted TCP connections go to the handshake; only {@link forward}ed sockets reach the listeners. */
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'connection' && args[0] instanceof Socket) {
      const socket = args[0];
      this.handshaking.add(socket);
      socket.once('close', () => this.handshaking.delete(socket));
      this.secure(socket);
      return true;
    }
    return super.emit(event, ...args);
  }

  /** Hands a connection whose handshake finished to the listeners (the FTP server). */
  forward(raw: Socket, secure: Socket): void {
    this.handshaking.delete(raw);
    if (!this.listening) {
      secure.destroy();
      return;
    }
    // EventEmitter's own emit: this class's override is for what the TCP listener reports.
    super.emit('connection', secure);
  }

  /** Stops listening and cuts the connections still in their handshake. */
  override close(callback?: (error?: Error) => void): this {
    super.close(callback);
    for (const socket of this.handshaking) socket.destroy();
    this.handshaking.clear();
    return this;
  }
}
