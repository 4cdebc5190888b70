// End-to-end: the built binary driven by curl.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  assertBuilt,
  cleanup,
  curl,
  type Ftpd,
  type RawClient,
  rawClient,
  sha256,
  startFtpd,
  tempDir,
} from './helpers.js';

// Every e2e test must finish well within 15 s (the slowest waits out one 3 s failed-login delay).
vi.setConfig({ testTimeout: 15_000, hookTimeout: 15_000 });
beforeAll(assertBuilt);
afterEach(cleanup);

const MiB = 1024 * 1024;

/** A served directory with a small text file and a subdirectory. */
function servedDir(): string {
  const dir = tempDir();
  writeFileSync(join(dir, 'a.txt'), 'hello world\n');
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'sub', 'b.txt'), 'bee\n');
  return dir;
}

/** A file of random bytes in a fresh temp dir. */
function randomFile(size: number, name = 'random.bin'): string {
  const path = join(tempDir(), name);
  writeFileSync(path, randomBytes(size));
  return path;
}

/** A random passive range of 20 ports, unlikely to collide with a parallel run. */
function randomRange(): { from: number; to: number } {
  const from = 50_000 + Math.floor(Math.random() * 350) * 20;
  return { from, to: from + 19 };
}

/** The data ports announced in `curl -v` output by 227 and 229 replies. */
function announcedPorts(verbose: string): number[] {
  const ports: number[] = [];
  for (const m of verbose.matchAll(/^< 227 .*\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)/gm)) {
    ports.push(Number(m[5]) * 256 + Number(m[6]));
  }
  for (const m of verbose.matchAll(/^< 229 .*\(\|\|\|(\d+)\|\)/gm)) ports.push(Number(m[1]));
  return ports;
}

/** A raw session logged in as bob, in binary mode, with a passive data connection open. */
async function passiveSession(port: number): Promise<{ control: RawClient; data: Socket }> {
  const control = await rawClient(port);
  control.send('USER bob');
  control.send('PASS s3cret');
  await control.until(/^230 /m);
  control.send('TYPE I');
  control.send('PASV');
  const pasv = await control.until(/^227 .*\(\d+,\d+,\d+,\d+,(\d+),(\d+)\)/m);
  const [, p1, p2] = /(\d+),(\d+)\)$/.exec(pasv)!;
  const data = connect(Number(p1) * 256 + Number(p2), '127.0.0.1');
  data.on('error', () => {});
  await new Promise<void>((resolve) => data.once('connect', () => resolve()));
  return { control, data };
}

/** RETR over a raw session, dropping both connections once `atLeast` bytes came in. */
async function interruptedDownload(port: number, name: string, atLeast: number): Promise<Buffer> {
  const { control, data } = await passiveSession(port);
  control.send(`RETR ${name}`);
  const chunks: Buffer[] = [];
  let received = 0;
  await new Promise<void>((resolve, reject) => {
    data.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      if (received >= atLeast) resolve();
    });
    data.on('close', () => reject(new Error(`data connection closed after ${received} bytes`)));
  });
  control.socket.destroy();
  data.destroy();
  return Buffer.concat(chunks);
}

/**
 * STOR over a raw session that sends `head` and then drops the control connection (then the data one)
 * once `ready()` says so.
 */
async function interruptedUpload(
  port: number,
  name: string,
  head: Buffer,
  ready: () => boolean,
): Promise<void> {
  const { control, data } = await passiveSession(port);
  control.send(`STOR ${name}`);
  await control.until(/^1(25|50) /m);
  data.write(head);
  const deadline = Date.now() + 5000;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error('the upload did not get far enough within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  control.socket.destroy();
  data.destroy();
}

/** The size of a file, 0 when it does not exist. */
function sizeOf(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}

describe('anonymous, read-only (the default)', () => {
  it('lists the served directory (LIST over EPSV) and list-only (-l, NLST)', async () => {
    const ftpd = await startFtpd(servedDir());
    const list = await curl([ftpd.url]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^-rw\S+\s+1 \S+\s+\S+\s+12 \w{3} \d\d [\d:]{4,5} a\.txt\r?$/m);
    expect(list.stdout).toMatch(/^d\S+ .* sub\r?$/m);
    const names = await curl(['-l', ftpd.url]);
    expect(names.code).toBe(0);
    expect(names.stdout.split(/\r?\n/).filter(Boolean).sort()).toEqual(['a.txt', 'sub']);
    const inner = await curl(['-l', `${ftpd.url}sub/`]);
    expect(inner.stdout.trim()).toBe('b.txt');
  });

  it('downloads a file', async () => {
    const ftpd = await startFtpd(servedDir());
    const result = await curl([`${ftpd.url}a.txt`]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('hello world\n');
    expect((await curl([`${ftpd.url}sub/b.txt`])).stdout).toBe('bee\n');
  });

  it('refuses an upload with 550 and writes nothing', async () => {
    const dir = servedDir();
    const ftpd = await startFtpd(dir);
    const local = randomFile(1000);
    const result = await curl(['-v', '-T', local, `${ftpd.url}up.bin`]);
    expect(result.code).toBe(25);
    expect(result.stderr).toMatch(/^< 550 /m);
    expect(existsSync(join(dir, 'up.bin'))).toBe(false);
    const mkd = await curl(['-Q', 'MKD newdir', ftpd.url]);
    expect(mkd.code).not.toBe(0);
    expect(existsSync(join(dir, 'newdir'))).toBe(false);
  });

  it('passive (EPSV and PASV) and active (EPRT and PORT) listings', async () => {
    const ftpd = await startFtpd(servedDir());
    for (const mode of [
      ['--ftp-pasv'],
      ['--ftp-pasv', '--disable-epsv'],
      ['-P', '-'],
      ['-P', '127.0.0.1', '--disable-eprt'],
    ]) {
      const result = await curl(['-v', ...mode, '-l', ftpd.url]);
      expect(result.code, `${mode.join(' ')}: ${result.stderr}`).toBe(0);
      expect(result.stdout.split(/\r?\n/).filter(Boolean).sort()).toEqual(['a.txt', 'sub']);
      const command = {
        '--ftp-pasv': /^> EPSV/m,
        '--disable-epsv': /^> PASV/m,
        '-': /^> EPRT /m,
        '--disable-eprt': /^> PORT /m,
      };
      expect(result.stderr).toMatch(command[mode.at(-1) as keyof typeof command]);
    }
  });
});

describe('anonymous with -w', () => {
  it('uploads, prints the RuntimeWarning first, and runs MKD / DELE quote commands', async () => {
    const dir = servedDir();
    const ftpd = await startFtpd(dir, ['-w']);
    const stderr = ftpd.stderr();
    const warning = stderr.indexOf('RuntimeWarning: write permissions assigned to anonymous user.');
    expect(warning).toBeGreaterThanOrEqual(0);
    expect(warning).toBeLessThan(stderr.indexOf('concurrency model: async'));
    const local = randomFile(100_000);
    const upload = await curl(['-T', local, `${ftpd.url}up.bin`]);
    expect(upload.code, upload.stderr).toBe(0);
    expect(sha256(join(dir, 'up.bin'))).toBe(sha256(local));
    expect((await curl(['-Q', 'MKD made', ftpd.url])).code).toBe(0);
    expect(statSync(join(dir, 'made')).isDirectory()).toBe(true);
    expect((await curl(['-Q', 'DELE up.bin', ftpd.url])).code).toBe(0);
    expect(existsSync(join(dir, 'up.bin'))).toBe(false);
  });
});

describe('a named user (-u/-P)', () => {
  async function named(dir: string, extra: string[] = []): Promise<Ftpd> {
    return startFtpd(dir, ['-u', 'bob', '-P', 's3cret', ...extra]);
  }

  it('logs in; anonymous and a wrong password are refused (530)', async () => {
    const ftpd = await named(servedDir());
    const [ok, anonymous, wrong] = await Promise.all([
      curl(['-u', 'bob:s3cret', '-l', ftpd.url]),
      curl(['-v', '-l', ftpd.url]),
      curl(['-v', '-u', 'bob:wrong', '-l', ftpd.url]),
    ]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('a.txt');
    expect(anonymous.code).toBe(67);
    expect(anonymous.stderr).toMatch(/^< 530 /m);
    expect(wrong.code).toBe(67);
    expect(wrong.stderr).toMatch(/^< 530 /m);
    expect(ftpd.stderr()).toContain("USER 'bob' logged in.");
    expect(ftpd.stderr()).toContain("USER 'bob' failed login.");
  });

  it('is read-only without -w', async () => {
    const dir = servedDir();
    const ftpd = await named(dir);
    const result = await curl(['-u', 'bob:s3cret', '-T', randomFile(10), `${ftpd.url}x.bin`]);
    expect(result.code).toBe(25);
    expect(existsSync(join(dir, 'x.bin'))).toBe(false);
  });

  it('uploads and downloads a 4 MiB random file intact (sha256), passive and active', async () => {
    const dir = servedDir();
    const ftpd = await named(dir, ['-w']);
    const local = randomFile(4 * MiB);
    const up = await curl(['-u', 'bob:s3cret', '-T', local, `${ftpd.url}big.bin`]);
    expect(up.code, up.stderr).toBe(0);
    expect(sha256(join(dir, 'big.bin'))).toBe(sha256(local));
    const out = tempDir();
    const pasv = await curl(['-u', 'bob:s3cret', '-o', join(out, 'pasv.bin'), `${ftpd.url}big.bin`]);
    expect(pasv.code, pasv.stderr).toBe(0);
    expect(sha256(join(out, 'pasv.bin'))).toBe(sha256(local));
    const active = await curl([
      '-u',
      'bob:s3cret',
      '-P',
      '-',
      '-o',
      join(out, 'active.bin'),
      `${ftpd.url}big.bin`,
    ]);
    expect(active.code, active.stderr).toBe(0);
    expect(sha256(join(out, 'active.bin'))).toBe(sha256(local));
  });

  it('resumes an interrupted download (curl -C -: REST + RETR)', async () => {
    const dir = servedDir();
    const source = join(dir, 'big.bin');
    writeFileSync(source, randomBytes(8 * MiB));
    const ftpd = await named(dir);
    const local = join(tempDir(), 'big.bin');
    // Interrupted for sure: a client that drops both connections after the first MiB. (curl's own
    // --limit-rate with --max-time sometimes lets the whole file through.)
    writeFileSync(local, await interruptedDownload(ftpd.port, 'big.bin', MiB));
    await ftpd.waitForStderr(/RETR \S+big\.bin completed=0 /);
    const partial = statSync(local).size;
    expect(partial).toBeGreaterThanOrEqual(MiB);
    expect(partial).toBeLessThan(8 * MiB);
    const resumed = await curl(['-v', '-u', 'bob:s3cret', '-C', '-', '-o', local, `${ftpd.url}big.bin`]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(new RegExp(`^> REST ${partial}\\r?$`, 'm'));
    expect(sha256(local)).toBe(sha256(source));
  });

  it('resumes an interrupted upload (curl -C - -T: SIZE + APPE)', async () => {
    const dir = servedDir();
    const ftpd = await named(dir, ['-w']);
    const local = randomFile(8 * MiB);
    const remote = join(dir, 'up.bin');
    // Cut once part of the upload is on disk (see the KNOWN BUG test below for what is lost at the cut).
    await interruptedUpload(
      ftpd.port,
      'up.bin',
      readFileSync(local).subarray(0, 3 * MiB),
      () => sizeOf(remote) > 0,
    );
    // Wait until the server closed the partial file before asking for its size. The client's FIN on
    // the data connection may be read before its control connection's (then the server, which has
    // read every byte, counts the upload complete: a data connection's end is the file's end).
    await ftpd.waitForStderr(/STOR \S+up\.bin completed=[01] bytes=\d+/);
    const partial = statSync(remote).size;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(8 * MiB);
    const resumed = await curl(['-v', '-u', 'bob:s3cret', '-C', '-', '-T', local, `${ftpd.url}up.bin`]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/^> SIZE up\.bin\r?$/m);
    expect(resumed.stderr).toMatch(/^> APPE up\.bin\r?$/m);
    expect(sha256(join(dir, 'up.bin'))).toBe(sha256(local));
  });

  // The file writer flushes what it gathered when a transfer is cut, and core closes the file before it
  // answers, so a partial upload holds every byte the server received, as in pyftpdlib.
  it('an interrupted upload keeps every byte the server received (as pyftpdlib)', async () => {
    const dir = servedDir();
    const ftpd = await named(dir, ['-w']);
    const head = randomBytes(300_000);
    const since = Date.now();
    // Give the server time to read the bytes before the cut.
    await interruptedUpload(ftpd.port, 'cut.bin', head, () => Date.now() - since > 500);
    const logged = await ftpd.waitForStderr(/STOR \S+cut\.bin completed=0 bytes=(\d+)/);
    expect(Number(logged[1])).toBe(head.length);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(statSync(join(dir, 'cut.bin')).size).toBe(head.length);
  });

  it('resumes an upload from a partial file already on the server', async () => {
    const dir = servedDir();
    const ftpd = await named(dir, ['-w']);
    const local = randomFile(2 * MiB + 123);
    writeFileSync(join(dir, 'part.bin'), readFileSync(local).subarray(0, 700_001));
    const resumed = await curl(['-v', '-u', 'bob:s3cret', '-C', '-', '-T', local, `${ftpd.url}part.bin`]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/^< 213 700001\r?$/m);
    expect(sha256(join(dir, 'part.bin'))).toBe(sha256(local));
  });
});

describe('-r FROM-TO', () => {
  it('announces passive ports from the range only (227 and 229), and logs it', async () => {
    const range = randomRange();
    const ftpd = await startFtpd(servedDir(), ['-r', `${range.from}-${range.to}`]);
    expect(ftpd.stderr()).toContain(`passive ports: ${range.from}->${range.to}`);
    const seen: number[] = [];
    for (const mode of [[], ['--disable-epsv'], [], ['--disable-epsv']]) {
      const result = await curl(['-v', '--ftp-pasv', ...mode, '-l', ftpd.url]);
      expect(result.code, result.stderr).toBe(0);
      seen.push(...announcedPorts(result.stderr));
    }
    expect(seen).toHaveLength(4);
    for (const port of seen) {
      expect(port).toBeGreaterThanOrEqual(range.from);
      expect(port).toBeLessThanOrEqual(range.to);
    }
  });

  it('-n announces the NAT address in 227 replies', async () => {
    const ftpd = await startFtpd(servedDir(), ['-n', '10.9.8.7']);
    expect(ftpd.stderr()).toContain('masquerade (NAT) address: 10.9.8.7');
    // curl ignores the address of a 227 reply (--ftp-skip-pasv-ip is its default), so the listing works.
    const result = await curl(['-v', '--ftp-pasv', '--disable-epsv', '-l', ftpd.url]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/^< 227 .*\(10,9,8,7,\d+,\d+\)/m);
  });
});
