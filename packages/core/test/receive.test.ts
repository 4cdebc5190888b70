import { type AddressInfo, connect, createServer, Socket } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type SyncWritable, syncWritableOf } from '../src/filesystem.js';
import { receiveFile, SLOW_WRITE_MS } from '../src/transfer/receive.js';

/** A sink that keeps copies of what `writeSync` got (and can fail or be slow on a given call). */
class Sink extends Writable implements SyncWritable {
  readonly chunks: Buffer[] = [];
  constructor(private readonly failAt = -1) {
    super();
  }
  writeSync(chunk: Uint8Array): void {
    if (this.chunks.length === this.failAt) {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    }
    this.chunks.push(Buffer.from(chunk));
  }
  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

describe('syncWritableOf', () => {
  it('finds writeSync, and nothing on plain streams', () => {
    const sink = new Sink();
    expect(syncWritableOf(sink)).toBe(sink);
    expect(syncWritableOf(new Writable())).toBeUndefined();
    expect(syncWritableOf(Object.assign(new Writable(), { writeSync: 1 }))).toBeUndefined();
  });
});

describe.runIf(process.platform === 'linux')('receiveFile', () => {
  let sender: Socket;
  let receiver: Socket;

  beforeEach(async () => {
    const listener = createServer({ pauseOnConnect: true });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const accepted = new Promise<Socket>((resolve) => listener.once('connection', resolve));
    sender = connect((listener.address() as AddressInfo).port, '127.0.0.1');
    receiver = await accepted;
    listener.close();
  });
  afterEach(() => {
    sender.destroy();
    receiver.destroy();
  });

  const hooks = (counted: { bytes: number }, now?: () => number) => ({
    progress: (n: number) => {
      counted.bytes += n;
    },
    cancelled: () => false,
    ...(now === undefined ? {} : { now }),
  });

  it('takes every byte in order until the peer shuts down, reading at most bufferSize at once', async () => {
    const data = Buffer.alloc(3 * 1024 * 1024 + 5);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 0xff;
    sender.end(data);
    const sink = new Sink();
    const counted = { bytes: 0 };
    const result = await receiveFile(receiver, sink, 100_000, hooks(counted));
    expect(result).toEqual({ outcome: 'received' });
    expect(sink.bytes.equals(data)).toBe(true);
    expect(counted.bytes).toBe(data.length);
    expect(Math.max(...sink.chunks.map((c) => c.length))).toBeLessThanOrEqual(100_000);
  });

  it('reports a failing write as the file side, and stops reading', async () => {
    sender.write(Buffer.alloc(512 * 1024, 1));
    const sink = new Sink(0);
    const result = await receiveFile(receiver, sink, 64 * 1024, hooks({ bytes: 0 }));
    expect(result).toMatchObject({ outcome: 'failed', side: 'file', error: { code: 'ENOSPC' } });
  });

  it('hands the upload back after two slow writes, leaving the rest in the socket', async () => {
    sender.write(Buffer.alloc(4 * 1024 * 1024, 2));
    let clock = 0;
    const sink = new Sink();
    const originalWrite = sink.writeSync.bind(sink);
    sink.writeSync = (chunk) => {
      clock += SLOW_WRITE_MS + 1;
      originalWrite(chunk);
    };
    const result = await receiveFile(
      receiver,
      sink,
      64 * 1024,
      hooks({ bytes: 0 }, () => clock),
    );
    expect(result).toMatchObject({ outcome: 'slow' });
    expect(sink.chunks).toHaveLength(2);
  });

  it('fails with the data side when the peer resets the connection', async () => {
    receiver.on('error', () => {});
    sender.write(Buffer.alloc(64 * 1024, 3), () => sender.resetAndDestroy());
    const sink = new Sink();
    const result = await receiveFile(receiver, sink, 1024 * 1024, hooks({ bytes: 0 }));
    expect(result).toMatchObject({ outcome: 'failed', side: 'data' });
  });

  it('is unsupported on a socket without a descriptor', async () => {
    const result = await receiveFile(new Socket(), new Sink(), 1024, hooks({ bytes: 0 }));
    expect(result).toMatchObject({ outcome: 'unsupported' });
  });
});
