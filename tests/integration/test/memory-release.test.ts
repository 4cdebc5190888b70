// releaseMemoryWhenIdle against a real server: once quiet after work, the server runs a memory-reducing
// collection (and malloc_trim) and logs it at debug level; never while a data channel is open; not at
// all when the option is off. The memory is the process's (tests and server share it), so each test
// grows it on purpose with garbage the collection can free. Releases are at least 2 s apart process-wide,
// and the tests of this file run in order in one process: the waits allow for that.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connectPasv, LineLogger, RawClient, startServer, type TestServer } from './helpers.js';

const MiB = 1024 * 1024;
const QUIET_S = 0.05;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once `check` holds (polled; bounded, so a failure is a clear timeout). */
async function until(check: () => boolean, what: string, ms = 8000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** About 30 MiB of objects, garbage as soon as the caller drops the result. */
function garbage(): unknown[] {
  return Array.from({ length: 400_000 }, (_, i) => ({ i, text: `garbage ${i}` }));
}

const RELEASE =
  /^memory released after (\d+) ms idle: RSS ([\d.]+) -> ([\d.]+) MiB \(-?[\d.]+ MiB freed\) in (\d+) ms \((LowMemoryNotification|gc\(\))(, malloc_trim)?\)$/;

const releases = (logger: LineLogger): string[] =>
  logger.lines.filter((line) => line.startsWith('memory released'));

describe('releaseMemoryWhenIdle', () => {
  let t: TestServer | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('never releases while a transfer is open; releases once it ended and the server is quiet', async () => {
    const logger = new LineLogger();
    t = await startServer({ logger, releaseMemoryQuietTime: QUIET_S });
    writeFileSync(join(t.root, 'big.bin'), Buffer.alloc(32 * MiB, 7));
    const c = await t.raw();
    await c.login();
    const data = await connectPasv(await c.send('PASV'));
    data.pause(); // the client does not read: the transfer stays open, the server waits for room
    expect((await c.send('RETR big.bin')).code).toBe(125);
    const before = releases(logger).length;
    let junk: unknown[] | undefined = garbage();
    expect(junk.length).toBeGreaterThan(0);
    junk = undefined;
    // Many quiet periods (and more than the 2 s between releases) with the transfer stalled.
    await sleep(2500);
    expect(releases(logger)).toHaveLength(before);

    let received = 0;
    data.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    data.resume();
    const done = await c.reply();
    expect(done.code).toBe(226);
    await until(() => received === 32 * MiB, 'the whole file');
    await until(() => releases(logger).length > before, 'a release after the transfer');
    const line = releases(logger).at(-1)!;
    const match = RELEASE.exec(line);
    expect(match, line).not.toBeNull();
    expect(Number(match![1])).toBeGreaterThanOrEqual(QUIET_S * 1000);
    // The garbage is gone from the heap: the resident set shrank.
    expect(Number(match![3])).toBeLessThan(Number(match![2]));
  });

  it('releases after logins and a listing, once quiet, and not again without new growth', async () => {
    const logger = new LineLogger();
    t = await startServer({ logger, releaseMemoryQuietTime: QUIET_S });
    for (let i = 0; i < 20; i++) writeFileSync(join(t.root, `f${i}.txt`), 'x');
    let junk: unknown[] | undefined = garbage();
    expect(junk.length).toBeGreaterThan(0);
    junk = undefined;
    const before = releases(logger).length;
    const client = await t.client();
    expect((await client.list()).length).toBe(20);
    client.close();
    for (let i = 0; i < 5; i++) {
      const raw = await RawClient.connect(t.port);
      await raw.login();
      await raw.send('QUIT');
      raw.destroy();
    }
    // Up to 2 s after the previous test's release, plus the quiet period.
    await until(() => releases(logger).length > before, 'a release');
    expect(releases(logger).at(-1)).toMatch(RELEASE);
    const after = releases(logger).length;
    // Activity without growth: checked, but nothing to give back.
    const raw = await RawClient.connect(t.port);
    await raw.login();
    raw.destroy();
    await sleep(2500);
    expect(releases(logger)).toHaveLength(after);
  });

  it('does nothing when off', async () => {
    const logger = new LineLogger();
    t = await startServer({ logger, releaseMemoryWhenIdle: false, releaseMemoryQuietTime: QUIET_S });
    let junk: unknown[] | undefined = garbage();
    expect(junk.length).toBeGreaterThan(0);
    junk = undefined;
    const client = await t.client();
    await client.list();
    client.close();
    await sleep(20 * QUIET_S * 1000);
    expect(releases(logger)).toEqual([]);
  });

  it('checks its options', async () => {
    const { resolveOptions } = await import('@ftpkit/core');
    const base = { authorizer: {} as never, filesystem: () => ({}) as never };
    expect(resolveOptions(base)).toMatchObject({ releaseMemoryWhenIdle: true, releaseMemoryQuietMs: 250 });
    expect(
      resolveOptions({ ...base, releaseMemoryWhenIdle: false, releaseMemoryQuietTime: 1.5 }),
    ).toMatchObject({
      releaseMemoryWhenIdle: false,
      releaseMemoryQuietMs: 1500,
    });
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => resolveOptions({ ...base, releaseMemoryQuietTime: bad })).toThrow(
        /releaseMemoryQuietTime must be a number of seconds > 0/,
      );
    }
  });
});
