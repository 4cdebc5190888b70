/**
 * {@link TestAuthorizer}: virtual users for tests, with homes that need not exist on disk (a memory
 * volume path, say) and optional per-directory overrides.
 *
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import {
  AuthenticationFailed,
  type Authorizer,
  AuthorizerError,
  isPermissionLetter,
  type LoginContext,
  type PermissionLetter,
} from '@ftpkit/core';
import { type ContractOverride, type ContractUser, expectedPerm } from './authorizer-contract.js';

/** A user of a {@link TestAuthorizer}. */
export interface TestUser {
  readonly password: string;
  /** The home directory, taken as given (nothing is checked on disk). Default `/`. */
  readonly home?: string;
  /** Global permission letters. Default `elradfmwMT` (everything: it is a test). */
  readonly perm?: string;
  /** Per-directory overrides, matched lexically against `hasPerm`'s path. */
  readonly overrides?: readonly ContractOverride[];
  readonly msgLogin?: string;
  readonly msgQuit?: string;
  /** Accept any password. */
  readonly anyPassword?: boolean;
}

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/** An {@link Authorizer} over a fixed table of users; for tests only (passwords are plain in memory). */
export class TestAuthorizer implements Authorizer {
  readonly #users: ReadonlyMap<
    string,
    Required<Pick<TestUser, 'home' | 'perm' | 'msgLogin' | 'msgQuit'>> & TestUser
  >;

  /** @param users - username to {@link TestUser}. */
  constructor(users: Readonly<Record<string, TestUser>>) {
    const map = new Map<
      string,
      Required<Pick<TestUser, 'home' | 'perm' | 'msgLogin' | 'msgQuit'>> & TestUser
    >();
    for (const [username, user] of Object.entries(users)) {
      const perm = user.perm ?? 'elradfmwMT';
      for (const letter of [perm, ...(user.overrides ?? []).map((o) => o.perm)].join('')) {
        if (!isPermissionLetter(letter)) throw new AuthorizerError(`no such permission "${letter}"`);
      }
      map.set(username, { home: '/', msgLogin: 'Login successful.', msgQuit: 'Goodbye.', ...user, perm });
    }
    this.#users = map;
  }

  /** The users in the shape `describeAuthorizerContract` takes. */
  contractUsers(): ContractUser[] {
    return [...this.#users].map(([username, user]) => ({
      username,
      password: user.password,
      perm: user.perm,
      home: user.home,
      msgLogin: user.msgLogin,
      msgQuit: user.msgQuit,
      ...(user.overrides === undefined ? {} : { overrides: user.overrides }),
      ...(user.anyPassword === undefined ? {} : { anyPassword: user.anyPassword }),
    }));
  }

  async validateAuthentication(username: string, password: string, _context?: LoginContext): Promise<void> {
    const user = this.#users.get(username);
    const matches = timingSafeEqual(digest(user?.password ?? ''), digest(password));
    if (user === undefined || (!matches && user.anyPassword !== true)) {
      throw new AuthenticationFailed('Authentication failed.');
    }
  }

  getHomeDir(username: string): string {
    return this.#user(username).home;
  }

  hasUser(username: string): boolean {
    return this.#users.has(username);
  }

  hasPerm(username: string, perm: PermissionLetter, path?: string): boolean {
    const user = this.#users.get(username);
    if (user === undefined) return false;
    const letters = path === undefined ? user.perm : expectedPerm({ username, ...user }, path);
    return letters.includes(perm);
  }

  getPerms(username: string): string {
    return this.#user(username).perm;
  }

  getMsgLogin(username: string): string {
    return this.#user(username).msgLogin;
  }

  getMsgQuit(username: string): string {
    return this.#user(username).msgQuit;
  }

  #user(username: string) {
    const user = this.#users.get(username);
    if (user === undefined) throw new AuthorizerError(`no such user "${username}"`);
    return user;
  }
}
