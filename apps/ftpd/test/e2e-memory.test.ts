// End-to-end: `--fs memory` (an empty in-memory tree) of the built binary, driven by curl: uploads and
// downloads work, and nothing reaches the disk.
import { randomBytes } from 'node:crypto';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { assertBuilt, cleanup, curl, runFtpd, sha256, startFtpd, tempDir } from './helpers.js';

vi.setConfig({ testTimeout: 15_000, hookTimeout: 15_000 });
beforeAll(assertBuilt);
afterEach(cleanup);

/**
 * `ftpd --fs memory` plus `args`, with TMPDIR in a temp dir of the test, so the nominal home it creates
 * goes with {@link cleanup} even when the process is killed (SIGKILL leaves it behind).
 */
function startMemory(args: readonly string[]): ReturnType<typeof startFtpd> {
  return startFtpd(undefined, ['--fs', 'memory', ...args], { env: { TMPDIR: tempDir('ftpd-tmpdir-') } });
}

/** Every path below `dir`, relative, sorted. */
function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

describe('--fs memory', () => {
  it('uploads and downloads with -w, writing nothing to disk; the nominal home goes at exit', async () => {
    // The nominal home is made under TMPDIR; the process runs in `work`: both must stay empty of data.
    const tmp = tempDir('ftpd-tmpdir-');
    const work = tempDir('ftpd-work-');
    const ftpd = await startFtpd(undefined, ['--fs', 'memory', '-w'], { env: { TMPDIR: tmp }, cwd: work });
    expect(ftpd.stderr()).toContain(
      'serving an empty in-memory tree: nothing is written to disk, everything is lost at exit',
    );
    expect((await curl(['-l', ftpd.url])).stdout).toBe('');

    const source = join(tempDir(), 'payload.bin');
    writeFileSync(source, randomBytes(512 * 1024));
    const upload = await curl(['--ftp-create-dirs', '-T', source, `${ftpd.url}inbox/payload.bin`]);
    expect(upload.stderr).toBe('');
    expect(upload.code).toBe(0);
    expect((await curl(['-l', `${ftpd.url}inbox/`])).stdout).toBe('payload.bin\n');
    const out = join(tempDir(), 'back.bin');
    const download = await curl(['-o', out, `${ftpd.url}inbox/payload.bin`]);
    expect(download.code).toBe(0);
    expect(sha256(out)).toBe(sha256(source));

    expect(tree(work)).toEqual([]);
    const nominal = tree(tmp);
    expect(nominal).toHaveLength(1);
    expect(nominal[0]).toMatch(/^ftpd-memory-/);

    ftpd.child.kill('SIGTERM');
    expect(await ftpd.exited()).toEqual({ code: 0, signal: null });
    expect(tree(tmp)).toEqual([]);
  });

  it('without -w the empty tree is read-only', async () => {
    const ftpd = await startMemory([]);
    const source = join(tempDir(), 'x.txt');
    writeFileSync(source, 'x');
    const upload = await curl(['-T', source, `${ftpd.url}x.txt`]);
    expect(upload.code).not.toBe(0);
    expect(upload.stderr).toMatch(/550/);
  });

  it('each process starts empty: nothing survives a restart', async () => {
    const first = await startMemory(['-w']);
    const source = join(tempDir(), 'x.txt');
    writeFileSync(source, 'x');
    expect((await curl(['-T', source, `${first.url}x.txt`])).code).toBe(0);
    expect((await curl(['-l', first.url])).stdout).toBe('x.txt\n');
    const second = await startMemory(['-w']);
    expect((await curl(['-l', second.url])).stdout).toBe('');
  });

  it('-d with --fs memory, or an unknown --fs: status 2 and one error line', async () => {
    const withDir = await runFtpd(['--fs', 'memory', '-d', tempDir()]);
    expect(withDir.code).toBe(2);
    expect(withDir.stderr).toBe(
      'ftpd: error: -d/--directory cannot be used with --fs memory: the memory tree has no directory\n',
    );
    const unknown = await runFtpd(['--fs', 'disk']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('ftpd: error: --fs: expected local or memory, got "disk"\n');
  });
});
