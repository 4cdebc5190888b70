import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createThrottlePlugin, type ThrottlePlugin } from '../src/index.js';
import {
  error,
  type Meter,
  MiB,
  meteredUploads,
  pattern,
  startDownload,
  startServer,
  type TestServer,
} from './helpers.js';

const LIMIT = 2 * MiB;
let server: TestServer | undefined;
let plugin: ThrottlePlugin;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

describe('a limit per data connection (pyftpdlib ThrottledDTPHandler)', () => {
  it('paces a download at writeLimit within 5%', async () => {
    plugin = createThrottlePlugin({ perTransfer: { writeLimit: '2M' } });
    server = await startServer({ plugins: [plugin] });
    const content = server.file('big.bin', 8 * MiB);
    const client = await server.login();
    const received: Buffer[] = [];
    const { meter, data, done } = await startDownload(client, 'big.bin');
    data.on('data', (chunk: Buffer) => received.push(chunk));
    await done();
    const { rate, seconds } = meter.steadyRate();
    console.info(`download: ${(rate / MiB).toFixed(4)} MiB/s over ${seconds.toFixed(2)} s`);
    expect(seconds).toBeGreaterThanOrEqual(3);
    expect(error(rate, LIMIT)).toBeLessThan(0.05);
    expect(sha(Buffer.concat(received))).toBe(sha(content));
    expect(plugin.stats()).toEqual({ transfers: 0, waiting: 0, userBuckets: 0 });
  });

  it('paces an upload at readLimit within 5%', async () => {
    const meters = new Map<string, Meter>();
    plugin = createThrottlePlugin({ perTransfer: { readLimit: LIMIT } });
    server = await startServer({ plugins: [plugin], server: { filesystem: meteredUploads(meters) } });
    const content = pattern(8 * MiB);
    const client = await server.login();
    const data = await client.pasv();
    client.write('STOR up.bin');
    expect([125, 150]).toContain((await client.reply()).code);
    data.end(content);
    expect(await client.reply()).toMatchObject({ code: 226 });
    const { rate, seconds } = meters.get('up.bin')!.steadyRate();
    console.info(`upload: ${(rate / MiB).toFixed(4)} MiB/s over ${seconds.toFixed(2)} s`);
    expect(seconds).toBeGreaterThanOrEqual(3);
    expect(error(rate, LIMIT)).toBeLessThan(0.05);
    expect(sha(readFileSync(join(server.root, 'up.bin')))).toBe(sha(content));
  });
});
