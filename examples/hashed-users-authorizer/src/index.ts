/**
 * An example ftpkit authorizer: users with bcrypt password hashes, read from a JSON file.
 *
 * @packageDocumentation
 */
export {
  HashedUsersAuthorizer,
  type UserOverride,
  type UserRecord,
  type UsersFile,
} from './hashed-users-authorizer.js';
