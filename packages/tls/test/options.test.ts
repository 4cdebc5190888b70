import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSecureContext, type TLSSocket } from 'node:tls';
import { DummyAuthorizer } from '@ftpkit/authorizer-dummy';
import { FtpServer, silentLogger } from '@ftpkit/core';
import { localFileSystem } from '@ftpkit/fs-local';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTlsPlugin, resolveTlsOptions } from '../src/index.js';
import { makeCertificates, type TestCertificates } from './helpers/certs.js';
import { type ClientTls, FtpsClient, readAll } from './helpers/ftps-client.js';
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

async function explicitClient(tls: ClientTls = {}): Promise<FtpsClient> {
  const c = await FtpsClient.connect(t!.port);
  clients.push(c);
  await c.auth(tls);
  return c;
}

function peerName(c: FtpsClient): string | undefined {
  const cn = (c.socket as TLSSocket).getPeerCertificate().subject?.CN;
  return Array.isArray(cn) ? cn[0] : cn;
}

describe('construction', () => {
  it('needs a certificate', () => {
    expect(() => createTlsPlugin({})).toThrow('at least certFile must be specified');
    expect(() => resolveTlsOptions({ keyFile: certs.serverKey })).toThrow(
      'at least certFile must be specified',
    );
  });

  it('reports unreadable files and unusable certificates at once', () => {
    expect(() => createTlsPlugin({ certFile: join(certs.dir, 'missing.pem') })).toThrow(
      /^cannot read certFile .*missing\.pem: ENOENT/,
    );
    expect(() => createTlsPlugin({ certFile: certs.serverCert, keyFile: certs.dir })).toThrow(
      /cannot read keyFile/,
    );
    // certFile alone must then hold the key too.
    expect(() => createTlsPlugin({ certFile: certs.serverCert })).toThrow(/invalid TLS certificate or key/);
    expect(() => createTlsPlugin({ certFile: certs.serverCert, keyFile: certs.otherKey })).toThrow(
      /invalid TLS certificate or key \(certFile .*, keyFile .*\)/,
    );
    const garbage = join(certs.dir, 'garbage.pem');
    writeFileSync(garbage, 'not a certificate');
    expect(() => createTlsPlugin({ certFile: garbage, keyFile: certs.serverKey })).toThrow(
      /invalid TLS certificate/,
    );
  });

  it('checks the other options', () => {
    const base = { certFile: certs.serverCombined };
    expect(() => createTlsPlugin({ ...base, sessionReuse: 'always' as 'require' })).toThrow(TypeError);
    expect(() => createTlsPlugin({ ...base, minVersion: 'TLSv9' as 'TLSv1.2' })).toThrow(
      /minVersion must be one of/,
    );
    expect(() => createTlsPlugin({ ...base, minVersion: 'TLSv1.3', maxVersion: 'TLSv1.2' })).toThrow(
      /older than/,
    );
    expect(() => createTlsPlugin({ ...base, tlsControlRequired: 'yes' as unknown as boolean })).toThrow(
      TypeError,
    );
    const context = createSecureContext({
      cert: readFileSync(certs.serverCert),
      key: readFileSync(certs.serverKey),
    });
    expect(() => createTlsPlugin({ secureContext: context as never })).toThrow(/not a tls\.SecureContext/);
  });

  it('has pyftpdlib-like defaults', () => {
    expect(createTlsPlugin({ certFile: certs.serverCombined }).options).toMatchObject({
      keyFile: certs.serverCombined,
      minVersion: 'TLSv1.2',
      sessionReuse: 'require',
      tlsControlRequired: false,
      tlsDataRequired: false,
      requestCert: false,
      rejectUnauthorized: true,
    });
  });

  it('refuses to listen for a server that does not use the plugin', async () => {
    const plugin = createTlsPlugin({ certFile: certs.serverCombined });
    const server = new FtpServer({
      authorizer: new DummyAuthorizer(),
      filesystem: localFileSystem(),
      logger: silentLogger,
    });
    await expect(plugin.listenImplicit(server, { port: 0 })).rejects.toThrow(
      /this TLS plugin in its plugins/,
    );
  });
});

describe('certificates', () => {
  it('takes one file holding certificate and key, or certificates in memory', async () => {
    t = await startFtps(certs, { certFile: certs.serverCombined, keyFile: undefined });
    expect(peerName(await explicitClient())).toBe('localhost');
    await t.close();
    t = await startFtps(certs, {
      certFile: undefined,
      keyFile: undefined,
      secureContext: { cert: readFileSync(certs.otherCert), key: readFileSync(certs.otherKey) },
    });
    expect(peerName(await explicitClient())).toBe('reloaded');
  });

  it('reloads the files: new connections get the new certificate, running sessions go on', async () => {
    const certFile = join(certs.dir, 'live.pem');
    const keyFile = join(certs.dir, 'live.key');
    copyFileSync(certs.serverCert, certFile);
    copyFileSync(certs.serverKey, keyFile);
    t = await startFtps(certs, { certFile, keyFile });
    writeFileSync(join(t.root, 'f.txt'), 'data');
    const before = await FtpsClient.connect(t.port);
    clients.push(before);
    await before.secureLogin();
    expect(peerName(before)).toBe('localhost');

    copyFileSync(certs.otherCert, certFile);
    copyFileSync(certs.otherKey, keyFile);
    t.tls.reloadCertificates();
    expect(peerName(await explicitClient())).toBe('reloaded');
    const implicit = await FtpsClient.connectImplicit(t.implicitPort);
    clients.push(implicit);
    expect(peerName(implicit)).toBe('reloaded');

    // The session that started before the reload still resumes its own TLS session on data connections.
    const raw = await before.openData();
    const secure = FtpsClient.secureData(raw, { session: before.session });
    expect((await before.send('RETR f.txt')).code).toBe(125);
    const data = await readAll(await secure);
    expect(data.toString()).toBe('data');
    expect((await before.reply()).code).toBe(226);
    expect((await secure).resumed).toBe(true);
  });

  it('keeps the certificate in force when a reload fails', async () => {
    const certFile = join(certs.dir, 'fragile.pem');
    copyFileSync(certs.serverCombined, certFile);
    t = await startFtps(certs, { certFile, keyFile: undefined });
    rmSync(certFile);
    expect(() => t!.tls.reloadCertificates()).toThrow(/cannot read certFile/);
    expect(peerName(await explicitClient())).toBe('localhost');
  });

  it.each(['caFile', 'ca'] as const)(
    'verifies client certificates with requestCert and %s',
    async (option) => {
      const trust = option === 'ca' ? { ca: readFileSync(certs.caCert) } : { caFile: certs.caCert };
      t = await startFtps(certs, { requestCert: true, ...trust });
      writeFileSync(join(t.root, 'f.txt'), 'data');
      const clientCert = { cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) };
      const good = await FtpsClient.connect(t.port);
      clients.push(good);
      await good.secureLogin(clientCert);
      const [session] = [...t.server.sessions];
      expect(t.tls.tlsInfo(session!)).toMatchObject({ clientAuthorized: true });
      const raw = await good.openData();
      const secure = FtpsClient.secureData(raw, { session: good.session, ...clientCert });
      expect((await good.send('RETR f.txt')).code).toBe(125);
      expect((await readAll(await secure)).toString()).toBe('data');
      expect((await good.reply()).code).toBe(226);

      for (const tls of [{}, { cert: readFileSync(certs.rogueCert), key: readFileSync(certs.rogueKey) }]) {
        const bad = await FtpsClient.connect(t.port);
        clients.push(bad);
        await bad.reply();
        await bad.expect('AUTH TLS', 234);
        // TLS 1.3 clients finish before the server has judged their certificate: the refusal shows as a
        // closed connection.
        await bad.startTls(tls).catch(() => undefined);
        await bad.waitClosed();
      }
      expect(t.logger.at('warn').filter((line) => line.includes('handshake failed'))).toHaveLength(2);
    },
  );
});

describe('protocol settings', () => {
  it('refuses TLS older than minVersion (TLS 1.2 by default)', async () => {
    t = await startFtps(certs);
    const old = await FtpsClient.connect(t.port);
    clients.push(old);
    await old.reply();
    await old.expect('AUTH TLS', 234);
    await expect(
      old.startTls({ minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' }),
    ).rejects.toThrow();
    await old.waitClosed();
    await t.close();

    t = await startFtps(certs, { minVersion: 'TLSv1.3' });
    const twelve = await FtpsClient.connect(t.port);
    clients.push(twelve);
    await twelve.reply();
    await twelve.expect('AUTH TLS', 234);
    await expect(twelve.startTls({ maxVersion: 'TLSv1.2' })).rejects.toThrow();
    await twelve.waitClosed();
  });

  it('applies ciphers', async () => {
    t = await startFtps(certs, { ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256', maxVersion: 'TLSv1.2' });
    const c = await explicitClient();
    expect((c.socket as TLSSocket).getCipher().name).toBe('ECDHE-ECDSA-AES128-GCM-SHA256');
    expect((c.socket as TLSSocket).getProtocol()).toBe('TLSv1.2');
  });
});
