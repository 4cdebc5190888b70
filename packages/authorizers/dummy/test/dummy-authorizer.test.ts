import * as path from 'node:path';
import {
  AuthenticationFailed,
  type Authorizer,
  AuthorizerError,
  isAuthenticationFailed,
  isAuthorizerError,
  type LoginContext,
} from '@ftpkit/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ANONYMOUS_USER, DummyAuthorizer } from '../src/index.js';
import { makeTree, type Tree } from './fixtures.js';

const context: LoginContext = { remoteAddress: '127.0.0.1', remotePort: 50000, sessionId: 'test' };
const WARNING = 'write permissions assigned to anonymous user.';

let tree: Tree;
let auth: DummyAuthorizer;

beforeEach(() => {
  tree = makeTree();
  auth = new DummyAuthorizer();
});

afterEach(() => {
  vi.restoreAllMocks();
  tree.cleanup();
});

function authorizerError(run: () => unknown): AuthorizerError {
  try {
    run();
  } catch (error) {
    expect(isAuthorizerError(error)).toBe(true);
    expect(error).toBeInstanceOf(AuthorizerError);
    return error as AuthorizerError;
  }
  throw new Error('expected an AuthorizerError');
}

async function authenticationFailure(promise: Promise<void>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(isAuthenticationFailed(error)).toBe(true);
    expect(error).toBeInstanceOf(AuthenticationFailed);
    return (error as AuthenticationFailed).message;
  }
  throw new Error('expected an AuthenticationFailed rejection');
}

function spyWarnings() {
  return vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
}

describe('DummyAuthorizer', () => {
  it('implements the Authorizer contract', () => {
    const contract: Authorizer = auth;
    expect(typeof contract.validateAuthentication).toBe('function');
  });

  it('exposes the pyftpdlib message texts and permission sets', () => {
    expect(auth.msgNoSuchUser).toBe('Authentication failed.');
    expect(auth.msgWrongPassword).toBe('Authentication failed.');
    expect(auth.msgAnonNotAllowed).toBe('Anonymous access not allowed.');
    expect(auth.readPerms).toBe('elr');
    expect(auth.writePerms).toBe('adfmwMT');
    expect(ANONYMOUS_USER).toBe('anonymous');
  });

  describe('addUser', () => {
    it('registers a user with the defaults', () => {
      auth.addUser('bob', 'secret', tree.home);
      expect(auth.hasUser('bob')).toBe(true);
      expect(auth.getHomeDir('bob')).toBe(tree.home);
      expect(auth.getPerms('bob')).toBe('elr');
      expect(auth.getMsgLogin('bob')).toBe('Login successful.');
      expect(auth.getMsgQuit('bob')).toBe('Goodbye.');
    });

    it('takes perm, msgLogin and msgQuit', () => {
      auth.addUser('bob', 'secret', tree.home, { perm: 'elradfmwMT', msgLogin: 'Hi.', msgQuit: 'Bye.' });
      expect(auth.getPerms('bob')).toBe('elradfmwMT');
      expect(auth.getMsgLogin('bob')).toBe('Hi.');
      expect(auth.getMsgQuit('bob')).toBe('Bye.');
    });

    it('accepts an empty permission string', () => {
      auth.addUser('bob', 'secret', tree.home, { perm: '' });
      expect(auth.getPerms('bob')).toBe('');
      expect(auth.hasPerm('bob', 'e')).toBe(false);
    });

    it('stores the real path of a symlinked home directory', () => {
      auth.addUser('bob', 'secret', tree.linkHome);
      expect(auth.getHomeDir('bob')).toBe(tree.home);
    });

    it('normalises the home directory path', () => {
      auth.addUser('bob', 'secret', `${tree.pub}${path.sep}..${path.sep}`);
      expect(auth.getHomeDir('bob')).toBe(tree.home);
    });

    it('refuses a duplicate user', () => {
      auth.addUser('bob', 'secret', tree.home);
      const error = authorizerError(() => auth.addUser('bob', 'other', tree.home2));
      expect(error.message).toBe('user "bob" already exists');
      expect(auth.getHomeDir('bob')).toBe(tree.home);
    });

    it('refuses an empty username', () => {
      expect(authorizerError(() => auth.addUser('', 'secret', tree.home)).message).toBe(
        'username must not be empty',
      );
      expect(auth.hasUser('')).toBe(false);
    });

    it('refuses a missing home directory', () => {
      const missing = path.join(tree.root, 'missing');
      expect(authorizerError(() => auth.addUser('bob', 'secret', missing)).message).toBe(
        `no such directory: "${missing}"`,
      );
      expect(auth.hasUser('bob')).toBe(false);
    });

    it('refuses a home that is not a directory', () => {
      expect(authorizerError(() => auth.addUser('bob', 'secret', tree.file)).message).toBe(
        `no such directory: "${tree.file}"`,
      );
    });

    it('refuses an unknown permission letter and lists the valid ones', () => {
      const error = authorizerError(() => auth.addUser('bob', 'secret', tree.home, { perm: 'elrz' }));
      expect(error.message).toBe('no such permission "z" (valid letters: elradfmwMT)');
      expect(auth.hasUser('bob')).toBe(false);
    });

    it('treats permission letters case-sensitively', () => {
      expect(authorizerError(() => auth.addUser('bob', 'secret', tree.home, { perm: 'E' })).message).toBe(
        'no such permission "E" (valid letters: elradfmwMT)',
      );
    });

    it('does not warn for write letters given to an ordinary user', () => {
      const warn = spyWarnings();
      auth.addUser('bob', 'secret', tree.home, { perm: 'elradfmwMT' });
      expect(warn).not.toHaveBeenCalled();
    });

    it('warns when the user named anonymous is added with write letters', () => {
      const warn = spyWarnings();
      auth.addUser('anonymous', '', tree.home, { perm: 'elrw' });
      expect(warn).toHaveBeenCalledOnce();
      expect(warn).toHaveBeenCalledWith(WARNING, 'RuntimeWarning');
    });
  });

  describe('addAnonymous', () => {
    it('registers the anonymous user with the defaults', () => {
      const warn = spyWarnings();
      auth.addAnonymous(tree.linkHome);
      expect(auth.hasUser('anonymous')).toBe(true);
      expect(auth.getHomeDir('anonymous')).toBe(tree.home);
      expect(auth.getPerms('anonymous')).toBe('elr');
      expect(auth.getMsgLogin('anonymous')).toBe('Login successful.');
      expect(auth.getMsgQuit('anonymous')).toBe('Goodbye.');
      expect(warn).not.toHaveBeenCalled();
    });

    it('takes the same options as addUser', () => {
      auth.addAnonymous(tree.home, { perm: 'el', msgLogin: 'Welcome, guest.', msgQuit: 'So long.' });
      expect(auth.getPerms('anonymous')).toBe('el');
      expect(auth.getMsgLogin('anonymous')).toBe('Welcome, guest.');
      expect(auth.getMsgQuit('anonymous')).toBe('So long.');
    });

    it('emits one RuntimeWarning for write letters, and still adds the user', () => {
      const warn = spyWarnings();
      auth.addAnonymous(tree.home, { perm: 'elradfmwMT' });
      expect(warn).toHaveBeenCalledOnce();
      expect(warn).toHaveBeenCalledWith(WARNING, 'RuntimeWarning');
      expect(auth.hasPerm('anonymous', 'w')).toBe(true);
    });

    it('delivers the warning as a process warning named RuntimeWarning', async () => {
      const received = new Promise<Error>((resolve) => process.once('warning', resolve));
      auth.addAnonymous(tree.home, { perm: 'elrw' });
      const warning = await received;
      expect(warning.name).toBe('RuntimeWarning');
      expect(warning.message).toBe(WARNING);
    });

    it('does not warn when the configuration is refused', () => {
      const warn = spyWarnings();
      authorizerError(() => auth.addAnonymous(path.join(tree.root, 'missing'), { perm: 'elrw' }));
      expect(warn).not.toHaveBeenCalled();
    });

    it('refuses a second anonymous user', () => {
      auth.addAnonymous(tree.home);
      expect(authorizerError(() => auth.addAnonymous(tree.home2)).message).toBe(
        'user "anonymous" already exists',
      );
    });

    it('validates the home directory and the letters', () => {
      expect(authorizerError(() => auth.addAnonymous(tree.file)).message).toBe(
        `no such directory: "${tree.file}"`,
      );
      expect(authorizerError(() => auth.addAnonymous(tree.home, { perm: 'x' })).message).toBe(
        'no such permission "x" (valid letters: elradfmwMT)',
      );
    });
  });

  describe('removeUser', () => {
    it('removes the user and its overrides', () => {
      auth.addUser('bob', 'secret', tree.home, { perm: 'elr' });
      auth.overridePerm('bob', tree.pub, 'elrw');
      auth.removeUser('bob');
      expect(auth.hasUser('bob')).toBe(false);
      expect(auth.hasPerm('bob', 'e')).toBe(false);
      auth.addUser('bob', 'new', tree.home);
      expect(auth.hasPerm('bob', 'w', path.join(tree.pub, 'file.txt'))).toBe(false);
      expect(auth.getPermOverrides('bob')).toEqual([]);
    });

    it('refuses an unknown user', () => {
      expect(authorizerError(() => auth.removeUser('nobody')).message).toBe('no such user "nobody"');
    });
  });

  describe('lookups of unknown users', () => {
    it('hasUser is false', () => {
      expect(auth.hasUser('nobody')).toBe(false);
    });

    it('getHomeDir, getPerms, getMsgLogin, getMsgQuit and getPermOverrides throw', () => {
      for (const lookup of [
        () => auth.getHomeDir('nobody'),
        () => auth.getPerms('nobody'),
        () => auth.getMsgLogin('nobody'),
        () => auth.getMsgQuit('nobody'),
        () => auth.getPermOverrides('nobody'),
      ]) {
        expect(authorizerError(lookup).message).toBe('no such user "nobody"');
      }
    });

    it('hasPerm is false, with or without a path', () => {
      expect(auth.hasPerm('nobody', 'e')).toBe(false);
      expect(auth.hasPerm('nobody', 'e', tree.home)).toBe(false);
    });

    it('usernames are case-sensitive', () => {
      auth.addUser('bob', 'secret', tree.home);
      expect(auth.hasUser('Bob')).toBe(false);
      auth.addUser('Bob', 'secret', tree.home2);
      expect(auth.getHomeDir('Bob')).toBe(tree.home2);
      expect(auth.getHomeDir('bob')).toBe(tree.home);
    });
  });

  describe('hasPerm without a path', () => {
    it('checks the global letters', () => {
      auth.addUser('bob', 'secret', tree.home, { perm: 'elrw' });
      for (const letter of ['e', 'l', 'r', 'w'] as const) expect(auth.hasPerm('bob', letter)).toBe(true);
      for (const letter of ['a', 'd', 'f', 'm', 'M', 'T'] as const) {
        expect(auth.hasPerm('bob', letter)).toBe(false);
      }
    });

    it('refuses anything that is not a single letter, whatever the types say', () => {
      auth.addUser('bob', 'secret', tree.home, { perm: 'elr' });
      const loose = auth as unknown as { hasPerm(user: string, perm: string): boolean };
      expect(loose.hasPerm('bob', 'el')).toBe(false);
      expect(loose.hasPerm('bob', '')).toBe(false);
    });
  });

  describe('validateAuthentication', () => {
    beforeEach(() => {
      auth.addUser('bob', 's3cret', tree.home);
    });

    it('accepts the right password', async () => {
      await expect(auth.validateAuthentication('bob', 's3cret', context)).resolves.toBeUndefined();
    });

    it('refuses a wrong password', async () => {
      expect(await authenticationFailure(auth.validateAuthentication('bob', 'wrong', context))).toBe(
        'Authentication failed.',
      );
    });

    it('refuses passwords that differ in length, case or by a prefix', async () => {
      for (const password of ['', 's3cre', 's3cret ', 'S3CRET', 's3cret\0']) {
        expect(await authenticationFailure(auth.validateAuthentication('bob', password, context))).toBe(
          'Authentication failed.',
        );
      }
    });

    it('refuses an unknown user with the same text', async () => {
      expect(await authenticationFailure(auth.validateAuthentication('alice', 's3cret', context))).toBe(
        'Authentication failed.',
      );
    });

    it('is case-sensitive about usernames', async () => {
      expect(await authenticationFailure(auth.validateAuthentication('BOB', 's3cret', context))).toBe(
        'Authentication failed.',
      );
    });

    it('compares non-ASCII passwords exactly', async () => {
      auth.addUser('zoe', 'pässwörd✓', tree.home2);
      await expect(auth.validateAuthentication('zoe', 'pässwörd✓', context)).resolves.toBeUndefined();
      expect(await authenticationFailure(auth.validateAuthentication('zoe', 'passwort', context))).toBe(
        'Authentication failed.',
      );
    });

    it('accepts an empty password when that is the password', async () => {
      auth.addUser('empty', '', tree.home2);
      await expect(auth.validateAuthentication('empty', '', context)).resolves.toBeUndefined();
      expect(await authenticationFailure(auth.validateAuthentication('empty', 'x', context))).toBe(
        'Authentication failed.',
      );
    });

    it('refuses anonymous when no anonymous user exists', async () => {
      expect(await authenticationFailure(auth.validateAuthentication('anonymous', '', context))).toBe(
        'Anonymous access not allowed.',
      );
    });

    it('accepts anonymous with any password', async () => {
      auth.addAnonymous(tree.home2);
      for (const password of ['', 'guest@example.com', 'whatever']) {
        await expect(auth.validateAuthentication('anonymous', password, context)).resolves.toBeUndefined();
      }
    });

    it('treats Anonymous (another case) as an ordinary, unknown user', async () => {
      auth.addAnonymous(tree.home2);
      expect(await authenticationFailure(auth.validateAuthentication('Anonymous', '', context))).toBe(
        'Authentication failed.',
      );
      expect(await authenticationFailure(auth.validateAuthentication('ANONYMOUS', 'x', context))).toBe(
        'Authentication failed.',
      );
    });

    it('refuses a removed user', async () => {
      auth.removeUser('bob');
      expect(await authenticationFailure(auth.validateAuthentication('bob', 's3cret', context))).toBe(
        'Authentication failed.',
      );
    });

    it('uses the message properties a subclass overrides', async () => {
      class Custom extends DummyAuthorizer {
        override readonly msgWrongPassword = 'Nope.';
        override readonly msgNoSuchUser = 'Who?';
        override readonly msgAnonNotAllowed = 'No guests.';
      }
      const custom = new Custom();
      custom.addUser('bob', 'pw', tree.home);
      expect(await authenticationFailure(custom.validateAuthentication('bob', 'x', context))).toBe('Nope.');
      expect(await authenticationFailure(custom.validateAuthentication('eve', 'x', context))).toBe('Who?');
      expect(await authenticationFailure(custom.validateAuthentication('anonymous', '', context))).toBe(
        'No guests.',
      );
    });
  });

  describe('impersonation', () => {
    it('impersonateUser and terminateImpersonation are no-ops', () => {
      auth.addUser('bob', 'pw', tree.home);
      expect(auth.impersonateUser('bob', 'pw')).toBeUndefined();
      expect(auth.terminateImpersonation('bob')).toBeUndefined();
    });
  });
});
