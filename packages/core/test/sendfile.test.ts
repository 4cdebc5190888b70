import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, connect, createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sendfileSourceOf } from '../src/filesystem.js';
import { loadLinuxSyscalls } from '../src/transfer/linux-syscalls.js';
import { sendFile } from '../src/transfer/sendfile.js';

describe('sendfileSourceOf', () => {
  const stream = (sendfileSource: unknown): Readable => Object.assign(new Readable(), { sendfileSource });

  it('accepts a descriptor and a start offset, and nothing malformed', () => {
    expect(sendfileSourceOf(stream({ fd: 3, start: 0 }))).toEqual({ fd: 3, start: 0 });
    expect(sendfileSourceOf(new Readable())).toBeUndefined();
    for (const bad of [
      null,
      3,
      { fd: -1, start: 0 },
      { fd: 3, start: -1 },
      { fd: 3.5, start: 0 },
      { fd: 3 },
    ]) {
      expect(sendfileSourceOf(stream(bad)), JSON.stringify(bad)).toBeUndefined();
    }
  });
});

describe.runIf(process.platform === 'linux')('sendFile', () => {
  let dir: string;
  let sender: Socket;
  let receiver: Socket;
  const fds: number[] = [];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ftpkit-sendfile-'));
    const listener = createServer({ pauseOnConnect: true });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const accepted = new Promise<Socket>((resolve) => listener.once('connection', resolve));
    receiver = connect((listener.address() as AddressInfo).port, '127.0.0.1');
    sender = await accepted;
    listener.close();
  });
  afterEach(() => {
    sender.destroy();
    receiver.destroy();
    for (const fd of fds.splice(0)) closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  });

  function file(content: Buffer | string): number {
    const path = join(dir, `f${fds.length}`);
    writeFileSync(path, content);
    const fd = openSync(path, 'r');
    fds.push(fd);
    return fd;
  }

  function receiveAll(): Promise<Buffer> {
    const chunks: Buffer[] = [];
    receiver.on('data', (chunk: Buffer) => chunks.push(chunk));
    return new Promise((resolve) => receiver.once('end', () => resolve(Buffer.concat(chunks))));
  }

  it('loads the binding on Linux', async () => {
    expect((await loadLinuxSyscalls()).ok).toBe(true);
  });

  it('sends from the start offset to the end of the file, counting every byte, then ends the socket', async () => {
    const content = randomBytes(20 * 1024 * 1024 + 7);
    const fd = file(content);
    const received = receiveAll();
    let progress = 0;
    const result = await sendFile(
      sender,
      { fd, start: 1234 },
      {
        progress: (n) => {
          progress += n;
        },
        cancelled: () => false,
      },
    );
    expect(result).toEqual({ outcome: 'sent' });
    expect((await received).equals(content.subarray(1234))).toBe(true);
    expect(progress).toBe(content.length - 1234);
  });

  it('answers unsupported, having sent nothing, when the first call fails (EINVAL for a directory)', async () => {
    const fd = openSync(dir, 'r');
    fds.push(fd);
    const result = await sendFile(sender, { fd, start: 0 }, { progress: () => {}, cancelled: () => false });
    expect(result).toEqual({ outcome: 'unsupported', reason: 'sendfile failed with EINVAL' });
    expect(sender.destroyed).toBe(false);
  });

  it('answers unsupported for a socket without a descriptor, and failed for a destroyed one', async () => {
    const fd = file('x');
    const hooks = { progress: () => {}, cancelled: () => false };
    const unconnected = new Socket();
    expect(await sendFile(unconnected, { fd, start: 0 }, hooks)).toEqual({
      outcome: 'unsupported',
      reason: 'the data socket has no descriptor',
    });
    sender.destroy();
    expect(await sendFile(sender, { fd, start: 0 }, hooks)).toMatchObject({
      outcome: 'failed',
      side: 'data',
    });
  });

  it('stops when cancelled while waiting for a full socket to drain', async () => {
    const fd = file(Buffer.alloc(64 * 1024 * 1024));
    let cancelled = false;
    let progress = 0;
    const result = sendFile(
      sender,
      { fd, start: 0 },
      {
        progress: (n) => {
          progress += n;
          // The receiver does not read: once the buffers are full, cancel and wake the loop.
          if (progress > 1024 * 1024 && !cancelled) {
            cancelled = true;
            setTimeout(() => sender.destroy(), 20);
          }
        },
        cancelled: () => cancelled,
      },
    );
    expect(await result).toMatchObject({ outcome: 'failed', side: 'data' });
    expect(progress).toBeLessThan(64 * 1024 * 1024);
  });

  it('reports a connection the peer reset as a data-side failure', async () => {
    const fd = file(Buffer.alloc(64 * 1024 * 1024));
    receiver.resetAndDestroy();
    const result = await sendFile(sender, { fd, start: 0 }, { progress: () => {}, cancelled: () => false });
    expect(result).toMatchObject({ outcome: 'failed', side: 'data' });
  });
});
