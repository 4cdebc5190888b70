/**
 * `@ftpkit/testkit`: the contract suites every ftpkit plugin runs, and a real test server.
 *
 * @example
 * ```ts
 * import { describeFileSystemContract } from '@ftpkit/testkit';
 * describeFileSystemContract('MyFileSystem', { create: async () => ({ fs: new MyFileSystem(dir) }) });
 * ```
 *
 * @packageDocumentation
 */
export { ContractViolation } from './assert.js';
export {
  type AuthorizerContractOptions,
  type AuthorizerFixture,
  authorizerCheckNames,
  authorizerChecks,
  type ContractOverride,
  type ContractUser,
  expectedPerm,
} from './authorizer-contract.js';
export { type CheckResult, type ContractCheck, SkipCheck } from './check.js';
export { describeAuthorizerContract, describeFileSystemContract } from './describe.js';
export { fileSystemCheckNames, fileSystemChecks } from './filesystem-contract.js';
export {
  type FileSystemContractOptions,
  type FileSystemFixture,
  type FixtureEntry,
  pattern,
  STANDARD_TREE,
} from './fs-fixture.js';
export { startTestServer, type TestServer, type TestServerOptions } from './server.js';
export { TestAuthorizer, type TestUser } from './test-authorizer.js';
