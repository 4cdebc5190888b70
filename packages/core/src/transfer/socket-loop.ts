/**
 * What the system-call loops of the data path (`sendfile.ts`, `receive.ts`) share: one socket, a
 * result settled exactly once, and a stop as soon as the transfer is cancelled or the socket is gone.
 *
 * @module
 */
import type { Socket } from 'node:net';
import { type LinuxSyscalls, loadLinuxSyscalls, socketDescriptor } from './linux-syscalls.js';

/** The result every loop may end with: the file or the data connection failed. */
export interface LoopFailure {
  readonly outcome: 'failed';
  readonly side: 'file' | 'data';
  readonly error: Error;
}

/** What the transfer runner offers a loop. */
export interface LoopHooks {
  /** Counts bytes moved (for STAT, the stall timeout and the final reply). */
  progress(bytes: number): void;
  /** True once the transfer must stop (ABOR, stall timeout, session closing); checked before every call. */
  cancelled(): boolean;
}

/** Why a loop cannot run here: the caller streams instead. */
export interface LoopUnsupported {
  readonly outcome: 'unsupported';
  readonly reason: string;
}

/**
 * What a loop needs before it starts: the bindings and the socket's descriptor, or the result to give
 * at once (`unsupported`: not Linux, no binding, no descriptor; `failed`: the transfer was stopped
 * while the binding loaded).
 */
export async function prepareLoop(
  socket: Socket,
  hooks: LoopHooks,
): Promise<{ syscalls: LinuxSyscalls; fd: number } | LoopUnsupported | LoopFailure> {
  const binding = await loadLinuxSyscalls();
  if (!binding.ok) return { outcome: 'unsupported', reason: binding.reason };
  // The first transfer waits for the binding to load: ABOR or a lost connection may come meanwhile.
  if (hooks.cancelled() || socket.destroyed) {
    return { outcome: 'failed', side: 'data', error: new Error('transfer stopped') };
  }
  const fd = socketDescriptor(socket);
  if (fd === undefined) return { outcome: 'unsupported', reason: 'the data socket has no descriptor' };
  return { syscalls: binding.syscalls, fd };
}

/** A loop moving one file's bytes over one socket, until it settles with a `Result`. */
export abstract class SocketLoop<Result> {
  protected settled = false;
  private resolve: (result: Result | LoopFailure) => void = () => {};
  private readonly onClose = (): void => {
    this.fail('data', new Error('data connection closed'));
  };
  /** Errors of the socket (failed writes or reads through libuv) are the loop's to report. */
  private readonly onError = (error: Error): void => {
    this.fail('data', error);
  };

  /**
   * @param socket - The data socket.
   * @param hooks - The transfer runner's; `cancelled()` is asked before every system call.
   * @param keepErrorListener - Leave the `'error'` listener on the socket after settling (a write the
   *   loop made may still fail after its callback ran).
   */
  protected constructor(
    protected readonly socket: Socket,
    protected readonly hooks: LoopHooks,
    private readonly keepErrorListener: boolean,
  ) {}

  /** Starts the loop with `begin` and resolves once it settled. */
  protected start(begin: () => void): Promise<Result | LoopFailure> {
    return new Promise((resolve) => {
      this.resolve = resolve;
      this.socket.once('close', this.onClose);
      this.socket.on('error', this.onError);
      begin();
    });
  }

  /** True (and settled) once the transfer was cancelled or the socket is gone. */
  protected stopped(): boolean {
    if (this.settled) return true;
    if (!this.hooks.cancelled() && !this.socket.destroyed) return false;
    this.fail('data', new Error('transfer stopped'));
    return true;
  }

  protected fail(side: 'file' | 'data', error: Error): void {
    this.settle({ outcome: 'failed', side, error });
  }

  /** Settles once (later calls are ignored) and lets go of the socket's events. */
  protected settle(result: Result | LoopFailure): void {
    if (this.settled) return;
    this.settled = true;
    this.socket.removeListener('close', this.onClose);
    if (!this.keepErrorListener) this.socket.removeListener('error', this.onError);
    this.cleanUp();
    this.resolve(result);
  }

  /** Called once when the loop settles, before the result is delivered. */
  protected cleanUp(): void {}
}
