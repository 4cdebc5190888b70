import { defineProject } from 'vitest/config';

export default defineProject({
  extends: true,
  test: { name: '@ftpkit/core', include: ['test/**/*.test.ts'] },
});
