import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: '@ftpkit/authorizer-dummy', include: ['test/**/*.test.ts'] },
});
