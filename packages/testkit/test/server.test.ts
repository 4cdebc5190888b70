import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, TestAuthorizer, type TestServer } from '../src/index.js';
import { ReferenceFs } from './reference-fs.js';

let server: TestServer | undefined;
let dir: string | undefined;

afterEach(async () => {
  await server?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  server = undefined;
  dir = undefined;
});

describe('startTestServer', () => {
  it('serves a real FTP session on an ephemeral loopback port', async () => {
    dir = await realpath(await mkdtemp(path.join(tmpdir(), 'ftpkit-testkit-server-')));
    const home = dir;
    server = await startTestServer({
      authorizer: new TestAuthorizer({ alice: { password: 'pw', home } }),
      filesystem: ({ home: root }) => new ReferenceFs(root),
    });
    expect(server.host).toBe('127.0.0.1');
    expect(server.port).toBeGreaterThan(0);
    const client = await server.client('alice', 'pw');
    await client.uploadFrom(Readable.from([Buffer.from('hello over ftp')]), 'hello.txt');
    const names = (await client.list()).map((entry) => entry.name);
    expect(names).toEqual(['hello.txt']);
    const chunks: Buffer[] = [];
    await client.downloadTo(
      new Writable({
        write(chunk: Buffer, _e, cb) {
          chunks.push(chunk);
          cb();
        },
      }),
      'hello.txt',
    );
    expect(Buffer.concat(chunks).toString()).toBe('hello over ftp');
  });

  it('rejects the client promise on a failed login, with the 530 text', async () => {
    server = await startTestServer({
      authorizer: new TestAuthorizer({ alice: { password: 'pw' } }),
      filesystem: () => new ReferenceFs('/nonexistent'),
    });
    await expect(server.client('alice', 'wrong')).rejects.toThrow(/530 Authentication failed\./);
  });

  it('passes server options through (banner)', async () => {
    server = await startTestServer({
      authorizer: new TestAuthorizer({ alice: { password: 'pw' } }),
      filesystem: () => new ReferenceFs('/nonexistent'),
      banner: 'testkit banner',
    });
    const { Client } = await import('basic-ftp');
    const client = new Client(5000);
    try {
      const response = await client.connect('127.0.0.1', server.port);
      expect(response.message).toContain('testkit banner');
    } finally {
      client.close();
    }
  });
});
