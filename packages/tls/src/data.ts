import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { Session } from '@ftpkit/core';
import type { SessionReusePolicy } from './options.js';
import { describeError, type TlsSessionState } from './state.js';

/** The 522 text of a data connection refused under `sessionReuse: 'require'`. */
export const SESSION_REUSE_REQUIRED =
  "SSL/TLS session reuse required on the data connection (the client must reuse the control connection's TLS session).";

/** The 522 text of a data connection whose handshake failed (pyftpdlib's). */
export const DATA_HANDSHAKE_FAILED = 'SSL handshake failed.';

/** How long a refused data connection may take to flush its close_notify. */
const CLOSE_GRACE_MS = 2000;

/**
 * Ends a refused data connection with close_notify (and the server's last handshake message, which a
 * destroy could cut off), so that the client sees an orderly empty transfer and then reads the `522`
 * on the control connection, instead of failing on a broken TLS stream.
 */
function closeGracefully(socket: TLSSocket): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      socket.off('close', done);
      socket.destroy();
      resolve();
    };
    const timer = setTimeout(done, CLOSE_GRACE_MS);
    socket.once('close', done);
    socket.end(done);
  });
}

/**
 * A refused protected data connection. Core turns the `replyCode` and message into the transfer's
 * reply (`522 ...`) instead of `425`.
 */
export class DataProtectionError extends Error {
  /** The FTP reply code: 522 (RFC 4217: "the server does not accept the data connection's TLS"). */
  readonly replyCode = 522;

  constructor(message: string) {
    super(message);
    this.name = 'DataProtectionError';
  }
}

/**
 * Secures a data connection under `PROT P`: a server-side handshake with the session's endpoint (so the
 * client can resume the control connection's TLS session), then the session-reuse policy. Clients start
 * this handshake at different moments (right after connecting, after sending the command, or only after
 * the `150`); core sends the `150`/`125` before calling this and keeps a passive socket paused until then,
 * so all three work: an early ClientHello simply waits in the socket.
 */
export async function secureDataSocket(
  socket: Duplex,
  session: Session,
  state: TlsSessionState,
  policy: SessionReusePolicy,
): Promise<TLSSocket> {
  const endpoint = state.endpoint;
  const logger = session.options.logger;
  if (endpoint === undefined) throw new DataProtectionError(DATA_HANDSHAKE_FAILED);
  let tlsSocket: TLSSocket;
  try {
    // A data connection that stalls in its handshake is a stalled transfer.
    const timeoutMs =
      session.options.dataTimeoutMs > 0 ? session.options.dataTimeoutMs : session.options.timeoutMs;
    tlsSocket = await endpoint.handshake(socket, timeoutMs);
  } catch (error) {
    if (!session.isClosing) {
      logger.warn(
        `${session.logPrefix} SSL/TLS handshake failed on the data connection: ${describeError(error)}`,
      );
    }
    throw new DataProtectionError(DATA_HANDSHAKE_FAILED);
  }
  if (policy === 'off' || tlsSocket.isSessionReused()) return tlsSocket;
  if (policy === 'require') {
    logger.warn(
      `${session.logPrefix} refused a data connection that did not reuse the control connection's TLS session`,
    );
    await closeGracefully(tlsSocket);
    throw new DataProtectionError(SESSION_REUSE_REQUIRED);
  }
  logger.warn(
    `${session.logPrefix} data connection did not reuse the control connection's TLS session (accepted: sessionReuse is 'prefer')`,
  );
  return tlsSocket;
}
