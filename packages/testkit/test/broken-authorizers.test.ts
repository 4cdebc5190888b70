import type { Authorizer, PermissionLetter } from '@ftpkit/core';
import { describe, expect, it } from 'vitest';
import {
  type AuthorizerContractOptions,
  authorizerCheckNames,
  authorizerChecks,
  type ContractUser,
  TestAuthorizer,
} from '../src/index.js';

const USERS = {
  alice: {
    password: 'Secret-1',
    home: '/home/alice',
    perm: 'elradfmwMT',
    overrides: [
      { path: '/home/alice/pub', perm: 'elr' },
      { path: '/home/alice/drop', perm: 'w', recursive: true },
    ],
    msgLogin: 'Welcome, alice.',
  },
  bob: { password: 'hunter2', home: '/home/bob', perm: 'elr' },
  anonymous: { password: '', home: '/pub', perm: 'elr', anyPassword: true },
} as const;

const contractUsers: ContractUser[] = new TestAuthorizer(USERS).contractUsers();

function options(
  patch: (base: TestAuthorizer) => Partial<Authorizer> = () => ({}),
  extra: Partial<AuthorizerContractOptions> = {},
): AuthorizerContractOptions {
  return {
    create() {
      const base = new TestAuthorizer(USERS);
      const overrides = patch(base);
      // A plain object with the base's methods bound, some replaced: the broken authorizer.
      const authorizer: Authorizer = {
        validateAuthentication: base.validateAuthentication.bind(base),
        getHomeDir: base.getHomeDir.bind(base),
        hasUser: base.hasUser.bind(base),
        hasPerm: base.hasPerm.bind(base),
        getPerms: base.getPerms.bind(base),
        getMsgLogin: base.getMsgLogin.bind(base),
        getMsgQuit: base.getMsgQuit.bind(base),
        ...overrides,
      };
      return authorizer;
    },
    users: contractUsers,
    ...extra,
  };
}

async function failure(opts: AuthorizerContractOptions, name: string): Promise<string> {
  const c = authorizerChecks(opts).find((check) => check.name === name);
  if (c === undefined) throw new Error(`no check named ${name}`);
  const result = await c.run().then(
    (r) => `passed (${r.status})`,
    (error: unknown) => error,
  );
  expect(result, `the check "${name}" should fail`).toBeInstanceOf(Error);
  expect((result as Error).name).toBe('ContractViolation');
  return (result as Error).message;
}

describe('the authorizer checks against a correct authorizer', () => {
  it('all pass, TestAuthorizer included', async () => {
    for (const c of authorizerChecks(options())) {
      await expect(c.run(), c.name).resolves.toEqual({ status: 'passed' });
    }
    expect(authorizerChecks(options())).toHaveLength(authorizerCheckNames().length);
  });

  it('skips the override check when no user declares overrides', async () => {
    const c = authorizerChecks({
      ...options(),
      users: contractUsers.map(({ overrides: _, ...user }) => user),
    }).find((check) => check.name === 'hasPerm: per-directory overrides')!;
    await expect(c.run()).resolves.toEqual({ status: 'skipped', reason: 'no user declares overrides' });
  });

  it('needs at least one user', () => {
    expect(() => authorizerChecks({ create: () => new TestAuthorizer({}), users: [] })).toThrow(
      /at least one user/,
    );
  });
});

describe('the authorizer checks catch broken authorizers', () => {
  it('a rejection that is not AuthenticationFailed', async () => {
    const message = await failure(
      options((base) => ({
        async validateAuthentication(u, p, c) {
          await base.validateAuthentication(u, p, c).catch(() => {
            throw new Error('bad password');
          });
        },
      })),
      'validateAuthentication: rejects a wrong password with AuthenticationFailed',
    );
    expect(message).toMatch(
      /must reject a wrong password with AuthenticationFailed \(core logs anything else as a bug\), got Error: bad password/,
    );
  });

  it('an authorizer that accepts any password', async () => {
    const message = await failure(
      options(() => ({ validateAuthentication: async () => {} })),
      'validateAuthentication: rejects a wrong password with AuthenticationFailed',
    );
    expect(message).toMatch(
      /validateAuthentication\('alice', 'Secret-1-wrong'\) must reject a wrong password, but it accepted/,
    );
  });

  it('a case-insensitive password comparison', async () => {
    const message = await failure(
      options((base) => ({
        validateAuthentication: (u, p, c) => {
          const user = USERS[u as keyof typeof USERS];
          return base.validateAuthentication(
            u,
            user !== undefined && p.toLowerCase() === user.password.toLowerCase() ? user.password : p,
            c,
          );
        },
      })),
      'validateAuthentication: rejects a wrong password with AuthenticationFailed',
    );
    expect(message).toMatch(
      /validateAuthentication\('alice', 'SECRET-1'\) must reject the password in another case, but it accepted/,
    );
  });

  it('a password that is trimmed before the comparison', async () => {
    const message = await failure(
      options((base) => ({
        validateAuthentication: (u, p, c) => base.validateAuthentication(u, p.trim(), c),
      })),
      'validateAuthentication: rejects a wrong password with AuthenticationFailed',
    );
    expect(message).toMatch(/must reject the password with a trailing space, but it accepted/);
  });

  it('a different text for unknown users', async () => {
    const { AuthenticationFailed } = await import('@ftpkit/core');
    const message = await failure(
      options((base) => ({
        async validateAuthentication(u, p, c) {
          if (!base.hasUser(u)) throw new AuthenticationFailed('No such user.');
          await base.validateAuthentication(u, p, c);
        },
      })),
      'validateAuthentication: an unknown user and a wrong password get the same text',
    );
    expect(message).toMatch(
      /the 530 text for an unknown user compared with a wrong password .*: expected 'Authentication failed\.', got 'No such user\.'/,
    );
  });

  it('a synchronous password hash that blocks the event loop', async () => {
    const message = await failure(
      options(
        (base) => ({
          validateAuthentication(u, p, c) {
            const until = Date.now() + 150;
            while (Date.now() < until) {
              // a slow, synchronous hash
            }
            return base.validateAuthentication(u, p, c);
          },
        }),
        { maxBlockMs: 60 },
      ),
      'validateAuthentication: does not block the event loop',
    );
    expect(message).toMatch(/held the event loop for \d+ ms \(limit 60 ms\): hash passwords asynchronously/);
  });

  it('hasUser that says yes to everyone', async () => {
    const message = await failure(
      options(() => ({ hasUser: () => true })),
      'hasUser: true for each user, false for an unknown name',
    );
    expect(message).toMatch(/hasUser\('no-such-user-testkit'\): expected false, got true/);
  });

  it('getHomeDir without a value', async () => {
    const message = await failure(
      options(() => ({ getHomeDir: () => '' })),
      'getHomeDir: a non-empty string for each user',
    );
    expect(message).toMatch(/getHomeDir\('alice'\) must give a non-empty string, got ''/);
  });

  it('hasPerm that grants letters the user does not hold', async () => {
    const message = await failure(
      options((base) => ({ hasPerm: (u, p, path) => p === 'w' || base.hasPerm(u, p, path) })),
      'hasPerm and getPerms: the global letters, one by one',
    );
    expect(message).toMatch(/the letters hasPerm\(\) grants bob without a path: expected 'elr', got 'elrw'/);
  });

  it('hasPerm that throws for unknown users', async () => {
    const message = await failure(
      options((base) => ({
        hasPerm: (u: string, p: PermissionLetter, path?: string) => {
          if (!base.hasUser(u)) throw new Error(`no such user ${u}`);
          return base.hasPerm(u, p, path);
        },
      })),
      'hasPerm: an unknown user holds nothing (false, never a throw)',
    );
    expect(message).toMatch(
      /hasPerm\('no-such-user-testkit', 'e'\) must not throw \(core treats a throw as "no"\), got Error: no such user/,
    );
  });

  it('hasPerm that ignores overrides', async () => {
    const message = await failure(
      options((base) => ({ hasPerm: (u, p) => base.hasPerm(u, p) })),
      'hasPerm: per-directory overrides',
    );
    expect(message).toMatch(
      /the letters hasPerm\(\) grants alice on '\/home\/alice\/pub': expected 'elr', got 'elradfmwMT'/,
    );
  });

  it('overrides matched by string prefix (so /pub also covers /pubx)', async () => {
    const message = await failure(
      options(() => ({
        hasPerm: (u, p, path) => {
          if (
            u === 'alice' &&
            path?.startsWith('/home/alice/pub') &&
            !path.slice('/home/alice/pub'.length).includes('/', 1)
          ) {
            return 'elr'.includes(p);
          }
          return new TestAuthorizer(USERS).hasPerm(u, p, path);
        },
      })),
      'hasPerm: per-directory overrides',
    );
    expect(message).toMatch(/grants alice on '\/home\/alice\/pubx': expected 'elradfmwMT', got 'elr'/);
  });

  it('a login message that is not a string', async () => {
    const message = await failure(
      options(() => ({ getMsgLogin: () => 42 as unknown as string })),
      'getMsgLogin and getMsgQuit: strings for each user',
    );
    expect(message).toMatch(/getMsgLogin\('alice'\) must return a string, got 42/);
  });
});
