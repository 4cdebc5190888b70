import { randomBytes } from 'node:crypto';
import { fstatSync, mkdirSync, readSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { isFilesystemError, sendfileSourceOf } from '@ftpkit/core';
import { describe, expect, it } from 'vitest';
import { LocalFileSystem } from '../src/index.js';
import { tempDir } from './helpers.js';

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('openRead', () => {
  it('reads a whole file', async () => {
    const root = tempDir();
    const data = randomBytes(3 * 1024 * 1024 + 17);
    writeFileSync(path.join(root, 'f.bin'), data);
    const stream = await new LocalFileSystem(root).openRead(path.join(root, 'f.bin'));
    expect(stream.readableHighWaterMark).toBe(1024 * 1024);
    expect((await readAll(stream)).equals(data)).toBe(true);
  });

  it('reads from an offset with the requested chunk size', async () => {
    const root = tempDir();
    writeFileSync(path.join(root, 'f.txt'), '0123456789');
    const fs = new LocalFileSystem(root, { highWaterMark: 4096 });
    const stream = await fs.openRead(path.join(root, 'f.txt'), { start: 4 });
    expect(stream.readableHighWaterMark).toBe(4096);
    expect((await readAll(stream)).toString()).toBe('456789');
    const small = await fs.openRead(path.join(root, 'f.txt'), { start: 2, highWaterMark: 3 });
    const chunks: string[] = [];
    for await (const chunk of small) chunks.push(String(chunk));
    expect(chunks).toEqual(['234', '567', '89']);
    const pastEnd = await fs.openRead(path.join(root, 'f.txt'), { start: 100 });
    expect((await readAll(pastEnd)).length).toBe(0);
  });

  it('closes the descriptor when the stream ends or is destroyed', async () => {
    const root = tempDir();
    writeFileSync(path.join(root, 'f.txt'), 'abc');
    const fs = new LocalFileSystem(root);
    const ended = await fs.openRead(path.join(root, 'f.txt'));
    const closed = new Promise((resolve) => ended.once('close', resolve));
    await readAll(ended);
    await closed;
    const destroyed = await fs.openRead(path.join(root, 'f.txt'));
    const closed2 = new Promise((resolve) => destroyed.once('close', resolve));
    destroyed.destroy();
    await closed2;
  });

  it('exposes its open descriptor and start offset for sendfile (sendfileSource), closed on destroy', async () => {
    const root = tempDir();
    writeFileSync(path.join(root, 'f.txt'), '0123456789');
    const fs = new LocalFileSystem(root);
    const stream = await fs.openRead(path.join(root, 'f.txt'), { start: 3 });
    const source = sendfileSourceOf(stream);
    expect(source).toEqual({ fd: expect.any(Number), start: 3 });
    const buffer = Buffer.alloc(16);
    // The descriptor reads the file (positional reads, as core's sendfile loop does).
    expect(readSync(source!.fd, buffer, 0, 16, source!.start)).toBe(7);
    expect(buffer.subarray(0, 7).toString()).toBe('3456789');
    const closed = new Promise((resolve) => stream.once('close', resolve));
    stream.destroy();
    await closed;
    expect(() => fstatSync(source!.fd)).toThrow(expect.objectContaining({ code: 'EBADF' }));
    const whole = await fs.openRead(path.join(root, 'f.txt'));
    expect(whole.sendfileSource.start).toBe(0);
    whole.destroy();
  });

  it('rejects with EISDIR for a directory and ENOENT for a missing file, before streaming', async () => {
    const root = tempDir();
    mkdirSync(path.join(root, 'dir'));
    const fs = new LocalFileSystem(root);
    await expect(fs.openRead(path.join(root, 'dir'))).rejects.toMatchObject({ code: 'EISDIR' });
    await expect(fs.openRead(path.join(root, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses non-regular files and bad offsets', async () => {
    const root = tempDir();
    writeFileSync(path.join(root, 'f.txt'), 'abc');
    const fs = new LocalFileSystem(root);
    if (process.platform !== 'win32') {
      const error = await fs.openRead('/dev/null').catch((e: unknown) => e);
      expect(isFilesystemError(error)).toBe(true);
    }
    const bad = await fs.openRead(path.join(root, 'f.txt'), { start: -1 }).catch((e: unknown) => e);
    expect(isFilesystemError(bad)).toBe(true);
  });
});
