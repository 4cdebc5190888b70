import { closeSync, mkdtempSync, openSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { FileStat } from '@ftpkit/core';
import { startTestServer, TestAuthorizer, type TestServer } from '@ftpkit/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LocalFileSystem } from '../src/index.js';

/**
 * fs-local stats listing entries synchronously (see `lstatEntries`), so a big listing must still give
 * the event loop back every few hundred entries: another session's command is answered while the
 * listing runs, not after it. Counted in entries, not in time.
 */

/** Counts the entries stat'ed so far, and calls `onFirstBatch` once, when the listing starts stat'ing. */
class CountingFileSystem extends LocalFileSystem {
  stated = 0;
  onFirstBatch: (() => void) | undefined;

  override async lstatEntries(dir: string, names: readonly string[]): Promise<Array<FileStat | undefined>> {
    const first = this.onFirstBatch;
    this.onFirstBatch = undefined;
    first?.();
    const stats = await super.lstatEntries(dir, names);
    this.stated += names.length;
    return stats;
  }
}

const ENTRIES = 12_000;

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** One directory of {@link ENTRIES} empty files for every test here (making it takes a second or two). */
let root = '';
beforeAll(() => {
  root = realpathSync(mkdtempSync(path.join(tmpdir(), 'ftpkit-fs-local-big-')));
  for (let i = 0; i < ENTRIES; i++) {
    closeSync(openSync(path.join(root, `f${String(i).padStart(5, '0')}`), 'w'));
  }
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/**
 * A raw FTP client that lists `/` on its own thread and reports how many bytes came. It reads the data
 * connection as fast as the server writes, so the server never waits for the socket to drain: only
 * the listing's own turns of the event loop let other sessions in, which is what the test is about.
 */
const LISTER = `
const net = require('node:net');
const { workerData, parentPort } = require('node:worker_threads');
const { port, command } = workerData;
const control = net.connect(port, '127.0.0.1');
control.setEncoding('latin1');
let text = '';
const waiters = [];
control.on('data', (chunk) => {
  text += chunk;
  for (let end = text.indexOf('\\r\\n'); end >= 0; end = text.indexOf('\\r\\n')) {
    const line = text.slice(0, end);
    text = text.slice(end + 2);
    if (/^\\d{3} /.test(line)) waiters.shift()(line);
  }
});
const send = (line) => new Promise((resolve) => { waiters.push(resolve); if (line) control.write(line + '\\r\\n'); });
(async () => {
  await send();
  await send('USER lister');
  await send('PASS p');
  const epsv = await send('EPSV');
  const data = net.connect(Number(/\\|\\|\\|(\\d+)\\|/.exec(epsv)[1]), '127.0.0.1');
  let bytes = 0;
  data.on('data', (chunk) => { bytes += chunk.length; });
  const closed = new Promise((resolve) => data.on('close', resolve));
  const started = await send(command);
  const finished = await send();
  await closed;
  parentPort.postMessage({ started, finished, bytes });
  control.end();
})().catch((error) => parentPort.postMessage({ error: String(error) }));
`;

interface ListerResult {
  started?: string;
  finished?: string;
  bytes?: number;
  error?: string;
}

function listOnAnotherThread(port: number, command: string): Promise<ListerResult> {
  const worker = new Worker(LISTER, { eval: true, workerData: { port, command } });
  return new Promise((resolve, reject) => {
    worker.once('message', (result: ListerResult) => {
      resolve(result);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

describe('a big listing with synchronous lstat batches', () => {
  for (const command of ['LIST', 'MLSD']) {
    it(`lets another session's NOOP through while ${command} of ${ENTRIES} entries runs`, async () => {
      const listed = new CountingFileSystem(root);
      server = await startTestServer({
        authorizer: new TestAuthorizer({ lister: { password: 'p' }, other: { password: 'p' } }),
        filesystem: ({ username }) => (username === 'lister' ? listed : new LocalFileSystem(root)),
      });
      const other = await server.client('other', 'p');
      let answeredAt = -1;
      let noop: Promise<unknown> | undefined;
      listed.onFirstBatch = () => {
        noop = other.send('NOOP').then(() => {
          answeredAt = listed.stated;
        });
      };
      const result = await listOnAnotherThread(server.port, command);
      await noop;
      expect(result.error).toBeUndefined();
      expect(result.started).toMatch(/^(125|150) /);
      expect(result.finished).toMatch(/^226 /);
      expect(result.bytes).toBeGreaterThan(ENTRIES * 10);
      expect(listed.stated).toBe(ENTRIES);
      // The reply came while the listing was still stat'ing: a few batches in, not at its end.
      expect(answeredAt).toBeGreaterThanOrEqual(0);
      expect(answeredAt).toBeLessThanOrEqual(ENTRIES / 4);
    }, 60_000);
  }
});
