/**
 * The vitest wrappers: one call in a test file turns a contract into a `describe` block with one test
 * per check.
 *
 * @module
 */
import { describe, it } from 'vitest';
import { type AuthorizerContractOptions, authorizerChecks } from './authorizer-contract.js';
import type { ContractCheck } from './check.js';
import { fileSystemChecks } from './filesystem-contract.js';
import type { FileSystemContractOptions } from './fs-fixture.js';

function declare(title: string, checks: readonly ContractCheck[]): void {
  describe(title, () => {
    for (const check of checks) {
      if (check.skipped !== undefined) {
        it.skip(`${check.name} (skipped: ${check.skipped})`, () => {});
        continue;
      }
      it(check.name, async (context) => {
        const result = await check.run();
        if (result.status === 'skipped') context.skip(result.reason);
      });
    }
  });
}

/**
 * Declares the filesystem contract for `name` in the current vitest file: one test per behaviour core
 * relies on.
 *
 * @example
 * ```ts
 * describeFileSystemContract('MyFileSystem', {
 *   async create() {
 *     const dir = await mkdtemp(join(tmpdir(), 'my-fs-'));
 *     return {
 *       fs: new MyFileSystem(dir),
 *       cleanup: () => rm(dir, { recursive: true, force: true }),
 *       makeSymlink: (path, target) => symlink(target, join(dir, path)),
 *     };
 *   },
 * });
 * ```
 */
export function describeFileSystemContract(name: string, options: FileSystemContractOptions): void {
  declare(`${name} (FileSystem contract)`, fileSystemChecks(options));
}

/**
 * Declares the authorizer contract for `name` in the current vitest file.
 *
 * @example
 * ```ts
 * describeAuthorizerContract('MyAuthorizer', {
 *   create: () => new MyAuthorizer(config),
 *   users: [{ username: 'alice', password: 'secret', perm: 'elr', home: '/srv/alice' }],
 * });
 * ```
 */
export function describeAuthorizerContract(name: string, options: AuthorizerContractOptions): void {
  declare(`${name} (Authorizer contract)`, authorizerChecks(options));
}
