// End-to-end: after a burst of uploads (streamed, so they leave garbage behind), the built ftpd gives
// memory back once quiet and logs it with -D; --disable-memory-release keeps it. Read from the debug log.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { assertBuilt, cleanup, curl, startFtpd, tempDir } from './helpers.js';

vi.setConfig({ testTimeout: 20_000, hookTimeout: 15_000 });
beforeAll(assertBuilt);
afterEach(cleanup);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Two uploads of a 16 MiB random file through streams (64 KiB chunks the collector must free). */
async function burst(url: string): Promise<void> {
  const file = join(tempDir(), 'up.bin');
  writeFileSync(file, randomBytes(16 * 1024 * 1024));
  for (const name of ['a.bin', 'b.bin']) expect((await curl(['-T', file, `${url}${name}`])).code).toBe(0);
}

describe('memory release when idle', () => {
  it('runs once the server is quiet after a burst, and says how much it freed', async () => {
    const ftpd = await startFtpd(tempDir(), ['-D', '-w', '--disable-direct-receive']);
    await ftpd.waitForStderr(/release memory when idle: True$/m);
    await burst(ftpd.url);
    const [, before, after] = await ftpd.waitForStderr(
      /memory released after \d+ ms idle: RSS ([\d.]+) -> ([\d.]+) MiB \([\d.]+ MiB freed\) in \d+ ms \(LowMemoryNotification(?:, malloc_trim)?\)$/m,
    );
    expect(Number(after)).toBeLessThan(Number(before));
  });

  it('--disable-memory-release keeps the memory', async () => {
    const ftpd = await startFtpd(tempDir(), [
      '-D',
      '-w',
      '--disable-direct-receive',
      '--disable-memory-release',
    ]);
    await ftpd.waitForStderr(/release memory when idle: False$/m);
    await burst(ftpd.url);
    await sleep(1000);
    expect(ftpd.stderr()).not.toContain('memory released');
  });
});
