import * as path from 'node:path';
import { AuthorizerError, isAuthorizerError } from '@ftpkit/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DummyAuthorizer } from '../src/index.js';
import { isSubpath, normcase, PermissionOverrides } from '../src/permission-overrides.js';
import { makeTree, type Tree } from './fixtures.js';

let tree: Tree;
let auth: DummyAuthorizer;

beforeEach(() => {
  tree = makeTree();
  auth = new DummyAuthorizer();
  auth.addUser('bob', 'pw', tree.home, { perm: 'elr' });
});

afterEach(() => {
  vi.restoreAllMocks();
  tree.cleanup();
});

function message(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(isAuthorizerError(error)).toBe(true);
    expect(error).toBeInstanceOf(AuthorizerError);
    return (error as Error).message;
  }
  throw new Error('expected an AuthorizerError');
}

const join = path.join;

describe('overridePerm: validation', () => {
  it('refuses an unknown user', () => {
    expect(message(() => auth.overridePerm('nobody', tree.pub, 'elr'))).toBe('no such user "nobody"');
  });

  it('refuses a missing directory', () => {
    const missing = join(tree.home, 'missing');
    expect(message(() => auth.overridePerm('bob', missing, 'elr'))).toBe(`no such directory: "${missing}"`);
  });

  it('refuses a file', () => {
    const file = join(tree.pub, 'file.txt');
    expect(message(() => auth.overridePerm('bob', file, 'elr'))).toBe(`no such directory: "${file}"`);
  });

  it('refuses the home directory itself, also through a symlink or a trailing separator', () => {
    for (const dir of [tree.home, tree.linkHome, tree.home + path.sep, join(tree.pub, '..')]) {
      expect(message(() => auth.overridePerm('bob', dir, 'elrw'))).toBe(
        "can't override home directory permissions",
      );
    }
  });

  it('refuses directories outside the home, including a sibling sharing its prefix', () => {
    for (const dir of [tree.outside, tree.home2, tree.root, join(tree.pub, '..', '..', 'outside')]) {
      expect(message(() => auth.overridePerm('bob', dir, 'elrw'))).toBe('path escapes user home directory');
    }
  });

  it('refuses unknown letters', () => {
    expect(message(() => auth.overridePerm('bob', tree.pub, 'elrq'))).toBe(
      'no such permission "q" (valid letters: elradfmwMT)',
    );
  });

  it('stores the real path of a directory reached through a symlink', () => {
    auth.overridePerm('bob', join(tree.linkHome, 'pub'), 'elrw', true);
    expect(auth.getPermOverrides('bob')).toEqual([{ directory: tree.pub, perm: 'elrw', recursive: true }]);
  });

  it('replaces an earlier override of the same directory', () => {
    auth.overridePerm('bob', tree.pub, 'elrw');
    auth.overridePerm('bob', join(tree.linkHome, 'pub'), 'e', true);
    expect(auth.getPermOverrides('bob')).toEqual([{ directory: tree.pub, perm: 'e', recursive: true }]);
  });

  it('lists overrides deepest first and defaults to non-recursive', () => {
    auth.overridePerm('bob', tree.pub, 'elr');
    auth.overridePerm('bob', tree.deep, 'elrw');
    auth.overridePerm('bob', tree.sub, 'el');
    expect(auth.getPermOverrides('bob').map((o) => [o.directory, o.recursive])).toEqual([
      [tree.deep, false],
      [tree.sub, false],
      [tree.pub, false],
    ]);
  });

  it('does not warn for anonymous write overrides that are refused', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    auth.addAnonymous(tree.home2);
    expect(message(() => auth.overridePerm('anonymous', tree.home2, 'elrw'))).toBe(
      "can't override home directory permissions",
    );
    expect(message(() => auth.overridePerm('anonymous', tree.pub, 'elrw'))).toBe(
      'path escapes user home directory',
    );
    expect(warn).not.toHaveBeenCalled();
  });

  it('warns for anonymous write overrides that are accepted', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    auth.addAnonymous(tree.home);
    auth.overridePerm('anonymous', tree.pub, 'elr');
    expect(warn).not.toHaveBeenCalled();
    auth.overridePerm('anonymous', tree.sub, 'elrwm');
    expect(warn).toHaveBeenCalledOnce();
    expect(warn).toHaveBeenCalledWith('write permissions assigned to anonymous user.', 'RuntimeWarning');
    expect(auth.hasPerm('anonymous', 'w', join(tree.sub, 'upload.bin'))).toBe(true);
  });
});

describe('hasPerm with a path', () => {
  it('uses the global letters when no override exists', () => {
    expect(auth.hasPerm('bob', 'r', join(tree.pub, 'file.txt'))).toBe(true);
    expect(auth.hasPerm('bob', 'w', join(tree.pub, 'file.txt'))).toBe(false);
    expect(auth.hasPerm('bob', 'e', tree.home)).toBe(true);
  });

  describe('a non-recursive override', () => {
    beforeEach(() => {
      auth.overridePerm('bob', tree.pub, 'elrwd');
    });

    it('covers the directory itself', () => {
      expect(auth.hasPerm('bob', 'w', tree.pub)).toBe(true);
      expect(auth.hasPerm('bob', 'w', tree.pub + path.sep)).toBe(true);
    });

    it('covers the files directly inside it, existing or not', () => {
      expect(auth.hasPerm('bob', 'w', join(tree.pub, 'file.txt'))).toBe(true);
      expect(auth.hasPerm('bob', 'w', join(tree.pub, 'new-upload.bin'))).toBe(true);
    });

    it('covers a subdirectory as an entry (RMD, RNFR, CWD of the subdirectory itself)', () => {
      expect(auth.hasPerm('bob', 'd', tree.sub)).toBe(true);
    });

    it('does not cover anything below a subdirectory', () => {
      expect(auth.hasPerm('bob', 'w', join(tree.sub, 'file.txt'))).toBe(false);
      expect(auth.hasPerm('bob', 'w', tree.deep)).toBe(false);
      expect(auth.hasPerm('bob', 'w', join(tree.deep, 'leaf.txt'))).toBe(false);
      expect(auth.hasPerm('bob', 'r', join(tree.deep, 'leaf.txt'))).toBe(true);
    });

    it('does not cover the parent or a sibling sharing its prefix', () => {
      expect(auth.hasPerm('bob', 'w', tree.home)).toBe(false);
      expect(auth.hasPerm('bob', 'w', join(tree.home, 'top.txt'))).toBe(false);
      expect(auth.hasPerm('bob', 'w', tree.pubx)).toBe(false);
      expect(auth.hasPerm('bob', 'w', join(tree.pubx, 'file.txt'))).toBe(false);
    });

    it('can take letters away as well as add them', () => {
      auth.overridePerm('bob', tree.sub, '');
      expect(auth.hasPerm('bob', 'r', join(tree.sub, 'file.txt'))).toBe(false);
      expect(auth.hasPerm('bob', 'e', tree.sub)).toBe(false);
      expect(auth.hasPerm('bob', 'r', join(tree.deep, 'leaf.txt'))).toBe(true);
    });

    it('leaves the global letters alone', () => {
      expect(auth.hasPerm('bob', 'w')).toBe(false);
      expect(auth.getPerms('bob')).toBe('elr');
    });
  });

  describe('a recursive override', () => {
    beforeEach(() => {
      auth.overridePerm('bob', tree.pub, 'elrw', true);
    });

    it('covers the directory and its whole subtree', () => {
      for (const p of [
        tree.pub,
        join(tree.pub, 'file.txt'),
        tree.sub,
        tree.deep,
        join(tree.deep, 'leaf.txt'),
      ]) {
        expect(auth.hasPerm('bob', 'w', p)).toBe(true);
      }
    });

    it('does not cover the parent or a sibling sharing its prefix', () => {
      expect(auth.hasPerm('bob', 'w', tree.home)).toBe(false);
      expect(auth.hasPerm('bob', 'w', tree.pubx)).toBe(false);
      expect(auth.hasPerm('bob', 'w', join(tree.pubx, 'x', 'y'))).toBe(false);
      expect(auth.hasPerm('bob', 'w', `${tree.pub}x`)).toBe(false);
    });

    it('only letters present in the override are granted', () => {
      expect(auth.hasPerm('bob', 'd', join(tree.deep, 'leaf.txt'))).toBe(false);
    });
  });

  describe('several overrides', () => {
    it('the deepest directory wins, whatever the insertion order', () => {
      auth.overridePerm('bob', tree.deep, 'elr', true);
      auth.overridePerm('bob', tree.pub, 'elrw', true);
      const other = new DummyAuthorizer();
      other.addUser('bob', 'pw', tree.home, { perm: 'elr' });
      other.overridePerm('bob', tree.pub, 'elrw', true);
      other.overridePerm('bob', tree.deep, 'elr', true);
      for (const a of [auth, other]) {
        expect(a.hasPerm('bob', 'w', join(tree.deep, 'leaf.txt'))).toBe(false);
        expect(a.hasPerm('bob', 'w', tree.deep)).toBe(false);
        expect(a.hasPerm('bob', 'w', join(tree.sub, 'file.txt'))).toBe(true);
      }
    });

    it('a deeper non-recursive override that does not cover the path lets a shallower recursive one decide', () => {
      auth.overridePerm('bob', tree.pub, 'elrw', true);
      auth.overridePerm('bob', tree.sub, 'el');
      expect(auth.hasPerm('bob', 'r', join(tree.sub, 'file.txt'))).toBe(false);
      expect(auth.hasPerm('bob', 'w', join(tree.sub, 'file.txt'))).toBe(false);
      expect(auth.hasPerm('bob', 'w', join(tree.deep, 'leaf.txt'))).toBe(true);
      expect(auth.hasPerm('bob', 'r', join(tree.deep, 'leaf.txt'))).toBe(true);
    });

    it('a non-recursive override on a parent does not reach an entry two levels down', () => {
      auth.overridePerm('bob', tree.pub, 'elrw');
      auth.overridePerm('bob', tree.deep, 'elrd');
      expect(auth.hasPerm('bob', 'w', join(tree.sub, 'x'))).toBe(false);
      expect(auth.hasPerm('bob', 'd', join(tree.deep, 'leaf.txt'))).toBe(true);
      expect(auth.hasPerm('bob', 'w', join(tree.deep, 'leaf.txt'))).toBe(false);
    });
  });

  it('normalises the path lexically before matching', () => {
    auth.overridePerm('bob', tree.pub, 'elrw');
    expect(auth.hasPerm('bob', 'w', join(tree.sub, '..', 'file.txt'))).toBe(true);
    expect(auth.hasPerm('bob', 'w', `${tree.pub}${path.sep}${path.sep}file.txt`)).toBe(true);
    expect(auth.hasPerm('bob', 'w', `${tree.pub}${path.sep}..${path.sep}pubx${path.sep}a`)).toBe(false);
  });

  it('a relative path matches no override', () => {
    auth.overridePerm('bob', tree.pub, 'elrw', true);
    expect(auth.hasPerm('bob', 'w', 'pub/file.txt')).toBe(false);
    expect(auth.hasPerm('bob', 'r', 'pub/file.txt')).toBe(true);
  });

  it('overrides are per user', () => {
    auth.addUser('eve', 'pw', tree.home, { perm: 'elr' });
    auth.overridePerm('bob', tree.pub, 'elrw', true);
    expect(auth.hasPerm('bob', 'w', join(tree.pub, 'file.txt'))).toBe(true);
    expect(auth.hasPerm('eve', 'w', join(tree.pub, 'file.txt'))).toBe(false);
  });
});

describe('path helpers', () => {
  const sep = path.sep;
  const a = `${sep}home${sep}user`;

  it('isSubpath compares whole segments', () => {
    expect(isSubpath(a, a)).toBe(true);
    expect(isSubpath(`${a}${sep}x`, a)).toBe(true);
    expect(isSubpath(`${a}2`, a)).toBe(false);
    expect(isSubpath(`${sep}home`, a)).toBe(false);
    expect(isSubpath(`${sep}anything`, sep)).toBe(true);
  });

  it('normcase is the identity on POSIX', () => {
    if (sep === '/') expect(normcase('/Home/User')).toBe('/Home/User');
    else expect(normcase('C:/Home/User')).toBe('c:\\home\\user');
  });

  it('PermissionOverrides.find ignores an empty set and relative paths', () => {
    const overrides = new PermissionOverrides();
    expect(overrides.find(`${a}${sep}x`)).toBeUndefined();
    overrides.set(a, 'e', true);
    expect(overrides.size).toBe(1);
    expect(overrides.find('relative')).toBeUndefined();
    expect(overrides.find(`${a}${sep}x`)).toMatchObject({ directory: a, perm: 'e', recursive: true });
  });
});
