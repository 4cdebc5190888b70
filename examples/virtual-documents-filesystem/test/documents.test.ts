import { Writable } from 'node:stream';
import { describeFileSystemContract, startTestServer, TestAuthorizer } from '@ftpkit/testkit';
import { describe, expect, it } from 'vitest';
import { DocumentTree, VirtualDocumentsFileSystem, virtualDocumentsFileSystem } from '../src/index.js';

describeFileSystemContract('VirtualDocumentsFileSystem', {
  readOnly: true,
  create() {
    const tree = new DocumentTree();
    return {
      fs: new VirtualDocumentsFileSystem(tree),
      seed(entries) {
        for (const entry of entries) {
          if (entry.type === 'directory') tree.addDirectory(entry.path);
          // A function, as real documents are: the suite's bytes come back through the renderer.
          else tree.add(entry.path, () => entry.content);
        }
      },
    };
  },
});

describe('VirtualDocumentsFileSystem', () => {
  it('renders a document when it is read, and again once the cache has expired', async () => {
    let renders = 0;
    const tree = new DocumentTree().add('/counter.txt', () => `render ${++renders}\n`);
    const fs = new VirtualDocumentsFileSystem(tree, { cacheMs: 0 });
    expect((await fs.stat('/counter.txt')).size).toBe(9);
    const read = async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of await fs.openRead('/counter.txt')) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString();
    };
    expect(await read()).toBe('render 2\n');
    expect(await read()).toBe('render 3\n');
  });

  it('reports a failing document as EIO with its path', async () => {
    const tree = new DocumentTree().add('/broken.txt', () => {
      throw new Error('database down');
    });
    await expect(new VirtualDocumentsFileSystem(tree).openRead('/broken.txt')).rejects.toMatchObject({
      code: 'EIO',
      message: 'Document /broken.txt unavailable',
    });
  });

  it('refuses a document below another document', () => {
    const tree = new DocumentTree().add('/a.txt', 'a');
    expect(() => tree.add('/a.txt/b.txt', 'b')).toThrow(/"\/a\.txt" is a document/);
    expect(() => tree.add('/../x', 'b')).toThrow(/invalid document path/);
  });

  it('serves generated documents over FTP and refuses uploads', async () => {
    const tree = new DocumentTree()
      .add('/README.txt', 'generated on demand\n')
      .add('/reports/today.csv', () => 'day,count\nmonday,3\n');
    const server = await startTestServer({
      authorizer: new TestAuthorizer({ reader: { password: 'pw', perm: 'elradfmw' } }),
      filesystem: virtualDocumentsFileSystem(tree),
    });
    try {
      const client = await server.client('reader', 'pw');
      expect((await client.list('/reports')).map((e) => [e.name, e.size])).toEqual([['today.csv', 19]]);
      const chunks: Buffer[] = [];
      await client.downloadTo(
        new Writable({
          write(chunk: Buffer, _e, cb) {
            chunks.push(chunk);
            cb();
          },
        }),
        '/reports/today.csv',
      );
      expect(Buffer.concat(chunks).toString()).toBe('day,count\nmonday,3\n');
      await expect(client.send('MKD /new')).rejects.toThrow(/550 Read-only file system\./);
      await expect(client.send('DELE /README.txt')).rejects.toThrow(/550 Read-only file system\./);
    } finally {
      await server.close();
    }
  });
});
