import { afterEach, describe, expect, it, vi } from 'vitest';
import { createThrottlePlugin, type ThrottlePlugin } from '../src/index.js';
import {
  error,
  KiB,
  type Meter,
  MiB,
  measureTogether,
  meteredUploads,
  pattern,
  type RawClient,
  startDownload,
  startServer,
  type TestServer,
} from './helpers.js';

let server: TestServer | undefined;
let plugin: ThrottlePlugin;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

const mib = (rate: number): string => (rate / MiB).toFixed(4);

/** Ends every client's session (cutting its transfer) and waits until the throttle has let go of everything. */
async function hangUp(clients: readonly RawClient[]): Promise<void> {
  for (const client of clients) client.destroy();
  await vi.waitFor(() => expect(plugin.stats()).toEqual({ transfers: 0, waiting: 0, userBuckets: 0 }));
}

describe('limits shared by several transfers', () => {
  it('shares a server-wide limit fairly among 20 concurrent downloads', async () => {
    const limit = 2 * MiB;
    plugin = createThrottlePlugin({ writeLimit: limit });
    server = await startServer({ plugins: [plugin] });
    server.file('shared.bin', 2 * MiB);
    const clients = await Promise.all(Array.from({ length: 20 }, () => server!.login()));
    const downloads = await Promise.all(clients.map((client) => startDownload(client, 'shared.bin')));
    const { rates, total } = await measureTogether(
      downloads.map((d) => d.meter),
      3500,
    );
    // Fairness: each transfer's share of what the limit let through.
    const each = rates.map((r) => r / (total / 20));
    console.info(
      `20 downloads: total ${mib(total)} MiB/s; each ${Math.min(...each).toFixed(3)}..${Math.max(...each).toFixed(3)} × total/20`,
    );
    expect(error(total, limit)).toBeLessThan(0.05);
    for (const share of each) expect(Math.abs(share - 1)).toBeLessThan(0.05);
    expect(plugin.stats().transfers).toBe(20);
    await hangUp(clients);
  });

  it('shares a per-user limit from the DummyAuthorizer by two sessions; another user has its own', async () => {
    const limit = 1 * MiB;
    plugin = createThrottlePlugin();
    server = await startServer({
      plugins: [plugin],
      users: (authorizer, root) => {
        authorizer.addUser('user', '12345', root, { perm: 'elr', writeLimit: limit });
        authorizer.addUser('other', 'pw', root, { perm: 'elr', writeLimit: limit });
      },
    });
    server.file('big.bin', 6 * MiB);
    const clients = [await server.login(), await server.login(), await server.login('other', 'pw')];
    const downloads = await Promise.all(clients.map((client) => startDownload(client, 'big.bin')));
    const { rates } = await measureTogether(
      downloads.map((d) => d.meter),
      3500,
    );
    const [a, b, other] = rates as [number, number, number];
    console.info(`per-user: user ${mib(a)} + ${mib(b)} = ${mib(a + b)} MiB/s; other ${mib(other)} MiB/s`);
    expect(error(a + b, limit)).toBeLessThan(0.05);
    expect(error(a, (a + b) / 2)).toBeLessThan(0.05);
    expect(error(other, limit)).toBeLessThan(0.05);
    expect(plugin.stats()).toMatchObject({ transfers: 3, userBuckets: 2 });
    await hangUp(clients);
  });

  it('takes per-user limits from a function of the session; users it returns nothing for are not throttled', async () => {
    const limit = 1 * MiB;
    const meters = new Map<string, Meter>();
    plugin = createThrottlePlugin({
      perUser: (session) => (session.username === 'user' ? { readLimit: '1M' } : undefined),
    });
    server = await startServer({ plugins: [plugin], server: { filesystem: meteredUploads(meters) } });
    const content = pattern(4 * MiB);
    const clients = [await server.login(), await server.login()];
    await Promise.all(
      clients.map(async (client, i) => {
        const data = await client.pasv();
        client.write(`STOR up${i}.bin`);
        expect([125, 150]).toContain((await client.reply()).code);
        data.on('error', () => {});
        data.end(content);
      }),
    );
    await vi.waitFor(() => expect(meters.size).toBe(2));

    // Meanwhile an unlimited user's upload passes at full speed, without a transform in its path.
    const other = await server.login('other', 'pw');
    const started = performance.now();
    const data = await other.pasv();
    other.write('STOR free.bin');
    expect([125, 150]).toContain((await other.reply()).code);
    data.end(content);
    expect(await other.reply()).toMatchObject({ code: 226 });
    const freeSeconds = (performance.now() - started) / 1000;
    expect(plugin.stats().transfers).toBe(2);

    const { rates, total } = await measureTogether([meters.get('up0.bin')!, meters.get('up1.bin')!], 3000);
    console.info(
      `perUser function: user ${mib(rates[0]!)} + ${mib(rates[1]!)} = ${mib(total)} MiB/s; other took ${freeSeconds.toFixed(3)} s for 4 MiB`,
    );
    expect(error(total, limit)).toBeLessThan(0.05);
    for (const rate of rates) expect(error(rate, total / 2)).toBeLessThan(0.05);
    expect(freeSeconds).toBeLessThan(1);
    await hangUp(clients);
  });

  it('obeys the strictest of the server-wide, per-user and per-transfer limits', async () => {
    plugin = createThrottlePlugin({
      writeLimit: '4M',
      perUser: { writeLimit: '1M' },
      perTransfer: { writeLimit: '768K' },
    });
    server = await startServer({ plugins: [plugin] });
    server.file('big.bin', 6 * MiB);
    // user: two sessions share 1M, so 512K each (below their own 768K); other: alone, so its own 768K.
    const clients = [await server.login(), await server.login(), await server.login('other', 'pw')];
    const downloads = await Promise.all(clients.map((client) => startDownload(client, 'big.bin')));
    const { rates } = await measureTogether(
      downloads.map((d) => d.meter),
      3500,
    );
    const [a, b, other] = rates as [number, number, number];
    console.info(`strictest: user ${mib(a)} + ${mib(b)} MiB/s; other ${mib(other)} MiB/s`);
    expect(error(a + b, 1 * MiB)).toBeLessThan(0.05);
    expect(error(a, (a + b) / 2)).toBeLessThan(0.05);
    expect(error(other, 768 * KiB)).toBeLessThan(0.05);
    await hangUp(clients);
  });
});
