import { closeSync, ftruncateSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectPasv, type RawClient, startServer, type TestServer } from './helpers.js';

const FOUR_GIB = 4 * 1024 * 1024 * 1024;

describe('files past 4 GiB', () => {
  let t: TestServer;
  let c: RawClient;
  beforeEach(async () => {
    t = await startServer();
    // A sparse file: 4 GiB + 1 MiB of zeros that costs no disk.
    const fd = openSync(join(t.root, 'huge.bin'), 'w');
    ftruncateSync(fd, FOUR_GIB + 1024 * 1024);
    closeSync(fd);
    c = await t.raw();
    await c.login();
    await c.send('TYPE I');
  });
  afterEach(async () => {
    await t.close();
  });

  it('reports the size and resumes past the 4 GiB mark', async () => {
    expect(await c.send('SIZE huge.bin')).toMatchObject({ code: 213, text: String(FOUR_GIB + 1024 * 1024) });
    expect((await c.send(`REST ${FOUR_GIB}`)).code).toBe(350);
    const data = await connectPasv(await c.send('PASV'));
    let bytes = 0;
    data.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    const ended = new Promise((resolve) => data.once('end', resolve));
    expect((await c.send('RETR huge.bin')).code).toBe(125);
    await ended;
    expect(bytes).toBe(1024 * 1024);
    expect((await c.reply()).code).toBe(226);
  });

  it('streams a 4 GiB download in constant memory', async () => {
    const data = await connectPasv(await c.send('PASV'));
    let bytes = 0;
    let peak = 0;
    const baseline = process.memoryUsage().rss;
    data.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if ((bytes & 0xfffffff) < chunk.length) peak = Math.max(peak, process.memoryUsage().rss - baseline);
    });
    const ended = new Promise((resolve) => data.once('end', resolve));
    expect((await c.send('RETR huge.bin')).code).toBe(125);
    await ended;
    expect(bytes).toBe(FOUR_GIB + 1024 * 1024);
    expect((await c.reply()).code).toBe(226);
    // Server and client share this process: growth stays far below the file size.
    expect(peak).toBeLessThan(128 * 1024 * 1024);
  }, 120_000);
});
