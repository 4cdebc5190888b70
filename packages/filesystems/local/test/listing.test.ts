import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, readdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { isSymbolicLink } from '@ftpkit/core';
import { describe, expect, it } from 'vitest';
import { LocalFileSystem } from '../src/index.js';
import { lstatEntries, SLICE_ENTRIES } from '../src/listing-stats.js';
import { loadEntryStatx } from '../src/statx.js';
import { NameTable } from '../src/user-names.js';
import { tempDir } from './helpers.js';

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

function openDescriptors(): number {
  return readdirSync('/proc/self/fd').length;
}

const onLinux = process.platform === 'linux';

describe('readdirBatches', () => {
  it('yields every name of a 1300-entry directory in non-empty arrays of at most 512', async () => {
    const root = tempDir();
    const expected: string[] = [];
    for (let i = 0; i < 1300; i++) {
      writeFileSync(path.join(root, `f${i}`), '');
      expected.push(`f${i}`);
    }
    const batches = await collect(new LocalFileSystem(root).readdirBatches(root));
    expect(batches.length).toBeGreaterThanOrEqual(3);
    for (const batch of batches) {
      expect(batch.length).toBeGreaterThan(0);
      expect(batch.length).toBeLessThanOrEqual(512);
    }
    expect(batches.flat().sort()).toEqual(expected.sort());
  });

  it('yields nothing for an empty directory and rejects with ENOENT / ENOTDIR', async () => {
    const root = tempDir();
    writeFileSync(path.join(root, 'file'), '');
    mkdirSync(path.join(root, 'empty'));
    const fs = new LocalFileSystem(root);
    await expect(collect(fs.readdirBatches(path.join(root, 'empty')))).resolves.toEqual([]);
    await expect(collect(fs.readdirBatches(path.join(root, 'missing')))).rejects.toMatchObject({
      code: 'ENOENT',
    });
    await expect(collect(fs.readdirBatches(path.join(root, 'file')))).rejects.toMatchObject({
      code: 'ENOTDIR',
    });
  });

  it.skipIf(!onLinux)('closes the directory when iteration is abandoned or completes', async () => {
    const root = tempDir();
    for (let i = 0; i < 1100; i++) writeFileSync(path.join(root, `f${i}`), '');
    const fs = new LocalFileSystem(root);
    const before = openDescriptors();
    for await (const batch of fs.readdirBatches(root)) {
      expect(batch.length).toBeGreaterThan(0);
      break;
    }
    expect(openDescriptors()).toBe(before);
    await collect(fs.readdirBatches(root));
    await collect(fs.readdir(root));
    expect(openDescriptors()).toBe(before);
  });
});

describe('lstatEntries', () => {
  it('answers, in order, what lstat answers for each name', async () => {
    const root = tempDir();
    writeFileSync(path.join(root, 'a.txt'), 'hello');
    const when = new Date('2020-01-02T03:04:05Z');
    utimesSync(path.join(root, 'a.txt'), when, when);
    mkdirSync(path.join(root, 'sub'));
    symlinkSync('nowhere', path.join(root, 'dangling'));
    const fs = new LocalFileSystem(root);
    const names = ['sub', 'a.txt', 'missing', 'dangling', 'a.txt'];
    const stats = await fs.lstatEntries(root, names);
    expect(stats).toHaveLength(names.length);
    for (const [i, name] of names.entries()) {
      if (name === 'missing') {
        expect(stats[i]).toBeUndefined();
        continue;
      }
      expect(stats[i]).toEqual(await fs.lstat(path.join(root, name)));
    }
    expect(stats[1]?.mtime.getTime()).toBe(when.getTime());
    expect(isSymbolicLink(stats[3] ?? { mode: 0 })).toBe(true);
    expect(stats[0]?.ino).toBe(lstatSync(path.join(root, 'sub')).ino);
    await expect(fs.lstatEntries(root, [])).resolves.toEqual([]);
  });

  it.skipIf(!onLinux)(
    'uses statx relative to the directory on Linux, with the very FileStat of lstat, and closes it',
    async () => {
      expect(await loadEntryStatx()).toBeDefined();
      const root = tempDir();
      const names: string[] = [];
      for (let i = 0; i < 300; i++) {
        const name = `f${i}`;
        writeFileSync(path.join(root, name), 'y'.repeat(i * 37));
        // Sub-millisecond times, rounded to the millisecond as Node rounds them.
        const seconds = 1_600_000_000 + i * 86_399 + (i % 7) * 0.0004999 + (i % 3) * 0.0005;
        utimesSync(path.join(root, name), seconds, seconds);
        names.push(name);
      }
      mkdirSync(path.join(root, 'dir'));
      symlinkSync('f1', path.join(root, 'link'));
      execFileSync('mkfifo', [path.join(root, 'fifo')]);
      names.push('dir', 'link', 'fifo');
      const fs = new LocalFileSystem(root);
      const before = openDescriptors();
      const stats = await fs.lstatEntries(root, names);
      expect(openDescriptors()).toBe(before);
      for (const [i, name] of names.entries()) {
        expect(stats[i], name).toEqual(await fs.lstat(path.join(root, name)));
      }
    },
  );

  it('gives undefined for names that are not plain entry names, and for a missing directory', async () => {
    const root = tempDir();
    mkdirSync(path.join(root, 'sub'));
    writeFileSync(path.join(root, 'sub', 'x'), '');
    const fs = new LocalFileSystem(root);
    const stats = await fs.lstatEntries(root, ['', '.', '..', 'sub/x', 'nul\0byte', 'sub']);
    expect(stats.slice(0, 5)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(stats[5]).toBeDefined();
    await expect(fs.lstatEntries(path.join(root, 'gone'), ['x'])).resolves.toEqual([undefined]);
    await expect(fs.lstatEntries(path.join(root, 'sub', 'x'), ['y'])).resolves.toEqual([undefined]);
  });

  it('works through many slices, and through the thread pool when the slices run slow', async () => {
    const root = tempDir();
    const names: string[] = [];
    for (let i = 0; i < SLICE_ENTRIES * 2 + 17; i++) {
      const name = `f${String(i).padStart(4, '0')}`;
      writeFileSync(path.join(root, name), 'x'.repeat(i));
      names.push(name);
    }
    const sizes = (stats: ReadonlyArray<{ size: number } | undefined>) => stats.map((s) => s?.size);
    const expected = names.map((_, i) => i);
    // A real clock: slices of SLICE_ENTRIES.
    expect(sizes(await lstatEntries(root, names))).toEqual(expected);
    // A clock that moves 10 ms per reading: every slice ends after one entry, so after two such
    // slices the rest goes through the thread pool; the answer is the same.
    let fake = 0;
    const slow = () => {
      fake += 10;
      return fake;
    };
    expect(sizes(await lstatEntries(root, names, slow))).toEqual(expected);
    // A clock that jumps once (the process preempted): one short slice, then synchronous again.
    let reads = 0;
    const jumpy = () => (++reads === 3 ? 1_000 : reads < 3 ? 0 : 1_000);
    expect(sizes(await lstatEntries(root, names, jumpy))).toEqual(expected);
  });
});

describe('owner and group names', () => {
  it('are answered from the cached table once it is fresh', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'passwd');
    writeFileSync(file, 'alice:x:1001:1001::/home/alice:/bin/sh\n');
    const table = new NameTable(file, { checkIntervalMs: 60_000 });
    expect(table.cached(1001)).toBeUndefined();
    const refreshing = table.refreshIfStale();
    expect(refreshing).toBeInstanceOf(Promise);
    await refreshing;
    expect(table.refreshIfStale()).toBeUndefined();
    expect(table.cached(1001)).toBe('alice');
    expect(table.cached(1002)).toBeUndefined();
    const always = new NameTable(file, { checkIntervalMs: 0 });
    await always.refreshIfStale();
    expect(always.refreshIfStale()).toBeInstanceOf(Promise);
  });
});
