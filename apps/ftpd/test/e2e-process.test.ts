// End-to-end: the built binary as a process: exit codes, error lines, log format, signals.
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { assertBuilt, cleanup, curl, LOG_LINE, rawClient, runFtpd, startFtpd, tempDir } from './helpers.js';

// Every e2e test must finish well within 15 s (the slowest waits out one 3 s failed-login delay).
vi.setConfig({ testTimeout: 15_000, hookTimeout: 15_000 });
beforeAll(assertBuilt);
afterEach(cleanup);

describe('ftpd exits at once for -v, -h and errors', () => {
  it('-v / --version print the version and exit 0', async () => {
    for (const flag of ['-v', '--version']) {
      const result = await runFtpd([flag]);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^ftpd \d+\.\d+\.\d+\S*\n$/);
      expect(result.stderr).toBe('');
    }
  });

  it('-h / --help print the usage with every flag and exit 0', async () => {
    const result = await runFtpd(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^usage: ftpd \[options\]/);
    for (const flag of [
      '--interface',
      '--port',
      '--write',
      '--directory',
      '--nat-address',
      '--range',
      '--debug',
    ]) {
      expect(result.stdout).toContain(flag);
    }
    expect(result.stdout).toContain('(default: 2121)');
    expect((await runFtpd(['-h'])).code).toBe(0);
  });

  it('a bad flag: status 2 and one error line', async () => {
    const result = await runFtpd(['--bogus']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('ftpd: error: unrecognized option: --bogus\n');
    expect(result.stdout).toBe('');
  });

  it('a bad value: status 2 and one error line', async () => {
    const result = await runFtpd(['-p', 'http']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('ftpd: error: -p/--port: expected an integer, got "http"\n');
  });

  it('a missing directory: status 2 and one error line', async () => {
    const missing = join(tempDir(), 'does-not-exist');
    const result = await runFtpd(['-p', '0', '-i', '127.0.0.1', '-d', missing]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`ftpd: error: no such directory: ${missing}\n`);
  });

  it('a file as the directory: status 2 and one error line', async () => {
    const file = join(tempDir(), 'file.txt');
    writeFileSync(file, 'x');
    const result = await runFtpd(['-p', '0', '-i', '127.0.0.1', '-d', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`ftpd: error: not a directory: ${file}\n`);
  });

  it('a busy port: status 2 and one error line', async () => {
    const dir = tempDir();
    const first = await startFtpd(dir);
    const result = await runFtpd(['-p', String(first.port), '-i', '127.0.0.1', '-d', dir]);
    expect(result.code).toBe(2);
    const errors = result.stderr.split('\n').filter((line) => line.startsWith('ftpd: error:'));
    expect(errors).toEqual([`ftpd: error: cannot listen on 127.0.0.1:${first.port}: address already in use`]);
    expect(result.stderr.trimEnd().split('\n').at(-1)).toBe(errors[0]);
    // The first server is unharmed.
    expect((await curl(['-l', first.url])).code).toBe(0);
  });
});

describe('ftpd logs in pyftpdlib format', () => {
  it('start lines, session lines and login lines', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.txt'), 'hello\n');
    const ftpd = await startFtpd(dir);
    expect((await curl([ftpd.url])).code).toBe(0);
    await ftpd.waitForStderr(/FTP session closed \(disconnect\)\.$/m);
    const lines = ftpd.stderr().trimEnd().split('\n');
    for (const line of lines) expect(line).toMatch(LOG_LINE);
    expect(lines.slice(0, 4).map((line) => line.replace(LOG_LINE, ''))).toEqual([
      'concurrency model: async',
      'masquerade (NAT) address: None',
      'passive ports: None',
      `>>> starting FTP server on 127.0.0.1:${ftpd.port}, pid=${ftpd.child.pid} <<<`,
    ]);
    const text = ftpd.stderr();
    expect(text).toMatch(
      /^\[I \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] 127\.0\.0\.1:\d+-\[\] FTP session opened \(connect\)$/m,
    );
    expect(text).toMatch(
      /^\[I [-\d]{10} [:\d]{8}\] 127\.0\.0\.1:\d+-\[anonymous\] USER 'anonymous' logged in\.$/m,
    );
    expect(text).toMatch(
      /^\[I [-\d]{10} [:\d]{8}\] 127\.0\.0\.1:\d+-\[anonymous\] FTP session closed \(disconnect\)\.$/m,
    );
  });

  it('-D logs every command and reply at debug level, never the password', async () => {
    const ftpd = await startFtpd(tempDir(), ['-D', '-u', 'bob', '-P', 'hunter2']);
    expect((await curl(['-u', 'bob:hunter2', '-l', ftpd.url])).code).toBe(0);
    await ftpd.waitForStderr(/FTP session closed \(disconnect\)\.$/m);
    const text = ftpd.stderr();
    expect(text).toMatch(/^\[D [-\d]{10} [:\d]{8}\] .*USER bob$/m);
    expect(text).toMatch(/^\[D [-\d]{10} [:\d]{8}\] .*230 /m);
    expect(text).not.toContain('hunter2');
  });
});

describe('ftpd stops cleanly on SIGINT and SIGTERM', () => {
  async function stop(signal: NodeJS.Signals, ftpd: Awaited<ReturnType<typeof startFtpd>>): Promise<number> {
    const started = Date.now();
    ftpd.child.kill(signal);
    const { code, signal: killedBy } = await ftpd.exited();
    expect(killedBy).toBeNull();
    expect(code).toBe(0);
    return Date.now() - started;
  }

  it.each(['SIGINT', 'SIGTERM'] as const)('%s with no client: exit 0 at once', async (signal) => {
    const ftpd = await startFtpd(tempDir());
    expect(await stop(signal, ftpd)).toBeLessThan(2000);
    expect(ftpd.stderr()).toMatch(
      /^\[I [-\d]{10} [:\d]{8}\] >>> shutting down FTP server \(0 active sessions\) <<<$/m,
    );
  });

  it.each(['SIGINT', 'SIGTERM'] as const)(
    '%s with a logged-in client: exit 0, client disconnected',
    async (signal) => {
      const ftpd = await startFtpd(tempDir());
      const client = await rawClient(ftpd.port);
      client.send('USER anonymous');
      client.send('PASS guest@');
      await client.until(/^230 /m);
      expect(await stop(signal, ftpd)).toBeLessThan(2000);
      await client.closed;
      expect(ftpd.stderr()).toContain('>>> shutting down FTP server (1 active sessions) <<<');
    },
  );

  it('SIGTERM during a download: exit 0 promptly, the transfer is cut', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'big.bin'), Buffer.alloc(32 * 1024 * 1024, 7));
    const ftpd = await startFtpd(dir);
    const out = join(tempDir(), 'out.bin');
    const download = curl(['--limit-rate', '200K', '-o', out, `${ftpd.url}big.bin`]);
    // Signal only once bytes flow.
    const deadline = Date.now() + 5000;
    while (!(existsSync(out) && statSync(out).size > 0)) {
      if (Date.now() > deadline) throw new Error(`the download did not start:\n${ftpd.stderr()}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(await stop('SIGTERM', ftpd)).toBeLessThan(3000);
    expect(ftpd.stderr()).toMatch(/RETR \S+big\.bin completed=0 bytes=\d+ /);
    // curl itself may go on waiting for the rest until its --max-time; cleanup kills it.
    void download;
    expect(ftpd.stderr()).toContain('>>> shutting down FTP server (1 active sessions) <<<');
  });
});
