import type { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { PermissionLetter } from '../src/authorizer.js';
import { type FileStat, type FileSystem, S_IFDIR, S_IFLNK, S_IFREG } from '../src/filesystem.js';
import { BATCH } from '../src/listing/entry-source.js';
import { type ListingContext, listDirectory, machineList, nameList } from '../src/listing/listing-stream.js';
import { ListLineFormatter } from '../src/listing/ls-line.js';
import {
  AVAILABLE_FACTS,
  DEFAULT_FACTS,
  formatMlsxFacts,
  type MlsxFact,
  MlsxFormatter,
} from '../src/listing/mlsx.js';
import { formatListDate, formatTimeval, ListDateFormatter, TimevalFormatter } from '../src/listing/times.js';

const NOW = new Date(Date.UTC(2026, 10, 22, 1, 51, 25));

interface Node {
  stat: FileStat;
  target?: string;
}

/** A flat in-memory directory `/d` (plus `/`), the listing only needs readdir, lstat, stat, readlink, resolve. */
class FlatFs implements FileSystem {
  readonly root = '/';
  readonly calls: Record<string, number> = { lstat: 0, lstatEntries: 0, readdir: 0, readdirBatches: 0 };
  readonly batchSizes: number[] = [];
  constructor(readonly entries: Map<string, Node>) {}

  async resolve(virtualPath: string): Promise<string> {
    const name = virtualPath.slice('/d/'.length);
    if (this.entries.get(name)?.target === '../outside') throw new Error('outside');
    return virtualPath;
  }
  #node(path: string): Node {
    const node = path.startsWith('/d/') ? this.entries.get(path.slice(3)) : undefined;
    if (node === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return node;
  }
  async stat(path: string): Promise<FileStat> {
    const node = this.#node(path);
    if (node.target === undefined) return node.stat;
    return this.#node(`/d/${node.target}`).stat;
  }
  async lstat(path: string): Promise<FileStat> {
    this.calls['lstat']!++;
    return this.#node(path).stat;
  }
  async *readdir(path: string): AsyncGenerator<string> {
    this.calls['readdir']!++;
    if (path !== '/d') throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    yield* this.entries.keys();
  }
  async readlink(path: string): Promise<string> {
    return this.#node(path).target ?? '';
  }
  openRead(): Promise<Readable> {
    throw new Error('not here');
  }
  openWrite(): Promise<Writable> {
    throw new Error('not here');
  }
  async mkdir(): Promise<void> {}
  async rmdir(): Promise<void> {}
  async unlink(): Promise<void> {}
  async rename(): Promise<void> {}
}

/** {@link FlatFs} with both listing capabilities; its batches are bigger than core's, to be re-split. */
class BatchFs extends FlatFs {
  async *readdirBatches(path: string): AsyncGenerator<string[]> {
    this.calls['readdirBatches']!++;
    const names: string[] = [];
    for await (const name of super.readdir(path)) names.push(name);
    for (let i = 0; i < names.length; i += 1000) yield names.slice(i, i + 1000);
  }
  async lstatEntries(dir: string, names: readonly string[]): Promise<Array<FileStat | undefined>> {
    this.calls['lstatEntries']!++;
    this.batchSizes.push(names.length);
    return Promise.all(names.map((name) => this.lstat(`${dir}/${name}`).catch(() => undefined)));
  }
}

function file(size: number, mtime: Date, extra: Partial<FileStat> = {}): FileStat {
  return {
    mode: S_IFREG | 0o644,
    size,
    mtime,
    nlink: 1,
    uid: 1000,
    gid: 100,
    dev: 0xfe01,
    ino: size + 7,
    ...extra,
  };
}

function sampleEntries(count: number): Map<string, Node> {
  const entries = new Map<string, Node>();
  const day = 24 * 3600 * 1000;
  // Relative to the real clock, which the listing reads: 0, 40, ..., 240 days old, far from the
  // 180-day boundary, so the test cannot depend on the few milliseconds between two clock readings.
  const now = Date.now();
  for (let i = 0; i < count; i++) {
    const mtime = new Date(now - (i % 7) * 40 * day - (i % 3) * 1000);
    entries.set(`f${String((i * 7919) % count).padStart(5, '0')}`, {
      stat: file(i * 13, mtime, i % 5 === 0 ? { owner: 'alice', group: 'staff' } : {}),
    });
  }
  const recent = new Date(now);
  entries.set('sub', { stat: { ...file(4096, recent), mode: S_IFDIR | 0o755, nlink: 3 } });
  entries.set('link', { stat: { ...file(5, recent), mode: S_IFLNK | 0o777 }, target: 'sub' });
  entries.set('escape', { stat: { ...file(10, recent), mode: S_IFLNK | 0o777 }, target: '../outside' });
  return entries;
}

function context(fs: FileSystem, facts: readonly MlsxFact[] = DEFAULT_FACTS): ListingContext {
  return {
    fs,
    utc: true,
    facts: new Set(facts),
    // Files whose name ends in 1 may not be written: perm differs between entries.
    hasPerm: (perm: PermissionLetter, path: string) => !(path.endsWith('1') && 'wad'.includes(perm)),
    encode: (text) => Buffer.from(text, 'utf8'),
  };
}

async function chunks(stream: Readable): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const chunk of stream) out.push(chunk as Buffer);
  return out;
}

async function text(stream: Readable): Promise<string> {
  return Buffer.concat(await chunks(stream)).toString('utf8');
}

/** What the listing shows, line by line, built with the one-entry formatters. */
function expectedList(entries: Map<string, Node>, now: Date): string {
  return [...entries.keys()]
    .sort()
    .map((name) => {
      const node = entries.get(name) as Node;
      return new ListLineFormatter(now, true).format(name, node.stat, node.target);
    })
    .join('');
}

describe('LIST, NLST and MLSD streams', () => {
  it('LIST: sorted lines, the same with and without the batch capabilities, streamed in batches', async () => {
    const entries = sampleEntries(BATCH * 4 + 9);
    const plain = new FlatFs(entries);
    const batched = new BatchFs(entries);
    const plainChunks = await chunks(listDirectory(context(plain), '/d'));
    const batchedText = await text(listDirectory(context(batched), '/d'));
    const plainText = Buffer.concat(plainChunks).toString('utf8');
    expect(batchedText).toBe(plainText);
    expect(plainChunks.length).toBeGreaterThanOrEqual(5);
    const lines = plainText.split('\r\n').slice(0, -1);
    expect(lines).toHaveLength(entries.size);
    expect(lines.map((line) => line.split(' ').at(-1))).toEqual(
      [...entries.keys()]
        .sort()
        .map((name) => (name === 'link' || name === 'escape' ? entries.get(name)?.target : name)),
    );
    expect(plainText).toContain(' link -> sub\r\n');
    expect(plainText).toContain('drwxr-xr-x   3 1000     100          4096 ');
    expect(plainText).toContain(' alice    staff   ');
    expect(batched.calls['lstat']).toBe(entries.size);
    expect(batched.calls['lstatEntries']).toBe(Math.ceil(entries.size / BATCH));
    expect(Math.max(...batched.batchSizes)).toBeLessThanOrEqual(BATCH);
    expect(batched.calls['readdir']).toBe(1);
    expect(batched.calls['readdirBatches']).toBe(1);
  });

  it('LIST matches the one-entry formatter for every entry', async () => {
    const entries = sampleEntries(50);
    const listing = await text(listDirectory(context(new BatchFs(entries)), '/d'));
    const expected = expectedList(entries, new Date());
    expect(listing).toBe(expected);
  });

  it('LIST skips entries that vanish between readdir and lstat', async () => {
    const entries = sampleEntries(10);
    const fs = new BatchFs(entries);
    fs.lstatEntries = async (_dir, names) =>
      names.map((name) => (name === 'sub' ? undefined : (entries.get(name) as Node).stat));
    const listing = await text(listDirectory(context(fs), '/d'));
    expect(listing).not.toMatch(/\d sub\r\n/);
    expect(listing).toMatch(/ link -> sub\r\n/);
    expect(listing.split('\r\n')).toHaveLength(entries.size);
  });

  it('NLST: the sorted names', async () => {
    const entries = sampleEntries(5000);
    const listing = await text(nameList(context(new BatchFs(entries)), '/d'));
    expect(listing).toBe(
      [...entries.keys()]
        .sort()
        .map((name) => `${name}\r\n`)
        .join(''),
    );
  });

  it('MLSD: one facts line per entry, symlinks followed inside the root only, the same either way', async () => {
    const entries = sampleEntries(BATCH * 3 + 1);
    const facts: MlsxFact[] = [...AVAILABLE_FACTS];
    const plain = await text(machineList(context(new FlatFs(entries), facts), '/d', '/d'));
    const batched = await text(machineList(context(new BatchFs(entries), facts), '/d', '/d'));
    expect(batched).toBe(plain);
    const lines = plain.split('\r\n').slice(0, -1);
    expect(lines).toHaveLength(entries.size - 1);
    expect(plain).not.toContain(' escape\r\n');
    const link = lines.find((line) => line.endsWith(' link'));
    expect(link).toMatch(/;type=dir;/);
    // Every line equals what formatMlsxFacts makes from all ten permission letters.
    const all = 'elradfmwMT';
    for (const line of lines) {
      const name = line.slice(line.indexOf(' ') + 1);
      const node = entries.get(name) as Node;
      const stat = node.target === undefined ? node.stat : (entries.get(node.target) as Node).stat;
      const path = `/d/${name}`;
      const letters = [...all].filter((l) => !(path.endsWith('1') && 'wad'.includes(l))).join('');
      expect(line).toBe(
        `${formatMlsxFacts(stat, { facts: new Set(facts), permissions: letters, utc: true })} ${name}`,
      );
    }
  });

  it('MLSD with no facts, and of an empty directory', async () => {
    const entries = sampleEntries(3);
    expect(await text(machineList(context(new BatchFs(entries), []), '/d', '/d'))).toMatch(/^ f0000\r\n| /);
    const empty = new BatchFs(new Map());
    expect(await chunks(machineList(context(empty), '/d', '/d'))).toEqual([]);
    expect(await chunks(listDirectory(context(empty), '/d'))).toEqual([]);
  });

  it('a missing directory fails the stream', async () => {
    const fs = new BatchFs(new Map());
    await expect(text(listDirectory(context(fs), '/nope'))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(text(machineList(context(fs), '/nope', '/nope'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('the per-listing formatters', () => {
  const day = 24 * 3600 * 1000;

  it('ListDateFormatter answers as formatListDate does, entry after entry', () => {
    for (const utc of [true, false]) {
      const formatter = new ListDateFormatter(NOW, utc);
      const times = [
        NOW.getTime(),
        NOW.getTime() + 400,
        NOW.getTime() - 1,
        NOW.getTime() - 180 * day,
        NOW.getTime() - 180 * day - 1,
        NOW.getTime() - 180 * day - 1,
        NOW.getTime() - 181 * day,
        NOW.getTime() + 400 * day,
        Date.UTC(1899, 11, 31, 23, 59, 59, 999),
        Date.UTC(1900, 0, 1),
        Date.UTC(1920, 5, 5, 5, 5, 5),
        Number.NaN,
        0,
      ];
      for (const ms of times) {
        const mtime = new Date(ms);
        expect(formatter.format(mtime), `${utc} ${ms}`).toBe(formatListDate(mtime, NOW, utc));
      }
    }
  });

  it('TimevalFormatter answers as formatTimeval does', () => {
    const formatter = new TimevalFormatter(true);
    for (const ms of [0, 999, 1000, 1001, NOW.getTime(), NOW.getTime() + 1, Date.UTC(1950, 1, 2)]) {
      expect(formatter.format(new Date(ms))).toBe(formatTimeval(new Date(ms), true));
    }
  });

  it('ListLineFormatter keeps columns right when owner, mode or links change between entries', () => {
    const formatter = new ListLineFormatter(NOW, true);
    const a = file(12, NOW, { owner: 'root', group: 'root' });
    expect(formatter.format('a', a)).toBe('-rw-r--r--   1 root     root           12 Nov 22 01:51 a\r\n');
    expect(formatter.format('b', { ...a, owner: undefined, uid: 1234 })).toBe(
      '-rw-r--r--   1 1234     root           12 Nov 22 01:51 b\r\n',
    );
    expect(formatter.format('c', { ...a, nlink: 12, mode: S_IFDIR | 0o700, size: 123456789 })).toBe(
      'drwx------  12 root     root     123456789 Nov 22 01:51 c\r\n',
    );
    expect(formatter.format('d', { ...a, nlink: 0, mtime: new Date(Date.UTC(2020, 0, 2)) })).toBe(
      '-rw-r--r--   1 root     root           12 Jan 02  2020 d\r\n',
    );
  });

  it('MlsxFormatter keeps the perm texts of files and directories apart', () => {
    const formatter = new MlsxFormatter(new Set(['perm', 'type']), true);
    expect(formatter.showsPerm).toBe(true);
    expect(formatter.facts(file(1, NOW), 'elradfmwMT')).toBe('perm=radfwMT;type=file;');
    expect(formatter.facts({ ...file(1, NOW), mode: S_IFDIR | 0o755 }, 'elradfmwMT')).toBe(
      'perm=eldfmMTcp;type=dir;',
    );
    expect(formatter.facts(file(1, NOW), 'elr')).toBe('perm=r;type=file;');
    expect(new MlsxFormatter(new Set(['size']), true).showsPerm).toBe(false);
    expect(
      new MlsxFormatter(new Set(['modify', 'unique']), true).facts(
        file(1, new Date(Number.NaN), { dev: undefined }),
        '',
      ),
    ).toBe('');
  });
});
