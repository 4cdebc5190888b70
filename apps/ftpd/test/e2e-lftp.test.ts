// End-to-end: the built binary driven by lftp.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { assertBuilt, cleanup, lftp, sha256, startFtpd, tempDir } from './helpers.js';

// Every e2e test must finish well within 15 s (the slowest waits out one 3 s failed-login delay).
vi.setConfig({ testTimeout: 15_000, hookTimeout: 15_000 });
beforeAll(assertBuilt);
afterEach(cleanup);

const MiB = 1024 * 1024;
const BOB = 'bob,s3cret';
const AS_BOB = ['-u', 'bob', '-P', 's3cret'];

function servedDir(): string {
  const dir = tempDir();
  writeFileSync(join(dir, 'a.txt'), 'hello world\n');
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'sub', 'b.txt'), 'bee\n');
  writeFileSync(join(dir, 'sub', 'c.bin'), randomBytes(50_000));
  return dir;
}

describe('lftp, anonymous', () => {
  it('lists and downloads; an upload is refused and nothing is written', async () => {
    const dir = servedDir();
    const ftpd = await startFtpd(dir);
    const out = join(tempDir(), 'a.txt');
    const result = await lftp(ftpd, `ls; get a.txt -o ${out}`);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/ a\.txt\r?$/m);
    expect(result.stdout).toMatch(/^d.* sub\r?$/m);
    expect(readFileSync(out, 'utf8')).toBe('hello world\n');
    const local = join(tempDir(), 'up.txt');
    writeFileSync(local, 'nope\n');
    const put = await lftp(ftpd, `put ${local} -o up.txt`);
    expect(put.code).not.toBe(0);
    expect(put.stderr).toMatch(/550/);
    expect(existsSync(join(dir, 'up.txt'))).toBe(false);
    const mkdir = await lftp(ftpd, 'mkdir newdir');
    expect(mkdir.code).not.toBe(0);
    expect(existsSync(join(dir, 'newdir'))).toBe(false);
  });
});

describe('lftp, a named user with -w', () => {
  it('refuses anonymous and a wrong password', async () => {
    const ftpd = await startFtpd(servedDir(), AS_BOB);
    const [anonymous, wrong] = await Promise.all([lftp(ftpd, 'ls'), lftp(ftpd, 'ls', 'bob,wrong')]);
    expect(anonymous.code).not.toBe(0);
    expect(anonymous.stderr).toContain('530');
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('530');
  });

  it('puts and gets a 4 MiB random file intact (sha256)', async () => {
    const dir = servedDir();
    const ftpd = await startFtpd(dir, [...AS_BOB, '-w']);
    const work = tempDir();
    const local = join(work, 'big.bin');
    writeFileSync(local, randomBytes(4 * MiB));
    const back = join(work, 'back.bin');
    const result = await lftp(ftpd, `put ${local} -o big.bin; get big.bin -o ${back}`, BOB);
    expect(result.code, result.stderr).toBe(0);
    expect(sha256(join(dir, 'big.bin'))).toBe(sha256(local));
    expect(sha256(back)).toBe(sha256(local));
  });

  it('mkdir, rmdir, rm and mv', async () => {
    const dir = servedDir();
    const ftpd = await startFtpd(dir, [...AS_BOB, '-w']);
    const result = await lftp(
      ftpd,
      'mkdir d1; mkdir d2; mkdir -p d1/deep/er; rmdir d2; rm sub/b.txt; mv a.txt d1/renamed.txt; ls d1',
      BOB,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(statSync(join(dir, 'd1', 'deep', 'er')).isDirectory()).toBe(true);
    expect(existsSync(join(dir, 'd2'))).toBe(false);
    expect(existsSync(join(dir, 'sub', 'b.txt'))).toBe(false);
    expect(existsSync(join(dir, 'a.txt'))).toBe(false);
    expect(readFileSync(join(dir, 'd1', 'renamed.txt'), 'utf8')).toBe('hello world\n');
    expect(result.stdout).toMatch(/ renamed\.txt\r?$/m);
    const missing = await lftp(ftpd, 'rm no-such-file', BOB);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('550');
  });

  it('mirrors a tree down and back up', async () => {
    const dir = servedDir();
    const ftpd = await startFtpd(dir, [...AS_BOB, '-w']);
    const work = tempDir();
    const result = await lftp(
      ftpd,
      `mirror sub ${join(work, 'down')}; mirror -R ${join(work, 'down')} copy`,
      BOB,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(readdirSync(join(work, 'down')).sort()).toEqual(['b.txt', 'c.bin']);
    expect(sha256(join(work, 'down', 'c.bin'))).toBe(sha256(join(dir, 'sub', 'c.bin')));
    expect(readdirSync(join(dir, 'copy')).sort()).toEqual(['b.txt', 'c.bin']);
    expect(sha256(join(dir, 'copy', 'c.bin'))).toBe(sha256(join(dir, 'sub', 'c.bin')));
  });
});

describe('lftp and -r FROM-TO', () => {
  it('connects only to data ports in the range (PASV and EPSV)', async () => {
    const from = 57_000 + Math.floor(Math.random() * 350) * 20;
    const to = from + 19;
    const ftpd = await startFtpd(servedDir(), ['-r', `${from}-${to}`]);
    const ports: number[] = [];
    for (const epsv of ['no', 'yes']) {
      const result = await lftp(ftpd, `set ftp:prefer-epsv ${epsv}; ls; ls sub; cls`, undefined, {
        debug: true,
      });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toMatch(epsv === 'yes' ? /<--- 229 / : /<--- 227 /);
      for (const m of result.stderr.matchAll(/Connecting data socket to \(127\.0\.0\.1\) port (\d+)/g)) {
        ports.push(Number(m[1]));
      }
    }
    expect(ports.length).toBeGreaterThanOrEqual(6);
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(from);
      expect(port).toBeLessThanOrEqual(to);
    }
  });
});
