/**
 * Direct STOR: reads the data socket with `recv(2)` and writes each read straight into the file with
 * the stream's `writeSync` (option `useDirectReceive`).
 *
 * Streamed, an upload crosses Node as 64 KiB socket chunks: one allocation, one `'data'` callback and
 * a share of a thread-pool write each. Here one `recv` takes up to 1 MiB into a buffer shared by
 * every upload of the process (the loop is synchronous, so no two uploads use it at once), and one
 * write hands it to the page cache: per GiB about half the server CPU, and no per-upload buffers
 * waiting for the garbage collector.
 *
 * The socket's descriptor is non-blocking (libuv makes every TCP socket so): `recv` takes what the
 * kernel holds and answers `EAGAIN` when it holds nothing. Waiting for more is left to libuv, which
 * already watches the descriptor: the loop listens for `'readable'`, and the next chunk libuv reads
 * is written first, then `recv` resumes. Node may have read a chunk before the loop took over (or
 * between two of its turns): whatever sits in the stream's buffer is always written before the next
 * `recv`, so the bytes stay in order. Each turn is bounded so that concurrent transfers share the
 * loop, and a file whose writes turn slow (a disk that does not keep up, where a synchronous write
 * would stall every session) is handed back to the streams for the rest of the upload.
 *
 * @module
 */
import type { Socket } from 'node:net';
import { errnoError } from '../errors.js';
import type { SyncWritable } from '../filesystem.js';
import { CONNECTION_ERRORS, errnoName, type LinuxSyscalls } from './linux-syscalls.js';
import {
  type LoopFailure,
  type LoopHooks,
  type LoopUnsupported,
  prepareLoop,
  SocketLoop,
} from './socket-loop.js';

/** Bytes one upload may take before it lets the other sessions run (a few ms on loopback). */
const TURN_BYTES = 8 * 1024 * 1024;
/** The largest read; the shared buffer has this size (or the session's `bufferSize`, if smaller). */
const MAX_READ_BYTES = 1024 * 1024;
/** A synchronous write that took longer than this counts as slow. */
export const SLOW_WRITE_MS = 20;
/** Slow writes after which the upload goes back to the streams. */
export const SLOW_WRITES = 2;

/** What the transfer runner offers the receive loop: {@link LoopHooks}, and a clock for tests. */
export interface ReceiveHooks extends LoopHooks {
  /** The clock that times writes, in ms (`performance.now` unless a test needs another). */
  now?(): number;
}

/**
 * How a direct upload ended: `received` (the peer shut the connection down and every byte is in the
 * file, which is not ended yet), `unsupported` (nothing was read: the caller should stream instead),
 * `slow` (the writes turned slow: the caller streams the rest, from where the socket is now) or
 * `failed` (`side` says whether the file or the data connection failed).
 */
export type ReceiveResult =
  | { readonly outcome: 'received' }
  | LoopUnsupported
  | { readonly outcome: 'slow'; readonly reason: string }
  | LoopFailure;

let shared: Buffer | undefined;

/** The process's read buffer, at least `size` bytes (grown once when a session asks for more). */
function readBuffer(size: number): Buffer {
  if (shared === undefined || shared.length < size) shared = Buffer.allocUnsafe(size);
  return shared;
}

/**
 * Reads `socket` until the peer shuts it down, writing every byte into `file` with `writeSync`.
 * Resolves `unsupported` without touching either when this cannot be done here (not Linux, no
 * binding, no descriptor). `bufferSize` caps the size of one read.
 */
export async function receiveFile(
  socket: Socket,
  file: SyncWritable,
  bufferSize: number,
  hooks: ReceiveHooks,
): Promise<ReceiveResult> {
  const ready = await prepareLoop(socket, hooks);
  if ('outcome' in ready) return ready;
  const size = Math.min(bufferSize, MAX_READ_BYTES);
  return new ReceiveLoop(ready.syscalls, socket, ready.fd, file, size, hooks).run();
}

/** One upload from one socket. */
class ReceiveLoop extends SocketLoop<ReceiveResult> {
  private slowWrites = 0;
  /** Bytes taken from the socket (and written) so far. */
  private received = 0;
  private turnScheduled = false;
  private readonly now: () => number;
  private readonly onReadable = (): void => this.turn();
  private readonly onImmediate = (): void => {
    this.turnScheduled = false;
    this.turn();
  };

  constructor(
    private readonly syscalls: LinuxSyscalls,
    socket: Socket,
    private readonly fd: number,
    private readonly file: SyncWritable,
    private readonly size: number,
    hooks: ReceiveHooks,
  ) {
    super(socket, hooks, false);
    this.now = hooks.now ?? (() => performance.now());
  }

  run(): Promise<ReceiveResult> {
    return this.start(() => {
      // Also starts libuv reading (a socket accepted with pauseOnConnect is not read until asked).
      this.socket.on('readable', this.onReadable);
      this.turn();
    });
  }

  protected override cleanUp(): void {
    this.socket.removeListener('readable', this.onReadable);
  }

  /** Writes what Node holds, then reads and writes until the kernel holds nothing or the turn is spent. */
  private turn(): void {
    if (this.stopped()) return;
    for (let chunk = this.socket.read() as Buffer | null; chunk !== null; chunk = this.socket.read()) {
      if (!this.write(chunk)) return;
    }
    const buffer = readBuffer(this.size);
    let budget = TURN_BYTES;
    while (!this.stopped()) {
      const n = this.syscalls.recv(this.fd, buffer, this.size);
      if (n > 0) {
        if (!this.write(n === buffer.length ? buffer : buffer.subarray(0, n))) return;
        budget -= n;
        if (budget > 0) continue;
        if (!this.turnScheduled) {
          this.turnScheduled = true;
          setImmediate(this.onImmediate);
        }
      } else if (n === 0) {
        this.settle({ outcome: 'received' });
      } else {
        const code = errnoName(this.syscalls.errno());
        if (code === 'EINTR') continue;
        // Nothing waiting: the next 'readable' resumes the loop.
        if (code !== 'EAGAIN' && code !== 'EWOULDBLOCK') this.failed(code);
      }
      return;
    }
  }

  /** Writes one read into the file; false (and settled) when the loop must stop. */
  private write(chunk: Buffer): boolean {
    const started = this.now();
    try {
      this.file.writeSync(chunk);
    } catch (error) {
      this.fail('file', error instanceof Error ? error : new Error(String(error)));
      return false;
    }
    this.received += chunk.length;
    this.hooks.progress(chunk.length);
    if (this.now() - started > SLOW_WRITE_MS && ++this.slowWrites >= SLOW_WRITES) {
      this.settle({ outcome: 'slow', reason: `${SLOW_WRITES} writes took over ${SLOW_WRITE_MS} ms` });
      return false;
    }
    return true;
  }

  /**
   * A failing `recv`. A lost connection fails the upload; any other error before a byte was taken
   * (a descriptor that is no socket, ...) lets the caller stream instead.
   */
  private failed(code: string): void {
    if (this.received === 0 && !CONNECTION_ERRORS.has(code)) {
      this.settle({ outcome: 'unsupported', reason: `recv failed with ${code}` });
    } else {
      this.fail('data', errnoError(code, 'recv', 'STOR'));
    }
  }
}
