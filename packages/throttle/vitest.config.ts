import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: '@ftpkit/throttle',
    include: ['test/**/*.test.ts'],
    // The transfer tests wait on the clock (a limit paces them), not on the CPU: run the files side by
    // side even on 2 cores, so the suite takes about as long as its longest file.
    maxWorkers: 4,
    // In a root run these rate measurements go last, in a group of their own, so the CPU-heavy suites
    // of the other packages do not starve the transfers being measured.
    sequence: { groupOrder: 1 },
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
