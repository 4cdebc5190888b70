import { existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { FileSystem } from '@ftpkit/core';
import { describe, expect, it } from 'vitest';
import { DEFAULT_HIGH_WATER_MARK, LocalFileSystem, localFileSystem } from '../src/index.js';
import { tempDir } from './helpers.js';

describe('directory and file operations', () => {
  it('mkdir creates one level only; rmdir removes empty directories only', async () => {
    const root = tempDir();
    const fs = new LocalFileSystem(root);
    await fs.mkdir(path.join(root, 'a'));
    expect(statSync(path.join(root, 'a')).isDirectory()).toBe(true);
    await expect(fs.mkdir(path.join(root, 'a'))).rejects.toMatchObject({ code: 'EEXIST' });
    await expect(fs.mkdir(path.join(root, 'x', 'y'))).rejects.toMatchObject({ code: 'ENOENT' });
    writeFileSync(path.join(root, 'a', 'f'), '');
    await expect(fs.rmdir(path.join(root, 'a'))).rejects.toMatchObject({ code: 'ENOTEMPTY' });
    await expect(fs.rmdir(path.join(root, 'a', 'f'))).rejects.toMatchObject({ code: 'ENOTDIR' });
    await fs.unlink(path.join(root, 'a', 'f'));
    await fs.rmdir(path.join(root, 'a'));
    expect(existsSync(path.join(root, 'a'))).toBe(false);
  });

  it('unlink removes files and links (not their targets), not directories', async () => {
    const root = tempDir();
    const fs = new LocalFileSystem(root);
    writeFileSync(path.join(root, 'target'), 'keep');
    symlinkSync('target', path.join(root, 'link'));
    mkdirSync(path.join(root, 'dir'));
    await fs.unlink(path.join(root, 'link'));
    expect(readFileSync(path.join(root, 'target'), 'utf8')).toBe('keep');
    await expect(fs.unlink(path.join(root, 'dir'))).rejects.toMatchObject({
      code: expect.stringMatching(/EISDIR|EPERM/),
    });
    await expect(fs.unlink(path.join(root, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('rename moves files and directories, replacing a target file', async () => {
    const root = tempDir();
    const fs = new LocalFileSystem(root);
    writeFileSync(path.join(root, 'a'), 'A');
    writeFileSync(path.join(root, 'b'), 'B');
    await fs.rename(path.join(root, 'a'), path.join(root, 'b'));
    expect(readFileSync(path.join(root, 'b'), 'utf8')).toBe('A');
    expect(existsSync(path.join(root, 'a'))).toBe(false);
    mkdirSync(path.join(root, 'd1'));
    await fs.rename(path.join(root, 'd1'), path.join(root, 'd2'));
    expect(statSync(path.join(root, 'd2')).isDirectory()).toBe(true);
    await expect(fs.rename(path.join(root, 'nope'), path.join(root, 'x'))).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });

  it('readlink returns the raw target', async () => {
    const root = tempDir();
    const fs = new LocalFileSystem(root);
    symlinkSync('../some/where', path.join(root, 'link'));
    await expect(fs.readlink(path.join(root, 'link'))).resolves.toBe('../some/where');
    writeFileSync(path.join(root, 'file'), '');
    await expect(fs.readlink(path.join(root, 'file'))).rejects.toMatchObject({ code: 'EINVAL' });
  });

  it('chmod sets permission bits', async () => {
    const root = tempDir();
    const fs = new LocalFileSystem(root);
    const file = path.join(root, 'f');
    writeFileSync(file, '');
    await fs.chmod(file, 0o640);
    expect(statSync(file).mode & 0o7777).toBe(0o640);
    expect((await fs.stat(file)).mode & 0o7777).toBe(0o640);
  });

  it('utimes sets access and modification times', async () => {
    const root = tempDir();
    const fs = new LocalFileSystem(root);
    const file = path.join(root, 'f');
    writeFileSync(file, '');
    const atime = new Date('2021-05-06T07:08:09Z');
    const mtime = new Date('2019-01-02T03:04:05Z');
    await fs.utimes(file, atime, mtime);
    const st = statSync(file);
    expect(st.mtime.getTime()).toBe(mtime.getTime());
    expect(st.atime.getTime()).toBe(atime.getTime());
    expect((await fs.stat(file)).mtime.getTime()).toBe(mtime.getTime());
  });
});

describe('construction', () => {
  it('localFileSystem() builds one filesystem per session, rooted at the home', async () => {
    const home = tempDir();
    const factory = localFileSystem({ highWaterMark: 65_536 });
    const fs: FileSystem = await factory({ username: 'bob', home });
    expect(fs).toBeInstanceOf(LocalFileSystem);
    expect(fs.root).toBe(home);
    expect((fs as LocalFileSystem).highWaterMark).toBe(65_536);
    await expect(fs.resolve('/x')).resolves.toBe(path.join(home, 'x'));
    expect(await factory({ username: 'bob', home })).not.toBe(fs);
  });

  it('defaults to 1 MiB buffers and validates options', () => {
    const root = tempDir();
    expect(new LocalFileSystem(root).highWaterMark).toBe(DEFAULT_HIGH_WATER_MARK);
    expect(DEFAULT_HIGH_WATER_MARK).toBe(1_048_576);
    expect(() => new LocalFileSystem(root, { highWaterMark: 0 })).toThrow(RangeError);
    expect(() => new LocalFileSystem('')).toThrow(TypeError);
  });

  it('makes a relative root absolute', () => {
    expect(new LocalFileSystem('some/dir').root).toBe(path.resolve('some/dir'));
  });
});
