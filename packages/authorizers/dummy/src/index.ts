/**
 * `@ftpkit/authorizer-dummy`: virtual FTP users held in memory, like pyftpdlib's `DummyAuthorizer`.
 */

export { type AddUserOptions, ANONYMOUS_USER, DummyAuthorizer, type UserLimits } from './dummy-authorizer.js';
export type { PermissionOverride } from './permission-overrides.js';
