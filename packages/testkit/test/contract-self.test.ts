import { describeAuthorizerContract, describeFileSystemContract, TestAuthorizer } from '../src/index.js';
import { referenceFixture } from './reference-fs.js';

// The describe* wrappers, end to end: the reference implementations pass through vitest itself.
describeFileSystemContract('ReferenceFs', { create: referenceFixture() });

const authorizer = new TestAuthorizer({
  alice: {
    password: 'pw',
    home: '/home/alice',
    perm: 'elr',
    overrides: [{ path: '/home/alice/up', perm: 'elrw' }],
  },
});
describeAuthorizerContract('TestAuthorizer', { create: () => authorizer, users: authorizer.contractUsers() });
