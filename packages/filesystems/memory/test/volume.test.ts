import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isFilesystemError, isPathOutsideRootError, S_IFDIR, S_IFLNK, S_IFREG } from '@ftpkit/core';
import { describe, expect, it } from 'vitest';
import {
  directoryEntry,
  fileEntry,
  MemoryFileSystem,
  MemoryVolume,
  memoryFileSystem,
  symlinkEntry,
  type UploadEvent,
} from '../src/index.js';

async function upload(stream: Writable, ...chunks: string[]): Promise<void> {
  await pipeline(Readable.from(chunks.map((c) => Buffer.from(c))), stream);
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

describe('seeding', () => {
  it('takes flat paths, trailing-slash directories, nested objects and explicit entries', () => {
    const mtime = new Date('2020-01-02T03:04:05Z');
    const volume = new MemoryVolume({
      'docs/a.txt': 'hello',
      'empty/': {},
      pub: { 'readme.md': 'read me', img: {} },
      'bin/run.sh': fileEntry('#!/bin/sh\n', { mode: 0o755, mtime, owner: 'root' }),
      private: directoryEntry({ 'key.pem': new Uint8Array([1, 2, 3]) }, { mode: 0o700 }),
      latest: symlinkEntry('docs/a.txt'),
    });
    expect(volume.readFile('docs/a.txt', 'utf8')).toBe('hello');
    expect(volume.list('/')).toEqual(['bin', 'docs', 'empty', 'latest', 'private', 'pub']);
    expect(volume.list('/pub')).toEqual(['img', 'readme.md']);
    const run = volume.stat('/bin/run.sh');
    expect(run.mode).toBe(S_IFREG | 0o755);
    expect(run.mtime).toEqual(mtime);
    expect(run.owner).toBe('root');
    expect(volume.stat('/private').mode).toBe(S_IFDIR | 0o700);
    expect([...volume.readFile('/private/key.pem')]).toEqual([1, 2, 3]);
    expect(volume.lstat('/latest').mode & 0o170000).toBe(S_IFLNK);
    expect(volume.readFile('/latest', 'utf8')).toBe('hello');
    expect(volume.used).toBe(5 + 7 + 10 + 3);
  });

  it('round-trips through toSeed()', () => {
    const seed = { 'a/b.txt': 'x', 'empty/': {}, 'c.txt': 'yz' };
    const volume = new MemoryVolume(seed);
    expect(volume.toSeed('/', 'utf8')).toEqual(seed);
    expect(new MemoryVolume(volume.toSeed()).toSeed('/', 'utf8')).toEqual(seed);
    expect(volume.toSeed('/a', 'utf8')).toEqual({ 'b.txt': 'x' });
  });

  it('refuses malformed seeds with a TypeError naming the key', () => {
    expect(() => new MemoryVolume({ '../x': 'a' })).toThrow(/invalid path "\.\.\/x"/);
    expect(() => new MemoryVolume({ 'a//b': 'a' })).toThrow(TypeError);
    expect(() => new MemoryVolume({ 'a.txt/': 'text' })).toThrow(/ends with "\/" but is not a directory/);
    expect(() => new MemoryVolume({ a: 'file', 'a/b': 'x' })).toThrow(TypeError);
    expect(() => new MemoryVolume({}, { quota: -1 })).toThrow(/quota/);
  });
});

describe('the program API', () => {
  it('readFile returns a copy; writeFile creates parents; remove and rename work', () => {
    const volume = new MemoryVolume();
    volume.writeFile('/x/y/z.txt', 'abc');
    const copy = volume.readFile('/x/y/z.txt');
    copy.fill(0);
    expect(volume.readFile('/x/y/z.txt', 'utf8')).toBe('abc');
    expect(() => volume.remove('/x')).toThrow(expect.objectContaining({ code: 'ENOTEMPTY' }));
    volume.rename('/x/y/z.txt', '/z.txt');
    volume.remove('/x', { recursive: true });
    expect(volume.list()).toEqual(['z.txt']);
    expect(() => volume.readFile('/nope')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect([...volume.entries()].map((e) => [e.path, e.type, e.stat.size])).toEqual([['/z.txt', 'file', 3]]);
  });
});

describe('MemoryFileSystem', () => {
  it('gives readers a snapshot while a writer replaces the file', async () => {
    const volume = new MemoryVolume({ 'f.txt': 'old content' });
    const fs = new MemoryFileSystem(volume);
    const before = await fs.openRead('/f.txt');
    const writer = await fs.openWrite('/f.txt', { mode: 'truncate' });
    writer.write('new');
    expect(volume.readFile('/f.txt', 'utf8')).toBe('old content');
    await new Promise<void>((resolve) => writer.end(resolve));
    expect(await readAll(before)).toBe('old content');
    expect(await readAll(await fs.openRead('/f.txt'))).toBe('new');
  });

  it('keeps every concurrent append', async () => {
    const volume = new MemoryVolume({ 'log.txt': '' });
    const fs = new MemoryFileSystem(volume);
    const a = await fs.openWrite('/log.txt', { mode: 'append' });
    const b = await fs.openWrite('/log.txt', { mode: 'append' });
    await Promise.all([upload(a, 'A1', 'A2'), upload(b, 'B1')]);
    expect(volume.readFile('/log.txt', 'utf8').split('').sort().join('')).toBe('112AAB');
    expect(volume.readFile('/log.txt', 'utf8')).toHaveLength(6);
  });

  it('writes at offsets past the end with a zero-filled gap, keeping the head', async () => {
    const volume = new MemoryVolume({ 'f.bin': 'ab' });
    const fs = new MemoryFileSystem(volume);
    await upload(await fs.openWrite('/f.bin', { mode: 'offset', start: 4 }), 'cd');
    expect([...volume.readFile('/f.bin')]).toEqual([97, 98, 0, 0, 99, 100]);
  });

  it("emits 'file' with the user and the size before the stream's 'finish'", async () => {
    const volume = new MemoryVolume();
    const fs = new MemoryFileSystem(volume, '/', { username: 'alice' });
    const order: string[] = [];
    let event: UploadEvent | undefined;
    volume.on('file', (e) => {
      event = e;
      order.push(`file:${volume.readFile(e.path, 'utf8')}`);
    });
    const stream = await fs.openWrite('/up.txt', { mode: 'truncate' });
    stream.on('finish', () => order.push('finish'));
    await upload(stream, 'hello ', 'there');
    expect(order).toEqual(['file:hello there', 'finish']);
    expect(event).toEqual({ path: '/up.txt', size: 11, bytes: 11, mode: 'truncate', username: 'alice' });
  });

  it("keeps the bytes of an aborted upload and emits 'incompleteFile'", async () => {
    const volume = new MemoryVolume();
    const fs = new MemoryFileSystem(volume);
    const incomplete: UploadEvent[] = [];
    volume.on('incompleteFile', (e) => incomplete.push(e));
    const stream = await fs.openWrite('/partial.bin', { mode: 'truncate' });
    await new Promise<void>((resolve) => stream.write('12345', () => resolve()));
    stream.destroy();
    await new Promise((resolve) => stream.once('close', resolve));
    expect(volume.readFile('/partial.bin', 'utf8')).toBe('12345');
    expect(incomplete.map((e) => [e.path, e.bytes])).toEqual([['/partial.bin', 5]]);
  });

  it('a throwing event listener does not fail the upload', async () => {
    const volume = new MemoryVolume();
    volume.on('file', () => {
      throw new Error('listener bug');
    });
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      await upload(await new MemoryFileSystem(volume).openWrite('/a', { mode: 'truncate' }), 'x');
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(volume.readFile('/a', 'utf8')).toBe('x');
    expect(warnings.some((w) => w.includes('listener bug'))).toBe(true);
  });

  it('enforces the quota per chunk with a 552 FilesystemError, keeping what fit', async () => {
    const volume = new MemoryVolume({ 'old.bin': 'x'.repeat(6) }, { quota: 10 });
    const fs = new MemoryFileSystem(volume);
    const stream = await fs.openWrite('/new.bin', { mode: 'truncate' });
    const error = await pipeline(Readable.from([Buffer.from('abc'), Buffer.from('defgh')]), stream).catch(
      (e: unknown) => e,
    );
    expect(isFilesystemError(error)).toBe(true);
    expect(error).toMatchObject({ message: 'Quota exceeded', code: 'EDQUOT', replyCode: 552 });
    expect(volume.readFile('/new.bin', 'utf8')).toBe('abc');
    expect(volume.used).toBe(9);
    expect(volume.available).toBe(1);
    // Replacing a file only needs room for the growth.
    await upload(await fs.openWrite('/old.bin', { mode: 'truncate' }), '1234567');
    expect(volume.used).toBe(10);
    // Full: a new file is refused at open, so the client gets "552 Quota exceeded." at once.
    await expect(fs.openWrite('/more.bin', { mode: 'truncate' })).rejects.toMatchObject({ replyCode: 552 });
    await fs.unlink('/new.bin');
    expect(volume.available).toBe(3);
  });

  it('reads in chunks of highWaterMark from an offset', async () => {
    const volume = new MemoryVolume({ 'f.txt': '0123456789' });
    const chunks: string[] = [];
    for await (const chunk of await new MemoryFileSystem(volume).openRead('/f.txt', {
      start: 1,
      highWaterMark: 4,
    })) {
      chunks.push(String(chunk));
    }
    expect(chunks).toEqual(['1234', '5678', '9']);
  });

  it('copies an upload once into its own blocks (the caller may reuse its buffer)', async () => {
    const volume = new MemoryVolume();
    const stream = await new MemoryFileSystem(volume).openWrite('/f', { mode: 'truncate', highWaterMark: 4 });
    const buffer = Buffer.from('abcdef');
    await new Promise<void>((resolve) => stream.write(buffer, () => resolve()));
    buffer.fill('z');
    await new Promise<void>((resolve) => stream.end(resolve));
    expect(volume.readFile('/f', 'utf8')).toBe('abcdef');
  });

  it('refuses every change when read-only, with EROFS', async () => {
    const volume = new MemoryVolume({ 'a.txt': 'a' });
    const fs = new MemoryFileSystem(volume, '/', { readOnly: true });
    await expect(fs.openWrite('/a.txt', { mode: 'truncate' })).rejects.toMatchObject({ code: 'EROFS' });
    await expect(fs.mkdir('/d')).rejects.toMatchObject({ code: 'EROFS' });
    await expect(fs.unlink('/a.txt')).rejects.toMatchObject({ code: 'EROFS' });
    expect(await readAll(await fs.openRead('/a.txt'))).toBe('a');
  });

  it('refuses resolved paths outside its home, even when handed one directly', async () => {
    const volume = new MemoryVolume({ 'home/a/': {}, 'home/b/secret': 's' });
    const fs = new MemoryFileSystem(volume, '/home/a');
    await expect(fs.stat('/home/b/secret')).rejects.toSatisfy(isPathOutsideRootError);
    await expect(fs.openRead('/home/a/../b/secret')).rejects.toSatisfy(isPathOutsideRootError);
    expect(await fs.resolve('/x')).toBe('/home/a/x');
  });

  it('follows a symlink to a sibling home only when it stays inside the session home', async () => {
    const volume = new MemoryVolume({
      'home/a/inside': symlinkEntry('/home/a/docs'),
      'home/a/docs/x.txt': 'x',
      'home/a/to-b': symlinkEntry('/home/b'),
      'home/a/loop': symlinkEntry('loop'),
      'home/b/secret': 's',
    });
    const fs = new MemoryFileSystem(volume, '/home/a');
    expect(await fs.resolve('/inside/x.txt')).toBe('/home/a/inside/x.txt');
    expect((await fs.stat('/home/a/inside/x.txt')).size).toBe(1);
    await expect(fs.resolve('/to-b/secret')).rejects.toSatisfy(isPathOutsideRootError);
    await expect(fs.resolve('/loop')).rejects.toMatchObject({ code: 'ELOOP' });
    expect(await fs.readlink('/home/a/to-b')).toBe('/home/b');
  });
});

describe('memoryFileSystem()', () => {
  it('roots each session at its home, creating it, with the owner given', async () => {
    const volume = new MemoryVolume();
    const factory = memoryFileSystem(volume, {
      home: ({ username }) => `/home/${username}`,
      ownerOf: ({ username }) => ({ owner: username, group: 'users' }),
    });
    const fs = await factory({ username: 'carol', home: '/ignored' });
    expect(fs.root).toBe('/home/carol');
    await upload(await fs.openWrite(await fs.resolve('/c.txt'), { mode: 'truncate' }), 'c');
    expect(volume.stat('/home/carol/c.txt')).toMatchObject({ owner: 'carol', group: 'users' });
  });

  it('can refuse a missing home instead of creating it', () => {
    const factory = memoryFileSystem(new MemoryVolume(), { home: '/nope', createHome: false });
    expect(() => factory({ username: 'x', home: '/' })).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});
