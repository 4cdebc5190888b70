// End-to-end: uploads go straight from the data connection into the file (recv(2) and synchronous
// writes) by default on Linux, and --disable-direct-receive streams them; either way curl's upload
// arrives intact, fresh and resumed. The path taken is read from the debug log.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { assertBuilt, cleanup, curl, sha256, startFtpd, tempDir } from './helpers.js';

vi.setConfig({ testTimeout: 15_000, hookTimeout: 15_000 });
beforeAll(assertBuilt);
afterEach(cleanup);

/** A 3 MiB random file to upload, and an empty shared directory (writable: `-w`). */
function fixture(): { dir: string; file: string } {
  const file = join(tempDir(), 'local.bin');
  writeFileSync(file, randomBytes(3 * 1024 * 1024 + 11));
  return { dir: tempDir(), file };
}

describe.runIf(process.platform === 'linux')('direct receive', () => {
  it('is used by default for binary uploads, which arrive intact (curl, fresh and appended)', async () => {
    const { dir, file } = fixture();
    const ftpd = await startFtpd(dir, ['-D', '-w']);
    await ftpd.waitForStderr(/direct receive: True$/m);
    expect((await curl(['-T', file, `${ftpd.url}up.bin`])).code).toBe(0);
    await ftpd.waitForStderr(/STOR \S+up\.bin completed=1 bytes=3145739 /);
    expect(sha256(join(dir, 'up.bin'))).toBe(sha256(file));
    expect((await curl(['-a', '-T', file, `${ftpd.url}up.bin`])).code).toBe(0);
    await ftpd.waitForStderr(/APPE \S+up\.bin completed=1 /);
    const twice = Buffer.concat([readFileSync(file), readFileSync(file)]);
    expect(readFileSync(join(dir, 'up.bin')).equals(twice)).toBe(true);
    expect(ftpd.stderr().match(/(STOR|APPE) \S+up\.bin: direct receive done$/gm)).toHaveLength(2);
  });

  it('--disable-direct-receive streams instead', async () => {
    const { dir, file } = fixture();
    const ftpd = await startFtpd(dir, ['-D', '-w', '--disable-direct-receive']);
    await ftpd.waitForStderr(/direct receive: False$/m);
    expect((await curl(['-T', file, `${ftpd.url}up.bin`])).code).toBe(0);
    await ftpd.waitForStderr(/STOR \S+up\.bin completed=1 /);
    expect(sha256(join(dir, 'up.bin'))).toBe(sha256(file));
    expect(ftpd.stderr()).not.toMatch(/direct receive (done|unavailable|stopped)/);
  });

  it('is not used with an upload limit (the throttle needs the bytes)', async () => {
    const { dir, file } = fixture();
    const ftpd = await startFtpd(dir, ['-D', '-w', '--read-limit', '64M']);
    expect((await curl(['-T', file, `${ftpd.url}up.bin`])).code).toBe(0);
    await ftpd.waitForStderr(/STOR \S+up\.bin completed=1 /);
    expect(sha256(join(dir, 'up.bin'))).toBe(sha256(file));
    expect(ftpd.stderr()).not.toMatch(/direct receive (done|unavailable|stopped)/);
  });
});
