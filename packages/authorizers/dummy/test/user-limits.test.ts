import { isAuthorizerError } from '@ftpkit/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DummyAuthorizer } from '../src/index.js';
import { makeTree, type Tree } from './fixtures.js';

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

function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(isAuthorizerError(error)).toBe(true);
    return (error as Error).message;
  }
  throw new Error('expected an AuthorizerError');
}

describe('DummyAuthorizer per-user bandwidth limits', () => {
  it('returns the limits given to addUser', () => {
    auth.addUser('bob', 'pw', tree.home, { readLimit: 65536, writeLimit: 1048576 });
    expect(auth.getUserLimits('bob')).toEqual({ readLimit: 65536, writeLimit: 1048576 });
  });

  it('keeps only the directions that are limited', () => {
    auth.addUser('up', 'pw', tree.home, { readLimit: 1000 });
    auth.addUser('down', 'pw', tree.home, { writeLimit: 2000, readLimit: 0 });
    expect(auth.getUserLimits('up')).toEqual({ readLimit: 1000 });
    expect(auth.getUserLimits('down')).toEqual({ writeLimit: 2000 });
    expect(auth.getUserLimits('down')).not.toHaveProperty('readLimit');
  });

  it('returns undefined for a user without limits (omitted or 0) and for an unknown user', () => {
    auth.addUser('free', 'pw', tree.home);
    auth.addUser('zero', 'pw', tree.home, { readLimit: 0, writeLimit: 0 });
    expect(auth.getUserLimits('free')).toBeUndefined();
    expect(auth.getUserLimits('zero')).toBeUndefined();
    expect(auth.getUserLimits('nobody')).toBeUndefined();
  });

  it('gives addAnonymous the same options', () => {
    auth.addAnonymous(tree.home, { writeLimit: 4096 });
    expect(auth.getUserLimits('anonymous')).toEqual({ writeLimit: 4096 });
  });

  it('returns a frozen record that callers cannot change', () => {
    auth.addUser('bob', 'pw', tree.home, { writeLimit: 10 });
    const limits = auth.getUserLimits('bob')!;
    expect(Object.isFrozen(limits)).toBe(true);
    expect(auth.getUserLimits('bob')).toBe(limits);
  });

  it('forgets the limits with the user', () => {
    auth.addUser('bob', 'pw', tree.home, { writeLimit: 10 });
    auth.removeUser('bob');
    expect(auth.getUserLimits('bob')).toBeUndefined();
  });

  it.each([
    ['readLimit', -1, 'readLimit must be a number of bytes per second >= 0, got -1'],
    ['writeLimit', Number.NaN, 'writeLimit must be a number of bytes per second >= 0, got NaN'],
    [
      'writeLimit',
      Number.POSITIVE_INFINITY,
      'writeLimit must be a number of bytes per second >= 0, got Infinity',
    ],
    ['readLimit', '512K', 'readLimit must be a number of bytes per second >= 0, got 512K'],
  ])('refuses %s = %s and registers nothing', (name, value, message) => {
    const options = { [name]: value } as { readLimit?: number; writeLimit?: number };
    expect(messageOf(() => auth.addUser('bob', 'pw', tree.home, options))).toBe(message);
    expect(auth.hasUser('bob')).toBe(false);
  });
});
