import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { isAuthorizerError } from '@ftpkit/core';
import { MemoryVolume, memoryFileSystem } from '@ftpkit/fs-memory';
import { describeAuthorizerContract, startTestServer } from '@ftpkit/testkit';
import bcrypt from 'bcryptjs';
import { afterAll, describe, expect, it } from 'vitest';
import { HashedUsersAuthorizer, type UsersFile } from '../src/index.js';

// Cost 4 keeps the suite fast; use 10-12 in production.
const aliceHash = bcrypt.hashSync('correct horse', 4);
const bobHash = bcrypt.hashSync('Tr0ub4dor&3', 4);

const FILE: UsersFile = {
  users: [
    {
      username: 'alice',
      passwordHash: aliceHash,
      home: 'homes/alice',
      perm: 'elradfmwMT',
      overrides: [
        { directory: 'homes/alice/archive', perm: 'elr', recursive: true },
        { directory: 'homes/alice/inbox', perm: 'elrw' },
      ],
      msgLogin: 'Welcome back, alice.',
    },
    { username: 'bob', passwordHash: bobHash, home: '/srv/ftp/bob' },
  ],
};

const dir = mkdtempSync(path.join(tmpdir(), 'hashed-users-'));
const usersFile = path.join(dir, 'users.json');
writeFileSync(usersFile, JSON.stringify(FILE, null, 2));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('HashedUsersAuthorizer', () => {
  const home = path.join(dir, 'homes/alice');
  describeAuthorizerContract('HashedUsersAuthorizer.fromFile', {
    create: () => HashedUsersAuthorizer.fromFile(usersFile),
    users: [
      {
        username: 'alice',
        password: 'correct horse',
        perm: 'elradfmwMT',
        home: home,
        msgLogin: 'Welcome back, alice.',
        overrides: [
          { path: path.join(home, 'archive'), perm: 'elr', recursive: true },
          { path: path.join(home, 'inbox'), perm: 'elrw' },
        ],
      },
      { username: 'bob', password: 'Tr0ub4dor&3', perm: 'elr', home: '/srv/ftp/bob' },
    ],
  });

  it('names the file and the field of a malformed record', async () => {
    const bad = path.join(dir, 'bad.json');
    await writeFile(
      bad,
      JSON.stringify({ users: [{ username: 'eve', passwordHash: 'plaintext', home: '/x' }] }),
    );
    const error = await HashedUsersAuthorizer.fromFile(bad).catch((e: unknown) => e);
    expect(isAuthorizerError(error)).toBe(true);
    expect((error as Error).message).toBe(`${bad}: user "eve": passwordHash must be a bcrypt hash ($2b$...)`);
    await writeFile(bad, '{ not json');
    await expect(HashedUsersAuthorizer.fromFile(bad)).rejects.toThrow(/bad\.json: .*JSON/);
    await writeFile(
      bad,
      JSON.stringify({ users: [{ username: 'x', passwordHash: aliceHash, home: '/', perm: 'elrz' }] }),
    );
    await expect(HashedUsersAuthorizer.fromFile(bad)).rejects.toThrow(/no such permission "z"/);
  });

  it('logs a user in over FTP', async () => {
    const authorizer = await HashedUsersAuthorizer.fromFile(usersFile);
    const volume = new MemoryVolume();
    const server = await startTestServer({
      authorizer,
      filesystem: memoryFileSystem(volume, { home: '/alice' }),
    });
    try {
      await expect(server.client('alice', 'wrong')).rejects.toThrow(/530 Authentication failed\./);
      const client = await server.client('alice', 'correct horse');
      await client.uploadFrom(Readable.from(['hi']), 'hi.txt');
      expect(volume.readFile('/alice/hi.txt', 'utf8')).toBe('hi');
    } finally {
      await server.close();
    }
  });
});
