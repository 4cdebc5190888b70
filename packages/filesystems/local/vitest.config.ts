import { defineProject } from 'vitest/config';

export default defineProject({
  extends: true,
  test: { name: '@ftpkit/fs-local', include: ['test/**/*.test.ts'] },
});
