import type { Session } from '@ftpkit/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificates, type TestCertificates } from './helpers/certs.js';
import { FtpsClient } from './helpers/ftps-client.js';
import { type FtpsServer, sleep, startFtps } from './helpers/server.js';

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

async function server(options: Parameters<typeof startFtps>[1] = {}): Promise<FtpsServer> {
  t = await startFtps(certs, options);
  return t;
}

async function client(port = t!.port): Promise<FtpsClient> {
  const c = await FtpsClient.connect(port);
  clients.push(c);
  return c;
}

async function implicitClient(): Promise<FtpsClient> {
  const c = await FtpsClient.connectImplicit(t!.implicitPort);
  clients.push(c);
  return c;
}

function onlySession(): Session {
  const [session] = [...t!.server.sessions];
  if (session === undefined) throw new Error('no session');
  return session;
}

describe('AUTH', () => {
  it('lists AUTH SSL, AUTH TLS, PBSZ and PROT in FEAT, in sorted position', async () => {
    await server();
    const c = await client();
    await c.reply();
    const feat = await c.send('FEAT');
    const features = feat.lines.slice(1, -1).map((line) => line.trim());
    expect(features).toEqual(expect.arrayContaining(['AUTH SSL', 'AUTH TLS', 'PBSZ', 'PROT']));
    expect(features).toEqual([...features].sort());
  });

  it.each(['TLS', 'tls', 'TLS-C', 'ssl', 'tls-p'])(
    'AUTH %s answers 234 and secures the connection',
    async (arg) => {
      await server();
      const c = await client();
      await c.reply();
      expect(await c.send(`AUTH ${arg}`)).toMatchObject({
        code: 234,
        text: `AUTH ${arg.toUpperCase()} successful.`,
      });
      const tls = await c.startTls();
      expect(tls.getProtocol()).toBe('TLSv1.3');
      expect((await c.send('NOOP')).code).toBe(200);
      expect(t!.tls.tlsInfo(onlySession())).toMatchObject({
        control: 'tls',
        implicit: false,
        protection: 'C',
      });
    },
  );

  it('refuses a second AUTH, unknown mechanisms and a missing argument', async () => {
    await server();
    const c = await client();
    await c.reply();
    expect(await c.send('AUTH KERBEROS_V4')).toMatchObject({
      code: 502,
      text: 'Unrecognized encryption type (use TLS or SSL).',
    });
    expect((await c.send('AUTH')).code).toBe(501);
    expect((await c.send('NOOP')).code).toBe(200);
    await c.expect('AUTH TLS', 234);
    await c.startTls();
    expect(await c.send('AUTH TLS')).toMatchObject({ code: 503, text: 'Already using TLS.' });
    expect(await c.send('AUTH SSL')).toMatchObject({ code: 503, text: 'Already using TLS.' });
  });

  it('never executes commands pipelined in plaintext behind AUTH TLS (CVE-2011-1575)', async () => {
    await server();
    const c = await client();
    await c.reply();
    c.write('AUTH TLS\r\nNOOP\r\nDELE x\r\n');
    expect(await c.reply()).toMatchObject({ code: 234 });
    await c.startTls();
    await sleep(200);
    expect(c.hasUnreadReply).toBe(false);
    // The first reply inside TLS answers the first command sent inside TLS.
    expect(await c.send('SYST')).toMatchObject({ code: 215 });
  });

  it('is refused on an implicit-TLS connection, which is secure from the start', async () => {
    await server();
    const c = await implicitClient();
    expect((await c.reply()).code).toBe(220);
    expect(await c.send('AUTH TLS')).toMatchObject({ code: 503, text: 'Already using TLS.' });
    expect(await c.send('PBSZ 0')).toMatchObject({ code: 200, text: 'PBSZ=0 successful.' });
    expect(await c.send('PROT P')).toMatchObject({ code: 200, text: 'Protection set to Private' });
    expect(t!.tls.tlsInfo(onlySession())).toMatchObject({ control: 'tls', implicit: true, protection: 'P' });
  });
});

describe('PBSZ and PROT', () => {
  it('are refused on a plaintext control connection, before login too', async () => {
    await server();
    const c = await client();
    await c.reply();
    expect(await c.send('PBSZ 0')).toMatchObject({
      code: 503,
      text: 'PBSZ not allowed on insecure control connection.',
    });
    expect(await c.send('PROT P')).toMatchObject({
      code: 503,
      text: 'PROT not allowed on insecure control connection.',
    });
  });

  it('follow pyftpdlib: PBSZ first, then C or P; S and E unsupported', async () => {
    await server();
    const c = await client();
    await c.auth();
    expect(await c.send('PROT P')).toMatchObject({
      code: 503,
      text: 'You must issue the PBSZ command prior to PROT.',
    });
    expect(await c.send('PBSZ 1024')).toMatchObject({ code: 200, text: 'PBSZ=0 successful.' });
    expect(await c.send('PBSZ 0')).toMatchObject({ code: 200, text: 'PBSZ=0 successful.' });
    expect(await c.send('PROT p')).toMatchObject({ code: 200, text: 'Protection set to Private' });
    expect(await c.send('PROT c')).toMatchObject({ code: 200, text: 'Protection set to Clear' });
    expect(await c.send('PROT S')).toMatchObject({ code: 521, text: 'PROT S unsupported (use C or P).' });
    expect(await c.send('PROT E')).toMatchObject({ code: 521, text: 'PROT E unsupported (use C or P).' });
    expect(await c.send('PROT X')).toMatchObject({ code: 502, text: 'Unrecognized PROT type (use C or P).' });
    expect((await c.send('PROT')).code).toBe(501);
  });

  it('are reset by REIN and by USER while logged in', async () => {
    await server();
    const c = await client();
    await c.auth();
    await c.login();
    await c.expect('PBSZ 0', 200);
    await c.expect('PROT P', 200);
    expect(t!.tls.tlsInfo(onlySession())).toMatchObject({ pbsz: true, protection: 'P' });
    await c.expect('REIN', 230);
    expect(t!.tls.tlsInfo(onlySession())).toMatchObject({ pbsz: false, protection: 'C', control: 'tls' });
    expect((await c.send('PROT P')).code).toBe(503);
    await c.login();
    await c.expect('PBSZ 0', 200);
    await c.expect('PROT P', 200);
    expect(await c.send('USER user')).toMatchObject({ code: 331 });
    expect(t!.tls.tlsInfo(onlySession())).toMatchObject({ pbsz: false, protection: 'C' });
  });
});

describe('tlsControlRequired and tlsDataRequired', () => {
  it('refuse USER and PASS before AUTH', async () => {
    await server({ tlsControlRequired: true });
    const c = await client();
    await c.reply();
    const refusal = { code: 550, text: 'SSL/TLS required on the control channel.' };
    expect(await c.send('USER user')).toMatchObject(refusal);
    expect(await c.send('PASS 12345')).toMatchObject(refusal);
    expect((await c.send('SYST')).code).toBe(215);
    await c.expect('AUTH TLS', 234);
    await c.startTls();
    await c.login();
  });

  it('refuse PASV, EPSV, PORT and EPRT until PROT P', async () => {
    await server({ tlsDataRequired: true });
    const c = await client();
    await c.auth();
    await c.login();
    const refusal = { code: 550, text: 'SSL/TLS required on the data channel.' };
    for (const command of ['PASV', 'EPSV', 'PORT 127,0,0,1,200,10', 'EPRT |1|127.0.0.1|51210|']) {
      expect(await c.send(command)).toMatchObject(refusal);
    }
    await c.expect('PBSZ 0', 200);
    await c.expect('PROT C', 200);
    expect(await c.send('EPSV')).toMatchObject(refusal);
    await c.expect('PROT P', 200);
    expect((await c.send('EPSV')).code).toBe(229);
    expect((await c.send('PASV')).code).toBe(227);
  });
});

describe('CCC', () => {
  it('answers 533 on a plaintext control connection and 534 on implicit TLS', async () => {
    await server();
    const plain = await client();
    await plain.reply();
    expect(await plain.send('CCC')).toMatchObject({
      code: 533,
      text: 'CCC not allowed on insecure control connection.',
    });
    const implicit = await implicitClient();
    await implicit.reply();
    expect(await implicit.send('CCC')).toMatchObject({
      code: 534,
      text: 'CCC not supported on implicit FTPS connections.',
    });
    expect((await implicit.send('NOOP')).code).toBe(200);
  });
});

describe('HELP', () => {
  it('knows the TLS commands', async () => {
    await server();
    const c = await client();
    await c.reply();
    expect(await c.send('HELP AUTH')).toMatchObject({ code: 214 });
    expect((await c.send('HELP PROT')).lines.join('\n')).toContain('PROT');
  });
});
