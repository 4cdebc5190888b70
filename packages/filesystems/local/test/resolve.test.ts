import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { isFilesystemError, isPathOutsideRootError } from '@ftpkit/core';
import { describe, expect, it } from 'vitest';
import { isInside, realpathOfPossiblyMissing } from '../src/containment.js';
import { LocalFileSystem } from '../src/index.js';
import { tempDir } from './helpers.js';

function setup(): { base: string; root: string; outside: string; fs: LocalFileSystem } {
  const base = tempDir();
  const root = path.join(base, 'root');
  const outside = path.join(base, 'outside');
  mkdirSync(root);
  mkdirSync(outside);
  writeFileSync(path.join(outside, 'secret.txt'), 'secret');
  return { base, root, outside, fs: new LocalFileSystem(root) };
}

async function refusal(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('LocalFileSystem.resolve: mapping', () => {
  it('maps virtual paths below the root, existing or not', async () => {
    const { root, fs } = setup();
    mkdirSync(path.join(root, 'a'));
    writeFileSync(path.join(root, 'a', 'b.txt'), 'x');
    await expect(fs.resolve('/')).resolves.toBe(root);
    await expect(fs.resolve('/a')).resolves.toBe(path.join(root, 'a'));
    await expect(fs.resolve('/a/b.txt')).resolves.toBe(path.join(root, 'a', 'b.txt'));
    await expect(fs.resolve('/a/new/deeper.txt')).resolves.toBe(path.join(root, 'a', 'new', 'deeper.txt'));
    await expect(fs.resolve('/missing')).resolves.toBe(path.join(root, 'missing'));
  });

  it('drops empty segments and trailing slashes', async () => {
    const { root, fs } = setup();
    await expect(fs.resolve('/a//b/')).resolves.toBe(path.join(root, 'a', 'b'));
  });

  it('keeps odd but legal names (backslash, spaces, leading dots)', async () => {
    const { root, fs } = setup();
    await expect(fs.resolve('/a\\b')).resolves.toBe(path.join(root, 'a\\b'));
    await expect(fs.resolve('/ x /...')).resolves.toBe(path.join(root, ' x ', '...'));
  });

  it('refuses `..` segments, relative paths and NUL bytes', async () => {
    const { fs } = setup();
    const dotdot = await refusal(fs.resolve('/../outside'));
    expect(isPathOutsideRootError(dotdot)).toBe(true);
    expect(isPathOutsideRootError(await refusal(fs.resolve('/a/../../x')))).toBe(true);
    expect(isFilesystemError(await refusal(fs.resolve('relative')))).toBe(true);
    expect(isFilesystemError(await refusal(fs.resolve('')))).toBe(true);
    expect(isFilesystemError(await refusal(fs.resolve('/a\0b')))).toBe(true);
  });

  it('returns the link itself for a symlink inside the root', async () => {
    const { root, fs } = setup();
    writeFileSync(path.join(root, 'a.txt'), 'x');
    mkdirSync(path.join(root, 'dir'));
    symlinkSync('a.txt', path.join(root, 'link.txt'));
    symlinkSync(path.join(root, 'dir'), path.join(root, 'dirlink'));
    await expect(fs.resolve('/link.txt')).resolves.toBe(path.join(root, 'link.txt'));
    await expect(fs.resolve('/dirlink')).resolves.toBe(path.join(root, 'dirlink'));
    await expect(fs.resolve('/dirlink/new.txt')).resolves.toBe(path.join(root, 'dirlink', 'new.txt'));
    expect((await fs.lstat(path.join(root, 'link.txt'))).mode & 0o170000).toBe(0o120000);
  });

  it('allows a dangling symlink whose target would be inside the root', async () => {
    const { root, fs } = setup();
    symlinkSync('not-yet.txt', path.join(root, 'pending'));
    await expect(fs.resolve('/pending')).resolves.toBe(path.join(root, 'pending'));
  });
});

describe('LocalFileSystem.resolve: confinement', () => {
  it('refuses a symlink to a file outside', async () => {
    const { root, outside, fs } = setup();
    symlinkSync(path.join(outside, 'secret.txt'), path.join(root, 'secret'));
    const error = await refusal(fs.resolve('/secret'));
    expect(isPathOutsideRootError(error)).toBe(true);
    expect((error as Error).message).toBe(
      "'/secret' points to a path which is outside the user's root directory.",
    );
  });

  it('refuses a symlink to a directory outside, and everything below it', async () => {
    const { root, outside, fs } = setup();
    symlinkSync(outside, path.join(root, 'escape'));
    expect(isPathOutsideRootError(await refusal(fs.resolve('/escape')))).toBe(true);
    expect(isPathOutsideRootError(await refusal(fs.resolve('/escape/secret.txt')))).toBe(true);
    expect(isPathOutsideRootError(await refusal(fs.resolve('/escape/new.txt')))).toBe(true);
    expect(isPathOutsideRootError(await refusal(fs.resolve('/escape/new/deeper')))).toBe(true);
  });

  it('refuses a relative symlink climbing out', async () => {
    const { root, fs } = setup();
    mkdirSync(path.join(root, 'sub'));
    symlinkSync('../../outside', path.join(root, 'sub', 'up'));
    expect(isPathOutsideRootError(await refusal(fs.resolve('/sub/up/secret.txt')))).toBe(true);
  });

  it('refuses a dangling symlink pointing outside (a STOR through it would create the target)', async () => {
    const { root, outside, fs } = setup();
    symlinkSync(path.join(outside, 'created-by-stor.txt'), path.join(root, 'trap'));
    expect(isPathOutsideRootError(await refusal(fs.resolve('/trap')))).toBe(true);
    // Also through a chain of dangling links and a missing directory.
    symlinkSync('trap2', path.join(root, 'trap1'));
    symlinkSync(path.join(outside, 'missing-dir', 'x'), path.join(root, 'trap2'));
    expect(isPathOutsideRootError(await refusal(fs.resolve('/trap1')))).toBe(true);
  });

  it('resolves a dangling link relative to the real directory holding it', async () => {
    const { root, outside, fs } = setup();
    // root/inner -> outside/dir; outside/dir/dl -> ../x (dangling): the kernel would create outside/x.
    mkdirSync(path.join(outside, 'dir'));
    symlinkSync('../x', path.join(outside, 'dir', 'dl'));
    expect(await realpathOfPossiblyMissing(path.join(outside, 'dir', 'dl'))).toBe(path.join(outside, 'x'));
    symlinkSync(path.join(outside, 'dir'), path.join(root, 'inner'));
    expect(isPathOutsideRootError(await refusal(fs.resolve('/inner/dl')))).toBe(true);
  });

  it('refuses a sibling directory sharing the root as a prefix', async () => {
    const { base, root, fs } = setup();
    mkdirSync(path.join(base, 'root2'));
    writeFileSync(path.join(base, 'root2', 'f.txt'), 'x');
    symlinkSync(path.join(base, 'root2'), path.join(root, 'r2'));
    symlinkSync('../root2/f.txt', path.join(root, 'f2'));
    expect(isPathOutsideRootError(await refusal(fs.resolve('/r2')))).toBe(true);
    expect(isPathOutsideRootError(await refusal(fs.resolve('/r2/new')))).toBe(true);
    expect(isPathOutsideRootError(await refusal(fs.resolve('/f2')))).toBe(true);
  });

  it('allows the root itself, and links back to it', async () => {
    const { root, fs } = setup();
    symlinkSync(root, path.join(root, 'self'));
    symlinkSync('.', path.join(root, 'dot'));
    await expect(fs.resolve('/')).resolves.toBe(root);
    await expect(fs.resolve('/self')).resolves.toBe(path.join(root, 'self'));
    await expect(fs.resolve('/dot/self/x')).resolves.toBe(path.join(root, 'dot', 'self', 'x'));
  });

  it('works when the root is given through a symlink', async () => {
    const { base, root, outside } = setup();
    const alias = path.join(base, 'alias');
    symlinkSync(root, alias);
    writeFileSync(path.join(root, 'a.txt'), 'x');
    symlinkSync(root, path.join(root, 'absolute-self'));
    symlinkSync(outside, path.join(root, 'escape'));
    const fs = new LocalFileSystem(alias);
    expect(fs.root).toBe(alias);
    await expect(fs.realRoot()).resolves.toBe(root);
    await expect(fs.resolve('/a.txt')).resolves.toBe(path.join(root, 'a.txt'));
    await expect(fs.resolve('/absolute-self/a.txt')).resolves.toBe(path.join(root, 'absolute-self', 'a.txt'));
    expect(isPathOutsideRootError(await refusal(fs.resolve('/escape')))).toBe(true);

    const created = await LocalFileSystem.create(alias);
    expect(created.root).toBe(root);
    await expect(created.resolve('/a.txt')).resolves.toBe(path.join(root, 'a.txt'));
  });

  it('checks on every call (no caching of containment)', async () => {
    const { root, outside, fs } = setup();
    mkdirSync(path.join(root, 'box'));
    await expect(fs.resolve('/box/x')).resolves.toBe(path.join(root, 'box', 'x'));
    rmSync(path.join(root, 'box'), { recursive: true });
    symlinkSync(outside, path.join(root, 'box'));
    expect(isPathOutsideRootError(await refusal(fs.resolve('/box/x')))).toBe(true);
  });

  it('propagates ELOOP and ENOTDIR', async () => {
    const { root, fs } = setup();
    symlinkSync('loop2', path.join(root, 'loop1'));
    symlinkSync('loop1', path.join(root, 'loop2'));
    await expect(fs.resolve('/loop1')).rejects.toMatchObject({ code: 'ELOOP' });
    writeFileSync(path.join(root, 'file'), 'x');
    await expect(fs.resolve('/file/child')).rejects.toMatchObject({ code: 'ENOTDIR' });
  });

  it('rejects with ENOENT when the root is missing, and retries later', async () => {
    const { base } = setup();
    const later = path.join(base, 'later');
    const fs = new LocalFileSystem(later);
    await expect(fs.resolve('/')).rejects.toMatchObject({ code: 'ENOENT' });
    mkdirSync(later);
    await expect(fs.resolve('/')).resolves.toBe(later);
    await expect(LocalFileSystem.create(path.join(base, 'never'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('isInside', () => {
  it('compares with a trailing separator', () => {
    expect(isInside('/srv/ftp', '/srv/ftp')).toBe(true);
    expect(isInside('/srv/ftp/a', '/srv/ftp')).toBe(true);
    expect(isInside('/srv/ftp2', '/srv/ftp')).toBe(false);
    expect(isInside('/srv', '/srv/ftp')).toBe(false);
    expect(isInside('/anything', '/')).toBe(true);
  });
});
