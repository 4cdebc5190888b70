import { mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectPasv, type RawClient, readAll, startServer, type TestServer } from './helpers.js';

describe('replies, as pyftpdlib words them', () => {
  let t: TestServer;
  let c: RawClient;
  beforeEach(async () => {
    t = await startServer();
    c = await t.raw();
  });
  afterEach(async () => {
    await t.close();
  });

  it('greets, and checks arguments before the login', async () => {
    const banner = await c.reply();
    expect(banner.code).toBe(220);
    expect(banner.text).toMatch(/^ftpkit .* ready\.$/);
    expect(await c.send('NOOP')).toMatchObject({ code: 200, text: "I successfully did nothing'." });
    expect(await c.send('SYST')).toMatchObject({ code: 215, text: 'UNIX Type: L8' });
    expect(await c.send('FOO')).toMatchObject({ code: 500, text: 'Command "FOO" not understood.' });
    expect(await c.send('')).toMatchObject({ code: 500, text: 'Command "" not understood.' });
    expect(await c.send('NOOP x')).toMatchObject({
      code: 501,
      text: 'Syntax error: command does not accept arguments.',
    });
    expect(await c.send('RETR')).toMatchObject({
      code: 501,
      text: 'Syntax error: command needs an argument.',
    });
    expect(await c.send('RETR x')).toMatchObject({ code: 530, text: 'Log in with USER and PASS first.' });
    expect(await c.send('PASS x')).toMatchObject({ code: 503, text: 'Login with USER first.' });
    expect(await c.send('USER user')).toMatchObject({ code: 331, text: 'Username ok, send password.' });
    expect(await c.send('PASS 12345')).toMatchObject({ code: 230, text: 'Login successful.' });
    expect(await c.send('PASS 12345')).toMatchObject({ code: 503, text: 'User already authenticated.' });
    expect(await c.send('USER other')).toMatchObject({
      code: 331,
      text: 'Previous account information was flushed, send password.',
    });
  });

  it('delays failed logins, keeps pipelined replies in order and disconnects after maxLoginAttempts', async () => {
    await c.reply();
    c.write('USER user\r\nPASS bad\r\nNOOP\r\nSYST\r\n');
    expect((await c.reply()).code).toBe(331);
    expect(await c.reply()).toMatchObject({ code: 530, text: 'Authentication failed.' });
    expect((await c.reply()).code).toBe(200);
    expect((await c.reply()).code).toBe(215);
    await c.send('USER nobody');
    expect(await c.send('PASS x')).toMatchObject({ code: 530, text: 'Authentication failed.' });
    await c.send('USER user');
    expect(await c.send('PASS x')).toMatchObject({
      code: 530,
      text: 'Authentication failed. Disconnecting.',
    });
    await c.waitClosed();
  });

  it('refuses anonymous when there is no anonymous user', async () => {
    t.authorizer.removeUser('anonymous');
    await c.reply();
    await c.send('USER anonymous');
    expect(await c.send('PASS x')).toMatchObject({ code: 530, text: 'Anonymous access not allowed.' });
  });

  it('answers TYPE, MODE, STRU, REST and ALLO', async () => {
    await c.login();
    expect(await c.send('TYPE i')).toMatchObject({ code: 200, text: 'Type set to: Binary.' });
    expect(await c.send('TYPE L 8')).toMatchObject({ code: 200, text: 'Type set to: Binary.' });
    expect(await c.send('TYPE A')).toMatchObject({ code: 200, text: 'Type set to: ASCII.' });
    expect(await c.send('TYPE A N')).toMatchObject({ code: 504, text: 'Unsupported type "A N".' });
    expect(await c.send('MODE s')).toMatchObject({ code: 200, text: 'Transfer mode set to: S' });
    expect(await c.send('MODE B')).toMatchObject({ code: 504, text: 'Unimplemented MODE type.' });
    expect(await c.send('MODE x')).toMatchObject({ code: 501, text: 'Unrecognized MODE type.' });
    expect(await c.send('STRU f')).toMatchObject({ code: 200, text: 'File transfer structure set to: F.' });
    expect(await c.send('STRU P')).toMatchObject({ code: 504, text: 'Unimplemented STRU type.' });
    expect(await c.send('STRU x')).toMatchObject({ code: 501, text: 'Unrecognized STRU type.' });
    expect(await c.send('REST 10')).toMatchObject({
      code: 501,
      text: 'Resuming transfers not allowed in ASCII mode.',
    });
    await c.send('TYPE I');
    expect(await c.send('REST 10')).toMatchObject({ code: 350, text: 'Restarting at position 10.' });
    for (const bad of ['-1', '10.1', 'str']) {
      expect(await c.send(`REST ${bad}`)).toMatchObject({ code: 501, text: 'Invalid parameter.' });
    }
    expect(await c.send('ALLO 100')).toMatchObject({ code: 202, text: 'No storage allocation necessary.' });
  });

  it('navigates with PWD, CWD, CDUP and quotes paths as RFC 959 says', async () => {
    mkdirSync(join(t.root, 'we"ird'));
    writeFileSync(join(t.root, 'file'), '');
    await c.login();
    expect(await c.send('PWD')).toMatchObject({ code: 257, text: '"/" is the current directory.' });
    expect(await c.send('CWD we"ird')).toMatchObject({
      code: 250,
      text: '"/we"ird" is the current directory.',
    });
    expect(await c.send('XPWD')).toMatchObject({ code: 257, text: '"/we""ird" is the current directory.' });
    expect(await c.send('CDUP')).toMatchObject({ code: 250, text: '"/" is the current directory.' });
    expect(await c.send('XCUP')).toMatchObject({ code: 250, text: '"/" is the current directory.' });
    expect(await c.send('CWD ../../..')).toMatchObject({ code: 250, text: '"/" is the current directory.' });
    expect(await c.send('CWD missing')).toMatchObject({ code: 550, text: 'No such file or directory.' });
    expect(await c.send('CWD file')).toMatchObject({ code: 550, text: 'Not a directory.' });
    expect(await c.send('XCWD we"ird')).toMatchObject({ code: 250 });
    expect(await c.send('CWD')).toMatchObject({ code: 250, text: '"/" is the current directory.' });
  });

  it('manages files and directories with the right replies', async () => {
    writeFileSync(join(t.root, 'f.txt'), 'abc');
    await c.login();
    expect(await c.send('MKD x"y')).toMatchObject({ code: 257, text: '"/x""y" directory created.' });
    expect(await c.send('MKD x"y')).toMatchObject({ code: 550, text: 'File exists.' });
    expect(await c.send('XMKD d2')).toMatchObject({ code: 257 });
    expect(await c.send('XRMD d2')).toMatchObject({ code: 250, text: 'Directory removed.' });
    writeFileSync(join(t.root, 'x"y', 'inner'), '');
    expect(await c.send('RMD x"y')).toMatchObject({ code: 550, text: 'Directory not empty.' });
    expect(await c.send('RMD /')).toMatchObject({ code: 550, text: "Can't remove root directory." });
    expect(await c.send('RMD f.txt')).toMatchObject({ code: 550, text: 'Not a directory.' });
    expect(await c.send('DELE x"y')).toMatchObject({ code: 550, text: 'Is a directory.' });
    expect(await c.send('DELE nothing')).toMatchObject({ code: 550, text: 'No such file or directory.' });
    expect(await c.send('RNTO a')).toMatchObject({
      code: 503,
      text: 'Bad sequence of commands: use RNFR first.',
    });
    expect(await c.send('RNFR nothing')).toMatchObject({ code: 550, text: 'No such file or directory.' });
    expect(await c.send('RNFR /')).toMatchObject({ code: 550, text: "Can't rename home directory." });
    expect(await c.send('RNFR f.txt')).toMatchObject({ code: 350, text: 'Ready for destination name.' });
    expect(await c.send('RNTO g.txt')).toMatchObject({ code: 250, text: 'Renaming ok.' });
    expect(readFileSync(join(t.root, 'g.txt'), 'utf8')).toBe('abc');
    expect(await c.send('SIZE g.txt')).toMatchObject({ code: 550, text: 'SIZE not allowed in ASCII mode.' });
    await c.send('TYPE I');
    expect(await c.send('SIZE g.txt')).toMatchObject({ code: 213, text: '3' });
    expect(await c.send('SIZE x"y')).toMatchObject({ code: 550, text: '/x"y is not retrievable.' });
    expect(await c.send('MDTM x"y')).toMatchObject({ code: 550, text: '/x"y is not retrievable' });
    expect((await c.send('MDTM g.txt')).text).toMatch(/^\d{14}$/);
    expect(await c.send('MFMT 20200101000000 g.txt')).toMatchObject({
      code: 213,
      text: 'Modify=20200101000000; /g.txt.',
    });
    expect(await c.send('MDTM g.txt')).toMatchObject({ code: 213, text: '20200101000000' });
    expect(await c.send('MFMT 2020 g.txt')).toMatchObject({
      code: 550,
      text: 'Invalid time format; expected: YYYYMMDDHHMMSS.',
    });
    expect(await c.send('MFMT 20200101000000')).toMatchObject({
      code: 501,
      text: 'Syntax error: command needs two arguments.',
    });
    expect(await c.send('DELE g.txt')).toMatchObject({ code: 250, text: 'File removed.' });
  });

  it('confines every path command to the root, symlinks included', async () => {
    const outside = `${t.root}-outside`;
    mkdirSync(outside);
    writeFileSync(join(outside, 'secret'), 'secret');
    symlinkSync(outside, join(t.root, 'escape'));
    await c.login();
    await c.send('TYPE I');
    const refused = "'/escape' points to a path which is outside the user's root directory.";
    expect(await c.send('CWD escape')).toMatchObject({ code: 550, text: refused });
    expect(await c.send('SIZE escape/secret')).toMatchObject({
      code: 550,
      text: "'/escape/secret' points to a path which is outside the user's root directory.",
    });
    for (const command of [
      'MKD escape/d',
      'DELE escape/secret',
      'RNFR escape/secret',
      'RETR escape/secret',
      'STOR escape/x',
      'LIST escape',
      'MLST escape',
      'MDTM escape/secret',
    ]) {
      const reply = await c.send(command);
      expect(reply.code, command).toBe(550);
      expect(reply.text, command).toMatch(/points to a path which is outside the user's root directory\.$/);
    }
    expect(await c.send('CWD /../../..')).toMatchObject({ code: 250, text: '"/" is the current directory.' });
  });

  it('checks permission letters', async () => {
    await c.reply();
    await c.send('USER anonymous');
    await c.send('PASS x');
    for (const command of [
      'MKD d',
      'DELE f',
      'STOR f',
      'APPE f',
      'RNFR f',
      'SITE CHMOD 755 f',
      'MFMT 20200101000000 f',
    ]) {
      expect(await c.send(command), command).toMatchObject({ code: 550, text: 'Not enough privileges.' });
    }
  });

  it('prints FEAT, HELP and STAT as pyftpdlib does', async () => {
    await c.reply();
    const feat = await c.send('FEAT');
    expect(feat.lines).toEqual([
      '211-Features supported:',
      ' EPRT',
      ' EPSV',
      ' MDTM',
      ' MFMT',
      ' MLST type*;perm*;size*;modify*;unique*;unix.mode;unix.uid;unix.gid;',
      ' REST STREAM',
      ' SIZE',
      ' TVFS',
      ' UTF8',
      '211 End FEAT.',
    ]);
    const help = await c.send('HELP');
    expect(help.lines).toEqual([
      '214-The following commands are recognized:',
      ' ABOR   ALLO   APPE   CDUP   CWD    DELE   EPRT   EPSV  ',
      ' FEAT   HELP   LIST   MDTM   MFMT   MKD    MLSD   MLST  ',
      ' MODE   NLST   NOOP   OPTS   PASS   PASV   PORT   PWD   ',
      ' QUIT   REIN   REST   RETR   RMD    RNFR   RNTO   SITE  ',
      ' SIZE   STAT   STOR   STOU   STRU   SYST   TYPE   USER  ',
      ' XCUP   XCWD   XMKD   XPWD   XRMD  ',
      '214 Help command successful.',
    ]);
    expect(await c.send('HELP retr')).toMatchObject({
      code: 214,
      text: 'Syntax: RETR <SP> file-name (retrieve a file).',
    });
    expect(await c.send('HELP nope')).toMatchObject({ code: 501, text: 'Unrecognized command.' });
    let stat = await c.send('STAT');
    expect(stat.lines).toEqual([
      '211-FTP server status:',
      ` Connected to: 127.0.0.1:${t.port}`,
      ' Waiting for username.',
      ' TYPE: ASCII; STRUcture: File; MODE: Stream',
      ' Data connection closed.',
      '211 End of status.',
    ]);
    expect(await c.send('STAT /')).toMatchObject({ code: 530 });
    await c.send('USER user');
    await c.send('PASS 12345');
    stat = await c.send('STAT');
    expect(stat.lines[2]).toBe(' Logged in as: user');
    await c.send('PASV');
    stat = await c.send('STAT');
    expect(stat.lines[4]).toBe(' Passive data channel waiting for connection.');
    expect(await c.send('STAT *.txt')).toMatchObject({ code: 550, text: 'Globbing not supported.' });
  });

  it('lists over the control connection with STAT and answers MLST', async () => {
    writeFileSync(join(t.root, 'a.txt'), '12345');
    await c.login();
    const stat = await c.send('STAT /');
    expect(stat.lines[0]).toBe('213-Status of "/":');
    expect(stat.lines[1]).toMatch(/^-rw-r--r-- +1 \S+ +\S+ +5 \w{3} \d{2} \d{2}:\d{2} a\.txt$/);
    expect(stat.lines.at(-1)).toBe('213 End of status.');
    const mlst = await c.send('MLST a.txt');
    expect(mlst.lines[0]).toBe('250-Listing "/a.txt":');
    expect(mlst.lines[1]).toMatch(
      /^ modify=\d{14};perm=radfwMT;size=5;type=file;unique=[0-9a-f]+g[0-9a-f]+; \/a\.txt$/,
    );
    expect(mlst.lines[2]).toBe('250 End MLST.');
    expect(await c.send('OPTS MLST type;size;bogus;')).toMatchObject({
      code: 200,
      text: 'MLST OPTS type;size;',
    });
    expect((await c.send('MLST /')).lines[1]).toMatch(/^ size=\d+;type=dir; \/$/);
    expect(await c.send('OPTS MLST')).toMatchObject({ code: 200, text: 'MLST OPTS ' });
    expect((await c.send('MLST /')).lines[1]).toBe('  /');
    expect(await c.send('OPTS UTF8 ON')).toMatchObject({ code: 200, text: 'Always in UTF8 mode.' });
    expect(await c.send('OPTS a b c')).toMatchObject({ code: 501, text: 'Invalid number of arguments.' });
    expect(await c.send('OPTS FOO')).toMatchObject({ code: 501, text: 'Unsupported command "FOO".' });
    expect(await c.send('MLST nothing')).toMatchObject({ code: 550, text: 'No such file or directory.' });
    expect(await c.send('MLSD a.txt')).toMatchObject({ code: 501, text: 'No such directory.' });
  });

  it('handles over-long lines, Telnet IAC bytes and invalid UTF-8 without harm', async () => {
    await c.reply();
    c.write(`${'A'.repeat(3000)}\r\n`);
    expect(await c.reply()).toMatchObject({ code: 500, text: 'Command too long.' });
    expect((await c.send('NOOP')).code).toBe(200);
    c.write(Buffer.from([0xff, 0xf4, 0xff, 0xf2, ...Buffer.from('NOOP\r\n')]));
    expect((await c.reply()).code).toBe(200);
    c.write(Buffer.from([0xc3, 0x28, 0x0d, 0x0a]));
    expect((await c.reply()).code).toBe(500);
    c.write('noop\n');
    expect(await c.send('NOOP')).toMatchObject({ code: 500, text: 'Command "NOOP NOOP" not understood.' });
    expect((await c.send('NOOP')).code).toBe(200);
  });

  it('closes after QUIT with the quit message', async () => {
    await c.login();
    expect(await c.send('QUIT')).toMatchObject({ code: 221, text: 'Goodbye.' });
    await c.waitClosed();
  });

  it('flushes the account with REIN', async () => {
    await c.login();
    expect(await c.send('REIN')).toMatchObject({ code: 230, text: 'Ready for new user.' });
    expect(await c.send('PWD')).toMatchObject({ code: 530 });
  });
});

describe('data connections', () => {
  let t: TestServer;
  let c: RawClient;
  beforeEach(async () => {
    t = await startServer();
    c = await t.raw();
    await c.login();
    await c.send('TYPE I');
  });
  afterEach(async () => {
    await t.close();
  });

  it('retrieves in passive mode with 150 then 226, and with 125 when the connection is open', async () => {
    writeFileSync(join(t.root, 'a.bin'), Buffer.alloc(10_000, 7));
    const pasv = await c.send('PASV');
    expect(pasv.code).toBe(227);
    expect(pasv.text).toMatch(/^Entering passive mode \(127,0,0,1,\d+,\d+\)\.$/);
    const data = await connectPasv(pasv);
    const content = readAll(data);
    expect(await c.send('RETR a.bin')).toMatchObject({
      code: 125,
      text: 'Data connection already open. Transfer starting.',
    });
    expect((await content).length).toBe(10_000);
    expect(await c.reply()).toMatchObject({ code: 226, text: 'Transfer complete.' });
  });

  it('answers 425 without a data channel', async () => {
    writeFileSync(join(t.root, 'a.bin'), 'x');
    expect(await c.send('RETR a.bin')).toMatchObject({ code: 425 });
    expect(await c.send('RETR missing')).toMatchObject({ code: 550, text: 'No such file or directory.' });
  });

  it('uses EPSV and refuses mismatched protocols', async () => {
    const epsv = await c.send('EPSV');
    expect(epsv.text).toMatch(/^Entering extended passive mode \(\|\|\|\d+\|\)\.$/);
    expect(await c.send('EPSV 2')).toMatchObject({
      code: 522,
      text: 'Network protocol not supported (use 1).',
    });
    expect(await c.send('EPSV 3')).toMatchObject({ code: 501, text: 'Unknown network protocol (use 1).' });
    expect((await c.send('EPSV 1')).code).toBe(229);
    expect(await c.send('EPSV ALL')).toMatchObject({
      code: 220,
      text: 'Other commands other than EPSV are now disabled.',
    });
    expect(await c.send('PASV')).toMatchObject({ code: 501, text: 'PASV not allowed after EPSV ALL.' });
    expect(await c.send('PORT 127,0,0,1,4,1')).toMatchObject({
      code: 501,
      text: 'PORT not allowed after EPSV ALL.',
    });
    expect(await c.send('EPRT |1|127.0.0.1|2000|')).toMatchObject({
      code: 501,
      text: 'EPRT not allowed after EPSV ALL.',
    });
  });

  it('connects actively with PORT and EPRT', async () => {
    writeFileSync(join(t.root, 'a.bin'), Buffer.alloc(5000, 1));
    const sink = createServer();
    const received = new Promise<Buffer>((resolve) =>
      sink.once('connection', (s: Socket) => resolve(readAll(s))),
    );
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    const port = (sink.address() as { port: number }).port;
    expect(await c.send(`PORT 127,0,0,1,${Math.floor(port / 256)},${port % 256}`)).toMatchObject({
      code: 200,
      text: 'Active data connection established.',
    });
    expect((await c.send('RETR a.bin')).code).toBe(125);
    expect((await received).length).toBe(5000);
    expect((await c.reply()).code).toBe(226);
    const second = new Promise<Buffer>((resolve) =>
      sink.once('connection', (s: Socket) => resolve(readAll(s))),
    );
    expect(await c.send(`EPRT |1|127.0.0.1|${port}|`)).toMatchObject({ code: 200 });
    expect((await c.send('LIST')).code).toBe(125);
    expect((await second).toString()).toMatch(/a\.bin\r\n$/);
    expect((await c.reply()).code).toBe(226);
    sink.close();
  });

  it('enforces the PORT/EPRT rules', async () => {
    expect(await c.send('PORT 127,0,0,1,1')).toMatchObject({ code: 501, text: 'Invalid PORT format.' });
    expect(await c.send('PORT 127,0,0,256,1,1')).toMatchObject({ code: 501, text: 'Invalid PORT format.' });
    expect(await c.send('PORT 10,0,0,1,200,1')).toMatchObject({
      code: 501,
      text: 'Rejected data connection to foreign address 10.0.0.1:51201.',
    });
    expect(await c.send('PORT 127,0,0,1,0,21')).toMatchObject({
      code: 501,
      text: 'PORT against the privileged port "21" refused.',
    });
    expect(await c.send('EPRT |1|127.0.0.1|')).toMatchObject({ code: 501, text: 'Invalid EPRT format.' });
    expect(await c.send('EPRT x1x127.0.0.1x70000x')).toMatchObject({
      code: 501,
      text: 'Invalid EPRT format.',
    });
    expect(await c.send('EPRT |3|127.0.0.1|2000|')).toMatchObject({
      code: 501,
      text: 'Unknown network protocol (use 1).',
    });
    expect(await c.send('EPRT |2|::1|2000|')).toMatchObject({
      code: 522,
      text: 'Network protocol not supported (use 1).',
    });
    const sink = createServer();
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    const port = (sink.address() as { port: number }).port;
    sink.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await c.send(`EPRT |1|127.0.0.1|${port}|`)).toMatchObject({
      code: 425,
      text: "Can't connect to specified address.",
    });
  });

  it('stores with REST at an offset without truncating, and refuses a REST past the end', async () => {
    writeFileSync(join(t.root, 'r.bin'), Buffer.alloc(100, 1));
    expect((await c.send('REST 10')).code).toBe(350);
    let data = await connectPasv(await c.send('PASV'));
    expect((await c.send('STOR r.bin')).code).toBe(125);
    data.end(Buffer.alloc(5, 2));
    expect((await c.reply()).code).toBe(226);
    const content = readFileSync(join(t.root, 'r.bin'));
    expect(content.length).toBe(100);
    expect(content.subarray(8, 17)).toEqual(Buffer.from([1, 1, 2, 2, 2, 2, 2, 1, 1]));
    await c.send('REST 500');
    data = await connectPasv(await c.send('PASV'));
    expect(await c.send('RETR r.bin')).toMatchObject({
      code: 554,
      text: 'REST position (500) > file size (100)',
    });
    await c.send('REST 5');
    expect(await c.send('APPE r.bin')).toMatchObject({
      code: 450,
      text: "Can't APPE while REST request is pending.",
    });
    data.destroy();
  });

  it('converts line endings in TYPE A both ways, CRLF split across chunks included', async () => {
    writeFileSync(join(t.root, 'unix.txt'), 'a\nb\r\nc\n');
    await c.send('TYPE A');
    let data = await connectPasv(await c.send('PASV'));
    const got = readAll(data);
    await c.send('RETR unix.txt');
    expect((await got).toString()).toBe('a\r\nb\r\nc\r\n');
    expect((await c.reply()).code).toBe(226);
    data = await connectPasv(await c.send('PASV'));
    expect((await c.send('STOR dos.txt')).code).toBe(125);
    data.write('x\r');
    await new Promise((resolve) => setTimeout(resolve, 50));
    data.end('\ny\r\nz\r');
    expect((await c.reply()).code).toBe(226);
    expect(readFileSync(join(t.root, 'dos.txt'), 'utf8')).toBe('x\ny\nz\r');
  });

  it('aborts a transfer that moves bytes with 426 then 226', async () => {
    writeFileSync(join(t.root, 'big.bin'), Buffer.alloc(64 * 1024 * 1024));
    const data = await connectPasv(await c.send('PASV'));
    data.pause();
    expect((await c.send('RETR big.bin')).code).toBe(125);
    await new Promise((resolve) => setTimeout(resolve, 100));
    c.write('ABOR\r\n');
    expect(await c.reply()).toMatchObject({ code: 426, text: 'Transfer aborted via ABOR.' });
    expect(await c.reply()).toMatchObject({ code: 226, text: 'ABOR command successful.' });
    data.destroy();
    expect(await c.send('ABOR')).toMatchObject({ code: 225, text: 'No transfer to abort.' });
    await c.send('PASV');
    expect(await c.send('ABOR')).toMatchObject({
      code: 225,
      text: 'ABOR command successful; data channel closed.',
    });
    expect((await c.send('NOOP')).code).toBe(200);
  });

  it('reports a download the client cut short with 426', async () => {
    writeFileSync(join(t.root, 'big.bin'), Buffer.alloc(64 * 1024 * 1024));
    const data = await connectPasv(await c.send('PASV'));
    expect((await c.send('RETR big.bin')).code).toBe(125);
    await new Promise((resolve) => data.once('data', resolve));
    data.destroy();
    const reply = await c.reply();
    expect(reply.code).toBe(426);
    expect(reply.text).toMatch(/^Transfer aborted; \d+ bytes transmitted\.$/);
  });

  it('sends 221 before the 226 of a running transfer on QUIT, then closes', async () => {
    writeFileSync(join(t.root, 'm.bin'), Buffer.alloc(4 * 1024 * 1024));
    const data = await connectPasv(await c.send('PASV'));
    data.pause();
    expect((await c.send('RETR m.bin')).code).toBe(125);
    c.write('QUIT\r\n');
    expect((await c.reply()).code).toBe(221);
    const all = readAll(data);
    data.resume();
    expect((await all).length).toBe(4 * 1024 * 1024);
    expect((await c.reply()).code).toBe(226);
    await c.waitClosed();
  });

  it('lists with LIST, NLST and MLSD, and LIST -la means the working directory', async () => {
    writeFileSync(join(t.root, 'b.txt'), 'b');
    writeFileSync(join(t.root, 'a.txt'), 'aa');
    mkdirSync(join(t.root, 'dir'));
    symlinkSync('a.txt', join(t.root, 'link'));
    const list = async (command: string): Promise<string> => {
      const data = await connectPasv(await c.send('PASV'));
      const body = readAll(data);
      expect((await c.send(command)).code).toBe(125);
      const text = (await body).toString();
      expect((await c.reply()).code).toBe(226);
      return text;
    };
    const lines = (await list('LIST -la')).split('\r\n');
    expect(lines.map((l) => l.split(' ').at(-1))).toEqual(['a.txt', 'b.txt', 'dir', 'a.txt', '']);
    expect(lines[3]).toMatch(/^lrwxrwxrwx +1 .* link -> a\.txt$/);
    expect(lines[0]).toMatch(/^-rw-r--r-- +1 \S+ +\S+ +2 [A-Z][a-z]{2} \d{2} \d{2}:\d{2} a\.txt$/);
    expect(await list('NLST')).toBe('a.txt\r\nb.txt\r\ndir\r\nlink\r\n');
    expect(await list('NLST a.txt')).toBe('a.txt\r\n');
    const mlsd = (await list('MLSD')).split('\r\n').filter(Boolean).sort();
    expect(mlsd).toHaveLength(4);
    expect(mlsd.find((l) => l.endsWith(' dir'))).toMatch(
      /^modify=\d{14};perm=eldfmMTcp;size=\d+;type=dir;unique=\w+; dir$/,
    );
    expect(mlsd.find((l) => l.endsWith(' link'))).toMatch(/size=2;type=file;/);
    expect(await list('LIST a.txt')).toMatch(/ a\.txt\r\n$/);
    expect(await c.send('LIST missing')).toMatchObject({ code: 550, text: 'No such file or directory.' });
  });

  it('stores with STOU under a unique name, inside the root only', async () => {
    let data = await connectPasv(await c.send('PASV'));
    const first = await c.send('STOU');
    expect(first.code).toBe(125);
    expect(first.text).toMatch(/^FILE: ftpd\.[a-z0-9_]{8}$/);
    data.end('unique');
    expect((await c.reply()).code).toBe(226);
    const name = first.text.slice('FILE: '.length);
    expect(readFileSync(join(t.root, name), 'utf8')).toBe('unique');
    expect(statSync(join(t.root, name)).mode & 0o777).toBe(0o600);
    mkdirSync(join(t.root, 'sub'));
    data = await connectPasv(await c.send('PASV'));
    const named = await c.send('STOU sub/report');
    expect(named.text).toMatch(/^FILE: report\.[a-z0-9_]{8}$/);
    data.end('r');
    expect((await c.reply()).code).toBe(226);
    expect(readdirSync(join(t.root, 'sub'))).toEqual([named.text.slice('FILE: '.length)]);
    const outside = `${t.root}-stou-outside`;
    mkdirSync(outside);
    symlinkSync(outside, join(t.root, 'escape'));
    await c.send('PASV');
    const escaped = await c.send('STOU escape/pwn');
    expect(escaped.code).toBe(550);
    expect(escaped.text).toMatch(/points to a path which is outside the user's root directory\.$/);
    expect(readdirSync(outside)).toEqual([]);
    await c.send('REST 1');
    expect(await c.send('STOU')).toMatchObject({
      code: 450,
      text: "Can't STOU while REST request is pending.",
    });
    const anon = await t.raw();
    await anon.login('anonymous', 'x');
    await anon.send('PASV');
    expect(await anon.send('STOU')).toMatchObject({ code: 550, text: 'Not enough privileges.' });
  });

  it('streams a listing of a large directory', async () => {
    mkdirSync(join(t.root, 'many'));
    for (let i = 0; i < 3000; i++) writeFileSync(join(t.root, 'many', `f${String(i).padStart(5, '0')}`), '');
    const data = await connectPasv(await c.send('PASV'));
    const body = readAll(data);
    expect((await c.send('LIST many')).code).toBe(125);
    const lines = (await body).toString().split('\r\n').filter(Boolean);
    expect(lines).toHaveLength(3000);
    expect(lines[0]).toMatch(/ f00000$/);
    expect(lines[2999]).toMatch(/ f02999$/);
    expect((await c.reply()).code).toBe(226);
  });
});
