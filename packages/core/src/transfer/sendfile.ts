/**
 * Zero-copy RETR: sends a file to a data socket with `sendfile(2)` (option `useSendfile`).
 *
 * The socket's descriptor is non-blocking (libuv makes every TCP socket so), so each call copies what
 * fits in the socket's send buffer and a full buffer answers `EAGAIN`. Learning when it drains again
 * is left to libuv, which already watches the descriptor: the next few KiB of the file are written
 * with a plain `socket.write`, whose callback runs once the kernel took them, that is once the buffer
 * has room again; then `sendfile` resumes. No thread waits in `poll()` for a slow client and nothing
 * blocks the loop but the copies themselves, which are bounded per turn so that concurrent transfers
 * share the loop.
 *
 * @module
 */
import { readSync } from 'node:fs';
import type { Socket } from 'node:net';
import { constants } from 'node:os';
import { errnoError } from '../errors.js';
import type { SendfileSource } from '../filesystem.js';
import { loadSendfile, type SendfileSyscall } from './sendfile-binding.js';

/** Bytes asked of one `sendfile` call; the kernel copies less when the socket buffer is fuller. */
const SLICE_BYTES = 4 * 1024 * 1024;
/** Bytes one transfer may send before it lets the other sessions run (about 3 ms on loopback). */
const TURN_BYTES = 8 * 1024 * 1024;
/** The chunk written through libuv to wait for a full socket buffer to drain. */
const PROBE_BYTES = 16 * 1024;

/** What the transfer runner offers the sendfile loop. */
export interface SendfileHooks {
  /** Counts bytes handed to the socket (for STAT, the stall timeout and the final reply). */
  progress(bytes: number): void;
  /** True once the transfer must stop (ABOR, stall timeout, session closing); checked before every call. */
  cancelled(): boolean;
}

/**
 * How a sendfile transfer ended: `sent` (the whole file, up to its end as it is now, then the socket
 * ended), `unsupported` (nothing was sent: the caller should stream instead) or `failed` (`side` says
 * whether the file or the data connection failed).
 */
export type SendfileResult =
  | { readonly outcome: 'sent' }
  | { readonly outcome: 'unsupported'; readonly reason: string }
  | { readonly outcome: 'failed'; readonly side: 'file' | 'data'; readonly error: Error };

/** errnos that mean the data connection is gone; any other failure is the file's. */
const CONNECTION_ERRORS = new Set([
  'EPIPE',
  'ECONNRESET',
  'ECONNABORTED',
  'ENOTCONN',
  'ESHUTDOWN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
]);

/**
 * Sends the file behind `source` from `source.start` to its end over `socket`, then ends the socket.
 * Resolves `unsupported` without touching either when sendfile cannot be used here (not Linux, no
 * binding, no descriptor, or a first call failing with `EINVAL`, `ENOSYS`, `EOVERFLOW`, ...), like
 * pyftpdlib, which falls back to `send()` when its first `sendfile` fails.
 */
export async function sendFile(
  socket: Socket,
  source: SendfileSource,
  hooks: SendfileHooks,
): Promise<SendfileResult> {
  const binding = await loadSendfile();
  if (!binding.ok) return { outcome: 'unsupported', reason: binding.reason };
  // The first transfer waits for the binding to load: ABOR or a lost connection may come meanwhile.
  if (hooks.cancelled() || socket.destroyed) {
    return { outcome: 'failed', side: 'data', error: new Error('transfer stopped') };
  }
  const socketFd = socketDescriptor(socket);
  if (socketFd === undefined) return { outcome: 'unsupported', reason: 'the data socket has no descriptor' };
  // Bytes already queued in Node would be overtaken by the kernel copies.
  if (socket.writableLength > 0)
    return { outcome: 'unsupported', reason: 'the data socket has queued writes' };
  return new SendfileLoop(binding.syscall, socket, socketFd, source, hooks).run();
}

/** The libuv descriptor of a connected TCP socket (an internal but long-stable property). */
function socketDescriptor(socket: Socket): number | undefined {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } | null })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

let errnoNames: Map<number, string> | undefined;

function errnoName(errno: number): string {
  errnoNames ??= new Map(Object.entries(constants.errno).map(([name, value]) => [value, name]));
  return errnoNames.get(errno) ?? `E${errno}`;
}

/** One file on one socket. */
class SendfileLoop {
  private readonly offset: [number];
  private probe: Buffer | undefined;
  private settled = false;
  private resolve: (result: SendfileResult) => void = () => {};
  private readonly onClose = (): void => {
    this.fail('data', new Error('data connection closed'));
  };
  // A failed probe write is also emitted as 'error' (after its callback, so the listener stays for the
  // socket's life): it is this loop's to report, never an uncaught exception.
  private readonly onError = (error: Error): void => {
    this.fail('data', error);
  };
  private readonly pump = (): void => this.send();

  constructor(
    private readonly syscall: SendfileSyscall,
    private readonly socket: Socket,
    private readonly socketFd: number,
    private readonly source: SendfileSource,
    private readonly hooks: SendfileHooks,
  ) {
    this.offset = [source.start];
  }

  run(): Promise<SendfileResult> {
    return new Promise((resolve) => {
      this.resolve = resolve;
      this.socket.once('close', this.onClose);
      this.socket.on('error', this.onError);
      this.send();
    });
  }

  /** Copies until the socket is full, the file ends or this turn's budget is spent. */
  private send(): void {
    let budget = TURN_BYTES;
    while (!this.stopped()) {
      const n = this.syscall.sendfile(this.socketFd, this.source.fd, this.offset, SLICE_BYTES);
      if (n > 0) {
        this.hooks.progress(n);
        budget -= n;
        if (budget > 0) continue;
        setImmediate(this.pump);
      } else if (n === 0) {
        // 0 before the size seen at RETR time means the file shrank: its end is the transfer's end.
        this.end();
      } else {
        const code = errnoName(this.syscall.errno());
        if (code === 'EINTR') continue;
        if (code === 'EAGAIN' || code === 'EWOULDBLOCK') this.waitWritable();
        else this.failed(code);
      }
      return;
    }
  }

  /** A failing call: before any byte moved, the caller may stream instead (as pyftpdlib does). */
  private failed(code: string): void {
    const connection = CONNECTION_ERRORS.has(code);
    if (this.offset[0] === this.source.start && !connection) {
      this.settle({ outcome: 'unsupported', reason: `sendfile failed with ${code}` });
    } else {
      this.fail(connection ? 'data' : 'file', errnoError(code, 'sendfile', 'RETR'));
    }
  }

  /** Writes the next bytes of the file through libuv and resumes once they are in the kernel. */
  private waitWritable(): void {
    if (this.stopped()) return;
    this.probe ??= Buffer.allocUnsafe(PROBE_BYTES);
    let n: number;
    try {
      n = readSync(this.source.fd, this.probe, 0, PROBE_BYTES, this.offset[0]);
    } catch (error) {
      this.fail('file', error as Error);
      return;
    }
    if (n === 0) {
      this.end();
      return;
    }
    this.offset[0] += n;
    this.socket.write(n === PROBE_BYTES ? this.probe : this.probe.subarray(0, n), (error) => {
      if (error) {
        this.fail('data', error);
        return;
      }
      this.hooks.progress(n);
      this.send();
    });
  }

  /** The file is sent: end the socket as a stream pipeline would, and wait until it is flushed. */
  private end(): void {
    this.socket.once('finish', () => this.settle({ outcome: 'sent' }));
    this.socket.end();
  }

  /** True (and settled) once the transfer was cancelled or the socket is gone. */
  private stopped(): boolean {
    if (this.settled) return true;
    if (!this.hooks.cancelled() && !this.socket.destroyed) return false;
    this.fail('data', new Error('transfer stopped'));
    return true;
  }

  private fail(side: 'file' | 'data', error: Error): void {
    this.settle({ outcome: 'failed', side, error });
  }

  private settle(result: SendfileResult): void {
    if (this.settled) return;
    this.settled = true;
    this.socket.removeListener('close', this.onClose);
    this.resolve(result);
  }
}
