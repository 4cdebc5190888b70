/**
 * Filesystem checks: resolve and containment, symlinks, stat/lstat, readdir.
 *
 * @module
 */
import { type FileStat, isDirectory, isRegularFile, isSymbolicLink, S_IFMT } from '@ftpkit/core';
import {
  ensure,
  equal,
  fail,
  failsOutsideRoot,
  failsWithCode,
  outcome,
  show,
  showError,
  succeeds,
} from './assert.js';
import { type CheckDefinition, skipCheck } from './check.js';
import type { FsCheckContext } from './fs-fixture.js';

type FsCheck = CheckDefinition<FsCheckContext>;

/** core's `childPath`: how listings build an entry's resolved path from its directory's. */
export function childPath(dir: string, name: string): string {
  return dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`;
}

function typeName(stat: FileStat): string {
  const type = stat.mode & S_IFMT;
  if (isDirectory(stat)) return 'a directory (S_IFDIR)';
  if (isRegularFile(stat)) return 'a regular file (S_IFREG)';
  if (isSymbolicLink(stat)) return 'a symlink (S_IFLNK)';
  return `type bits 0o${type.toString(8)}`;
}

async function makeSymlink(ctx: FsCheckContext, virtualPath: string, target: string): Promise<void> {
  const hook = ctx.fixture.makeSymlink;
  if (hook === undefined) skipCheck('the fixture has no makeSymlink() hook (no symlink support declared)');
  await succeeds(
    () => hook.call(ctx.fixture, virtualPath, target),
    `makeSymlink(${show(virtualPath)}, ${show(target)})`,
  );
}

export function checkStatShape(stat: unknown, what: string): asserts stat is FileStat {
  ensure(
    typeof stat === 'object' && stat !== null,
    `${what} must resolve with a stat object, got ${show(stat)}`,
  );
  const s = stat as Record<string, unknown>;
  for (const key of ['mode', 'size', 'nlink', 'uid', 'gid']) {
    ensure(
      typeof s[key] === 'number' && Number.isFinite(s[key]),
      `${what}.${key} must be a finite number (LIST and MLSx print it), got ${show(s[key])}`,
    );
  }
  ensure(
    s['mtime'] instanceof Date && Number.isFinite(s['mtime'].getTime()),
    `${what}.mtime must be a valid Date (LIST, MLSx and MDTM format it), got ${show(s['mtime'])}`,
  );
  for (const key of ['owner', 'group']) {
    ensure(
      s[key] === undefined || typeof s[key] === 'string',
      `${what}.${key} must be a string or absent, got ${show(s[key])}`,
    );
  }
}

export const PATH_CHECKS: readonly FsCheck[] = [
  {
    name: 'root: is a non-empty string',
    async run(ctx) {
      ensure(
        typeof ctx.fs.root === 'string' && ctx.fs.root.length > 0,
        `fs.root must be a non-empty string, got ${show(ctx.fs.root)}`,
      );
    },
  },
  {
    name: 'resolve: maps the root and nested virtual paths to string paths',
    async run(ctx) {
      await ctx.layout();
      for (const path of ['/', '/file.txt', '/dir', '/dir/sub/b.bin']) {
        const resolved = await ctx.resolve(path);
        ensure(
          typeof resolved === 'string' && resolved.length > 0,
          `resolve(${show(path)}) must resolve with a non-empty string, got ${show(resolved)}`,
        );
      }
      const stat = await succeeds(
        async () => ctx.fs.stat(await ctx.resolve('/dir/sub/b.bin')),
        'stat(resolve("/dir/sub/b.bin"))',
      );
      equal(stat.size, 1000, 'stat(resolve("/dir/sub/b.bin")).size');
    },
  },
  {
    name: 'resolve: accepts targets that do not exist yet (STOR, MKD, RNTO)',
    async run(ctx) {
      for (const path of ['/new.txt', '/dir/new-dir', '/no/such/parent/file']) {
        const result = await outcome(() => ctx.fs.resolve(path));
        if (!result.ok)
          fail(
            `resolve(${show(path)}) must accept a path that does not exist yet, but failed with ${showError(result.error)}`,
            result.error,
          );
      }
      await ctx.layout();
      const orphan = await ctx.resolve('/dir/new-dir/file');
      ensure(typeof orphan === 'string', 'resolve of a path below a missing directory must give a string');
    },
  },
  {
    name: 'resolve: is stable and one-to-one',
    async run(ctx) {
      await ctx.layout();
      const a1 = await ctx.resolve('/dir/a.txt');
      const a2 = await ctx.resolve('/dir/a.txt');
      equal(a2, a1, 'resolving "/dir/a.txt" twice');
      const paths = ['/', '/dir', '/dir/a.txt', '/dir/sub', '/file.txt', '/empty'];
      const resolved = await Promise.all(paths.map((p) => ctx.resolve(p)));
      ensure(
        new Set(resolved).size === paths.length,
        `distinct virtual paths must resolve to distinct paths, got ${show(resolved)}`,
      );
    },
  },
  {
    name: 'resolve: never climbs above the root with `..`',
    async run(ctx) {
      await ctx.layout();
      for (const path of ['/..', '/../..', '/dir/../../file.txt', '/../etc/passwd']) {
        const result = await outcome(() => ctx.fs.resolve(path));
        if (!result.ok) continue; // Refusing is the safe answer (fs-local: PathOutsideRootError).
        const clamped = await ctx.resolve(
          path.includes('file.txt') ? '/file.txt' : path.includes('etc') ? '/etc/passwd' : '/',
        );
        if (result.value !== clamped) {
          fail(
            `resolve(${show(path)}) returned ${show(result.value)}: a ".." segment must be refused (PathOutsideRootError) or stay at the root (${show(clamped)}), never lead above it`,
          );
        }
      }
    },
  },
  {
    name: 'resolve: entries of a resolved directory are dir + "/" + name (how listings build paths)',
    async run(ctx) {
      await ctx.layout();
      for (const dirPath of ['/', '/dir']) {
        const dir = await ctx.resolve(dirPath);
        for (const name of await ctx.names(dir)) {
          const child = childPath(dir, name);
          const viaChild = await succeeds(
            () => ctx.fs.lstat(child),
            `lstat(${show(child)}) (core's LIST stats dir + "/" + name for each readdir name)`,
          );
          const virtual = dirPath === '/' ? `/${name}` : `${dirPath}/${name}`;
          const viaResolve = await succeeds(
            async () => ctx.fs.lstat(await ctx.resolve(virtual)),
            `lstat(resolve(${show(virtual)}))`,
          );
          equal(
            viaChild.mode,
            viaResolve.mode,
            `lstat(${show(child)}).mode compared with lstat(resolve(${show(virtual)}))`,
          );
          equal(
            viaChild.size,
            viaResolve.size,
            `lstat(${show(child)}).size compared with lstat(resolve(${show(virtual)}))`,
          );
        }
      }
    },
  },
  {
    name: 'symlinks: a link inside the root resolves; stat follows it, lstat does not',
    async run(ctx) {
      await ctx.layout();
      await makeSymlink(ctx, '/link-to-file', 'file.txt');
      await makeSymlink(ctx, '/dir/link-to-sub', 'sub');
      const link = await ctx.resolve('/link-to-file');
      const followed = await succeeds(() => ctx.fs.stat(link), `stat(${show(link)})`);
      ensure(
        isRegularFile(followed),
        `stat() of a symlink to a file must follow it and report a regular file, got ${typeName(followed)}`,
      );
      equal(followed.size, 13, `stat(${show(link)}).size (the target's size)`);
      const own = await succeeds(() => ctx.fs.lstat(link), `lstat(${show(link)})`);
      ensure(
        isSymbolicLink(own),
        `lstat() of a symlink must report the link itself (S_IFLNK), got ${typeName(own)}`,
      );
      const through = await ctx.resolve('/dir/link-to-sub/b.bin');
      const stat = await succeeds(
        () => ctx.fs.stat(through),
        `stat(${show(through)}) (a path through a directory link)`,
      );
      equal(stat.size, 1000, 'the size of a file reached through a directory link');
      if (ctx.fs.readlink !== undefined) {
        const target = await succeeds(() => ctx.fs.readlink!(link), `readlink(${show(link)})`);
        equal(target, 'file.txt', `readlink(${show(link)}) (LIST shows "name -> target")`);
      }
    },
  },
  {
    name: 'symlinks: a link leading out of the root is refused with PathOutsideRootError',
    async run(ctx) {
      await ctx.layout();
      await makeSymlink(ctx, '/escape', '..');
      await makeSymlink(ctx, '/dir/escape-deep', '../../..');
      await makeSymlink(ctx, '/dangling-out', '../no-such-file-outside-the-root');
      await failsOutsideRoot(
        () => ctx.fs.resolve('/escape'),
        'resolve("/escape") where /escape -> ".." (the parent of the root)',
      );
      await failsOutsideRoot(
        () => ctx.fs.resolve('/escape/new-file'),
        'resolve("/escape/new-file") (a missing file behind an escaping link)',
      );
      await failsOutsideRoot(
        () => ctx.fs.resolve('/dir/escape-deep'),
        'resolve("/dir/escape-deep") where the link is "../../.."',
      );
      await failsOutsideRoot(
        () => ctx.fs.resolve('/dangling-out'),
        'resolve("/dangling-out"), a dangling link pointing outside (STOR through it would create a file outside)',
      );
      // The links themselves can still be listed and removed: lstat and unlink do not follow them.
      const listed = await ctx.names(await ctx.resolve('/'));
      ensure(
        listed.includes('escape'),
        `readdir of the root must list the link "escape", got ${show(listed)}`,
      );
    },
  },
  {
    name: 'symlinks: unlink removes the link, not its target',
    async run(ctx) {
      await ctx.layout();
      await makeSymlink(ctx, '/link-to-file', 'file.txt');
      const link = await ctx.resolve('/link-to-file');
      await succeeds(() => ctx.fs.unlink(link), `unlink(${show(link)})`);
      await failsWithCode(() => ctx.fs.lstat(link), ['ENOENT'], 'lstat() of a removed link');
      const target = await succeeds(
        async () => ctx.fs.stat(await ctx.resolve('/file.txt')),
        "stat() of the link's target after unlinking the link",
      );
      equal(target.size, 13, "the target's size after unlinking the link");
    },
  },
  {
    name: 'stat: a file is S_IFREG with its size and a valid mtime',
    async run(ctx) {
      const before = Date.now();
      await ctx.layout();
      for (const [path, size] of [
        ['/file.txt', 13],
        ['/dir/a.txt', 1],
        ['/dir/sub/b.bin', 1000],
      ] as const) {
        const resolved = await ctx.resolve(path);
        for (const method of ['stat', 'lstat'] as const) {
          const stat = await succeeds(() => ctx.fs[method](resolved), `${method}(${show(resolved)})`);
          checkStatShape(stat, `${method}(${show(resolved)})`);
          ensure(
            isRegularFile(stat),
            `${method}(${show(resolved)}).mode must have the S_IFREG type bits (0o100000), got ${typeName(stat)} (mode 0o${stat.mode.toString(8)})`,
          );
          equal(stat.size, size, `${method}(${show(resolved)}).size`);
        }
      }
      const stat = await ctx.fs.stat(await ctx.resolve('/file.txt'));
      if (ctx.fixture.seed === undefined && stat.mtime.getTime() < before - 5 * 60_000) {
        fail(`stat().mtime of a file written just now must be about now, got ${stat.mtime.toISOString()}`);
      }
    },
  },
  {
    name: 'stat: a directory is S_IFDIR',
    async run(ctx) {
      await ctx.layout();
      for (const path of ['/', '/dir', '/dir/sub', '/empty']) {
        const resolved = await ctx.resolve(path);
        for (const method of ['stat', 'lstat'] as const) {
          const stat = await succeeds(() => ctx.fs[method](resolved), `${method}(${show(resolved)})`);
          checkStatShape(stat, `${method}(${show(resolved)})`);
          ensure(
            isDirectory(stat),
            `${method}(${show(resolved)}).mode must have the S_IFDIR type bits (0o040000), got ${typeName(stat)} (mode 0o${stat.mode.toString(8)})`,
          );
        }
      }
    },
  },
  {
    name: 'stat: a missing path fails with ENOENT',
    async run(ctx) {
      await ctx.layout();
      for (const path of ['/missing', '/dir/missing', '/no/such/dir']) {
        const resolved = await ctx.resolve(path);
        await failsWithCode(() => ctx.fs.stat(resolved), ['ENOENT'], `stat(${show(resolved)})`);
        await failsWithCode(() => ctx.fs.lstat(resolved), ['ENOENT'], `lstat(${show(resolved)})`);
      }
    },
  },
  {
    name: 'stat: a path below a file fails with ENOTDIR',
    async run(ctx) {
      await ctx.layout();
      const below = childPath(await ctx.resolve('/file.txt'), 'child');
      await failsWithCode(
        () => ctx.fs.stat(below),
        ['ENOTDIR'],
        `stat(${show(below)}) (below a regular file)`,
      );
    },
  },
  {
    name: 'readdir: an async iterable of the entry names, without . and ..',
    async run(ctx) {
      await ctx.layout();
      equal(await ctx.names(await ctx.resolve('/')), ['dir', 'empty', 'file.txt'], 'readdir of the root');
      equal(await ctx.names(await ctx.resolve('/dir')), ['a.txt', 'sub'], 'readdir of /dir');
      equal(await ctx.names(await ctx.resolve('/empty')), [], 'readdir of an empty directory');
    },
  },
  {
    name: 'readdir: streams a directory of 300 entries',
    async run(ctx) {
      const names = Array.from({ length: 300 }, (_, i) => `f${String(i).padStart(3, '0')}`);
      await ctx.layout([
        { type: 'directory', path: '/many' },
        ...names.map((name) => ({
          type: 'file' as const,
          path: `/many/${name}`,
          content: Buffer.from(name),
        })),
      ]);
      equal(await ctx.names(await ctx.resolve('/many')), names, 'readdir of a directory with 300 files');
    },
  },
  {
    name: 'readdir: stopping early is clean',
    async run(ctx) {
      await ctx.layout();
      const dir = await ctx.resolve('/dir');
      await succeeds(
        async () => {
          for await (const _ of ctx.fs.readdir(dir)) break;
        },
        `breaking out of readdir(${show(dir)}) after the first name`,
      );
    },
  },
  {
    name: 'readdir: a missing directory fails with ENOENT, a file with ENOTDIR',
    async run(ctx) {
      await ctx.layout();
      const drain = async (path: string): Promise<void> => {
        for await (const _ of ctx.fs.readdir(path)) {
          // drain
        }
      };
      const missing = await ctx.resolve('/missing');
      await failsWithCode(() => drain(missing), ['ENOENT'], `readdir(${show(missing)})`);
      const file = await ctx.resolve('/file.txt');
      await failsWithCode(() => drain(file), ['ENOTDIR'], `readdir(${show(file)}) (a regular file)`);
    },
  },
];
