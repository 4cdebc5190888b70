import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import type { FtpPlugin } from '@ftpkit/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createThrottlePlugin, type ThrottlePlugin } from '../src/index.js';
import {
  error,
  KiB,
  type Meter,
  MiB,
  meteredUploads,
  pattern,
  sleep,
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

const idle = { transfers: 0, waiting: 0, userBuckets: 0 };
const timeouts = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('throttled transfers and the rest of the data path', () => {
  it('lets no more than twice the limit through in the first 500 ms after an idle second', async () => {
    const limit = 2 * MiB;
    plugin = createThrottlePlugin({ writeLimit: limit });
    server = await startServer({ plugins: [plugin] });
    server.file('warm.bin', 1 * MiB);
    server.file('big.bin', 2 * MiB);
    const client = await server.login();
    // Keep the server-wide bucket busy for half a second, then leave it idle for a second.
    await (await startDownload(client, 'warm.bin')).done();
    await sleep(1000);
    const { meter, done } = await startDownload(client, 'big.bin');
    await done();
    const first = meter.bytesAt(meter.first + 500);
    console.info(`after idle: ${(first / MiB).toFixed(3)} MiB in the first 500 ms (limit × 0.5 = 1 MiB)`);
    expect(first).toBeLessThan(2 * limit * 0.5);
    // And it is not starved either: about half a second's worth plus the small burst.
    expect(first).toBeGreaterThan(0.8 * limit * 0.5);
  });

  it('answers ABOR of a throttled download at once (426, 226) and leaves no timer behind', async () => {
    plugin = createThrottlePlugin({ perTransfer: { writeLimit: '64K' }, perUser: { writeLimit: '128K' } });
    server = await startServer({ plugins: [plugin] });
    server.file('big.bin', 4 * MiB);
    const client = await server.login();
    const before = timeouts();
    const { meter } = await startDownload(client, 'big.bin');
    await vi.waitFor(() => expect(meter.bytes).toBeGreaterThan(16 * KiB));
    expect(plugin.stats()).toMatchObject({ transfers: 1, userBuckets: 1 });
    const started = performance.now();
    client.write('ABOR');
    expect(await client.reply()).toMatchObject({ code: 426 });
    expect(await client.reply()).toMatchObject({ code: 226 });
    const ms = performance.now() - started;
    console.info(`ABOR answered in ${ms.toFixed(1)} ms`);
    expect(ms).toBeLessThan(500);
    expect(plugin.stats()).toEqual(idle);
    expect(timeouts()).toBeLessThanOrEqual(before);
    expect(await client.send('NOOP')).toMatchObject({ code: 200 });
  });

  it('answers ABOR of a throttled upload at once and leaves no timer behind', async () => {
    plugin = createThrottlePlugin({ readLimit: '64K' });
    server = await startServer({ plugins: [plugin] });
    const client = await server.login();
    const before = timeouts();
    const data = await client.pasv();
    data.on('error', () => {});
    client.write('STOR up.bin');
    expect([125, 150]).toContain((await client.reply()).code);
    data.write(pattern(1 * MiB));
    await vi.waitFor(() => expect(plugin.stats().transfers).toBe(1));
    await sleep(300);
    const started = performance.now();
    client.write('ABOR');
    expect(await client.reply()).toMatchObject({ code: 426 });
    expect(await client.reply()).toMatchObject({ code: 226 });
    expect(performance.now() - started).toBeLessThan(500);
    expect(plugin.stats()).toEqual(idle);
    expect(timeouts()).toBeLessThanOrEqual(before);
  });

  it('keeps the stall timer quiet on a slow but moving download (dataTimeout 1 s, 3 s transfer)', async () => {
    plugin = createThrottlePlugin({ perTransfer: { writeLimit: '16K' } });
    server = await startServer({ plugins: [plugin], server: { dataTimeout: 1 } });
    const content = server.file('slow.bin', 48 * KiB);
    const client = await server.login();
    const received: Buffer[] = [];
    const started = performance.now();
    const { data, done } = await startDownload(client, 'slow.bin');
    data.on('data', (chunk: Buffer) => received.push(chunk));
    await done();
    const seconds = (performance.now() - started) / 1000;
    expect(seconds).toBeGreaterThan(2.7);
    expect(Buffer.concat(received).equals(content)).toBe(true);
  });

  it('keeps the stall timer quiet on a slow but moving upload (dataTimeout 1 s, 3 s transfer)', async () => {
    const meters = new Map<string, Meter>();
    plugin = createThrottlePlugin({ perTransfer: { readLimit: '128K' } });
    server = await startServer({
      plugins: [plugin],
      server: { dataTimeout: 1, filesystem: meteredUploads(meters) },
    });
    const client = await server.login();
    const started = performance.now();
    const data = await client.pasv();
    client.write('STOR slow.bin');
    expect([125, 150]).toContain((await client.reply()).code);
    data.end(pattern(384 * KiB));
    expect(await client.reply()).toMatchObject({ code: 226 });
    expect((performance.now() - started) / 1000).toBeGreaterThan(2.7);
    expect(meters.get('slow.bin')!.bytes).toBe(384 * KiB);
  });

  it('limits the plaintext, before a plugin wraps the data socket (as TLS does)', async () => {
    const limit = 1 * MiB;
    plugin = createThrottlePlugin({ writeLimit: limit });
    // A stand-in for TLS that sends every byte twice: the wire carries twice the plaintext.
    const doubling: FtpPlugin = {
      name: 'doubling',
      wrapDataSocket: (socket) => new Doubling(socket as Socket),
    };
    server = await startServer({ plugins: [doubling, plugin] });
    const content = server.file('big.bin', 4 * MiB);
    const client = await server.login();
    const received: Buffer[] = [];
    const { meter, data, done } = await startDownload(client, 'big.bin');
    data.on('data', (chunk: Buffer) => received.push(chunk));
    await done();
    const { rate } = meter.steadyRate();
    console.info(`wrapped: ${(rate / MiB).toFixed(4)} MiB/s on the wire for a 1 MiB/s limit`);
    expect(error(rate, 2 * limit)).toBeLessThan(0.05);
    const wire = Buffer.concat(received);
    const plain = Buffer.allocUnsafe(wire.length / 2);
    for (let i = 0; i < plain.length; i++) plain[i] = wire[2 * i]!;
    expect(plain.equals(content)).toBe(true);
  });
});

/** Writes each byte twice to the socket; reads pass through. */
class Doubling extends Duplex {
  constructor(private readonly socket: Socket) {
    super();
    socket.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (e) => this.destroy(e));
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const out = Buffer.allocUnsafe(chunk.length * 2);
    for (let i = 0; i < chunk.length; i++) out[2 * i] = out[2 * i + 1] = chunk[i]!;
    this.socket.write(out, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.socket.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.socket.destroy();
    callback(error);
  }
}
