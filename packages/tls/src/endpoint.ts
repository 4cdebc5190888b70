import { randomBytes } from 'node:crypto';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer, type SecureContextOptions, type Server, type TLSSocket } from 'node:tls';

/** How long a session's TLS sessions stay resumable: the longest TLS 1.3 allows (RFC 8446, 7 days). */
const SESSION_LIFETIME_SECONDS = 7 * 24 * 3600;
/** TLS 1.2 session-ID cache entries kept per FTP session (clients that do not use tickets). */
const SESSION_CACHE_SIZE = 16;
/** Node's own handshake timer is not used (it turns 0 into 120 s); ours is per handshake. */
const NODE_HANDSHAKE_TIMEOUT_MS = 2_147_483_647;

/** Client-certificate settings of an {@link TlsEndpoint}. */
export interface PeerVerification {
  /** Ask the client for a certificate. */
  readonly requestCert: boolean;
  /** Refuse a missing or untrusted client certificate (with {@link requestCert}). */
  readonly rejectUnauthorized: boolean;
}

/** A TLS handshake that did not finish in time. */
export class HandshakeTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`TLS handshake not completed within ${timeoutMs} ms`);
    this.name = 'HandshakeTimeoutError';
  }
}

/**
 * The TLS side of one FTP session: it performs the server-side handshakes of the control connection and
 * of every data connection of that session, and nothing else.
 *
 * All of them share session-ticket keys, a session-ID context and a session cache that belong to this
 * session alone. So a data connection can resume the control connection's TLS session (TLS 1.2 tickets or
 * session IDs, TLS 1.3 PSK tickets), while a session issued to any other FTP session is unknown here and
 * forces a full handshake. That is what makes `isSessionReused()` on a data connection mean "this is the
 * client of this control connection" (vsftpd gets the same from one process per session).
 *
 * Handshakes run in Node's own `tls.Server` machinery (injected connections, the documented use of its
 * `'connection'` event), which verifies client certificates and reports failures; a server is used for
 * one handshake at a time, so its events always belong to that handshake.
 */
export class TlsEndpoint {
  private readonly ticketKeys = randomBytes(48);
  private readonly sessionIdContext = randomBytes(16).toString('hex');
  private readonly sessionCache = new Map<string, Buffer>();
  private readonly idle: Server[] = [];

  constructor(
    private readonly contextOptions: Readonly<SecureContextOptions>,
    private readonly verification: PeerVerification,
  ) {
    // Build the first context now, so that a failure is reported where the endpoint is made.
    this.idle.push(this.createServer());
  }

  /**
   * Runs a server-side handshake on `socket` (a `net.Socket` keeps Node's fast native path; any duplex
   * works). The connection is taken over synchronously, before this returns, so bytes the client sends
   * at once (a ClientHello right behind `234`) are never read by anyone else. Resolves with the secure
   * socket; rejects, with `socket` destroyed, when the handshake fails, the peer goes away, the client
   * certificate is refused or `timeoutMs` (0: no limit) passes.
   */
  handshake(socket: Duplex, timeoutMs: number): Promise<TLSSocket> {
    const server = this.idle.pop() ?? this.createServer();
    return new Promise<TLSSocket>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const cleanup = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        server.off('secureConnection', onSecure);
        server.off('tlsClientError', onFailure);
      };
      const onSecure = (tlsSocket: TLSSocket): void => {
        cleanup();
        this.idle.push(server);
        // An error between now and the caller attaching its own listener must not go unhandled.
        tlsSocket.on('error', ignore);
        if (!(socket instanceof Socket)) {
          // A stream without a native handle (the control transport): an empty write would trip an
          // assertion in Node's JSStreamSocket. The control connection always writes a reply before it
          // ends, which orders the same way.
          resolve(tlsSocket);
          return;
        }
        // Wait until what the handshake produced (TLS 1.3 session tickets) has reached the socket. If the
        // socket were ended while that write is still in flight, Node 20 sends the FIN without the
        // close_notify (seen with ftplib: an upload whose close_notify arrives with the client's
        // Finished ends in "UNEXPECTED_EOF" on the client). An empty write completes after it.
        tlsSocket.write(EMPTY, () => {
          if (tlsSocket.destroyed) reject(new Error('connection closed right after the TLS handshake'));
          else resolve(tlsSocket);
        });
      };
      const onFailure = (error: Error, tlsSocket: TLSSocket): void => {
        cleanup();
        this.idle.push(server);
        tlsSocket.on('error', ignore);
        tlsSocket.destroy();
        socket.destroy();
        reject(error);
      };
      server.on('secureConnection', onSecure);
      server.on('tlsClientError', onFailure);
      if (timeoutMs > 0) {
        timer = setTimeout(() => {
          // The server is not reused: a late event from it must not be taken for another handshake's.
          cleanup();
          socket.on('error', ignore);
          socket.destroy();
          reject(new HandshakeTimeoutError(timeoutMs));
        }, timeoutMs);
      }
      server.emit('connection', socket);
    });
  }

  private createServer(): Server {
    const server = createServer({
      ...this.contextOptions,
      requestCert: this.verification.requestCert,
      rejectUnauthorized: this.verification.rejectUnauthorized,
      ticketKeys: this.ticketKeys,
      sessionIdContext: this.sessionIdContext,
      sessionTimeout: SESSION_LIFETIME_SECONDS,
      handshakeTimeout: NODE_HANDSHAKE_TIMEOUT_MS,
    });
    server.on('newSession', (id: Buffer, data: Buffer, done: () => void) => {
      this.remember(id.toString('hex'), data);
      done();
    });
    server.on('resumeSession', (id: Buffer, done: (error: Error | null, data: Buffer | null) => void) => {
      done(null, this.sessionCache.get(id.toString('hex')) ?? null);
    });
    return server;
  }

  private remember(id: string, data: Buffer): void {
    this.sessionCache.delete(id);
    this.sessionCache.set(id, data);
    if (this.sessionCache.size > SESSION_CACHE_SIZE) {
      const oldest = this.sessionCache.keys().next().value;
      if (oldest !== undefined) this.sessionCache.delete(oldest);
    }
  }
}

const EMPTY = Buffer.alloc(0);

function ignore(): void {}
