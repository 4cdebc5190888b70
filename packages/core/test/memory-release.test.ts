import { getHeapSpaceStatistics } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Logger } from '../src/logger.js';
import {
  exposedGc,
  loadMallocTrim,
  lowMemoryNotification,
  MAX_LOOP_UTILIZATION,
  type MemoryReleaseEnvironment,
  type MemoryReleaseReport,
  MemoryReleaser,
  type MemoryReleaserOptions,
  type MemoryReleaseState,
  MIN_GROWTH_BYTES,
  MIN_INTERVAL_MS,
} from '../src/memory-release.js';

const MiB = 1024 * 1024;
const QUIET = 200;

/** A process whose memory, loop and collector the test controls; time is vitest's fake clock. */
function fakeProcess() {
  const proc = {
    rss: 100 * MiB,
    /** What the resident set drops to when the collector runs. */
    rssAfterCollect: 60 * MiB,
    utilization: 0,
    collector: 'LowMemoryNotification' as string | undefined,
    trimAvailable: true,
    collected: 0,
    trimmed: 0,
    /** Milliseconds the collection takes (of the fake clock). */
    collectMs: 30,
  };
  const environment: MemoryReleaseEnvironment = {
    now: () => Date.now(),
    rss: () => proc.rss,
    loopUtilization: () => () => proc.utilization,
    collectGarbage: async () => {
      proc.collected += 1;
      await new Promise((resolve) => setTimeout(resolve, proc.collectMs));
      if (proc.collector !== undefined) proc.rss = proc.rssAfterCollect;
      return proc.collector;
    },
    trimMalloc: async () => {
      if (!proc.trimAvailable) return false;
      proc.trimmed += 1;
      return true;
    },
  };
  return { proc, environment };
}

function debugLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const push = (line: string): void => {
    lines.push(line);
  };
  return { lines, debug: push, info: push, warn: push, error: push };
}

const freshState = (): MemoryReleaseState => ({
  baselineRss: undefined,
  lastEnd: -Infinity,
  running: undefined,
});

describe('MemoryReleaser (fake clock and process)', () => {
  let busy: boolean;
  let reports: MemoryReleaseReport[];
  let state: MemoryReleaseState;
  let logger: ReturnType<typeof debugLogger>;

  beforeEach(() => {
    vi.useFakeTimers();
    busy = false;
    reports = [];
    state = freshState();
    logger = debugLogger();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A releaser over a fake process whose resident set was `baseline` when it was made. */
  function setup(overrides: Partial<MemoryReleaserOptions> = {}, baseline = 50 * MiB) {
    const fake = fakeProcess();
    fake.proc.rss = baseline;
    const releaser = new MemoryReleaser({
      quietMs: QUIET,
      logger,
      trimMalloc: true,
      busy: () => busy,
      onRelease: (report) => reports.push(report),
      environment: fake.environment,
      state,
      ...overrides,
    });
    return { ...fake, releaser };
  }

  it('releases once the quiet period passed after activity, when memory grew', async () => {
    const { proc, releaser } = setup();
    proc.rss = 90 * MiB;
    releaser.noteActivity();
    await vi.advanceTimersByTimeAsync(QUIET);
    expect(proc.collected).toBe(0);
    // The quiet period starts at the first check after the activity (a quarter period later) and
    // lasts QUIET; the collection then takes 30 ms.
    await vi.advanceTimersByTimeAsync(QUIET / 4 + 30);
    expect(proc.collected).toBe(1);
    expect(proc.trimmed).toBe(1);
    expect(reports).toEqual([
      {
        rssBefore: 90 * MiB,
        rssAfter: 60 * MiB,
        durationMs: 30,
        collector: 'LowMemoryNotification',
        trimmed: true,
      },
    ]);
    expect(logger.lines).toEqual([
      'memory released after 200 ms idle: RSS 90.0 -> 60.0 MiB (30.0 MiB freed) in 30 ms (LowMemoryNotification, malloc_trim)',
    ]);
    expect(state.baselineRss).toBe(60 * MiB);
    // Nothing is armed any more: an idle server has no timer.
    expect(vi.getTimerCount()).toBe(0);
  });

  it('does nothing, and stops checking, when memory grew by less than the threshold', async () => {
    const { proc, releaser } = setup();
    proc.rss = 50 * MiB + MIN_GROWTH_BYTES - 1;
    releaser.noteActivity();
    await vi.advanceTimersByTimeAsync(10 * QUIET);
    expect(proc.collected).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    expect(logger.lines).toEqual([]);
  });

  it('measures growth from the lowest resident set seen, not only from the last release', async () => {
    const { proc, releaser } = setup();
    proc.rss = 30 * MiB; // shrank by itself
    releaser.noteActivity();
    await vi.advanceTimersByTimeAsync(2 * QUIET);
    expect(state.baselineRss).toBe(30 * MiB);
    proc.rss = 30 * MiB + MIN_GROWTH_BYTES;
    releaser.noteActivity();
    await vi.advanceTimersByTimeAsync(2 * QUIET);
    expect(proc.collected).toBe(1);
  });

  it('waits while activity goes on, and releases a quiet period after the last of it', async () => {
    const { proc, releaser } = setup();
    proc.rss = 90 * MiB;
    for (let i = 0; i < 20; i++) {
      releaser.noteActivity();
      await vi.advanceTimersByTimeAsync(QUIET / 2);
    }
    expect(proc.collected).toBe(0);
    // The last activity was QUIET / 2 ago.
    await vi.advanceTimersByTimeAsync(QUIET / 2 + QUIET / 4);
    expect(proc.collected).toBe(1);
  });

  it('never releases while a data channel is open, and stops checking until it closes', async () => {
    const { proc, releaser } = setup();
    proc.rss = 90 * MiB;
    busy = true;
    releaser.noteActivity();
    await vi.advanceTimersByTimeAsync(10 * QUIET);
    expect(proc.collected).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    // The server notes the channel's closing as activity.
    busy = false;
    releaser.noteActivity();
    await vi.advanceTimersByTimeAsync(2 * QUIET);
    expect(proc.collected).toBe(1);
  });

  it('a data channel opened during the quiet period stops the release', async () => {
    const { proc, releaser } = setup();
    proc.rss = 90 * MiB;
    releaser.noteActivity();
    await vi.advanceTimersByTimeAsync(QUIET / 2);
    busy = true; // opened by a command the releaser was not told about
    await vi.advanceTimersByTimeAsync(10 * QUIET);
    expect(proc.collected).toBe(0);
  });

  it('waits while the event loop is busy (commands, the application), then releases', async () => {
    const { proc, releaser } = setup();
    proc.rss = 90 * MiB;
    proc.utilization = MAX_LOOP_UTILIZATION + 0.01;
    releaser.noteActivity();
    await vi.advanceTimersByTimeAsync(10 * QUIET);
    expect(proc.collected).toBe(0);
    expect(vi.getTimerCount()).toBe(1);
    proc.utilization = MAX_LOOP_UTILIZATION;
    // A new quiet period is measured from the last busy check.
    await vi.advanceTimersByTimeAsync(QUIET + 30);
    expect(proc.collected).toBe(1);
  });

  it(`keeps releases ${MIN_INTERVAL_MS} ms apart`, async () => {
    const { proc, releaser } = setup();
    proc.rss = 90 * MiB;
    releaser.noteActivity();
    await vi.advanceTimersByTimeAsync(2 * QUIET);
    expect(proc.collected).toBe(1);
    const firstEnd = state.lastEnd;
    proc.rss = 90 * MiB;
    releaser.noteActivity();
    await vi.advanceTimersByTimeAsync(2 * QUIET);
    expect(proc.collected).toBe(1);
    await vi.advanceTimersByTimeAsync(firstEnd + MIN_INTERVAL_MS - Date.now() - 1);
    expect(proc.collected).toBe(1);
    await vi.advanceTimersByTimeAsync(1 + proc.collectMs);
    expect(proc.collected).toBe(2);
  });

  it('skips malloc_trim when told to, and when the C library has none', async () => {
    const first = setup({ trimMalloc: false });
    first.proc.rss = 90 * MiB;
    first.releaser.noteActivity();
    await vi.advanceTimersByTimeAsync(2 * QUIET);
    expect(first.proc.trimmed).toBe(0);
    expect(reports[0]?.trimmed).toBe(false);
    expect(logger.lines[0]).toMatch(/\(LowMemoryNotification\)$/);

    state = freshState();
    const second = setup();
    second.proc.trimAvailable = false;
    second.proc.rss = 90 * MiB;
    second.releaser.noteActivity();
    await vi.advanceTimersByTimeAsync(2 * QUIET);
    expect(reports[1]?.trimmed).toBe(false);
  });

  it('gives up for good when it can neither collect nor trim', async () => {
    const { proc, releaser } = setup();
    proc.collector = undefined;
    proc.trimAvailable = false;
    proc.rss = 90 * MiB;
    releaser.noteActivity();
    await vi.advanceTimersByTimeAsync(2 * QUIET);
    expect(logger.lines).toEqual([
      'memory released after 200 ms idle: RSS 90.0 -> 90.0 MiB (0.0 MiB freed) in 30 ms (no garbage collection available)',
    ]);
    proc.rss = 200 * MiB;
    await vi.advanceTimersByTimeAsync(MIN_INTERVAL_MS);
    releaser.noteActivity();
    await vi.advanceTimersByTimeAsync(4 * QUIET);
    expect(proc.collected).toBe(1);
  });

  it('logs a failed release as a warning and goes on', async () => {
    const fake = fakeProcess();
    const releaser = new MemoryReleaser({
      quietMs: QUIET,
      logger,
      trimMalloc: true,
      busy: () => false,
      environment: {
        ...fake.environment,
        rss: () => 90 * MiB,
        collectGarbage: () => Promise.reject(new Error('boom')),
      },
      state: { ...state, baselineRss: 50 * MiB },
    });
    releaser.noteActivity();
    await vi.advanceTimersByTimeAsync(2 * QUIET);
    expect(logger.lines[0]).toBe('releasing memory failed: boom');
  });

  it('prints no debug line when the logger is not at debug level', async () => {
    const quiet = { ...debugLogger(), isLevelEnabled: () => false };
    const { proc, releaser } = setup({ logger: quiet });
    proc.rss = 90 * MiB;
    releaser.noteActivity();
    await vi.advanceTimersByTimeAsync(2 * QUIET);
    expect(proc.collected).toBe(1);
    expect(quiet.lines).toEqual([]);
  });

  it('shares the baseline and the interval with the other releasers of the process', async () => {
    const a = setup();
    const b = setup();
    a.proc.rss = 90 * MiB;
    a.releaser.noteActivity();
    await vi.advanceTimersByTimeAsync(2 * QUIET);
    expect(a.proc.collected).toBe(1);
    expect(state.baselineRss).toBe(60 * MiB);
    // b's process reads the same resident set after a's release: no growth, nothing to do.
    b.proc.rss = 60 * MiB + MIN_GROWTH_BYTES - 1;
    b.releaser.noteActivity();
    await vi.advanceTimersByTimeAsync(MIN_INTERVAL_MS + 2 * QUIET);
    expect(b.proc.collected).toBe(0);
  });

  it('stop() disarms; the next activity arms again', async () => {
    const { proc, releaser } = setup();
    proc.rss = 90 * MiB;
    releaser.noteActivity();
    releaser.stop();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(4 * QUIET);
    expect(proc.collected).toBe(0);
    releaser.noteActivity();
    await vi.advanceTimersByTimeAsync(2 * QUIET);
    expect(proc.collected).toBe(1);
  });

  it('rejects a quiet period that is not positive', () => {
    for (const quietMs of [0, -1, Number.NaN]) {
      expect(() => setup({ quietMs })).toThrow(RangeError);
    }
  });
});

describe('MemoryReleaser (real timers)', () => {
  it('its timer does not keep the process alive', () => {
    const releaser = new MemoryReleaser({
      quietMs: 1000,
      logger: debugLogger(),
      trimMalloc: false,
      busy: () => false,
      state: freshState(),
    });
    releaser.noteActivity();
    const timer = (releaser as unknown as { timer: NodeJS.Timeout | undefined }).timer;
    expect(timer?.hasRef()).toBe(false);
    releaser.stop();
  });
});

describe('the process environment', () => {
  it("lowMemoryNotification collects garbage and shrinks V8's young generation", async () => {
    const newSpace = (): number =>
      getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.space_size;
    // Short-lived garbage at a high rate grows the young generation.
    let sink = 0;
    for (let round = 0; round < 60; round++) {
      const batch = Array.from({ length: 20_000 }, (_, i) => ({ i, text: `item ${i}` }));
      sink += batch.length;
    }
    expect(sink).toBeGreaterThan(0);
    const grown = newSpace();
    expect(await lowMemoryNotification()).toBe(true);
    expect(newSpace()).toBeLessThan(grown);
  });

  it('exposedGc runs a collection and leaves no gc global behind, in this context, new ones or workers', async () => {
    const hadGc = typeof (globalThis as { gc?: unknown }).gc === 'function';
    const gc = exposedGc();
    expect(typeof gc).toBe('function');
    gc?.();
    expect(typeof (globalThis as { gc?: unknown }).gc === 'function').toBe(hadGc);
    if (!hadGc) {
      expect(runInNewContext('typeof gc')).toBe('undefined');
      const worker = new Worker('require("node:worker_threads").parentPort.postMessage(typeof gc)', {
        eval: true,
      });
      const seen = await new Promise((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      await worker.terminate();
      expect(seen).toBe('undefined');
    }
  });

  it.runIf(process.platform === 'linux')(
    'loadMallocTrim binds malloc_trim on glibc, and nothing on musl',
    async () => {
      const report = process.report.getReport() as { header?: { glibcVersionRuntime?: string } };
      const trim = await loadMallocTrim();
      if (report.header?.glibcVersionRuntime === undefined) {
        expect(trim).toBeUndefined();
      } else {
        expect(trim).toBeTypeOf('function');
        expect([0, 1]).toContain(trim?.(0));
      }
    },
  );
});
