import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: '@ftpkit/core', include: ['test/**/*.test.ts'] },
});
