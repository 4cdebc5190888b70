import { defineProject } from 'vitest/config';

export default defineProject({
  extends: true,
  test: { name: '@ftpkit/authorizer-dummy', include: ['test/**/*.test.ts'] },
});
