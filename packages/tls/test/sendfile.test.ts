import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificates, type TestCertificates } from './helpers/certs.js';
import { FtpsClient, readAll } from './helpers/ftps-client.js';
import { type FtpsServer, startFtps } from './helpers/server.js';

let certs: TestCertificates;
let t: FtpsServer | undefined;
const clients: FtpsClient[] = [];

beforeAll(async () => {
  certs = await makeCertificates();
});
afterAll(() => certs.remove());
afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await t?.close();
  t = undefined;
});

/** Core's debug lines about sendfile (one per RETR that tried it). */
const sendfileLines = (server: FtpsServer): string[] =>
  server.logger.at('debug').filter((line) => line.includes('sendfile'));

describe('useSendfile with TLS', () => {
  it('sends PROT P downloads through TLS (streams) and PROT C ones with sendfile', async () => {
    t = await startFtps(certs, {}, { useSendfile: true });
    const content = randomBytes(5 * 1024 * 1024 + 3);
    const path = join(t.root, 'file.bin');
    writeFileSync(path, content);
    const c = await FtpsClient.connect(t.port);
    clients.push(c);
    await c.secureLogin();
    await c.expect('TYPE I', 200);

    const secureRaw = await c.openData();
    expect((await c.send('RETR file.bin')).code).toBe(125);
    const secure = await FtpsClient.secureData(secureRaw, { session: c.session });
    expect((await readAll(secure)).equals(content)).toBe(true);
    expect((await c.reply()).code).toBe(226);
    expect(sendfileLines(t)).toEqual([]);

    await c.expect('PROT C', 200);
    const plain = await c.openData();
    expect((await c.send('RETR file.bin')).code).toBe(125);
    expect((await readAll(plain)).equals(content)).toBe(true);
    expect((await c.reply()).code).toBe(226);
    expect(sendfileLines(t).map((line) => line.replace(/^.*\] /, ''))).toEqual([
      `RETR ${path}: sendfile sent`,
    ]);
  });
});

/** Core's debug lines about direct receive (one per upload that tried it). */
const directLines = (server: FtpsServer): string[] =>
  server.logger.at('debug').filter((line) => line.includes('direct receive'));

/** Writes `data` to a data socket and ends it. */
function sendAll(socket: Duplex, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.end(data, () => resolve());
  });
}

describe('useDirectReceive with TLS', () => {
  it('receives PROT P uploads through TLS (streams) and PROT C ones directly', async () => {
    t = await startFtps(certs, {}, { useDirectReceive: true });
    const content = randomBytes(5 * 1024 * 1024 + 3);
    const path = join(t.root, 'up.bin');
    const c = await FtpsClient.connect(t.port);
    clients.push(c);
    await c.secureLogin();
    await c.expect('TYPE I', 200);

    const secureRaw = await c.openData();
    expect((await c.send('STOR up.bin')).code).toBe(125);
    const secure = await FtpsClient.secureData(secureRaw, { session: c.session });
    await sendAll(secure, content);
    expect((await c.reply()).code).toBe(226);
    expect(readFileSync(path).equals(content)).toBe(true);
    expect(directLines(t)).toEqual([]);

    await c.expect('PROT C', 200);
    const plain = await c.openData();
    expect((await c.send('STOR up.bin')).code).toBe(125);
    await sendAll(plain, content);
    expect((await c.reply()).code).toBe(226);
    expect(readFileSync(path).equals(content)).toBe(true);
    expect(directLines(t).map((line) => line.replace(/^.*\] /, ''))).toEqual([
      `STOR ${path}: direct receive done`,
    ]);
  });
});
