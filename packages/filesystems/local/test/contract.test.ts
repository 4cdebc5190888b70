import { mkdtemp, realpath, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describeFileSystemContract } from '@ftpkit/testkit';
import { LocalFileSystem } from '../src/index.js';

// Each fixture is a home inside its own temp directory, so links to ".." lead to a real directory
// outside the home (the temp directory) that nobody else uses.
describeFileSystemContract('LocalFileSystem', {
  async create() {
    const base = await realpath(await mkdtemp(path.join(tmpdir(), 'ftpkit-contract-')));
    const home = path.join(base, 'home');
    const fs = await LocalFileSystem.create(await mkdtemp(`${home}-`));
    return {
      fs,
      cleanup: () => rm(base, { recursive: true, force: true }),
      makeSymlink: (virtualPath, target) => symlink(target, path.join(fs.root, virtualPath)),
    };
  },
});
