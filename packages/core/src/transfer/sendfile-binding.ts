/**
 * The `sendfile(2)` system call, reached through koffi (an FFI with prebuilt binaries, so no compiler
 * and no install script is needed). Loaded on the first zero-copy transfer only: a server that never
 * sends a file does not pay for the native module in memory.
 *
 * @module
 */

/** `sendfile(2)` bound to JavaScript. */
export interface SendfileSyscall {
  /**
   * Copies up to `count` bytes from `inFd` at `offset[0]` to `outFd` in the kernel. Returns the number
   * of bytes copied (0 at the end of the file) and advances `offset[0]` by as much, or returns -1 with
   * {@link SendfileSyscall.errno} set.
   */
  sendfile(outFd: number, inFd: number, offset: [number], count: number): number;
  /** The `errno` of the last failed call, saved by koffi before Node can clobber it. */
  errno(): number;
}

/** What the loader ended with: the binding, or why there is none. */
export type SendfileBinding =
  | { readonly ok: true; readonly syscall: SendfileSyscall }
  | { readonly ok: false; readonly reason: string };

/** The 64-bit platforms, whose plain `sendfile` takes a 64-bit offset. */
const WIDE_OFF_T = new Set(['x64', 'arm64', 'ppc64', 'riscv64', 'loong64', 's390x', 'mips64el']);

let loading: Promise<SendfileBinding> | undefined;

/**
 * The `sendfile(2)` binding, loaded once per process on first use (later calls share the result,
 * failure included, so a missing binding costs one attempt). Linux only: BSD and macOS `sendfile`
 * have other signatures, and Windows has none.
 */
export function loadSendfile(): Promise<SendfileBinding> {
  loading ??= bind();
  return loading;
}

async function bind(): Promise<SendfileBinding> {
  if (process.platform !== 'linux') return { ok: false, reason: `not on Linux (${process.platform})` };
  try {
    const koffi = (await import('koffi')).default;
    // dlopen(NULL): the symbols already loaded into the process, libc's included (glibc or musl).
    const libc = koffi.load(null);
    // 32-bit builds: the plain symbol takes a 32-bit off_t; sendfile64 is the large-file variant.
    const name = WIDE_OFF_T.has(process.arch) ? 'sendfile' : 'sendfile64';
    const call = libc.func(`intptr_t ${name}(int out_fd, int in_fd, _Inout_ int64_t *offset, size_t count)`);
    const syscall: SendfileSyscall = {
      sendfile: (outFd, inFd, offset, count) => call(outFd, inFd, offset, count) as number,
      errno: () => koffi.errno(),
    };
    return { ok: true, syscall };
  } catch (error) {
    return {
      ok: false,
      reason: `koffi could not load sendfile: ${(error as Error).message ?? String(error)}`,
    };
  }
}
