// End-to-end: the pyftpdlib 2.x server options reach the server (raw control connections to the built
// binary, for replies no client shows).
import { existsSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  assertBuilt,
  cleanup,
  curl,
  type RawClient,
  rawClient,
  runFtpd,
  startFtpd,
  tempDir,
} from './helpers.js';

// Every e2e test must finish well within 15 s (the slowest waits out one 3 s failed-login delay).
vi.setConfig({ testTimeout: 15_000, hookTimeout: 15_000 });
beforeAll(assertBuilt);

const listeners: Server[] = [];
afterEach(async () => {
  for (const server of listeners.splice(0)) await new Promise((done) => server.close(done));
  await cleanup();
});

async function loggedIn(port: number): Promise<RawClient> {
  const client = await rawClient(port);
  client.send('USER anonymous');
  client.send('PASS guest@');
  await client.until(/^230 /m);
  return client;
}

/** Sends a command and resolves with its (last) reply line. */
async function command(client: RawClient, line: string): Promise<string> {
  const from = client.received().length;
  client.send(line);
  return client.until(/^\d{3} .*\r\n/m, from).then((reply) => reply.trimEnd());
}

/** `PORT h1,h2,h3,h4,p1,p2` for an address and port. */
function portArgument(host: string, port: number): string {
  return `${host.replaceAll('.', ',')},${port >> 8},${port & 255}`;
}

describe('server options on the command line', () => {
  it('--banner sets the 220 greeting; the default names ftpkit', async () => {
    const custom = await startFtpd(tempDir(), ['--banner', 'Hello from the test suite']);
    expect((await rawClient(custom.port)).received()).toBe('220 Hello from the test suite\r\n');
    const plain = await startFtpd(tempDir());
    expect((await rawClient(plain.port)).received()).toMatch(/^220 ftpkit \S+ ready\.\r\n$/);
  });

  it('--timeout closes an idle control connection with 421', async () => {
    const ftpd = await startFtpd(tempDir(), ['--timeout', '1']);
    const client = await rawClient(ftpd.port);
    await client.until(/^421 Control connection timed out\.\r\n/m);
    await client.closed;
  });

  it('--max-cons-per-ip refuses a second connection from the same address', async () => {
    const ftpd = await startFtpd(tempDir(), ['--max-cons-per-ip', '1']);
    await rawClient(ftpd.port);
    const second = await rawClient(ftpd.port).then(
      (client) => client.received(),
      (error: Error) => error.message,
    );
    expect(second).toContain('421 Too many connections from the same IP address.');
  });

  it('--max-cons refuses connections over the limit', async () => {
    const ftpd = await startFtpd(tempDir(), ['--max-cons', '1']);
    await rawClient(ftpd.port);
    const second = await rawClient(ftpd.port).then(
      (client) => client.received(),
      (error: Error) => error.message,
    );
    expect(second).toContain('421 Too many connections. Service temporarily unavailable.');
  });

  it('--max-login-attempts 1 disconnects after the first failed login', async () => {
    const ftpd = await startFtpd(tempDir(), ['-u', 'bob', '-P', 'right', '--max-login-attempts', '1']);
    const client = await rawClient(ftpd.port);
    client.send('USER bob');
    client.send('PASS wrong');
    await client.until(/^530 .*\r\n/m);
    await client.closed;
  });

  it('PORT to a privileged port is refused unless --permit-privileged-ports', async () => {
    const strict = await loggedIn((await startFtpd(tempDir())).port);
    expect(await command(strict, `PORT ${portArgument('127.0.0.1', 1)}`)).toBe(
      '501 PORT against the privileged port "1" refused.',
    );
    const relaxed = await loggedIn((await startFtpd(tempDir(), ['--permit-privileged-ports'])).port);
    // Permitted, so the server tries to connect (nothing listens on port 1).
    expect(await command(relaxed, `PORT ${portArgument('127.0.0.1', 1)}`)).toBe(
      "425 Can't connect to specified address.",
    );
  });

  it('PORT to another host (FXP) is refused unless --permit-foreign-addresses', async () => {
    // 127.0.0.2 is another address than the client's 127.0.0.1, yet reachable.
    const other = createServer((socket) => socket.destroy());
    listeners.push(other);
    await new Promise<void>((done) => other.listen(0, '127.0.0.2', done));
    const port = (other.address() as { port: number }).port;
    const strict = await loggedIn((await startFtpd(tempDir())).port);
    expect(await command(strict, `PORT ${portArgument('127.0.0.2', port)}`)).toBe(
      `501 Rejected data connection to foreign address 127.0.0.2:${port}.`,
    );
    const relaxed = await loggedIn((await startFtpd(tempDir(), ['--permit-foreign-addresses'])).port);
    expect(await command(relaxed, `PORT ${portArgument('127.0.0.2', port)}`)).toBe(
      '200 Active data connection established.',
    );
  });

  it('--use-localtime reports times in the local time zone instead of UTC', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.txt'), 'x');
    const newYear2020 = new Date('2020-01-01T00:00:00Z');
    utimesSync(join(dir, 'a.txt'), newYear2020, newYear2020);
    // POSIX sign: Etc/GMT-5 is UTC+5.
    const env = { TZ: 'Etc/GMT-5' };
    const utc = await loggedIn((await startFtpd(dir, [], { env })).port);
    expect(await command(utc, 'MDTM a.txt')).toBe('213 20200101000000');
    const local = await loggedIn((await startFtpd(dir, ['--use-localtime'], { env })).port);
    expect(await command(local, 'MDTM a.txt')).toBe('213 20200101050000');
  });

  it('--encoding latin1: a Latin-1 MKD creates café (UTF-8 on disk); listings go back in Latin-1', async () => {
    const dir = tempDir();
    const ftpd = await startFtpd(dir, ['-w', '--encoding', 'latin1']);
    const client = await loggedIn(ftpd.port);
    const from = client.received().length;
    client.socket.write(Buffer.concat([Buffer.from('MKD caf'), Buffer.from([0xe9]), Buffer.from('\r\n')]));
    await client.until(/^257 .*\r\n/m, from);
    expect(existsSync(join(dir, 'café'))).toBe(true);
    expect(readdirSync(dir)).toEqual(['café']);
    // NLST sends the name back in Latin-1: the lone byte 0xE9, which is no UTF-8 (read as U+FFFD here).
    const listing = await curl(['-l', ftpd.url]);
    expect(listing.stdout).toBe('caf\ufffd\n');
  });

  it('--encoding: an unknown label is a usage error', async () => {
    const result = await runFtpd(['--encoding', 'klingon']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('ftpd: error: --encoding: unknown encoding "klingon"\n');
  });

  it('--write-limit and --user-write-limit slow downloads to the limit; no flag, no limit', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'two.bin'), Buffer.alloc(2 * 1024 * 1024, 7));
    for (const flags of [
      ['--write-limit', '1M'],
      ['--user-write-limit', '1M'],
    ]) {
      const ftpd = await startFtpd(dir, flags);
      const result = await curl(['-s', '-o', '/dev/null', '-w', '%{speed_download}', `${ftpd.url}two.bin`]);
      const rate = Number(result.stdout);
      // 2 MiB at 1 MiB/s: about 2 s. The throttle package measures accuracy; this checks the wiring.
      expect(rate, flags.join(' ')).toBeLessThan(1024 * 1024 * 1.2);
      expect(rate, flags.join(' ')).toBeGreaterThan(1024 * 1024 * 0.7);
      ftpd.child.kill('SIGTERM');
      await ftpd.exited();
    }
    const free = await startFtpd(dir, []);
    const fast = await curl(['-s', '-o', '/dev/null', '-w', '%{speed_download}', `${free.url}two.bin`]);
    expect(Number(fast.stdout)).toBeGreaterThan(1024 * 1024 * 4);
  });
});
