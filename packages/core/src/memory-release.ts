/**
 * Gives memory back to the operating system when the server goes quiet after a burst of work (option
 * `releaseMemoryWhenIdle`). A burst of transfers and logins leaves the process larger than it needs
 * to be once it is over: V8 keeps the young generation at the size the burst grew it to (up to 32 MiB
 * for the two semi-spaces) and collects old objects and the buffers they hold only when its heuristics
 * say so, and glibc's malloc keeps freed memory in its arenas. None of it goes back by itself while
 * the server idles.
 *
 * The {@link MemoryReleaser} watches for quiet: the server tells it about activity (connections,
 * logins, data channels), which only sets a flag and, when no timer is armed, arms one unref'd timer.
 * Once there was no activity for the quiet period, no data channel is open, the event loop was
 * mostly idle over that period, and the resident set grew by at least {@link MIN_GROWTH_BYTES} since
 * the last release, it releases:
 *
 * 1. a memory-reducing full garbage collection: V8's `LowMemoryNotification` (what the inspector's
 *    `HeapProfiler.collectGarbage` runs, reached through an in-process `node:inspector` session that
 *    is connected for this one request), which also shrinks the young generation. Where the inspector
 *    is missing (a Node built without it, the permission model), a plain full collection through
 *    `gc()` instead: the `--expose-gc` one when the process has it, else one obtained by setting the
 *    flag for a moment, taking `gc` from a fresh `vm` context and clearing the flag again, so that no
 *    other context or worker sees a `gc` global;
 * 2. glibc's `malloc_trim(0)`, through koffi (which core loads for the zero-copy data paths anyway):
 *    only when `useSendfile` or `useDirectReceive` is on, so that a server using neither does not load
 *    the native module for this; skipped where the C library has no `malloc_trim` (musl).
 *
 * V8 has the same kind of memory-reducing collection of its own (its "memory reducer"), but starts it
 * only some seconds after the allocation rate fell, and then not reliably: measured on a server left
 * idle after the benchmark, the young generation was still at its grown size 15 s later.
 *
 * @module
 */

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { isLevelEnabled, type Logger } from './logger.js';
import { loadLinuxSyscalls } from './transfer/linux-syscalls.js';

/** Releases happen only when the resident set grew by this much since the last one: 4 MiB. */
export const MIN_GROWTH_BYTES = 4 * 1024 * 1024;

/** Releases are at least this far apart (from the end of one to the start of the next): 2 s. */
export const MIN_INTERVAL_MS = 2000;

/**
 * The quiet period is not quiet when the event loop was busy for more than this share of it: the
 * sessions (commands that open no data channel) or the application hosting the server are working.
 */
export const MAX_LOOP_UTILIZATION = 0.1;

/** A release that has not finished after this long is given up (its result is ignored). */
const COLLECT_TIMEOUT_MS = 10_000;

/** The outcome of one release, for the debug log (and tests). */
export interface MemoryReleaseReport {
  /** Resident set before and after, in bytes. */
  readonly rssBefore: number;
  readonly rssAfter: number;
  /** Milliseconds the release took. */
  readonly durationMs: number;
  /** How the garbage was collected (`LowMemoryNotification`, `gc()`), or undefined if it could not be. */
  readonly collector: string | undefined;
  /** Whether `malloc_trim(0)` ran. */
  readonly trimmed: boolean;
}

/** What the releaser needs from the process. Tests replace some of it. */
export interface MemoryReleaseEnvironment {
  /** Milliseconds from a monotonic clock. */
  now(): number;
  /** The resident set size in bytes. */
  rss(): number;
  /** Starts measuring the event loop's utilization; the function returned gives it (0..1) since then. */
  loopUtilization(): () => number;
  /** A full garbage collection; resolves with the way it was done, or undefined when none is possible. */
  collectGarbage(): Promise<string | undefined>;
  /** `malloc_trim(0)`; resolves false when the C library has none or it cannot be reached. */
  trimMalloc(): Promise<boolean>;
}

/** What releases share across every server of the process: the memory is the process's. */
export interface MemoryReleaseState {
  /** The resident set after the last release (at first: when the first releaser was made). */
  baselineRss: number | undefined;
  /** When the last release ended ({@link MemoryReleaseEnvironment.now}), or -Infinity. */
  lastEnd: number;
  /** The release in progress, if any. */
  running: Promise<void> | undefined;
}

/** How a {@link MemoryReleaser} is set up. */
export interface MemoryReleaserOptions {
  /** Milliseconds without activity before a release. */
  readonly quietMs: number;
  /** Where the debug line of each release goes. */
  readonly logger: Logger;
  /** Whether to run `malloc_trim(0)` after the collection. */
  readonly trimMalloc: boolean;
  /** True while releasing must wait (the server has a data channel open). */
  readonly busy: () => boolean;
  /** Called after each release. */
  readonly onRelease?: (report: MemoryReleaseReport) => void;
  /** Replaces parts of the process environment (tests). */
  readonly environment?: Partial<MemoryReleaseEnvironment>;
  /** Replaces the process-wide state (tests). */
  readonly state?: MemoryReleaseState;
}

const processState: MemoryReleaseState = { baselineRss: undefined, lastEnd: -Infinity, running: undefined };

/**
 * Watches a server for quiet and then releases memory (see the module comment). Activity costs one
 * flag write, plus arming a timer when none is armed; the timer checks four times per quiet period
 * while there is activity, and stops once a check found nothing to do or a data channel open (the
 * channel's closing is activity again).
 */
export class MemoryReleaser {
  private readonly quietMs: number;
  private readonly tickMs: number;
  private readonly env: MemoryReleaseEnvironment;
  private readonly state: MemoryReleaseState;
  private active = false;
  private timer: NodeJS.Timeout | undefined;
  /** When the current quiet period started (the check that found activity), if one did. */
  private quietFrom: number | undefined;
  /** The event loop's utilization since {@link quietFrom}. */
  private utilization: (() => number) | undefined;
  private unavailable = false;

  constructor(private readonly options: MemoryReleaserOptions) {
    if (!(options.quietMs > 0)) throw new RangeError(`quietMs must be > 0, got ${options.quietMs}`);
    this.quietMs = options.quietMs;
    this.tickMs = Math.max(1, Math.ceil(options.quietMs / 4));
    this.env = { ...defaultEnvironment, ...options.environment };
    this.state = options.state ?? processState;
    this.state.baselineRss ??= this.env.rss();
  }

  /** Something happened that may have grown memory (a connection, a login, a data channel). */
  noteActivity(): void {
    this.active = true;
    if (this.timer === undefined) this.arm(this.tickMs);
  }

  /** Stops watching until the next activity. A release in progress completes. */
  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.active = false;
    this.quietFrom = undefined;
    this.utilization = undefined;
  }

  private arm(ms: number): void {
    this.timer = setTimeout(this.check, ms);
    this.timer.unref();
  }

  private readonly check = (): void => {
    this.timer = undefined;
    const now = this.env.now();
    if (this.active || this.quietFrom === undefined || this.utilization === undefined) {
      this.active = false;
      this.startQuiet(now);
      return;
    }
    // A transfer or listing (or a passive listener waiting): its end is activity and re-arms.
    if (this.options.busy()) {
      this.quietFrom = undefined;
      return;
    }
    const quietFor = now - this.quietFrom;
    if (quietFor < this.quietMs) {
      this.arm(Math.min(this.tickMs, Math.ceil(this.quietMs - quietFor)));
      return;
    }
    if (this.utilization() > MAX_LOOP_UTILIZATION) {
      this.startQuiet(now);
      return;
    }
    const state = this.state;
    // Another server of the process is releasing: its result is the new baseline.
    if (state.running !== undefined || this.unavailable) return;
    const rss = this.env.rss();
    const baseline = Math.min(state.baselineRss ?? rss, rss);
    state.baselineRss = baseline;
    if (rss - baseline < MIN_GROWTH_BYTES) return;
    const wait = state.lastEnd + MIN_INTERVAL_MS - now;
    if (wait > 0) {
      // Checked again then; activity in between starts a new quiet period.
      this.arm(Math.ceil(wait));
      return;
    }
    this.quietFrom = undefined;
    state.running = this.release(rss, quietFor).finally(() => {
      state.running = undefined;
    });
  };

  private startQuiet(now: number): void {
    this.quietFrom = now;
    this.utilization = this.env.loopUtilization();
    this.arm(this.tickMs);
  }

  private async release(rssBefore: number, quietMs: number): Promise<void> {
    const { env, state, options } = this;
    const start = env.now();
    let collector: string | undefined;
    let trimmed = false;
    try {
      collector = await env.collectGarbage();
      trimmed = options.trimMalloc && (await env.trimMalloc());
    } catch (error) {
      options.logger.warn(`releasing memory failed: ${(error as Error)?.message ?? String(error)}`);
    }
    const end = env.now();
    const rssAfter = env.rss();
    state.baselineRss = rssAfter;
    state.lastEnd = end;
    if (collector === undefined && !trimmed) this.unavailable = true;
    const report: MemoryReleaseReport = { rssBefore, rssAfter, durationMs: end - start, collector, trimmed };
    const { logger } = options;
    if (isLevelEnabled(logger, 'debug')) {
      const how = [collector ?? 'no garbage collection available', ...(trimmed ? ['malloc_trim'] : [])];
      logger.debug(
        `memory released after ${Math.round(quietMs)} ms idle: RSS ${mib(rssBefore)} -> ${mib(rssAfter)} MiB ` +
          `(${mib(rssBefore - rssAfter)} MiB freed) in ${Math.round(report.durationMs)} ms (${how.join(', ')})`,
      );
    }
    options.onRelease?.(report);
  }
}

function mib(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(1);
}

// ---- the process environment ------------------------------------------------------------------

const defaultEnvironment: MemoryReleaseEnvironment = {
  now: () => performance.now(),
  rss: () => process.memoryUsage.rss(),
  loopUtilization: () => {
    const start = performance.eventLoopUtilization();
    return () => performance.eventLoopUtilization(start).utilization;
  },
  collectGarbage: async () => {
    if (await lowMemoryNotification()) return 'LowMemoryNotification';
    const gc = exposedGc();
    if (gc === undefined) return undefined;
    gc();
    return 'gc()';
  },
  trimMalloc: async () => {
    const trim = await loadMallocTrim();
    if (trim === undefined) return false;
    trim(0);
    return true;
  },
};

/** Whether the inspector is known to be out of reach (tried once per process). */
let inspectorMissing = false;

/**
 * V8's `LowMemoryNotification` (a full, memory-reducing collection that also shrinks the young
 * generation) through an in-process inspector session, connected for this request only. Resolves
 * false when the inspector cannot be used.
 */
export async function lowMemoryNotification(): Promise<boolean> {
  if (inspectorMissing) return false;
  let session: import('node:inspector').Session;
  try {
    const inspector = await import('node:inspector');
    session = new inspector.Session();
    session.connect();
  } catch {
    inspectorMissing = true;
    return false;
  }
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), COLLECT_TIMEOUT_MS);
    timer.unref();
    session.post('HeapProfiler.collectGarbage', (error) => {
      clearTimeout(timer);
      // Disconnecting from within the session's own callback hangs Node 20; a turn later does not.
      setImmediate(() => session.disconnect());
      resolve(error === null || error === undefined);
    });
  });
}

let gcFunction: (() => void) | null | undefined;

/**
 * A full collection through `gc()`: the process's own when it runs with `--expose-gc`, else one taken
 * from a fresh `vm` context created while the flag is set for a moment. The flag is cleared again at
 * once, so contexts and workers created later get no `gc` global (V8 reads the flag when it makes a
 * context).
 */
export function exposedGc(): (() => void) | undefined {
  if (gcFunction !== undefined) return gcFunction ?? undefined;
  const own = (globalThis as { gc?: unknown }).gc;
  if (typeof own === 'function') {
    gcFunction = () => (own as () => void)();
    return gcFunction;
  }
  try {
    setFlagsFromString('--expose-gc');
    const taken: unknown = runInNewContext('gc');
    gcFunction = typeof taken === 'function' ? () => (taken as () => void)() : null;
  } catch {
    gcFunction = null;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
  return gcFunction ?? undefined;
}

/**
 * glibc's `malloc_trim`, from the data paths' koffi bindings (loaded once per process); undefined off
 * Linux, on musl, or without koffi.
 */
export async function loadMallocTrim(): Promise<((pad: number) => number) | undefined> {
  const binding = await loadLinuxSyscalls();
  return binding.ok ? binding.syscalls.mallocTrim : undefined;
}
