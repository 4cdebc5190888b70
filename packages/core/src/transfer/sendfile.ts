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
import { errnoError } from '../errors.js';
import type { SendfileSource } from '../filesystem.js';
import { CONNECTION_ERRORS, errnoName, type LinuxSyscalls } from './linux-syscalls.js';
import {
  type LoopFailure,
  type LoopHooks,
  type LoopUnsupported,
  prepareLoop,
  SocketLoop,
} from './socket-loop.js';

/** Bytes asked of one `sendfile` call; the kernel copies less when the socket buffer is fuller. */
const SLICE_BYTES = 4 * 1024 * 1024;
/** Bytes one transfer may send before it lets the other sessions run (about 3 ms on loopback). */
const TURN_BYTES = 8 * 1024 * 1024;
/** The chunk written through libuv to wait for a full socket buffer to drain. */
const PROBE_BYTES = 16 * 1024;

/**
 * How a sendfile transfer ended: `sent` (the whole file, up to its end as it is now, then the socket
 * ended), `unsupported` (nothing was sent: the caller should stream instead) or `failed` (`side` says
 * whether the file or the data connection failed).
 */
export type SendfileResult = { readonly outcome: 'sent' } | LoopUnsupported | LoopFailure;

/**
 * Sends the file behind `source` from `source.start` to its end over `socket`, then ends the socket.
 * Resolves `unsupported` without touching either when sendfile cannot be used here (not Linux, no
 * binding, no descriptor, or a first call failing with `EINVAL`, `ENOSYS`, `EOVERFLOW`, ...), like
 * pyftpdlib, which falls back to `send()` when its first `sendfile` fails.
 */
export async function sendFile(
  socket: Socket,
  source: SendfileSource,
  hooks: LoopHooks,
): Promise<SendfileResult> {
  const ready = await prepareLoop(socket, hooks);
  if ('outcome' in ready) return ready;
  // Bytes already queued in Node would be overtaken by the kernel copies.
  if (socket.writableLength > 0)
    return { outcome: 'unsupported', reason: 'the data socket has queued writes' };
  return new SendfileLoop(ready.syscalls, socket, ready.fd, source, hooks).run();
}

/** One file on one socket. */
class SendfileLoop extends SocketLoop<SendfileResult> {
  private readonly offset: [number];
  private probe: Buffer | undefined;
  private readonly pump = (): void => this.send();

  constructor(
    private readonly syscall: LinuxSyscalls,
    socket: Socket,
    private readonly socketFd: number,
    private readonly source: SendfileSource,
    hooks: LoopHooks,
  ) {
    // A failed probe write is also emitted as 'error', after its callback: the listener stays.
    super(socket, hooks, true);
    this.offset = [source.start];
  }

  run(): Promise<SendfileResult> {
    return this.start(() => this.send());
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
}
