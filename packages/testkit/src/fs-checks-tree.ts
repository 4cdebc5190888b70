/**
 * Filesystem checks: mkdir, rmdir, unlink, rename, the optional chmod/utimes, and read-only refusal.
 *
 * @module
 */
import { isDirectory } from '@ftpkit/core';
import { ensure, equal, failsCleanly, failsWithCode, show, succeeds } from './assert.js';
import { type CheckDefinition, skipCheck } from './check.js';
import { childPath } from './fs-checks-paths.js';
import { type FsCheckContext, STANDARD_TREE } from './fs-fixture.js';

type FsCheck = CheckDefinition<FsCheckContext>;

async function exists(ctx: FsCheckContext, virtualPath: string): Promise<boolean> {
  const path = await ctx.resolve(virtualPath);
  try {
    await ctx.fs.lstat(path);
    return true;
  } catch {
    return false;
  }
}

async function text(ctx: FsCheckContext, virtualPath: string): Promise<string> {
  return (await ctx.read(await ctx.resolve(virtualPath))).data.toString('latin1');
}

/** Checks of the calls that change the tree (writable filesystems). */
export const TREE_CHECKS: readonly FsCheck[] = [
  {
    name: 'mkdir: creates a directory',
    async run(ctx) {
      await ctx.layout();
      const path = await ctx.resolve('/made');
      await succeeds(() => ctx.fs.mkdir(path), `mkdir(${show(path)})`);
      const stat = await succeeds(() => ctx.fs.stat(path), `stat(${show(path)}) after mkdir`);
      ensure(
        isDirectory(stat),
        `a directory made by mkdir must stat as S_IFDIR, got mode 0o${stat.mode.toString(8)}`,
      );
      ensure(
        (await ctx.names(await ctx.resolve('/'))).includes('made'),
        'readdir of the root must list a directory made by mkdir',
      );
      const nested = await ctx.resolve('/made/inner');
      await succeeds(() => ctx.fs.mkdir(nested), `mkdir(${show(nested)}) inside the new directory`);
    },
  },
  {
    name: 'mkdir: an existing name fails with EEXIST, a missing parent with ENOENT, a file parent with ENOTDIR',
    async run(ctx) {
      await ctx.layout();
      for (const existing of ['/dir', '/file.txt']) {
        const path = await ctx.resolve(existing);
        await failsWithCode(
          () => ctx.fs.mkdir(path),
          ['EEXIST'],
          `mkdir(${show(path)}) of an existing ${existing === '/dir' ? 'directory' : 'file'}`,
        );
      }
      const orphan = await ctx.resolve('/no/such/parent');
      await failsWithCode(() => ctx.fs.mkdir(orphan), ['ENOENT'], `mkdir(${show(orphan)}) (not recursive)`);
      const below = childPath(await ctx.resolve('/file.txt'), 'sub');
      await failsWithCode(
        () => ctx.fs.mkdir(below),
        ['ENOTDIR'],
        `mkdir(${show(below)}) below a regular file`,
      );
    },
  },
  {
    name: 'rmdir: removes an empty directory',
    async run(ctx) {
      await ctx.layout();
      const path = await ctx.resolve('/empty');
      await succeeds(() => ctx.fs.rmdir(path), `rmdir(${show(path)})`);
      await failsWithCode(() => ctx.fs.stat(path), ['ENOENT'], 'stat() of a removed directory');
    },
  },
  {
    name: 'rmdir: a non-empty directory fails with ENOTEMPTY, a file with ENOTDIR, a missing one with ENOENT',
    async run(ctx) {
      await ctx.layout();
      const dir = await ctx.resolve('/dir');
      await failsWithCode(
        () => ctx.fs.rmdir(dir),
        ['ENOTEMPTY', 'EEXIST'],
        `rmdir(${show(dir)}) of a non-empty directory`,
      );
      ensure(await exists(ctx, '/dir/a.txt'), "a refused rmdir must leave the directory's contents alone");
      const file = await ctx.resolve('/file.txt');
      await failsWithCode(() => ctx.fs.rmdir(file), ['ENOTDIR'], `rmdir(${show(file)}) of a regular file`);
      const missing = await ctx.resolve('/missing');
      await failsWithCode(() => ctx.fs.rmdir(missing), ['ENOENT'], `rmdir(${show(missing)})`);
    },
  },
  {
    name: 'unlink: removes a file; a directory fails with EISDIR (or EPERM), a missing file with ENOENT',
    async run(ctx) {
      await ctx.layout();
      const file = await ctx.resolve('/dir/a.txt');
      await succeeds(() => ctx.fs.unlink(file), `unlink(${show(file)})`);
      await failsWithCode(() => ctx.fs.stat(file), ['ENOENT'], 'stat() of a removed file');
      equal(await ctx.names(await ctx.resolve('/dir')), ['sub'], 'readdir of /dir after DELE /dir/a.txt');
      const dir = await ctx.resolve('/empty');
      await failsWithCode(
        () => ctx.fs.unlink(dir),
        ['EISDIR', 'EPERM'],
        `unlink(${show(dir)}) of a directory`,
      );
      await failsWithCode(() => ctx.fs.unlink(file), ['ENOENT'], `unlink(${show(file)}) of a missing file`);
    },
  },
  {
    name: 'rename: a file within its directory and into another one',
    async run(ctx) {
      await ctx.layout();
      await succeeds(
        async () => ctx.fs.rename(await ctx.resolve('/file.txt'), await ctx.resolve('/renamed.txt')),
        'rename("/file.txt" -> "/renamed.txt")',
      );
      ensure(!(await exists(ctx, '/file.txt')), 'the old name must be gone after a rename');
      equal(await text(ctx, '/renamed.txt'), 'hello, world\n', 'the content under the new name');
      await succeeds(
        async () => ctx.fs.rename(await ctx.resolve('/renamed.txt'), await ctx.resolve('/dir/sub/moved.txt')),
        'rename("/renamed.txt" -> "/dir/sub/moved.txt")',
      );
      equal(
        await text(ctx, '/dir/sub/moved.txt'),
        'hello, world\n',
        'the content after a move into another directory',
      );
      equal(
        await ctx.names(await ctx.resolve('/')),
        ['dir', 'empty'],
        'readdir of the root after moving its file away',
      );
    },
  },
  {
    name: 'rename: replaces an existing file, as rename(2) does',
    async run(ctx) {
      await ctx.layout();
      await succeeds(
        async () => ctx.fs.rename(await ctx.resolve('/dir/a.txt'), await ctx.resolve('/file.txt')),
        'rename("/dir/a.txt" -> "/file.txt") onto an existing file',
      );
      equal(await text(ctx, '/file.txt'), 'a', "the target's content after being replaced");
      ensure(!(await exists(ctx, '/dir/a.txt')), 'the source must be gone after replacing a file');
    },
  },
  {
    name: 'rename: a directory moves with its contents',
    async run(ctx) {
      await ctx.layout([...STANDARD_TREE, { type: 'directory', path: '/vacant' }]);
      await succeeds(
        async () => ctx.fs.rename(await ctx.resolve('/dir'), await ctx.resolve('/empty/moved')),
        'rename("/dir" -> "/empty/moved")',
      );
      equal(
        await ctx.names(await ctx.resolve('/empty/moved')),
        ['a.txt', 'sub'],
        'readdir of a moved directory',
      );
      equal(await text(ctx, '/empty/moved/a.txt'), 'a', 'a file inside a moved directory');
      ensure(!(await exists(ctx, '/dir')), 'the old directory name must be gone');
      await succeeds(
        async () => ctx.fs.rename(await ctx.resolve('/empty/moved/sub'), await ctx.resolve('/vacant')),
        'rename of a directory onto an empty directory',
      );
      equal(
        await ctx.names(await ctx.resolve('/vacant')),
        ['b.bin'],
        'readdir of an empty directory replaced by a directory',
      );
    },
  },
  {
    name: 'rename: the POSIX errors (ENOENT, ENOTEMPTY, ENOTDIR, EISDIR, EINVAL)',
    async run(ctx) {
      await ctx.layout([
        ...STANDARD_TREE,
        { type: 'directory', path: '/full' },
        { type: 'file', path: '/full/x', content: Buffer.from('x') },
      ]);
      const r = (from: string, to: string) => async () =>
        ctx.fs.rename(await ctx.resolve(from), await ctx.resolve(to));
      await failsWithCode(r('/missing', '/x'), ['ENOENT'], 'rename of a missing source');
      await failsWithCode(r('/file.txt', '/no/such/dir/x'), ['ENOENT'], 'rename into a missing directory');
      await failsWithCode(
        r('/dir', '/full'),
        ['ENOTEMPTY', 'EEXIST'],
        'rename of a directory onto a non-empty directory',
      );
      await failsWithCode(r('/dir', '/file.txt'), ['ENOTDIR'], 'rename of a directory onto a file');
      await failsWithCode(r('/file.txt', '/dir'), ['EISDIR'], 'rename of a file onto a directory');
      await failsWithCode(
        r('/dir', '/dir/sub/inside'),
        ['EINVAL'],
        'rename of a directory into its own subdirectory',
      );
      equal(await text(ctx, '/file.txt'), 'hello, world\n', 'a file after refused renames');
      equal(
        await ctx.names(await ctx.resolve('/dir')),
        ['a.txt', 'sub'],
        'a directory after refused renames',
      );
    },
  },
  {
    name: 'chmod: sets the permission bits (SITE CHMOD)',
    async run(ctx) {
      const chmod = ctx.fs.chmod;
      if (chmod === undefined) skipCheck('the filesystem has no chmod (SITE CHMOD answers 502)');
      await ctx.layout();
      const path = await ctx.resolve('/file.txt');
      for (const mode of [0o600, 0o640]) {
        await succeeds(() => chmod.call(ctx.fs, path, mode), `chmod(${show(path)}, 0o${mode.toString(8)})`);
        const stat = await ctx.fs.stat(path);
        equal((stat.mode & 0o777).toString(8), mode.toString(8), 'the permission bits after chmod (octal)');
      }
    },
  },
  {
    name: 'utimes: sets the modification time (MFMT)',
    async run(ctx) {
      const utimes = ctx.fs.utimes;
      if (utimes === undefined) skipCheck('the filesystem has no utimes (MFMT answers 502)');
      await ctx.layout();
      const path = await ctx.resolve('/file.txt');
      const when = new Date(Date.UTC(2001, 1, 3, 4, 5, 6));
      await succeeds(
        () => utimes.call(ctx.fs, path, when, when),
        `utimes(${show(path)}, ${when.toISOString()})`,
      );
      const stat = await ctx.fs.stat(path);
      equal(
        Math.floor(stat.mtime.getTime() / 1000),
        when.getTime() / 1000,
        'stat().mtime after utimes, in seconds',
      );
    },
  },
];

/** The check that replaces {@link TREE_CHECKS} and the write checks for a read-only filesystem. */
export const READ_ONLY_CHECKS: readonly FsCheck[] = [
  {
    name: 'read-only: every change is refused with an error core reports as 550',
    async run(ctx) {
      await ctx.layout();
      const fs = ctx.fs;
      const file = await ctx.resolve('/file.txt');
      const fresh = await ctx.resolve('/new.txt');
      const dir = await ctx.resolve('/empty');
      for (const mode of ['truncate', 'append', 'exclusive'] as const) {
        await failsCleanly(
          () => fs.openWrite(mode === 'exclusive' ? fresh : file, { mode }),
          `openWrite(${mode})`,
        );
      }
      await failsCleanly(() => fs.openWrite(file, { mode: 'offset', start: 0 }), 'openWrite(offset)');
      await failsCleanly(() => fs.mkdir(fresh), 'mkdir');
      await failsCleanly(() => fs.rmdir(dir), 'rmdir');
      await failsCleanly(() => fs.unlink(file), 'unlink');
      await failsCleanly(() => fs.rename(file, fresh), 'rename');
      if (fs.chmod !== undefined) await failsCleanly(() => fs.chmod!(file, 0o600), 'chmod');
      if (fs.utimes !== undefined)
        await failsCleanly(() => fs.utimes!(file, new Date(0), new Date(0)), 'utimes');
      equal(await text(ctx, '/file.txt'), 'hello, world\n', 'a file after refused changes');
      equal(
        await ctx.names(await ctx.resolve('/')),
        ['dir', 'empty', 'file.txt'],
        'the root after refused changes',
      );
    },
  },
];
