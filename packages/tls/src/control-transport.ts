import { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';

/** TLS record content types (change_cipher_spec .. heartbeat): the first byte of every record. */
const FIRST_RECORD_TYPE = 20;
const LAST_RECORD_TYPE = 24;
const RECORD_HEADER_LENGTH = 5;

/**
 * What the control connection's TLS layer runs on: a pass-through duplex over the TCP socket.
 *
 * TLS on the control connection could sit on the TCP socket directly, but then ending the TLS stream
 * always ends TCP too, and `CCC` (RFC 4217 §6: send close_notify, then go on in plaintext on the same
 * connection) could not be done. Over this transport, TLS writes and shutdowns reach the socket only
 * as long as the transport is in TLS mode; {@link clear} ends TLS and hands the socket back intact.
 * The control connection is a few lines per command, so the JavaScript hop costs nothing measurable.
 */
export class ControlTransport extends Duplex {
  private mode: 'tls' | 'clearing' | 'released' = 'tls';
  private clearingData: ((chunk: Buffer) => void) | undefined;
  private clearingLost: (() => void) | undefined;

  constructor(
    /** The TCP socket (or whatever stream the control connection used before TLS). */
    readonly socket: Duplex,
  ) {
    super({ allowHalfOpen: true });
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.mode === 'tls') {
      if (!this.push(chunk)) this.socket.pause();
    } else if (this.mode === 'clearing') {
      this.clearingData?.(chunk);
    }
  };

  private readonly onEnd = (): void => {
    if (this.mode === 'tls') this.push(null);
    else this.clearingLost?.();
  };

  private readonly onError = (error: Error): void => {
    if (this.mode === 'tls') this.destroy(error);
    else this.clearingLost?.();
  };

  private readonly onClose = (): void => {
    if (this.mode === 'tls') this.destroy();
    else this.clearingLost?.();
  };

  override _read(): void {
    if (this.mode === 'tls') this.socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.mode === 'released' || this.socket.destroyed) {
      callback();
      return;
    }
    this.socket.write(chunk, (error?: Error | null) => callback(error ?? null));
  }

  override _final(callback: (error?: Error | null) => void): void {
    // While clearing, the TLS shutdown (close_notify) must not become a TCP shutdown.
    if (this.mode !== 'tls' || this.socket.destroyed) {
      callback();
      return;
    }
    this.socket.end();
    if (this.socket.writableFinished) {
      callback();
      return;
    }
    const done = (): void => {
      this.socket.off('finish', done);
      this.socket.off('close', done);
      callback();
    };
    this.socket.on('finish', done);
    this.socket.on('close', done);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.mode === 'tls') {
      this.detach();
      this.socket.destroy();
    }
    callback(error);
  }

  private detach(): void {
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.off('error', this.onError);
    this.socket.off('close', this.onClose);
  }

  /**
   * Ends TLS on the control connection and gives the TCP socket back for plaintext (`CCC`). Sends
   * close_notify (after whatever `tls` still has to write, i.e. the `200` reply), then feeds the TLS
   * layer the client's records one at a time until it has seen the client's close_notify, or until
   * the client, not bothering to send one (curl's default), writes plaintext. Bytes behind the
   * close_notify are plaintext: they are put back into the socket, which resolves paused (the caller
   * resumes it once the session listens to it). When `timeoutMs` (0: no limit) passes first, the
   * connection is taken as plaintext from then on. Rejects when the connection is lost meanwhile.
   */
  clear(tls: TLSSocket, timeoutMs: number): Promise<void> {
    this.mode = 'clearing';
    return new Promise<void>((resolve, reject) => {
      let pending: Buffer = Buffer.alloc(0);
      let tlsEnded = false;
      let delivering = false;
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = (lost: boolean): void => {
        if (settled) return;
        settled = true;
        if (timer !== undefined) clearTimeout(timer);
        this.mode = 'released';
        this.clearingData = undefined;
        this.clearingLost = undefined;
        this.detach();
        tls.destroy();
        if (lost) {
          reject(new Error('control connection lost while clearing TLS'));
          return;
        }
        this.socket.pause();
        if (pending.length > 0) this.socket.unshift(pending);
        resolve();
      };
      const pump = (): void => {
        if (settled || delivering) return;
        if (tlsEnded) {
          finish(false);
          return;
        }
        if (pending.length === 0) return;
        if (!startsTlsRecord(pending)) {
          finish(false);
          return;
        }
        if (pending.length < RECORD_HEADER_LENGTH) return;
        const size = RECORD_HEADER_LENGTH + pending.readUInt16BE(3);
        if (pending.length < size) return;
        const record = pending.subarray(0, size);
        pending = pending.subarray(size);
        delivering = true;
        this.push(record);
        // The TLS layer decrypts synchronously and reports its end on the next tick: look after that.
        setImmediate(() => {
          delivering = false;
          pump();
        });
      };
      this.clearingData = (chunk) => {
        pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
        pump();
      };
      this.clearingLost = () => finish(true);
      tls.on('data', () => {});
      tls.on('error', () => {});
      tls.on('end', () => {
        tlsEnded = true;
        pump();
      });
      if (timeoutMs > 0) timer = setTimeout(() => finish(false), timeoutMs);
      tls.end();
      this.socket.resume();
    });
  }
}

/** True when `data` can be the start of a TLS record (a plaintext FTP command never can). */
function startsTlsRecord(data: Buffer): boolean {
  const type = data[0]!;
  if (type < FIRST_RECORD_TYPE || type > LAST_RECORD_TYPE) return false;
  return data.length < 2 || data[1] === 3;
}
