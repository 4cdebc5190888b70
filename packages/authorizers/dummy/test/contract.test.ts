import * as path from 'node:path';
import { describeAuthorizerContract } from '@ftpkit/testkit';
import { afterAll } from 'vitest';
import { DummyAuthorizer } from '../src/index.js';
import { makeTree } from './fixtures.js';

const tree = makeTree();
afterAll(() => tree.cleanup());

describeAuthorizerContract('DummyAuthorizer', {
  create() {
    const authorizer = new DummyAuthorizer();
    authorizer.addUser('alice', 'Secret-12345', tree.home, { perm: 'elradfmwMT', msgLogin: 'Hi alice.' });
    authorizer.addUser('bob', 'hunter2', tree.home2, { perm: 'elr', msgQuit: 'Bye bob.' });
    authorizer.overridePerm('alice', tree.pub, 'elr', false);
    authorizer.overridePerm('alice', tree.sub, 'elrw', true);
    authorizer.addAnonymous(tree.outside);
    return authorizer;
  },
  users: [
    {
      username: 'alice',
      password: 'Secret-12345',
      perm: 'elradfmwMT',
      home: tree.home,
      msgLogin: 'Hi alice.',
      overrides: [
        { path: tree.pub, perm: 'elr' },
        { path: tree.sub, perm: 'elrw', recursive: true },
      ],
    },
    { username: 'bob', password: 'hunter2', perm: 'elr', home: tree.home2, msgQuit: 'Bye bob.' },
    { username: 'anonymous', password: '', perm: 'elr', home: tree.outside, anyPassword: true },
  ],
});

// A user whose home has no override behaves the same in any directory of it.
describeAuthorizerContract('DummyAuthorizer (no overrides)', {
  create() {
    const authorizer = new DummyAuthorizer();
    authorizer.addUser('carol', 'pw', path.join(tree.home, 'pubx'), { perm: 'elrw' });
    return authorizer;
  },
  users: [{ username: 'carol', password: 'pw', perm: 'elrw', home: tree.pubx }],
});
