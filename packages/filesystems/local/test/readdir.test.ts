import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalFileSystem } from '../src/index.js';
import { tempDir } from './helpers.js';

async function collect(names: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const name of names) out.push(name);
  return out;
}

describe('readdir', () => {
  it('streams every name of a 1000-entry directory, without . and ..', async () => {
    const root = tempDir();
    const expected: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const name = `file-${String(i).padStart(4, '0')}.txt`;
      writeFileSync(path.join(root, name), '');
      expected.push(name);
    }
    mkdirSync(path.join(root, 'sub'));
    symlinkSync('nowhere', path.join(root, 'dangling'));
    expected.push('sub', 'dangling');
    const names = await collect(new LocalFileSystem(root).readdir(root));
    expect(names.sort()).toEqual(expected.sort());
  });

  it('can be abandoned part-way', async () => {
    const root = tempDir();
    for (let i = 0; i < 600; i++) writeFileSync(path.join(root, `f${i}`), '');
    let seen = 0;
    for await (const _ of new LocalFileSystem(root).readdir(root)) {
      if (++seen === 10) break;
    }
    expect(seen).toBe(10);
  });

  it('lists an empty directory as nothing', async () => {
    const root = tempDir();
    await expect(collect(new LocalFileSystem(root).readdir(root))).resolves.toEqual([]);
  });

  it('rejects with ENOENT for a missing directory and ENOTDIR for a file', async () => {
    const root = tempDir();
    writeFileSync(path.join(root, 'file'), 'x');
    const fs = new LocalFileSystem(root);
    await expect(collect(fs.readdir(path.join(root, 'missing')))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(collect(fs.readdir(path.join(root, 'file')))).rejects.toMatchObject({ code: 'ENOTDIR' });
  });
});
