import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificates, type TestCertificates } from './helpers/certs.js';
import { FtpsClient, readAll } from './helpers/ftps-client.js';
import { type FtpsServer, sleep, startFtps, waitForNoSessions } from './helpers/server.js';

let certs: TestCertificates;
let t: FtpsServer | undefined;
const sockets: Array<{ destroy(): void }> = [];

beforeAll(async () => {
  certs = await makeCertificates();
});
afterAll(() => certs.remove());
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await t?.close();
  t = undefined;
});

async function server(timeoutSeconds = 300): Promise<FtpsServer> {
  // The CPU checks below look for a loop left spinning after a teardown. The one collection that
  // `releaseMemoryWhenIdle` runs once the server goes quiet (tens of ms of CPU) is tested on its own.
  t = await startFtps(certs, {}, { timeout: timeoutSeconds, releaseMemoryWhenIdle: false });
  return t;
}

/** Sockets and timers alive in this process (the leak check). */
function resources(): { sockets: number; timers: number } {
  const info = process.getActiveResourcesInfo();
  return {
    sockets: info.filter((kind) => kind === 'TCPSocketWrap').length,
    timers: info.filter((kind) => kind === 'Timeout').length,
  };
}

/** Waits until the process holds no more sockets and timers than `baseline`. */
async function expectNoLeaks(baseline: { sockets: number; timers: number }, timeout = 3000): Promise<void> {
  const start = Date.now();
  let now = resources();
  while (now.sockets > baseline.sockets || now.timers > baseline.timers) {
    if (Date.now() - start > timeout) break;
    await sleep(25);
    now = resources();
  }
  expect(now.sockets).toBeLessThanOrEqual(baseline.sockets);
  expect(now.timers).toBeLessThanOrEqual(baseline.timers);
}

/** A raw TCP connection that records everything it receives. */
function rawConnect(
  port: number,
): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' }, () =>
      resolve({ socket, received: () => data, closed }),
    );
    let data = '';
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString('latin1');
    });
    socket.on('error', () => {});
    const closed = new Promise<void>((done) => socket.once('close', () => done()));
    socket.once('error', reject);
    sockets.push(socket);
  });
}

/** A plaintext control connection that has just been told `234` to AUTH TLS. */
async function afterAuth(): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> {
  const raw = await rawConnect(t!.port);
  await until(() => raw.received().includes('220 '));
  raw.socket.write('AUTH TLS\r\n');
  await until(() => raw.received().includes('234 '));
  return raw;
}

async function until(condition: () => boolean, timeout = 5000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeout) throw new Error('condition not met in time');
    await sleep(10);
  }
}

/** The start of a TLS ClientHello record: a handshake record header announcing more than is sent. */
const PARTIAL_CLIENT_HELLO = Buffer.from([22, 3, 1, 2, 0, 1, 0, 1, 252, 3, 3, ...randomBytes(12)]);

/** CPU time (ms) the process uses during `ms` of wall time. */
async function cpuDuring(ms: number): Promise<number> {
  const before = process.cpuUsage();
  await sleep(ms);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

describe('control connections that go wrong during the handshake', () => {
  it('a client vanishing mid-handshake after AUTH TLS ends its session, nothing leaks', async () => {
    await server();
    const baseline = resources();
    const raw = await afterAuth();
    raw.socket.write(PARTIAL_CLIENT_HELLO);
    await sleep(30);
    expect(t!.server.sessions.size).toBe(1);
    raw.socket.destroy();
    await waitForNoSessions(t!.server);
    await expectNoLeaks(baseline);
  });

  it('a client vanishing mid-handshake on the implicit port never becomes a session', async () => {
    await server();
    const baseline = resources();
    const raw = await rawConnect(t!.implicitPort);
    raw.socket.write(PARTIAL_CLIENT_HELLO);
    await sleep(30);
    raw.socket.destroy();
    await expectNoLeaks(baseline);
    expect(t!.server.sessions.size).toBe(0);
  });

  it('garbage instead of a ClientHello closes the connection without a reply (explicit and implicit)', async () => {
    await server();
    const baseline = resources();
    const explicit = await afterAuth();
    const before = explicit.received();
    explicit.socket.write('GET / HTTP/1.1\r\nHost: example\r\n\r\n');
    await explicit.closed;
    expect(explicit.received()).toBe(before);
    const implicit = await rawConnect(t!.implicitPort);
    implicit.socket.write('USER anonymous\r\n');
    await implicit.closed;
    expect(implicit.received()).toBe('');
    await waitForNoSessions(t!.server);
    await expectNoLeaks(baseline);
    expect(t!.logger.at('warn').filter((line) => line.includes('handshake failed'))).toHaveLength(2);
  });

  it('a client idling in the handshake is dropped after the control idle timeout, silently', async () => {
    await server(0.4);
    const baseline = resources();
    const started = Date.now();
    const explicit = await afterAuth();
    const implicit = await rawConnect(t!.implicitPort);
    const before = explicit.received();
    await Promise.all([explicit.closed, implicit.closed]);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(350);
    expect(elapsed).toBeLessThan(3000);
    expect(explicit.received()).toBe(before);
    expect(implicit.received()).toBe('');
    await waitForNoSessions(t!.server);
    await expectNoLeaks(baseline);
  });

  it('costs no CPU while handshakes hang, and closeAll cuts them', async () => {
    await server();
    const explicit = await afterAuth();
    const implicit = await rawConnect(t!.implicitPort);
    explicit.socket.write(PARTIAL_CLIENT_HELLO);
    implicit.socket.write(PARTIAL_CLIENT_HELLO);
    await sleep(50);
    expect(await cpuDuring(500)).toBeLessThan(150);
    const closing = t!.server.closeAll();
    await Promise.all([explicit.closed, implicit.closed, closing]);
  });
});

describe('protected transfers that go wrong', () => {
  it('a client vanishing mid-download or mid-upload ends its session, nothing leaks', async () => {
    await server();
    writeFileSync(join(t!.root, 'big.bin'), randomBytes(16 * 1024 * 1024));
    const baseline = resources();
    for (const command of ['RETR big.bin', 'STOR up.bin']) {
      const c = await FtpsClient.connect(t!.port);
      sockets.push(c);
      await c.secureLogin();
      await c.expect('TYPE I', 200);
      const raw = await c.openData();
      const secure = await Promise.all([
        FtpsClient.secureData(raw, { session: c.session }),
        c.expect(command, 125),
      ]).then(([s]) => s);
      if (command.startsWith('RETR')) {
        await new Promise<void>((resolve) => secure.once('data', () => resolve()));
      } else {
        secure.write(randomBytes(512 * 1024));
        await sleep(50);
      }
      secure.destroy();
      raw.destroy();
      c.destroy();
      await waitForNoSessions(t!.server);
    }
    await expectNoLeaks(baseline);
    expect(await cpuDuring(300)).toBeLessThan(100);
  });

  it('failures of other connections do not disturb a session transferring meanwhile', async () => {
    await server();
    const content = randomBytes(8 * 1024 * 1024);
    writeFileSync(join(t!.root, 'big.bin'), content);
    const c = await FtpsClient.connect(t!.port);
    sockets.push(c);
    await c.secureLogin();
    await c.expect('TYPE I', 200);
    const raw = await c.openData();
    const secure = await Promise.all([
      FtpsClient.secureData(raw, { session: c.session }),
      c.expect('RETR big.bin', 125),
    ]).then(([s]) => s);
    secure.pause();
    const received = readAll(secure);
    // Meanwhile: garbage, vanishing and idle handshakes, explicit and implicit.
    const garbage = await afterAuth();
    garbage.socket.write('\x16\x03\x01\x00\x05hello');
    const vanishing = await rawConnect(t!.implicitPort);
    vanishing.socket.write(PARTIAL_CLIENT_HELLO);
    vanishing.socket.destroy();
    const idle = await rawConnect(t!.implicitPort);
    secure.resume();
    expect((await received).equals(content)).toBe(true);
    expect((await c.reply()).code).toBe(226);
    expect((await c.send('NOOP')).code).toBe(200);
    await garbage.closed;
    idle.socket.destroy();
  });
});
