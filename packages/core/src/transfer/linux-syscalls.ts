/**
 * The Linux system calls of the zero-copy data paths, `sendfile(2)` (RETR) and `recv(2)` (STOR), and
 * glibc's `malloc_trim` (the memory release), reached through koffi (an FFI with prebuilt binaries, so no compiler and no install script is
 * needed). Loaded on the first transfer that uses them only: a server that never moves a file does not
 * pay for the native module in memory.
 *
 * @module
 */

import type { Socket } from 'node:net';
import { constants } from 'node:os';

/** The system calls, bound to JavaScript. */
export interface LinuxSyscalls {
  /**
   * `sendfile(2)`: copies up to `count` bytes from `inFd` at `offset[0]` to `outFd` in the kernel.
   * Returns the number of bytes copied (0 at the end of the file) and advances `offset[0]` by as much,
   * or returns -1 with {@link LinuxSyscalls.errno} set.
   */
  sendfile(outFd: number, inFd: number, offset: [number], count: number): number;
  /**
   * `recv(2)` on a (non-blocking) socket into `buffer[0, length)`: the bytes read, 0 once the peer has
   * shut down its side and everything was read, or -1 with {@link LinuxSyscalls.errno} set (`EAGAIN`
   * when nothing is waiting).
   */
  recv(fd: number, buffer: Buffer, length: number): number;
  /** The `errno` of the last failed call, saved by koffi before Node can clobber it. */
  errno(): number;
  /**
   * glibc's `malloc_trim(pad)` (gives freed heap memory back to the system; 1 when some was), or
   * undefined where the C library has none (musl): the memory release's, not a data path's.
   */
  readonly mallocTrim: ((pad: number) => number) | undefined;
}

/** What the loader ended with: the bindings, or why there are none. */
export type SyscallsBinding =
  | { readonly ok: true; readonly syscalls: LinuxSyscalls }
  | { readonly ok: false; readonly reason: string };

/** The 64-bit platforms, whose plain `sendfile` takes a 64-bit offset. */
const WIDE_OFF_T = new Set(['x64', 'arm64', 'ppc64', 'riscv64', 'loong64', 's390x', 'mips64el']);

/** `MSG_DONTWAIT`: never block, even were the descriptor blocking (it is not: libuv's sockets are not). */
const MSG_DONTWAIT = 0x40;

let loading: Promise<SyscallsBinding> | undefined;

/**
 * The bindings, loaded once per process on first use (later calls share the result, failure included,
 * so a missing binding costs one attempt). Linux only: BSD and macOS `sendfile` have other
 * signatures, and Windows has neither.
 */
export function loadLinuxSyscalls(): Promise<SyscallsBinding> {
  loading ??= bind();
  return loading;
}

async function bind(): Promise<SyscallsBinding> {
  if (process.platform !== 'linux') return { ok: false, reason: `not on Linux (${process.platform})` };
  try {
    const koffi = (await import('koffi')).default;
    // dlopen(NULL): the symbols already loaded into the process, libc's included (glibc or musl).
    const libc = koffi.load(null);
    // 32-bit builds: the plain symbol takes a 32-bit off_t; sendfile64 is the large-file variant.
    const name = WIDE_OFF_T.has(process.arch) ? 'sendfile' : 'sendfile64';
    const sendfile = libc.func(
      `intptr_t ${name}(int out_fd, int in_fd, _Inout_ int64_t *offset, size_t count)`,
    );
    // `void *`: koffi passes the Buffer's own memory, so the kernel writes into it with no copy.
    const recv = libc.func('intptr_t recv(int fd, void *buf, size_t len, int flags)');
    // musl has no malloc_trim, and koffi throws for a missing symbol: only the memory release lacks it then.
    let mallocTrim: LinuxSyscalls['mallocTrim'];
    try {
      const trim = libc.func('int malloc_trim(size_t pad)');
      mallocTrim = (pad) => trim(pad) as number;
    } catch {
      mallocTrim = undefined;
    }
    const syscalls: LinuxSyscalls = {
      sendfile: (outFd, inFd, offset, count) => sendfile(outFd, inFd, offset, count) as number,
      recv: (fd, buffer, length) => recv(fd, buffer, length, MSG_DONTWAIT) as number,
      errno: () => koffi.errno(),
      mallocTrim,
    };
    return { ok: true, syscalls };
  } catch (error) {
    return {
      ok: false,
      reason: `koffi could not load the system calls: ${(error as Error).message ?? String(error)}`,
    };
  }
}

/** errnos that mean the data connection is gone; any other failure is the file's. */
export const CONNECTION_ERRORS = new Set([
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

/** The libuv descriptor of a connected TCP socket (an internal but long-stable property). */
export function socketDescriptor(socket: Socket): number | undefined {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } | null })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

let errnoNames: Map<number, string> | undefined;

/** The name of an errno value (`EAGAIN`, ...), or `E<number>` for one this platform does not name. */
export function errnoName(errno: number): string {
  errnoNames ??= new Map(Object.entries(constants.errno).map(([name, value]) => [value, name]));
  return errnoNames.get(errno) ?? `E${errno}`;
}
