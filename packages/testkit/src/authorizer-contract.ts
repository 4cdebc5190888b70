/**
 * The authorizer contract as a list of runnable checks.
 *
 * @module
 */
import { performance } from 'node:perf_hooks';
import {
  ALL_PERMISSIONS,
  type Authorizer,
  isAuthenticationFailed,
  type LoginContext,
  type PermissionLetter,
} from '@ftpkit/core';
import { ensure, equal, fail, outcome, show, showError, succeeds } from './assert.js';
import { type CheckDefinition, type ContractCheck, runBody, skipCheck } from './check.js';

/** A per-directory override the author declares, to be checked with `hasPerm(user, letter, path)`. */
export interface ContractOverride {
  /** The directory, as `hasPerm` receives paths (the filesystem's resolved paths). */
  readonly path: string;
  /** The letters that apply there. */
  readonly perm: string;
  /** Covers the whole subtree (true) or the directory and its direct entries (false, default). */
  readonly recursive?: boolean;
}

/** A user the authorizer under test knows. */
export interface ContractUser {
  readonly username: string;
  /** The right password. */
  readonly password: string;
  /** The global permission letters, exactly (e.g. `elr`). */
  readonly perm: string;
  /** The home directory `getHomeDir` must return, when known. */
  readonly home?: string;
  /** Per-directory overrides the user has; checked letter by letter. */
  readonly overrides?: readonly ContractOverride[];
  /** Any password is accepted (anonymous). */
  readonly anyPassword?: boolean;
  /** The expected 230 text, when known. */
  readonly msgLogin?: string;
  /** The expected 221 text, when known. */
  readonly msgQuit?: string;
}

/** What {@link AuthorizerContractOptions.create} may return besides a bare authorizer. */
export interface AuthorizerFixture {
  readonly authorizer: Authorizer;
  cleanup?(): void | Promise<void>;
}

/** Options of the authorizer contract. */
export interface AuthorizerContractOptions {
  /** Builds the authorizer (with `users` in it); called once per check. */
  create(): Authorizer | AuthorizerFixture | Promise<Authorizer | AuthorizerFixture>;
  /** The users it knows. At least one with a password (not `anyPassword`). */
  readonly users: readonly ContractUser[];
  /** A name it does not know. Default `no-such-user-testkit`. */
  readonly unknownUser?: string;
  /** Longest time validateAuthentication may hold the event loop, in ms. Default 250. */
  readonly maxBlockMs?: number;
  /** Checks to skip, by name, each with its reason. */
  readonly skip?: Readonly<Record<string, string>>;
}

interface AuthContext {
  readonly authorizer: Authorizer;
  readonly options: AuthorizerContractOptions;
  readonly unknown: string;
}

const LOGIN: LoginContext = { remoteAddress: '127.0.0.1', remotePort: 50000, sessionId: 'testkit' };

function passwordUsers(options: AuthorizerContractOptions): readonly ContractUser[] {
  return options.users.filter((user) => user.anyPassword !== true);
}

function letters(perm: string): string {
  return [...ALL_PERMISSIONS].filter((letter) => perm.includes(letter)).join('');
}

async function refused(ctx: AuthContext, username: string, password: string, what: string): Promise<string> {
  const result = await outcome(() => ctx.authorizer.validateAuthentication(username, password, LOGIN));
  if (result.ok)
    fail(`validateAuthentication(${show(username)}, ${show(password)}) must reject ${what}, but it accepted`);
  if (!isAuthenticationFailed(result.error)) {
    fail(
      `validateAuthentication(${show(username)}, ...) must reject ${what} with AuthenticationFailed (core logs anything else as a bug), got ${showError(result.error)}`,
      result.error,
    );
  }
  const message = (result.error as Error).message;
  ensure(
    typeof message === 'string' && message.length > 0,
    'an AuthenticationFailed message (sent as "530 <message>") must not be empty',
  );
  return message;
}

/** The letters `hasPerm` must grant on `path`: the deepest covering override decides, else the global ones. */
export function expectedPerm(user: ContractUser, path: string): string {
  let best: ContractOverride | undefined;
  for (const override of user.overrides ?? []) {
    const dir = override.path.replace(/\/+$/, '');
    const inside = path === dir || path.startsWith(`${dir}/`);
    if (!inside) continue;
    const rest = path.slice(dir.length + 1);
    const covers = override.recursive === true || path === dir || !rest.includes('/');
    if (covers && (best === undefined || dir.length > best.path.replace(/\/+$/, '').length)) best = override;
  }
  return best?.perm ?? user.perm;
}

function checkLetters(
  ctx: AuthContext,
  user: ContractUser,
  path: string | undefined,
  expected: string,
  where: string,
): void {
  const granted: string[] = [];
  for (const letter of ALL_PERMISSIONS) {
    let value: unknown;
    try {
      value = ctx.authorizer.hasPerm(user.username, letter as PermissionLetter, path);
    } catch (error) {
      fail(
        `hasPerm(${show(user.username)}, '${letter}'${path === undefined ? '' : `, ${show(path)}`}) must not throw (core treats a throw as "no"), got ${showError(error)}`,
        error,
      );
    }
    ensure(typeof value === 'boolean', `hasPerm() must return a boolean synchronously, got ${show(value)}`);
    if (value) granted.push(letter);
  }
  equal(granted.join(''), letters(expected), `the letters hasPerm() grants ${user.username} ${where}`);
}

const CHECKS: readonly CheckDefinition<AuthContext>[] = [
  {
    name: 'validateAuthentication: accepts each user with the right password',
    async run(ctx) {
      for (const user of ctx.options.users) {
        const password = user.anyPassword === true ? 'any-password@example.com' : user.password;
        await succeeds(
          () => ctx.authorizer.validateAuthentication(user.username, password, LOGIN),
          `validateAuthentication(${show(user.username)}, <the right password>)`,
        );
      }
    },
  },
  {
    name: 'validateAuthentication: rejects a wrong password with AuthenticationFailed',
    async run(ctx) {
      const users = passwordUsers(ctx.options);
      if (users.length === 0) skipCheck('no user with a password');
      for (const user of users) {
        await refused(ctx, user.username, `${user.password}-wrong`, 'a wrong password');
        await refused(ctx, user.username, '', 'an empty password');
        if (user.password.length > 0) {
          await refused(ctx, user.username, user.password.slice(0, -1), 'a truncated password');
          await refused(ctx, user.username, `${user.password} `, 'the password with a trailing space');
          const swapped =
            user.password.toUpperCase() === user.password
              ? user.password.toLowerCase()
              : user.password.toUpperCase();
          if (swapped !== user.password)
            await refused(ctx, user.username, swapped, 'the password in another case');
        }
      }
    },
  },
  {
    name: 'validateAuthentication: rejects an unknown user with AuthenticationFailed',
    async run(ctx) {
      await refused(ctx, ctx.unknown, 'whatever', 'an unknown user');
      const user = passwordUsers(ctx.options)[0];
      if (user !== undefined)
        await refused(ctx, ctx.unknown, user.password, "an unknown user with another user's password");
    },
  },
  {
    name: 'validateAuthentication: an unknown user and a wrong password get the same text',
    async run(ctx) {
      const user = passwordUsers(ctx.options)[0];
      if (user === undefined) skipCheck('no user with a password');
      const wrong = await refused(ctx, user.username, `${user.password}-wrong`, 'a wrong password');
      const unknown = await refused(ctx, ctx.unknown, 'whatever', 'an unknown user');
      equal(
        unknown,
        wrong,
        'the 530 text for an unknown user compared with a wrong password (a difference tells attackers which names exist)',
      );
    },
  },
  {
    name: 'validateAuthentication: does not block the event loop',
    async run(ctx) {
      const limit = ctx.options.maxBlockMs ?? 250;
      const attempts: Array<[string, string]> = [[ctx.unknown, 'x']];
      for (const user of passwordUsers(ctx.options))
        attempts.push([user.username, user.password], [user.username, 'wrong']);
      for (const [username, password] of attempts) {
        let longest = 0;
        let last = performance.now();
        const timer = setInterval(() => {
          const now = performance.now();
          longest = Math.max(longest, now - last);
          last = now;
        }, 1);
        const started = performance.now();
        const pending = outcome(() => ctx.authorizer.validateAuthentication(username, password, LOGIN));
        const synchronous = performance.now() - started;
        await pending;
        clearInterval(timer);
        longest = Math.max(longest, synchronous, performance.now() - last);
        ensure(
          longest <= limit,
          `validateAuthentication(${show(username)}, ...) held the event loop for ${Math.round(longest)} ms (limit ${limit} ms): hash passwords asynchronously, every other session waits meanwhile`,
        );
      }
    },
  },
  {
    name: 'hasUser: true for each user, false for an unknown name',
    async run(ctx) {
      for (const user of ctx.options.users)
        equal(ctx.authorizer.hasUser(user.username), true, `hasUser(${show(user.username)})`);
      equal(ctx.authorizer.hasUser(ctx.unknown), false, `hasUser(${show(ctx.unknown)})`);
    },
  },
  {
    name: 'getHomeDir: a non-empty string for each user',
    async run(ctx) {
      for (const user of ctx.options.users) {
        const home = await succeeds(
          () => ctx.authorizer.getHomeDir(user.username),
          `getHomeDir(${show(user.username)})`,
        );
        ensure(
          typeof home === 'string' && home.length > 0,
          `getHomeDir(${show(user.username)}) must give a non-empty string, got ${show(home)}`,
        );
        if (user.home !== undefined) equal(home, user.home, `getHomeDir(${show(user.username)})`);
      }
    },
  },
  {
    name: 'hasPerm and getPerms: the global letters, one by one',
    async run(ctx) {
      for (const user of ctx.options.users) {
        checkLetters(ctx, user, undefined, user.perm, 'without a path');
        const perms = await succeeds(
          () => ctx.authorizer.getPerms(user.username),
          `getPerms(${show(user.username)})`,
        );
        ensure(typeof perms === 'string', `getPerms() must return a string, got ${show(perms)}`);
        equal(letters(perms), letters(user.perm), `getPerms(${show(user.username)}) (as a set of letters)`);
      }
    },
  },
  {
    name: 'hasPerm: an unknown user holds nothing (false, never a throw)',
    async run(ctx) {
      const ghost: ContractUser = { username: ctx.unknown, password: '', perm: '' };
      checkLetters(ctx, ghost, undefined, '', 'without a path');
      const home = ctx.options.users[0]?.home ?? '/';
      checkLetters(ctx, ghost, home, '', `on ${show(home)}`);
    },
  },
  {
    name: 'hasPerm: per-directory overrides',
    async run(ctx) {
      const users = ctx.options.users.filter((user) => (user.overrides ?? []).length > 0);
      if (users.length === 0) skipCheck('no user declares overrides');
      for (const user of users) {
        for (const override of user.overrides!) {
          const dir = override.path.replace(/\/+$/, '');
          for (const path of [dir, `${dir}/file.txt`, `${dir}/a/b/deep.txt`, `${dir}x`, `${dir}x/file.txt`]) {
            checkLetters(ctx, user, path, expectedPerm(user, path), `on ${show(path)}`);
          }
        }
      }
    },
  },
  {
    name: 'getMsgLogin and getMsgQuit: strings for each user',
    async run(ctx) {
      for (const user of ctx.options.users) {
        for (const [method, expected] of [
          ['getMsgLogin', user.msgLogin],
          ['getMsgQuit', user.msgQuit],
        ] as const) {
          const text = await succeeds(
            () => ctx.authorizer[method](user.username),
            `${method}(${show(user.username)})`,
          );
          ensure(
            typeof text === 'string',
            `${method}(${show(user.username)}) must return a string, got ${show(text)}`,
          );
          if (expected !== undefined) equal(text, expected, `${method}(${show(user.username)})`);
        }
      }
    },
  },
];

/** The names of every authorizer check. */
export function authorizerCheckNames(): string[] {
  return CHECKS.map((check) => check.name);
}

/**
 * Every check of the authorizer contract, ready to run (each calls `options.create()` afresh).
 *
 * @throws TypeError for options without users, or a `skip` naming no check.
 */
export function authorizerChecks(options: AuthorizerContractOptions): ContractCheck[] {
  if (options.users.length === 0)
    throw new TypeError('authorizerChecks: options.users must name at least one user');
  const skip = options.skip ?? {};
  for (const name of Object.keys(skip)) {
    if (!CHECKS.some((check) => check.name === name))
      throw new TypeError(`authorizerChecks: options.skip names no check: "${name}"`);
  }
  return CHECKS.map((definition) => {
    const skipped = skip[definition.name];
    return {
      name: definition.name,
      ...(skipped === undefined ? {} : { skipped }),
      run: async () => {
        let made: Authorizer | AuthorizerFixture;
        try {
          made = await options.create();
        } catch (error) {
          fail(`options.create() failed: ${showError(error)}`, error);
        }
        const fixture: AuthorizerFixture = 'authorizer' in made ? made : { authorizer: made };
        const ctx: AuthContext = {
          authorizer: fixture.authorizer,
          options,
          unknown: options.unknownUser ?? 'no-such-user-testkit',
        };
        try {
          return await runBody(() => definition.run(ctx));
        } finally {
          await fixture.cleanup?.();
        }
      },
    };
  });
}
