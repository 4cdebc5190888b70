import { describeFileSystemContract } from '@ftpkit/testkit';
import { MemoryFileSystem, MemoryVolume } from '../src/index.js';

// The home is a subdirectory, so that a symlink to ".." really leads out of it.
describeFileSystemContract('MemoryFileSystem (home /home/user)', {
  create() {
    const volume = new MemoryVolume({ 'home/user/': {}, 'home/other/secret.txt': 'not yours' });
    const fs = new MemoryFileSystem(volume, '/home/user');
    return {
      fs,
      makeSymlink: async (virtualPath, target) => fs.symlink(target, await fs.resolve(virtualPath)),
    };
  },
});

describeFileSystemContract('MemoryFileSystem (the volume root as home)', {
  create: () => ({ fs: new MemoryFileSystem(new MemoryVolume()) }),
});

describeFileSystemContract('MemoryFileSystem (read-only)', {
  readOnly: true,
  create() {
    const volume = new MemoryVolume();
    return {
      fs: new MemoryFileSystem(volume, '/', { readOnly: true }),
      seed(entries) {
        for (const entry of entries) {
          if (entry.type === 'directory') volume.mkdir(entry.path, { recursive: true });
          else volume.writeFile(entry.path, entry.content);
        }
      },
    };
  },
});
