import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import type { CommandDefinition, FtpPlugin } from '@ftpkit/core';
import { afterEach, describe, expect, it } from 'vitest';
import { connectPasv, RawClient, readAll, startServer, type TestServer } from './helpers.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('connection limits', () => {
  let t: TestServer | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('answers 421 past maxCons and counts data channels too', async () => {
    t = await startServer({ maxCons: 2 });
    const a = await t.raw();
    await a.login();
    const b = await t.raw();
    expect((await b.reply()).code).toBe(220);
    const c = await t.raw();
    expect(await c.reply()).toMatchObject({
      code: 421,
      text: 'Too many connections. Service temporarily unavailable.',
    });
    await c.waitClosed();
    expect(await a.send('PASV')).toMatchObject({
      code: 425,
      text: "Too many connections. Can't open data channel.",
    });
    b.destroy();
    await sleep(50);
    expect((await a.send('PASV')).code).toBe(227);
    const d = await t.raw();
    expect((await d.reply()).code).toBe(421);
  });

  it('answers 421 past maxConsPerIp and frees the slot on disconnect', async () => {
    t = await startServer({ maxConsPerIp: 1 });
    const a = await t.raw();
    expect((await a.reply()).code).toBe(220);
    const b = await t.raw();
    expect(await b.reply()).toMatchObject({
      code: 421,
      text: 'Too many connections from the same IP address.',
    });
    a.destroy();
    await sleep(50);
    const c = await t.raw();
    expect((await c.reply()).code).toBe(220);
  });
});

describe('timeouts', () => {
  let t: TestServer | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('closes an idle control connection with 421', async () => {
    t = await startServer({ timeout: 0.3 });
    const c = await t.raw();
    await c.reply();
    expect(await c.reply(3000)).toMatchObject({ code: 421, text: 'Control connection timed out.' });
    await c.waitClosed();
  });

  it('times out a passive listener nobody connects to, and the session goes on', async () => {
    t = await startServer({ passiveAcceptTimeout: 0.3 });
    const c = await t.raw();
    await c.login();
    expect((await c.send('PASV')).code).toBe(227);
    expect(await c.reply(3000)).toMatchObject({ code: 421, text: 'Passive data channel timed out.' });
    expect((await c.send('NOOP')).code).toBe(200);
  });

  it('cuts a stalled upload with 421 and closes the session', async () => {
    t = await startServer({ dataTimeout: 0.3, timeout: 60 });
    const received: string[] = [];
    t.server.on('incompleteFileReceived', (_s, path) => received.push(path));
    const c = await t.raw();
    await c.login();
    await c.send('TYPE I');
    const data = await connectPasv(await c.send('PASV'));
    expect((await c.send('STOR stall.bin')).code).toBe(125);
    data.write('some');
    expect(await c.reply(3000)).toMatchObject({ code: 421, text: 'Data connection timed out.' });
    await c.waitClosed();
    expect(received).toEqual([join(t.root, 'stall.bin')]);
  });

  it('does not time out the control connection while a slow transfer moves bytes', async () => {
    t = await startServer({ timeout: 0.4 });
    const c = await t.raw();
    await c.login();
    await c.send('TYPE I');
    const data = await connectPasv(await c.send('PASV'));
    expect((await c.send('STOR slow.bin')).code).toBe(125);
    for (let i = 0; i < 8; i++) {
      data.write(Buffer.alloc(100));
      await sleep(100);
    }
    data.end();
    expect((await c.reply()).code).toBe(226);
    expect((await c.send('NOOP')).code).toBe(200);
  });
});

describe('events', () => {
  let t: TestServer | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('fires pyftpdlib callbacks in order, and a throwing listener harms nobody', async () => {
    t = await startServer();
    const seen: string[] = [];
    for (const event of [
      'connect',
      'disconnect',
      'login',
      'loginFailed',
      'logout',
      'fileSent',
      'fileReceived',
      'incompleteFileSent',
      'incompleteFileReceived',
    ] as const) {
      t.server.on(event, (_session: unknown, arg?: unknown, password?: unknown) => {
        seen.push([event, arg, password].filter((x) => x !== undefined).join(':'));
      });
    }
    t.server.on('login', () => {
      throw new Error('listener bug');
    });
    t.server.on('connect', async () => {
      throw new Error('async listener bug');
    });
    writeFileSync(join(t.root, 'f.bin'), Buffer.alloc(1000));
    const c = await t.raw();
    await c.reply();
    await c.send('USER user');
    await c.send('PASS nope');
    await c.send('USER user');
    await c.send('PASS 12345');
    await c.send('TYPE I');
    let data = await connectPasv(await c.send('PASV'));
    const body = readAll(data);
    await c.send('RETR f.bin');
    await body;
    await c.reply();
    data = await connectPasv(await c.send('PASV'));
    await c.send('STOR g.bin');
    data.end('xyz');
    await c.reply();
    expect((await c.send('QUIT')).code).toBe(221);
    await c.waitClosed();
    await sleep(20);
    expect(seen).toEqual([
      'connect',
      'loginFailed:user:nope',
      'login:user',
      `fileSent:${join(t.root, 'f.bin')}`,
      `fileReceived:${join(t.root, 'g.bin')}`,
      'logout:user',
      'disconnect',
    ]);
  });
});

describe('plugin seams', () => {
  let t: TestServer | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  const hello: CommandDefinition = {
    name: 'SITE HELLO',
    help: 'Syntax: SITE HELLO <SP> name (say hello).',
    requiresLogin: true,
    arg: 'required',
    perm: 'l',
    feature: 'SITE HELLO',
    run: (session, { arg, virtualPath }) => session.reply(200, `Hello ${arg} at ${virtualPath}.`),
  };

  it('adds commands with login, argument and permission rules, HELP and FEAT entries', async () => {
    t = await startServer({ commands: [hello] });
    const c = await t.raw();
    await c.reply();
    expect((await c.send('SITE HELLO x')).code).toBe(530);
    expect((await c.send('FEAT')).lines).toContain(' SITE HELLO');
    expect(await c.send('SITE HELP HELLO')).toMatchObject({
      code: 214,
      text: 'Syntax: SITE HELLO <SP> name (say hello).',
    });
    expect((await c.send('SITE HELP')).lines).toEqual([
      '214-The following SITE commands are recognized:',
      ' CHMOD',
      ' HELLO',
      ' HELP',
      '214 Help SITE command successful.',
    ]);
    await c.send('USER user');
    await c.send('PASS 12345');
    expect(await c.send('SITE HELLO')).toMatchObject({ code: 501 });
    expect(await c.send('site hello world')).toMatchObject({ code: 200, text: 'Hello world at /world.' });
    expect(await c.send('SITE NOPE')).toMatchObject({
      code: 500,
      text: 'Command "SITE NOPE" not understood.',
    });
  });

  it('lets a plugin refuse commands, add features, wrap data sockets and transform data', async () => {
    let wrapped = 0;
    const plugin: FtpPlugin = {
      name: 'test',
      features: () => ['XTEST'],
      beforeCommand: (_session, { name }) =>
        name === 'MKD' ? { code: 550, text: 'No MKD here.' } : undefined,
      wrapDataSocket: (socket) => {
        wrapped += 1;
        return socket;
      },
      transformData: (_session, direction) =>
        direction === 'send'
          ? new Transform({
              transform(chunk: Buffer, _enc, cb) {
                cb(null, Buffer.from(chunk.toString('latin1').toUpperCase(), 'latin1'));
              },
            })
          : undefined,
    };
    t = await startServer({ plugins: [plugin] });
    writeFileSync(join(t.root, 'l.txt'), 'lower');
    const c = await t.raw();
    await c.login();
    expect((await c.send('FEAT')).lines).toContain(' XTEST');
    expect(await c.send('MKD d')).toMatchObject({ code: 550, text: 'No MKD here.' });
    await c.send('TYPE I');
    const data = await connectPasv(await c.send('PASV'));
    const body = readAll(data);
    await c.send('RETR l.txt');
    expect((await body).toString()).toBe('LOWER');
    expect((await c.reply()).code).toBe(226);
    expect(wrapped).toBe(1);
  });

  it('answers with the replyCode of a failed data-socket wrapper, and calls accountFlushed', async () => {
    let flushed = 0;
    const plugin: FtpPlugin = {
      name: 'refuser',
      accountFlushed: () => {
        flushed += 1;
      },
      wrapDataSocket: () => {
        throw Object.assign(new Error('SSL session reuse required.'), { replyCode: 522 });
      },
    };
    t = await startServer({ plugins: [plugin] });
    writeFileSync(join(t.root, 'x.txt'), 'x');
    const c = await t.raw();
    await c.login();
    const data = await connectPasv(await c.send('PASV'));
    expect((await c.send('RETR x.txt')).code).toBe(125);
    expect(await c.reply()).toMatchObject({ code: 522, text: 'SSL session reuse required.' });
    data.destroy();
    await c.send('REIN');
    expect(flushed).toBe(1);
  });

  it('upgrades the control connection in place and drops what was pipelined behind the command', async () => {
    const upgrade: CommandDefinition = {
      name: 'XUPG',
      help: 'Syntax: XUPG (upgrade).',
      requiresLogin: false,
      arg: 'none',
      async run(session) {
        session.reply(234, 'Upgrading.');
        await session.upgradeControl(async (socket) => socket);
      },
    };
    t = await startServer({ commands: [upgrade] });
    const c = await t.raw();
    await c.reply();
    c.write('XUPG\r\nNOOP\r\n');
    expect((await c.reply()).code).toBe(234);
    await expect(c.reply(300)).rejects.toThrow(/no reply/);
    expect((await c.send('SYST')).code).toBe(215);
  });
});

describe('IPv6', () => {
  let t: TestServer | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('serves ::1 with EPSV and EPRT, and explains that PASV needs IPv4', async () => {
    t = await startServer({}, '::1');
    writeFileSync(join(t.root, 'six.txt'), 'six');
    const c = await RawClient.connect(t.port, '::1');
    await c.login();
    expect(await c.send('PASV')).toMatchObject({ code: 425 });
    expect(await c.send('EPSV 1')).toMatchObject({
      code: 522,
      text: 'Network protocol not supported (use 2).',
    });
    expect(await c.send('EPRT |1|127.0.0.1|2000|')).toMatchObject({
      code: 522,
      text: 'Network protocol not supported (use 2).',
    });
    const epsv = await c.send('EPSV 2');
    const port = Number(/\|\|\|(\d+)\|/.exec(epsv.text)?.[1]);
    const { connect } = await import('node:net');
    const data = connect({ host: '::1', port });
    const body = readAll(data);
    expect((await c.send('RETR six.txt')).code).toBeGreaterThanOrEqual(125);
    expect((await body).toString()).toBe('six');
    expect((await c.reply()).code).toBe(226);
    c.destroy();
  });
});

describe('lifecycle', () => {
  it('closeAll disconnects everyone and resolves; await using cleans up', async () => {
    const t = await startServer();
    const clients = await Promise.all([t.raw(), t.raw(), t.raw()]);
    for (const client of clients) await client.reply();
    await t.server.closeAll();
    for (const client of clients) await client.waitClosed();
    expect(t.server.sessions.size).toBe(0);
    await t.close();
  });

  it('leaks no sessions, data channels or handles after many sessions quit mid-transfer', async () => {
    const t = await startServer();
    writeFileSync(join(t.root, 'big.bin'), Buffer.alloc(8 * 1024 * 1024));
    const { readdirSync } = await import('node:fs');
    const fds = (): number => readdirSync('/proc/self/fd').length;
    const before = process.getActiveResourcesInfo().length;
    const fdsBefore = fds();
    // 1000 sessions, each cut while its download is in flight.
    for (let round = 0; round < 50; round++) {
      await Promise.all(
        Array.from({ length: 20 }, async () => {
          const c = await t.raw();
          await c.login();
          await c.send('TYPE I');
          const data = await connectPasv(await c.send('PASV'));
          data.pause();
          await c.send('RETR big.bin');
          c.destroy();
          data.destroy();
        }),
      );
    }
    for (let i = 0; i < 50 && t.server.sessions.size > 0; i++) await sleep(20);
    expect(t.server.sessions.size).toBe(0);
    expect(t.server.connectionCount).toBe(0);
    await sleep(100);
    expect(process.getActiveResourcesInfo().length).toBeLessThanOrEqual(before + 2);
    expect(fds()).toBeLessThanOrEqual(fdsBefore + 2);
    await t.close();
  });
});

describe('an existing listener', () => {
  it('serves connections from a net.Server the program created (pyftpdlib FTPServer(sock))', async () => {
    const { createServer } = await import('node:net');
    const { DummyAuthorizer } = await import('@ftpkit/authorizer-dummy');
    const { FtpServer, silentLogger } = await import('@ftpkit/core');
    const { localFileSystem } = await import('@ftpkit/fs-local');
    const { tmpdir } = await import('node:os');
    const listener = createServer();
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const authorizer = new DummyAuthorizer();
    authorizer.addAnonymous(tmpdir());
    await using server = new FtpServer({ authorizer, filesystem: localFileSystem(), logger: silentLogger });
    const address = await server.listen(listener);
    expect(address.port).toBe((listener.address() as { port: number }).port);
    const c = await RawClient.connect(address.port);
    expect((await c.reply()).code).toBe(220);
    c.destroy();
  });
});

describe('encoding', () => {
  it('speaks a legacy charset on the control and data connections', async () => {
    const { existsSync } = await import('node:fs');
    const t = await startServer({ encoding: 'latin1' });
    try {
      const c = await t.raw();
      await c.login();
      c.socket.setEncoding('latin1');
      c.write(Buffer.concat([Buffer.from('MKD caf'), Buffer.from([0xe9]), Buffer.from('\r\n')]));
      expect((await c.reply()).code).toBe(257);
      expect(existsSync(join(t.root, 'café'))).toBe(true);
      expect((await c.send('FEAT')).lines).not.toContain(' UTF8');
      const data = await connectPasv(await c.send('PASV'));
      const body = readAll(data);
      await c.send('NLST');
      expect([...(await body)]).toEqual([0x63, 0x61, 0x66, 0xe9, 0x0d, 0x0a]);
      expect((await c.reply()).code).toBe(226);
    } finally {
      await t.close();
    }
  });
});
