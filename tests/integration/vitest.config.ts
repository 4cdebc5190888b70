import { defineProject } from 'vitest/config';

export default defineProject({
  extends: true,
  test: { name: '@ftpkit/integration-tests', include: ['test/**/*.test.ts'] },
});
