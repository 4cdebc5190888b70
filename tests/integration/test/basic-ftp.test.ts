import { createWriteStream, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes, sha256, sha256File, startServer, type TestServer, tempDir } from './helpers.js';

describe('basic-ftp against a real server', () => {
  let t: TestServer;
  beforeEach(async () => {
    t = await startServer();
  });
  afterEach(async () => {
    await t.close();
  });

  it('logs in, refuses a wrong password and lets anonymous read', async () => {
    const client = await t.client();
    expect(await client.pwd()).toBe('/');
    await expect(t.client('user', 'wrong')).rejects.toThrow(/530 Authentication failed\./);
    const anon = await t.client('anonymous', 'guest@example.com');
    expect(await anon.pwd()).toBe('/');
  });

  it('uploads and downloads a file byte for byte', async () => {
    const client = await t.client();
    const data = randomBytes(300_000);
    await client.uploadFrom(Readable.from([data]), 'up.bin');
    expect(sha256(readFileSync(join(t.root, 'up.bin')))).toBe(sha256(data));
    const chunks: Buffer[] = [];
    await client.downloadTo(
      new Writable({
        write(chunk, _enc, cb) {
          chunks.push(chunk);
          cb();
        },
      }),
      'up.bin',
    );
    expect(sha256(Buffer.concat(chunks))).toBe(sha256(data));
  });

  it('resumes a download from an offset', async () => {
    const data = randomBytes(100_000);
    writeFileSync(join(t.root, 'r.bin'), data);
    const client = await t.client();
    const chunks: Buffer[] = [];
    const sink = new PassThrough();
    sink.on('data', (c: Buffer) => chunks.push(c));
    await client.downloadTo(sink, 'r.bin', 40_000);
    expect(Buffer.concat(chunks).equals(data.subarray(40_000))).toBe(true);
  });

  it('resumes an upload with APPE', async () => {
    const data = randomBytes(90_000);
    writeFileSync(join(t.root, 'part.bin'), data.subarray(0, 30_000));
    const client = await t.client();
    await client.appendFrom(Readable.from([data.subarray(30_000)]), 'part.bin');
    expect(readFileSync(join(t.root, 'part.bin')).equals(data)).toBe(true);
  });

  it('lists with MLSD and LIST, renames, deletes, makes and removes directories', async () => {
    writeFileSync(join(t.root, 'a.txt'), 'hello');
    const client = await t.client();
    await client.ensureDir('/docs/deep');
    await client.cd('/');
    let names = (await client.list()).map((f) => f.name).sort();
    expect(names).toEqual(['a.txt', 'docs']);
    const file = (await client.list()).find((f) => f.name === 'a.txt');
    expect(file?.size).toBe(5);
    await client.rename('a.txt', 'docs/b.txt');
    expect(existsSync(join(t.root, 'docs', 'b.txt'))).toBe(true);
    await client.remove('docs/b.txt');
    expect(existsSync(join(t.root, 'docs', 'b.txt'))).toBe(false);
    await client.removeDir('docs');
    names = (await client.list()).map((f) => f.name);
    expect(names).toEqual([]);
    client.ftp.verbose = false;
    await client.send('MKD sub');
    await client.send('RMD sub');
    expect(existsSync(join(t.root, 'sub'))).toBe(false);
  });

  it('reports SIZE and MDTM', async () => {
    writeFileSync(join(t.root, 's.bin'), Buffer.alloc(1234));
    const client = await t.client();
    expect(await client.size('s.bin')).toBe(1234);
    const modified = await client.lastMod('s.bin');
    expect(Math.abs(modified.getTime() - Date.now())).toBeLessThan(60_000);
  });

  it('refuses anonymous writes and keeps the disk unchanged', async () => {
    const anon = await t.client('anonymous', 'x');
    await expect(anon.uploadFrom(Readable.from([Buffer.from('x')]), 'evil.txt')).rejects.toThrow(
      /550 Not enough privileges\./,
    );
    expect(existsSync(join(t.root, 'evil.txt'))).toBe(false);
  });

  it('moves a 64 MiB file both ways intact (sha256)', async () => {
    const local = tempDir();
    try {
      const source = join(local.path, 'big.bin');
      const out = createWriteStream(source);
      for (let i = 0; i < 64; i++) out.write(randomBytes(1024 * 1024));
      await new Promise<void>((resolve) => out.end(resolve));
      const expected = await sha256File(source);
      const client = await t.client();
      await client.uploadFrom(source, 'big.bin');
      expect(await sha256File(join(t.root, 'big.bin'))).toBe(expected);
      const back = join(local.path, 'back.bin');
      await client.downloadTo(back, 'big.bin');
      expect(await sha256File(back)).toBe(expected);
    } finally {
      local.remove();
    }
  });

  it('streams a download into a slow consumer without losing bytes (backpressure)', async () => {
    const data = randomBytes(8 * 1024 * 1024);
    writeFileSync(join(t.root, 'slow.bin'), data);
    const client = await t.client();
    const chunks: Buffer[] = [];
    let writes = 0;
    const slow = new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _enc, cb) {
        chunks.push(chunk);
        writes += 1;
        if (writes % 16 === 0) setTimeout(cb, 1);
        else cb();
      },
    });
    await client.downloadTo(slow, 'slow.bin');
    expect(sha256(Buffer.concat(chunks))).toBe(sha256(data));
  });
});
