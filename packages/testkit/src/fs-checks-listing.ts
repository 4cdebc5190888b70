/**
 * Filesystem checks of the optional listing capabilities, `readdirBatches` and `lstatEntries`: each is
 * skipped when the filesystem does not have it (core then uses `readdir` and `lstat`).
 *
 * @module
 */
import type { FileStat, FileSystem } from '@ftpkit/core';
import { ensure, equal, fail, failsWithCode, outcome, show, showError, succeeds } from './assert.js';
import { type CheckDefinition, skipCheck } from './check.js';
import { checkStatShape, childPath } from './fs-checks-paths.js';
import { type FsCheckContext, STANDARD_TREE } from './fs-fixture.js';

type FsCheck = CheckDefinition<FsCheckContext>;

type Batches = NonNullable<FileSystem['readdirBatches']>;
type LstatEntries = NonNullable<FileSystem['lstatEntries']>;

function readdirBatchesOf(ctx: FsCheckContext): Batches {
  const method = ctx.fs.readdirBatches;
  if (method === undefined) skipCheck('the filesystem has no readdirBatches (core uses readdir)');
  ensure(typeof method === 'function', `fs.readdirBatches must be a method, got ${show(method)}`);
  return method.bind(ctx.fs);
}

function lstatEntriesOf(ctx: FsCheckContext): LstatEntries {
  const method = ctx.fs.lstatEntries;
  if (method === undefined) skipCheck('the filesystem has no lstatEntries (core uses lstat per entry)');
  ensure(typeof method === 'function', `fs.lstatEntries must be a method, got ${show(method)}`);
  return method.bind(ctx.fs);
}

/** Every array `readdirBatches(dir)` yields, checked to be non-empty arrays of strings. */
async function batches(ctx: FsCheckContext, dir: string): Promise<string[][]> {
  const readdirBatches = readdirBatchesOf(ctx);
  const what = `readdirBatches(${show(dir)})`;
  return succeeds(async () => {
    const iterable = readdirBatches(dir);
    ensure(
      iterable !== null && typeof iterable === 'object' && Symbol.asyncIterator in iterable,
      `${what} must return an async iterable (e.g. an async generator), got ${show(iterable)}`,
    );
    const out: string[][] = [];
    for await (const batch of iterable) {
      ensure(
        Array.isArray(batch) && batch.every((name) => typeof name === 'string'),
        `${what} must yield arrays of names, got ${show(batch)}`,
      );
      ensure(batch.length > 0, `${what} must not yield empty arrays`);
      out.push([...batch]);
    }
    return out;
  }, what);
}

async function entries(ctx: FsCheckContext, dir: string, names: readonly string[]) {
  const lstatEntries = lstatEntriesOf(ctx);
  const what = `lstatEntries(${show(dir)}, ${show(names)})`;
  const stats = await succeeds(() => lstatEntries(dir, names), what);
  ensure(Array.isArray(stats), `${what} must resolve with an array, got ${show(stats)}`);
  equal(stats.length, names.length, `${what}.length (one element per name)`);
  return stats;
}

/** Fails unless `stat` reports what `lstat(path)` reports. */
async function sameAsLstat(ctx: FsCheckContext, stat: FileStat | undefined, path: string, what: string) {
  ensure(stat !== undefined, `${what} must be a stat (lstat(${show(path)}) succeeds), got undefined`);
  checkStatShape(stat, what);
  const expected = await succeeds(() => ctx.fs.lstat(path), `lstat(${show(path)})`);
  for (const key of ['mode', 'size', 'nlink', 'uid', 'gid'] as const) {
    equal(stat[key], expected[key], `${what}.${key} compared with lstat(${show(path)}).${key}`);
  }
  equal(
    stat.mtime.getTime(),
    expected.mtime.getTime(),
    `${what}.mtime compared with lstat(${show(path)}).mtime`,
  );
}

/** More names than one array of fs-local's `readdirBatches` (512) or one slice of its `lstatEntries`. */
const MANY = Array.from({ length: 600 }, (_, i) => `n${String(i).padStart(3, '0')}`);

export const LISTING_CHECKS: readonly FsCheck[] = [
  {
    name: 'readdirBatches: the names of readdir, in non-empty arrays',
    async run(ctx) {
      readdirBatchesOf(ctx);
      await ctx.layout([
        ...STANDARD_TREE,
        { type: 'directory', path: '/many' },
        ...MANY.map((name) => ({ type: 'file' as const, path: `/many/${name}`, content: Buffer.from(name) })),
      ]);
      for (const path of ['/', '/dir', '/empty', '/many']) {
        const dir = await ctx.resolve(path);
        const got = (await batches(ctx, dir)).flat().sort();
        equal(got, await ctx.names(dir), `the names of readdirBatches(${show(dir)}) compared with readdir`);
      }
    },
  },
  {
    name: 'readdirBatches: stopping early is clean',
    async run(ctx) {
      const readdirBatches = readdirBatchesOf(ctx);
      await ctx.layout();
      const dir = await ctx.resolve('/dir');
      await succeeds(
        async () => {
          for await (const _ of readdirBatches(dir)) break;
        },
        `breaking out of readdirBatches(${show(dir)}) after the first array`,
      );
    },
  },
  {
    name: 'readdirBatches: a missing directory fails with ENOENT, a file with ENOTDIR',
    async run(ctx) {
      const readdirBatches = readdirBatchesOf(ctx);
      await ctx.layout();
      const drain = async (path: string): Promise<void> => {
        for await (const _ of readdirBatches(path)) {
          // drain
        }
      };
      const missing = await ctx.resolve('/missing');
      await failsWithCode(() => drain(missing), ['ENOENT'], `readdirBatches(${show(missing)})`);
      const file = await ctx.resolve('/file.txt');
      await failsWithCode(() => drain(file), ['ENOTDIR'], `readdirBatches(${show(file)}) (a regular file)`);
    },
  },
  {
    name: 'lstatEntries: one stat per name, in order, as lstat reports it; undefined for a missing name',
    async run(ctx) {
      lstatEntriesOf(ctx);
      await ctx.layout();
      const dir = await ctx.resolve('/dir');
      const names = ['sub', 'missing', 'a.txt', 'sub'];
      const stats = await entries(ctx, dir, names);
      await sameAsLstat(ctx, stats[0], childPath(dir, 'sub'), 'lstatEntries(...)[0] ("sub")');
      equal(stats[1], undefined, 'lstatEntries(...)[1] ("missing", no such entry)');
      await sameAsLstat(ctx, stats[2], childPath(dir, 'a.txt'), 'lstatEntries(...)[2] ("a.txt")');
      await sameAsLstat(ctx, stats[3], childPath(dir, 'sub'), 'lstatEntries(...)[3] ("sub" again)');
      equal(await entries(ctx, dir, []), [], 'lstatEntries with no names');
      const root = await ctx.resolve('/');
      const top = await entries(ctx, root, ['file.txt', 'dir']);
      await sameAsLstat(ctx, top[0], childPath(root, 'file.txt'), 'lstatEntries(root)[0] ("file.txt")');
      await sameAsLstat(ctx, top[1], childPath(root, 'dir'), 'lstatEntries(root)[1] ("dir")');
    },
  },
  {
    name: 'lstatEntries: 600 names at once',
    async run(ctx) {
      lstatEntriesOf(ctx);
      await ctx.layout([
        { type: 'directory', path: '/many' },
        ...MANY.map((name) => ({ type: 'file' as const, path: `/many/${name}`, content: Buffer.from(name) })),
      ]);
      const dir = await ctx.resolve('/many');
      const reversed = [...MANY].reverse();
      const stats = await entries(ctx, dir, reversed);
      for (let i = 0; i < reversed.length; i++) {
        const stat = stats[i];
        ensure(stat !== undefined, `lstatEntries(${show(dir)}, <600 names>)[${i}] must be a stat`);
        checkStatShape(stat, `lstatEntries(...)[${i}]`);
        equal(stat.size, 4, `lstatEntries(...)[${i}].size (the file ${show(reversed[i])} holds 4 bytes)`);
      }
    },
  },
  {
    name: 'lstatEntries: a symlink is reported as the link itself',
    async run(ctx) {
      lstatEntriesOf(ctx);
      const hook = ctx.fixture.makeSymlink;
      if (hook === undefined)
        skipCheck('the fixture has no makeSymlink() hook (no symlink support declared)');
      await ctx.layout();
      await succeeds(() => hook.call(ctx.fixture, '/link', 'file.txt'), 'makeSymlink("/link", "file.txt")');
      const root = await ctx.resolve('/');
      const [stat] = await entries(ctx, root, ['link']);
      await sameAsLstat(ctx, stat, childPath(root, 'link'), 'lstatEntries(root, ["link"])[0]');
    },
  },
  {
    name: 'lstatEntries: a directory that is gone gives undefined entries (or ENOENT/ENOTDIR)',
    async run(ctx) {
      const lstatEntries = lstatEntriesOf(ctx);
      await ctx.layout();
      for (const path of ['/missing', '/file.txt']) {
        const dir = await ctx.resolve(path);
        const what = `lstatEntries(${show(dir)}, ["a.txt"])`;
        const result = await outcome(() => lstatEntries(dir, ['a.txt']));
        if (result.ok) {
          equal(result.value, [undefined], what);
          continue;
        }
        const code = (result.error as { code?: unknown } | null)?.code;
        if (code !== 'ENOENT' && code !== 'ENOTDIR') {
          fail(
            `${what} must resolve with [undefined] or fail with ENOENT/ENOTDIR, got ${showError(result.error)}`,
          );
        }
      }
    },
  },
];
