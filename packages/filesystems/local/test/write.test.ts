import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import * as path from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it, vi } from 'vitest';
import { WRITE_BUDGET } from '../src/file-writer.js';
import { FileWriter, LocalFileSystem } from '../src/index.js';
import { nextError, tempDir } from './helpers.js';

const KiB = 1024;
const MiB = 1024 * KiB;

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

async function writeAll(stream: Writable, ...chunks: Array<string | Buffer>): Promise<void> {
  await pipeline(Readable.from(chunks.map((chunk) => Buffer.from(chunk))), stream);
}

describe('openWrite modes', () => {
  it('truncate creates a file, or empties an existing one', async () => {
    const root = tempDir();
    const fs = new LocalFileSystem(root);
    const file = path.join(root, 'f.txt');
    await writeAll(await fs.openWrite(file, { mode: 'truncate' }), 'hello ', 'world');
    expect(readFileSync(file, 'utf8')).toBe('hello world');
    await writeAll(await fs.openWrite(file, { mode: 'truncate' }), 'bye');
    expect(readFileSync(file, 'utf8')).toBe('bye');
    await writeAll(await fs.openWrite(file, { mode: 'truncate' }));
    expect(readFileSync(file, 'utf8')).toBe('');
  });

  it('append creates a file, or adds to its end', async () => {
    const root = tempDir();
    const fs = new LocalFileSystem(root);
    const file = path.join(root, 'f.txt');
    await writeAll(await fs.openWrite(file, { mode: 'append' }), 'one');
    await writeAll(await fs.openWrite(file, { mode: 'append', start: 0 }), '-two', '-three');
    expect(readFileSync(file, 'utf8')).toBe('one-two-three');
  });

  it('offset writes from `start` and keeps the tail', async () => {
    const root = tempDir();
    const fs = new LocalFileSystem(root);
    const file = path.join(root, 'f.txt');
    writeFileSync(file, '0123456789');
    await writeAll(await fs.openWrite(file, { mode: 'offset', start: 3 }), 'ab', 'c');
    expect(readFileSync(file, 'utf8')).toBe('012abc6789');
    await writeAll(await fs.openWrite(file, { mode: 'offset', start: 8 }), 'XYZ');
    expect(readFileSync(file, 'utf8')).toBe('012abc67XYZ');
  });

  it('offset needs an existing file (ENOENT) and creates none', async () => {
    const root = tempDir();
    const fs = new LocalFileSystem(root);
    const file = path.join(root, 'missing.txt');
    await expect(fs.openWrite(file, { mode: 'offset', start: 0 })).rejects.toMatchObject({ code: 'ENOENT' });
    expect(existsSync(file)).toBe(false);
  });

  it('rejects with EISDIR for a directory and ENOENT for a missing parent', async () => {
    const root = tempDir();
    mkdirSync(path.join(root, 'dir'));
    const fs = new LocalFileSystem(root);
    for (const mode of ['truncate', 'append', 'offset'] as const) {
      await expect(fs.openWrite(path.join(root, 'dir'), { mode })).rejects.toMatchObject({ code: 'EISDIR' });
    }
    await expect(fs.openWrite(path.join(root, 'no', 'f'), { mode: 'truncate' })).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });
});

describe('openWrite streaming', () => {
  it('writes many 64 KiB chunks byte for byte, in a few vectored writes of the chunks themselves', async () => {
    const root = tempDir();
    const fs = new LocalFileSystem(root);
    const file = path.join(root, 'big.bin');
    const data = randomBytes(6 * MiB + 12_345);
    const chunks: Buffer[] = [];
    for (let offset = 0; offset < data.length; offset += 64 * KiB)
      chunks.push(data.subarray(offset, offset + 64 * KiB));

    const stream = await fs.openWrite(file, { mode: 'truncate' });
    expect(stream).toBeInstanceOf(FileWriter);
    const writer = stream as FileWriter;
    // One 1 MiB batch being written and the next one queuing.
    expect(writer.writableHighWaterMark).toBe(2 * MiB);
    const writev = vi.spyOn(writer.handle, 'writev');
    let onDiskAtClose = '';
    stream.once('close', () => {
      onDiskAtClose = sha256(readFileSync(file));
    });
    await pipeline(Readable.from(chunks), stream);
    await new Promise((resolve) => setImmediate(resolve));

    expect(sha256(readFileSync(file))).toBe(sha256(data));
    expect(onDiskAtClose).toBe(sha256(data));
    expect(writer.bytesWritten).toBe(data.length);
    // 97 socket-sized chunks became a handful of writes, each of what was queued meanwhile (up to the
    // 2 MiB the queue and the write in progress may hold together), of the chunks themselves: no copies.
    expect(writev.mock.calls.length).toBeGreaterThanOrEqual(3);
    expect(writev.mock.calls.length).toBeLessThanOrEqual(12);
    const written = writev.mock.calls.flatMap(([buffers]) => buffers as Buffer[]);
    expect(written.every((buffer, i) => buffer === chunks[i])).toBe(true);
  });

  it('writes chunks of any size in order, each exactly once and uncopied', async () => {
    const root = tempDir();
    const file = path.join(root, 'mixed.bin');
    const sizes = [1, 3, 8 * KiB - 1, 8 * KiB, 150 * KiB, 17, 64 * KiB - 1, 2, 64 * KiB + 1, 5000, 100 * KiB];
    const chunks: Buffer[] = [];
    for (let round = 0; round < 12; round++) {
      for (const size of sizes) chunks.push(randomBytes(size));
      for (let i = 0; i < 40; i++) chunks.push(randomBytes(1 + ((i * 977 + round * 131) % 3000)));
    }
    const data = Buffer.concat(chunks);
    const writer = (await new LocalFileSystem(root).openWrite(file, {
      mode: 'truncate',
      highWaterMark: 128 * KiB,
    })) as FileWriter;
    const writev = vi.spyOn(writer.handle, 'writev');
    await pipeline(Readable.from(chunks), writer);
    expect(sha256(readFileSync(file))).toBe(sha256(data));
    const buffers = writev.mock.calls.flatMap(([list]) => list as Buffer[]);
    expect(buffers.length).toBe(chunks.length);
    expect(buffers.every((buffer, i) => buffer === chunks[i])).toBe(true);
    expect(writev.mock.calls.length).toBeLessThan(chunks.length / 4);
  });

  it('appends and writes at an offset byte for byte across many small batches', async () => {
    const root = tempDir();
    const file = path.join(root, 'f.bin');
    const head = randomBytes(300 * KiB);
    writeFileSync(file, head);
    const fs = new LocalFileSystem(root, { highWaterMark: 32 * KiB });
    const tail = randomBytes(777 * KiB);
    const pieces = (data: Buffer, step: number): Buffer[] => {
      const out: Buffer[] = [];
      for (let offset = 0; offset < data.length; offset += step)
        out.push(data.subarray(offset, offset + step));
      return out;
    };
    await pipeline(Readable.from(pieces(tail, 41 * KiB + 7)), await fs.openWrite(file, { mode: 'append' }));
    expect(sha256(readFileSync(file))).toBe(sha256(Buffer.concat([head, tail])));
    const patch = randomBytes(200 * KiB + 3);
    await pipeline(
      Readable.from(pieces(patch, 5 * KiB + 1)),
      await fs.openWrite(file, { mode: 'offset', start: 123_457 }),
    );
    const expected = Buffer.concat([head, tail]);
    patch.copy(expected, 123_457);
    expect(sha256(readFileSync(file))).toBe(sha256(expected));
  });

  it('shares the write budget: queues are smaller while many writers are open', async () => {
    const root = tempDir();
    const shared = await open(path.join(root, 'shared.bin'), 'w');
    const make = (highWaterMark = MiB): FileWriter => new FileWriter(shared, { position: 0, highWaterMark });
    const first = make();
    expect(first.writableHighWaterMark).toBe(2 * MiB);
    const crowd = Array.from({ length: 199 }, () => make());
    // The 32nd writer still gets 2 MiB; the 200th gets 64 MiB / 200, about 328 KiB.
    expect(crowd[30]!.writableHighWaterMark).toBe(2 * MiB);
    expect(crowd[198]!.writableHighWaterMark).toBe(Math.floor(WRITE_BUDGET / 200));
    const more = Array.from({ length: 1000 }, () => make());
    // Never below 128 KiB, however many writers.
    expect(more[999]!.writableHighWaterMark).toBe(128 * KiB);
    const all = [first, ...crowd, ...more];
    const closed = all.map((w) => new Promise((resolve) => w.once('close', resolve)));
    for (const writer of all) writer.destroy();
    await Promise.all(closed);
    // Closed writers give their share back, and a writer's own highWaterMark sets its ceiling.
    const after = make();
    expect(after.writableHighWaterMark).toBe(2 * MiB);
    const small = make(100 * KiB);
    expect(small.writableHighWaterMark).toBe(200 * KiB);
    after.destroy();
    small.destroy();
  });

  it('emits finish only once the data is on disk and the descriptor closed, then close', async () => {
    const root = tempDir();
    const file = path.join(root, 'f.bin');
    const stream = (await new LocalFileSystem(root).openWrite(file, { mode: 'truncate' })) as FileWriter;
    const events: string[] = [];
    const done = new Promise<void>((resolve) => {
      stream.once('finish', () => {
        events.push(`finish:${readFileSync(file).length}:${stream.handle.fd}`);
      });
      stream.once('close', () => {
        events.push(`close:${readFileSync(file).length}`);
        resolve();
      });
    });
    stream.write(Buffer.alloc(1000, 1));
    stream.end(Buffer.alloc(24, 2));
    await done;
    expect(events).toEqual(['finish:1024:-1', 'close:1024']);
  });

  it('applies backpressure: write() returns false once the buffer is full, then drains', async () => {
    const root = tempDir();
    const file = path.join(root, 'f.bin');
    const highWaterMark = 256 * KiB;
    const stream = await new LocalFileSystem(root).openWrite(file, { mode: 'truncate', highWaterMark });
    expect(stream.writableHighWaterMark).toBe(2 * highWaterMark);
    const chunk = Buffer.alloc(64 * KiB, 7);
    let accepted = 0;
    while (stream.write(chunk)) {
      accepted++;
      expect(accepted).toBeLessThan(64);
    }
    // The write in progress and the queue behind it count: refused once they reach 2 × highWaterMark.
    expect((accepted + 1) * chunk.length).toBeLessThanOrEqual(2 * highWaterMark + chunk.length);
    expect(stream.writableNeedDrain).toBe(true);
    await new Promise((resolve) => stream.once('drain', resolve));
    await new Promise<void>((resolve, reject) =>
      stream.end((error?: Error | null) => (error ? reject(error) : resolve())),
    );
    expect(readFileSync(file).length).toBe((accepted + 1) * chunk.length);
  });

  it('offset mode keeps writing at the right positions across batches', async () => {
    const root = tempDir();
    const file = path.join(root, 'f.bin');
    const original = randomBytes(3 * MiB);
    writeFileSync(file, original);
    const patch = randomBytes(MiB + 300 * KiB);
    const start = 700 * KiB;
    const stream = await new LocalFileSystem(root, { highWaterMark: 128 * KiB }).openWrite(file, {
      mode: 'offset',
      start,
    });
    const chunks: Buffer[] = [];
    for (let offset = 0; offset < patch.length; offset += 50 * KiB)
      chunks.push(patch.subarray(offset, offset + 50 * KiB));
    await pipeline(Readable.from(chunks), stream);
    const expected = Buffer.from(original);
    patch.copy(expected, start);
    expect(sha256(readFileSync(file))).toBe(sha256(expected));
  });
});

describe('FileWriter errors', () => {
  it.skipIf(!existsSync('/dev/full'))(
    'propagates ENOSPC as a stream error and closes the descriptor',
    async () => {
      const handle = await open('/dev/full', 'w');
      const writer = new FileWriter(handle, { position: null, highWaterMark: 64 * KiB });
      const closed = new Promise((resolve) => writer.once('close', resolve));
      const failure = nextError(writer);
      writer.write(Buffer.alloc(128 * KiB));
      await expect(failure).resolves.toMatchObject({ code: 'ENOSPC' });
      await closed;
      expect(handle.fd).toBe(-1);
    },
  );

  it.skipIf(!existsSync('/dev/full'))(
    'reports an error from the final flush instead of finishing',
    async () => {
      const handle = await open('/dev/full', 'w');
      const writer = new FileWriter(handle, { position: null, highWaterMark: MiB });
      let finished = false;
      writer.once('finish', () => {
        finished = true;
      });
      const failure = nextError(writer);
      writer.end(Buffer.from('x'));
      await expect(failure).resolves.toMatchObject({ code: 'ENOSPC' });
      expect(finished).toBe(false);
      expect(writer.writableFinished).toBe(false);
    },
  );

  it.skipIf(!existsSync('/dev/full'))(
    'fails the queued chunks too when the write in progress fails, and closes the descriptor',
    async () => {
      const handle = await open('/dev/full', 'w');
      const writer = new FileWriter(handle, { position: null, highWaterMark: 64 * KiB });
      const failure = nextError(writer);
      const closed = new Promise((resolve) => writer.once('close', resolve));
      const callbacks: Array<string> = [];
      // The first chunk starts a write at once; the second waits in the queue behind it.
      for (let i = 0; i < 2; i++) {
        writer.write(Buffer.alloc(64 * KiB), (error) =>
          callbacks.push(error ? `failed:${(error as NodeJS.ErrnoException).code}` : 'ok'),
        );
      }
      await expect(failure).resolves.toMatchObject({ code: 'ENOSPC' });
      await closed;
      expect(callbacks).toEqual(['failed:ENOSPC', 'failed:ENOSPC']);
      expect(handle.fd).toBe(-1);
      expect(writer.write(Buffer.from('late'))).toBe(false);
    },
  );

  it('propagates an error from a handle that went bad', async () => {
    const root = tempDir();
    const file = path.join(root, 'f.bin');
    const stream = (await new LocalFileSystem(root).openWrite(file, { mode: 'truncate' })) as FileWriter;
    await stream.handle.close();
    const failure = nextError(stream);
    stream.end(Buffer.from('data'));
    await expect(failure).resolves.toMatchObject({ code: 'EBADF' });
  });

  it('destroy() lets the write in progress finish, closes the descriptor and emits error then close', async () => {
    const root = tempDir();
    const file = path.join(root, 'f.bin');
    const stream = (await new LocalFileSystem(root).openWrite(file, { mode: 'truncate' })) as FileWriter;
    stream.write(Buffer.from('kept on abort'));
    const events: string[] = [];
    const closed = new Promise<void>((resolve) => {
      stream.once('error', (error) => events.push(`error:${error.message}`));
      stream.once('close', () => {
        events.push('close');
        resolve();
      });
    });
    stream.destroy(new Error('aborted'));
    await closed;
    expect(events).toEqual(['error:aborted', 'close']);
    expect(stream.handle.fd).toBe(-1);
    expect(readFileSync(file, 'utf8')).toBe('kept on abort');
  });

  it('destroy() during a write waits for it before closing', async () => {
    const root = tempDir();
    const file = path.join(root, 'f.bin');
    const stream = (await new LocalFileSystem(root, { highWaterMark: 64 * KiB }).openWrite(file, {
      mode: 'truncate',
    })) as FileWriter;
    stream.write(Buffer.alloc(64 * KiB, 1));
    const closed = new Promise((resolve) => stream.once('close', resolve));
    stream.destroy();
    await closed;
    expect(stream.handle.fd).toBe(-1);
  });
});
