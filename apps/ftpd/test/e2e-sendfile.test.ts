// End-to-end: downloads use sendfile(2) by default on Linux, and --disable-sendfile (pyftpdlib 2.1's
// flag) turns it off; either way curl gets the same bytes. The path taken is read from the debug log.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { assertBuilt, cleanup, curl, sha256, startFtpd, tempDir } from './helpers.js';

vi.setConfig({ testTimeout: 15_000, hookTimeout: 15_000 });
beforeAll(assertBuilt);
afterEach(cleanup);

/** A directory with a 3 MiB random file, and where curl saves its copy. */
function fixture(): { dir: string; file: string; out: string } {
  const dir = tempDir();
  const file = join(dir, 'data.bin');
  writeFileSync(file, randomBytes(3 * 1024 * 1024 + 11));
  return { dir, file, out: join(tempDir(), 'copy.bin') };
}

describe.runIf(process.platform === 'linux')('sendfile', () => {
  it('is used by default for binary downloads, which arrive intact (curl, with and without a resume offset)', async () => {
    const { dir, file, out } = fixture();
    const ftpd = await startFtpd(dir, ['-D']);
    await ftpd.waitForStderr(/sendfile: True$/m);
    expect((await curl(['-o', out, `${ftpd.url}data.bin`])).code).toBe(0);
    expect(sha256(out)).toBe(sha256(file));
    await ftpd.waitForStderr(/RETR \S+data\.bin completed=1 bytes=3145739 /);
    const tail = join(tempDir(), 'tail.bin');
    expect((await curl(['-C', '1000', '-o', tail, `${ftpd.url}data.bin`])).code).toBe(0);
    expect(readFileSync(tail).equals(readFileSync(file).subarray(1000))).toBe(true);
    await ftpd.waitForStderr(/RETR \S+data\.bin completed=1 bytes=3144739 /);
    expect(ftpd.stderr().match(/RETR \S+data\.bin: sendfile sent$/gm)).toHaveLength(2);
  });

  it('--disable-sendfile streams instead', async () => {
    const { dir, file, out } = fixture();
    const ftpd = await startFtpd(dir, ['-D', '--disable-sendfile']);
    await ftpd.waitForStderr(/sendfile: False$/m);
    expect((await curl(['-o', out, `${ftpd.url}data.bin`])).code).toBe(0);
    expect(sha256(out)).toBe(sha256(file));
    await ftpd.waitForStderr(/RETR \S+data\.bin completed=1 /);
    expect(ftpd.stderr()).not.toMatch(/: sendfile |sendfile unavailable/);
  });

  it('is not used with a download limit (the throttle needs the bytes)', async () => {
    const { dir, file, out } = fixture();
    const ftpd = await startFtpd(dir, ['-D', '--write-limit', '64M']);
    expect((await curl(['-o', out, `${ftpd.url}data.bin`])).code).toBe(0);
    expect(sha256(out)).toBe(sha256(file));
    await ftpd.waitForStderr(/RETR \S+data\.bin completed=1 /);
    expect(ftpd.stderr()).not.toMatch(/: sendfile |sendfile unavailable/);
  });
});
