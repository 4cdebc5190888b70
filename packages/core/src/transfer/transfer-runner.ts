import type { Socket } from 'node:net';
import type { Duplex, Readable, Transform, Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { describeFilesystemError, errorCode, isFilesystemError } from '../errors.js';
import { sendfileSourceOf, syncWritableOf } from '../filesystem.js';
import type { TransferDirection } from '../plugin.js';
import type { Session } from '../session.js';
import { FromNetworkAscii, ToNetworkAscii } from './ascii.js';
import type { DataChannel } from './data-channel.js';
import { receiveFile } from './receive.js';
import { sendFile } from './sendfile.js';
import type { LoopFailure, LoopHooks } from './socket-loop.js';

/** A transfer waiting for (or using) the data connection. */
export interface PendingTransfer {
  /** `send` (RETR, LIST, NLST, MLSD) or `receive` (STOR, APPE, STOU). */
  readonly direction: TransferDirection;
  /** The command, for logs (`RETR`, `LIST`, ...). */
  readonly command: string;
  /** The file (or listing) stream for `send`; the file stream for `receive`. */
  readonly stream: Readable | Writable;
  /** For file transfers: the resolved path, reported by events and logs. Listings have none. */
  readonly path?: string;
  /** Convert line endings (TYPE A file transfers). */
  readonly ascii: boolean;
  /** Replaces the text of the 125/150 reply (STOU announces `FILE: <name>`). */
  readonly announce?: string;
}

interface RunningTransfer extends PendingTransfer {
  bytes: number;
  startedAt: number;
  aborted: boolean;
  stalled: boolean;
  fileError: unknown;
  /** A plugin's data-socket wrapper failed (e.g. a TLS handshake): its reply replaces the 426. */
  wrapFailure: { code: number; text: string } | undefined;
  socket: Duplex | undefined;
  streams: Array<Readable | Writable>;
}

/** Counters for STAT while a transfer runs. */
export interface TransferStatus {
  readonly direction: TransferDirection;
  readonly bytes: number;
  readonly elapsedSeconds: number;
}

/**
 * Runs the transfers of one session: at most one at a time, queued until its data connection exists,
 * streamed with backpressure both ways, ended with exactly one reply (226, 426 or 421) after the data
 * socket and the file are closed.
 */
export class TransferRunner {
  private queued: PendingTransfer | undefined;
  private running: RunningTransfer | undefined;

  constructor(private readonly session: Session) {}

  /** True while a transfer is queued or moving bytes. */
  get active(): boolean {
    return this.running !== undefined || this.queued !== undefined;
  }

  /** True while a transfer that was not aborted runs (an aborted one may still be closing its file). */
  private get busy(): boolean {
    return this.running !== undefined && !this.running.aborted;
  }

  /** True while a transfer is running on a data connection (not merely queued). */
  get moving(): boolean {
    return this.running !== undefined;
  }

  /** Byte counts of the running transfer, if any. */
  get status(): TransferStatus | undefined {
    const t = this.running;
    if (t === undefined) return undefined;
    return { direction: t.direction, bytes: t.bytes, elapsedSeconds: (Date.now() - t.startedAt) / 1000 };
  }

  /**
   * True when a transfer command can start now: there is an open (or pending) data channel and no
   * transfer is running. Otherwise replies `425` and returns false, before any file is opened.
   */
  ensureReady(): boolean {
    const channel = this.session.data;
    if (channel === undefined || channel.isClosed || this.busy) {
      this.session.reply(425, "Can't open data connection.");
      return false;
    }
    return true;
  }

  /**
   * Starts a transfer on the session's data channel: `125` when the connection is already open, `150`
   * when it is still pending (the transfer then starts on connect), `425` when there is no channel.
   */
  start(transfer: PendingTransfer): void {
    const channel = this.session.data;
    if (channel === undefined || channel.isClosed || this.busy) {
      transfer.stream.destroy();
      this.session.reply(425, "Can't open data connection.");
      return;
    }
    if (this.queued !== undefined) this.queued.stream.destroy();
    this.session.suspendIdleTimer();
    if (channel.socket !== undefined) {
      this.session.reply(125, transfer.announce ?? 'Data connection already open. Transfer starting.');
      void this.run(transfer, channel, channel.socket);
      return;
    }
    this.session.reply(150, transfer.announce ?? 'File status okay. About to open data connection.');
    this.queued = transfer;
  }

  /** Called by the data channel when its connection is ready: starts the queued transfer, if any. */
  onDataConnected(channel: DataChannel, socket: Socket): void {
    const transfer = this.queued;
    if (transfer === undefined || this.session.data !== channel) return;
    this.queued = undefined;
    void this.run(transfer, channel, socket);
  }

  /**
   * ABOR. Returns what happened so the command can answer: `transfer` when a transfer command was
   * pending or running (426 then 226), `channel` when only a data channel existed (225), `none`.
   */
  abort(): 'transfer' | 'channel' | 'none' {
    if (this.running !== undefined && !this.running.aborted) {
      this.running.aborted = true;
      destroyAll(this.running);
      // The channel goes now, not when the aborted transfer has finished closing its file.
      this.session.closeDataChannel();
      return 'transfer';
    }
    if (this.queued !== undefined) {
      this.queued.stream.destroy();
      this.queued = undefined;
      this.session.closeDataChannel();
      this.session.transferFinished();
      return 'transfer';
    }
    if (this.session.data !== undefined) {
      this.session.closeDataChannel();
      return 'channel';
    }
    return 'none';
  }

  /** The control connection is going away: cut the transfer without a reply. */
  abortForClose(): void {
    if (this.queued !== undefined) {
      this.queued.stream.destroy();
      this.queued = undefined;
    }
    if (this.running !== undefined) {
      this.running.aborted = true;
      destroyAll(this.running);
    }
  }

  private async run(pending: PendingTransfer, channel: DataChannel, rawSocket: Socket): Promise<void> {
    const session = this.session;
    const transfer: RunningTransfer = {
      ...pending,
      bytes: 0,
      startedAt: Date.now(),
      aborted: false,
      stalled: false,
      fileError: undefined,
      wrapFailure: undefined,
      socket: rawSocket,
      streams: [pending.stream, rawSocket],
    };
    this.running = transfer;
    session.suspendIdleTimer();
    const stall = this.watchStall(transfer);
    // Which side failed first: a pipeline destroys every stream with the first error, so a later
    // 'error' on the file stream may only be the data connection's failure passed along.
    let origin: 'file' | 'data' | undefined;
    pending.stream.once('error', (e: unknown) => {
      if (origin !== undefined) return;
      origin = 'file';
      transfer.fileError = e;
    });
    rawSocket.once('close', () => {
      origin ??= 'data';
    });
    rawSocket.once('error', () => {
      origin ??= 'data';
    });
    let ok = false;
    let error: unknown;
    try {
      const socket = await this.wrapSocket(rawSocket, transfer);
      transfer.socket = socket;
      const { streams: middle, lastPlugin } = this.middleStreams(transfer);
      transfer.streams = [pending.stream, ...middle, socket, rawSocket];
      if (transfer.direction === 'send') {
        const source = pending.stream as Readable;
        // Zero-copy only when nothing sits between the file and the raw socket (no TLS, throttle, TYPE A).
        const zeroCopy = middle.length === 0 && socket === rawSocket;
        if (!zeroCopy || !(await this.sendWithSendfile(transfer, source, rawSocket))) {
          const promise = pipeline([source, ...middle, socket]);
          countBytes(middle.length > 0 ? middle[middle.length - 1]! : source, transfer);
          await promise;
        }
      } else {
        const target = pending.stream as Writable;
        // Straight into the file only when nothing sits between the raw socket and it.
        const direct = middle.length === 0 && socket === rawSocket;
        if (!direct || !(await this.receiveDirectly(transfer, target, rawSocket))) {
          const promise = pipeline([socket, ...middle, target]);
          countBytes(lastPlugin ?? socket, transfer);
          await promise;
        }
      }
      ok = !transfer.aborted && !transfer.stalled;
    } catch (e) {
      error = e;
    } finally {
      clearInterval(stall);
    }
    rawSocket.destroy();
    transfer.socket?.destroy();
    // The file is closed before the final reply (pyftpdlib #414), whatever ended the transfer.
    pending.stream.destroy();
    await closedOrTimeout(pending.stream, 5000);
    if (session.data === channel) session.closeDataChannel();
    if (this.running === transfer) this.running = undefined;
    this.finish(transfer, ok, error);
  }

  /**
   * Sends the file with `sendfile(2)` when the options and the filesystem's stream allow it. Returns
   * false, having sent nothing, when the caller must stream instead; throws when the transfer failed.
   */
  private async sendWithSendfile(
    transfer: RunningTransfer,
    source: Readable,
    socket: Socket,
  ): Promise<boolean> {
    const session = this.session;
    const file = session.options.useSendfile ? sendfileSourceOf(source) : undefined;
    if (file === undefined) return false;
    const result = await sendFile(socket, file, loopHooks(transfer, source));
    const what = `${session.logPrefix} ${transfer.command} ${transfer.path ?? ''}`;
    if (result.outcome === 'unsupported') {
      session.options.logger.debug(`${what}: streaming, sendfile unavailable (${result.reason})`);
      return false;
    }
    session.options.logger.debug(`${what}: sendfile ${result.outcome}`);
    if (result.outcome === 'failed') throwLoopFailure(transfer, result);
    return true;
  }

  /**
   * Receives the upload with `recv(2)` and the stream's `writeSync` when the options and the
   * filesystem's stream allow it, then ends the stream and waits for it to finish. Returns false when
   * the caller must stream the upload, from the start (nothing was read) or from where the socket is
   * now (the writes turned slow); throws when the transfer failed.
   */
  private async receiveDirectly(
    transfer: RunningTransfer,
    target: Writable,
    socket: Socket,
  ): Promise<boolean> {
    const session = this.session;
    const file = session.options.useDirectReceive ? syncWritableOf(target) : undefined;
    if (file === undefined) return false;
    const result = await receiveFile(socket, file, session.options.bufferSize, loopHooks(transfer, target));
    const what = `${session.logPrefix} ${transfer.command} ${transfer.path ?? ''}`;
    const logger = session.options.logger;
    if (result.outcome === 'unsupported' || result.outcome === 'slow') {
      const why = result.outcome === 'slow' ? 'stopped' : 'unavailable';
      logger.debug(`${what}: streaming, direct receive ${why} (${result.reason})`);
      return false;
    }
    if (result.outcome === 'failed') throwLoopFailure(transfer, result);
    target.end();
    await finished(target);
    logger.debug(`${what}: direct receive done`);
    return true;
  }

  private async wrapSocket(socket: Socket, transfer: RunningTransfer): Promise<Duplex> {
    let current: Duplex = socket;
    for (const plugin of this.session.options.plugins) {
      if (plugin.wrapDataSocket === undefined) continue;
      try {
        current = await plugin.wrapDataSocket(current, this.session);
      } catch (error) {
        transfer.wrapFailure = wrapFailureReply(error);
        throw error;
      }
      transfer.streams.push(current);
    }
    return current;
  }

  /**
   * The transforms between the file and the socket: line-ending conversion next to the file, plugin
   * transforms next to the socket. `lastPlugin` is the stream whose output measures upload progress (a
   * throttle releases each socket chunk in slices); without plugins the socket itself is counted.
   */
  private middleStreams(transfer: PendingTransfer): {
    streams: Transform[];
    lastPlugin: Transform | undefined;
  } {
    const plugins: Transform[] = [];
    try {
      for (const plugin of this.session.options.plugins) {
        const t = plugin.transformData?.(this.session, transfer.direction);
        if (t !== undefined) plugins.push(t);
      }
    } catch (error) {
      for (const t of plugins) t.destroy();
      throw error;
    }
    const ascii = transfer.ascii
      ? [transfer.direction === 'send' ? new ToNetworkAscii() : new FromNetworkAscii()]
      : [];
    const streams = transfer.direction === 'send' ? [...ascii, ...plugins] : [...plugins, ...ascii];
    return { streams, lastPlugin: plugins.at(-1) };
  }

  private watchStall(transfer: RunningTransfer): NodeJS.Timeout | undefined {
    const timeout = this.session.options.dataTimeoutMs;
    if (timeout <= 0) return undefined;
    let last = transfer.bytes;
    return setInterval(() => {
      if (transfer.bytes === last) {
        transfer.stalled = true;
        destroyAll(transfer);
      }
      last = transfer.bytes;
    }, timeout);
  }

  private finish(transfer: RunningTransfer, ok: boolean, error: unknown): void {
    const session = this.session;
    const seconds = ((Date.now() - transfer.startedAt) / 1000).toFixed(3);
    if (transfer.path !== undefined) {
      session.options.logger.info(
        `${session.logPrefix} ${transfer.command} ${transfer.path} completed=${ok ? 1 : 0} bytes=${transfer.bytes} seconds=${seconds}`,
      );
    }
    if (transfer.stalled) {
      session.reply(421, 'Data connection timed out.');
      this.fileEvent(transfer, false);
      session.close('data connection timed out');
      return;
    }
    if (!transfer.aborted) {
      const fileError = transfer.fileError;
      if (ok) session.reply(226, 'Transfer complete.');
      else if (transfer.wrapFailure !== undefined) {
        session.reply(transfer.wrapFailure.code, transfer.wrapFailure.text);
      } else if (isFilesystemError(fileError) && fileError.replyCode !== 550) {
        // A plugin's own code for a failed write, e.g. 552 for an exceeded quota.
        session.reply(fileError.replyCode, `${describeFilesystemError(fileError)}.`);
      } else session.reply(426, failureText(transfer, error));
    }
    this.fileEvent(transfer, ok);
    session.transferFinished();
  }

  private fileEvent(transfer: RunningTransfer, ok: boolean): void {
    if (transfer.path === undefined) return;
    const session = this.session;
    if (transfer.direction === 'send') {
      session.emit(ok ? 'fileSent' : 'incompleteFileSent', session, transfer.path);
    } else {
      session.emit(ok ? 'fileReceived' : 'incompleteFileReceived', session, transfer.path);
    }
  }
}

/**
 * The reply for a failed data-socket wrapper: the error's `replyCode` (e.g. 522) and message when it
 * carries them, else `425 Can't open data connection.`
 */
function wrapFailureReply(error: unknown): { code: number; text: string } {
  if (typeof error === 'object' && error !== null && 'replyCode' in error) {
    const code = (error as { replyCode: unknown }).replyCode;
    if (typeof code === 'number' && code >= 400 && code < 600) {
      return { code, text: error instanceof Error ? error.message : "Can't open data connection." };
    }
  }
  return { code: 425, text: "Can't open data connection." };
}

function failureText(transfer: RunningTransfer, error: unknown): string {
  if (transfer.fileError !== undefined)
    return `${describeFilesystemError(transfer.fileError)}; transfer aborted.`;
  if (transfer.direction === 'send') return `Transfer aborted; ${transfer.bytes} bytes transmitted.`;
  const code = errorCode(error);
  if (code === 'ECONNRESET') return 'Connection reset by peer; transfer aborted.';
  if (code !== undefined && /^E[A-Z]+$/.test(code))
    return `${describeFilesystemError(error)}; transfer aborted.`;
  return 'Data connection lost; transfer aborted.';
}

/** Resolves once a destroyed stream has emitted 'close' (or after `ms`, for streams that never do). */
function closedOrTimeout(stream: Readable | Writable, ms: number): Promise<void> {
  if (stream.closed) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    stream.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * What a system-call loop (sendfile, direct receive) is given: its bytes count for the transfer, and it
 * stops on ABOR, on a stall or once the file stream is destroyed.
 */
function loopHooks(transfer: RunningTransfer, file: Readable | Writable): LoopHooks {
  return {
    progress: (bytes) => {
      transfer.bytes += bytes;
    },
    cancelled: () => transfer.aborted || transfer.stalled || file.destroyed,
  };
}

/** A loop failed: the file's error is kept for the final reply, and the failure ends the transfer. */
function throwLoopFailure(transfer: RunningTransfer, failure: LoopFailure): never {
  if (failure.side === 'file') transfer.fileError ??= failure.error;
  throw failure.error;
}

function countBytes(stream: Readable | Duplex, transfer: RunningTransfer): void {
  stream.on('data', (chunk: Buffer) => {
    transfer.bytes += chunk.length;
  });
}

function destroyAll(transfer: RunningTransfer): void {
  for (const stream of transfer.streams) stream.destroy();
}
