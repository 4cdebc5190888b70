import { mkdirSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { isDirectory, isRegularFile, isSymbolicLink } from '@ftpkit/core';
import { describe, expect, it } from 'vitest';
import { LocalFileSystem } from '../src/index.js';
import {
  cachedGroupName,
  cachedUserName,
  NameTable,
  parseNameFile,
  refreshNames,
} from '../src/user-names.js';
import { tempDir } from './helpers.js';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

describe('stat / lstat', () => {
  it('reports the fields of fs.Stats', async () => {
    const root = tempDir();
    const file = path.join(root, 'a.txt');
    writeFileSync(file, 'hello world!');
    const when = new Date('2020-01-02T03:04:05Z');
    utimesSync(file, when, when);
    const fs = new LocalFileSystem(root);
    const st = await fs.stat(file);
    const real = statSync(file);
    expect(st).toMatchObject({
      mode: real.mode,
      size: 12,
      nlink: 1,
      uid: real.uid,
      gid: real.gid,
      dev: real.dev,
      ino: real.ino,
    });
    expect(st.mtime.getTime()).toBe(when.getTime());
    expect(isRegularFile(st)).toBe(true);
    expect(isDirectory(await fs.stat(root))).toBe(true);
  });

  it('follows symlinks in stat but not in lstat', async () => {
    const root = tempDir();
    mkdirSync(path.join(root, 'dir'));
    symlinkSync('dir', path.join(root, 'link'));
    const fs = new LocalFileSystem(root);
    expect(isDirectory(await fs.stat(path.join(root, 'link')))).toBe(true);
    const linkStat = await fs.lstat(path.join(root, 'link'));
    expect(isSymbolicLink(linkStat)).toBe(true);
    expect(linkStat.size).toBe(3);
  });

  it('rejects with ENOENT for a missing path and for a dangling link in stat', async () => {
    const root = tempDir();
    symlinkSync('nowhere', path.join(root, 'dangling'));
    const fs = new LocalFileSystem(root);
    await expect(fs.stat(path.join(root, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(fs.stat(path.join(root, 'dangling'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(isSymbolicLink(await fs.lstat(path.join(root, 'dangling')))).toBe(true);
  });

  it.skipIf(!isRoot)('names the owner and group (running as root)', async () => {
    const root = tempDir();
    writeFileSync(path.join(root, 'a.txt'), 'x');
    const st = await new LocalFileSystem(root).stat(path.join(root, 'a.txt'));
    expect(st.uid).toBe(0);
    expect(st.owner).toBe('root');
    expect(st.group).toBe('root');
  });

  it('leaves out names for unknown ids', async () => {
    await refreshNames();
    expect(cachedUserName(2_000_000_001)).toBeUndefined();
    expect(cachedGroupName(2_000_000_001)).toBeUndefined();
  });
});

describe('user names', () => {
  it('parses passwd/group files, first entry wins', () => {
    const names = parseNameFile(
      [
        '# comment',
        'root:x:0:0:root:/root:/bin/bash',
        '',
        'bob:x:1000:1000::/home/bob:/bin/sh',
        'bob2:x:1000:1000::/home/bob:/bin/sh',
        '+nis::::::',
        'broken',
        'weird:x:abc:1',
        'staff:x:50:alice,bob',
      ].join('\n'),
    );
    expect([...names]).toEqual([
      [0, 'root'],
      [1000, 'bob'],
      [50, 'staff'],
    ]);
  });

  it('re-reads the file when it changes, at most once per interval', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'passwd');
    writeFileSync(file, 'alice:x:1001:1001::/home/alice:/bin/sh\n');
    const table = new NameTable(file, { checkIntervalMs: 0 });
    await expect(table.lookup(1001)).resolves.toBe('alice');
    writeFileSync(file, 'carol:x:1001:1001::/home/carol:/bin/sh\nbob:x:1002:1002::/:/bin/sh\n');
    await expect(table.lookup(1001)).resolves.toBe('carol');
    await expect(table.lookup(1002)).resolves.toBe('bob');

    const slow = new NameTable(file, { checkIntervalMs: 60_000 });
    await expect(slow.lookup(1002)).resolves.toBe('bob');
    writeFileSync(file, 'dave:x:1002:1002::/:/bin/sh\n');
    await expect(slow.lookup(1002)).resolves.toBe('bob');
  });

  it('has no names when the file is missing', async () => {
    const table = new NameTable(path.join(tempDir(), 'nope'));
    await expect(table.lookup(0)).resolves.toBeUndefined();
  });

  it('shares one load between concurrent lookups', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'group');
    writeFileSync(file, 'wheel:x:10:\n');
    const table = new NameTable(file);
    const results = await Promise.all([table.lookup(10), table.lookup(10), table.lookup(11)]);
    expect(results).toEqual(['wheel', 'wheel', undefined]);
  });
});
