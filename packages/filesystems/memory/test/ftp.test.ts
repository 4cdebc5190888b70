import { Readable, Writable } from 'node:stream';
import { startTestServer, TestAuthorizer, type TestServer } from '@ftpkit/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryVolume, memoryFileSystem, type UploadEvent } from '../src/index.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function sink(chunks: Buffer[]): Writable {
  return new Writable({
    write(chunk: Buffer, _e, cb) {
      chunks.push(chunk);
      cb();
    },
  });
}

describe('fs-memory behind a real server', () => {
  it('receives uploads into the volume, per-user homes, and serves them back', async () => {
    const volume = new MemoryVolume({ 'home/alice/pub/readme.txt': 'hello from memory\n' });
    const received: UploadEvent[] = [];
    volume.on('file', (event) => received.push(event));
    server = await startTestServer({
      authorizer: new TestAuthorizer({ alice: { password: 'a' }, bob: { password: 'b' } }),
      filesystem: memoryFileSystem(volume, {
        home: ({ username }) => `/home/${username}`,
        ownerOf: ({ username }) => ({ owner: username }),
      }),
    });
    const alice = await server.client('alice', 'a');
    await alice.uploadFrom(Readable.from([Buffer.from('report,1\n')]), 'report.csv');
    expect(volume.readFile('/home/alice/report.csv', 'utf8')).toBe('report,1\n');
    expect(received).toEqual([
      { path: '/home/alice/report.csv', size: 9, bytes: 9, mode: 'truncate', username: 'alice' },
    ]);
    const listing = await alice.list();
    expect(listing.map((e) => e.name).sort()).toEqual(['pub', 'report.csv']);
    // LIST lines carry the owner the factory gave (basic-ftp's list() uses MLSD, so ask STAT).
    expect((await alice.send('STAT report.csv')).message).toMatch(/-rw-r--r-- +1 alice +ftp +9 /);
    const chunks: Buffer[] = [];
    await alice.downloadTo(sink(chunks), 'pub/readme.txt');
    expect(Buffer.concat(chunks).toString()).toBe('hello from memory\n');
    expect(await alice.size('report.csv')).toBe(9);

    const bob = await server.client('bob', 'b');
    expect(await bob.list()).toEqual([]);
    await expect(bob.cd('/../alice')).rejects.toThrow(/550/);
    expect(volume.list('/home')).toEqual(['alice', 'bob']);
  });

  it('answers the errno texts core maps (550) and resumes uploads with REST', async () => {
    const volume = new MemoryVolume({ 'dir/a.txt': 'a' });
    server = await startTestServer({
      authorizer: new TestAuthorizer({ u: { password: 'p' } }),
      filesystem: memoryFileSystem(volume),
    });
    const client = await server.client('u', 'p');
    await expect(client.removeDir('/nope')).rejects.toThrow(/550/);
    await expect(client.send('RMD /dir')).rejects.toThrow(/550 Directory not empty\./);
    await expect(client.send('DELE /dir')).rejects.toThrow(/550 Is a directory\./);
    await expect(client.send('MKD /dir')).rejects.toThrow(/550 File exists\./);
    await client.send('RNFR /dir/a.txt');
    await expect(client.send('RNTO /dir/a.txt/b')).rejects.toThrow(/550 Not a directory\./);
    await client.uploadFrom(Readable.from([Buffer.from('01234')]), 'big.bin');
    await client.uploadFrom(Readable.from([Buffer.from('56789')]), 'big.bin', { localStart: 0 });
    await client.appendFrom(Readable.from([Buffer.from('!')]), 'big.bin');
    expect(volume.readFile('/big.bin', 'utf8')).toBe('56789!');
  });

  it('refuses uploads past the quota', async () => {
    const volume = new MemoryVolume({}, { quota: 64 * 1024 });
    server = await startTestServer({
      authorizer: new TestAuthorizer({ u: { password: 'p' } }),
      filesystem: memoryFileSystem(volume),
    });
    const incomplete: UploadEvent[] = [];
    volume.on('incompleteFile', (event) => incomplete.push(event));
    const first = await server.client('u', 'p');
    const big = Buffer.alloc(256 * 1024, 1);
    // Mid-transfer the write stream fails; core cuts the data connection (the client may see the
    // reset before the reply), and what fit is kept.
    await expect(first.uploadFrom(Readable.from([big]), 'big.bin')).rejects.toThrow();
    await expect.poll(() => incomplete.length).toBe(1);
    expect(volume.used).toBeLessThanOrEqual(64 * 1024);
    // With the volume full, the next upload is refused when the file is opened: 552.
    volume.writeFile('/filler.bin', Buffer.alloc(64 * 1024 - volume.used));
    const second = await server.client('u', 'p');
    await expect(second.uploadFrom(Readable.from([Buffer.from('x')]), 'more.bin')).rejects.toThrow(
      /552 Quota exceeded\./,
    );
  });
});
