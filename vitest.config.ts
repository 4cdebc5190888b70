import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Config files, not folders: a folder glob would also match packages/filesystems itself and run its
    // packages' tests twice.
    projects: [
      'packages/*/vitest.config.ts',
      'packages/*/*/vitest.config.ts',
      'apps/*/vitest.config.ts',
      'tests/*/vitest.config.ts',
      'examples/*/vitest.config.ts',
      'bench/vitest.config.ts',
    ],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    teardownTimeout: 10_000,
  },
});
