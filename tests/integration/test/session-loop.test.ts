// The command loop of a session: ordering of pipelined commands (synchronous and asynchronous ones),
// reading paused and resumed under a burst, the idle timer, the end of a session, and what the session
// builds lazily.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger, LogLevel, Session } from '@ftpkit/core';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers.js';

function recordingLogger(levels?: readonly LogLevel[]): Logger & { lines: string[] } {
  const lines: string[] = [];
  const at =
    (level: string) =>
    (message: string): void => {
      lines.push(`${level} ${message}`);
    };
  const logger = { lines, debug: at('D'), info: at('I'), warn: at('W'), error: at('E') };
  return levels === undefined ? logger : { ...logger, isLevelEnabled: (level) => levels.includes(level) };
}

describe('the command loop', () => {
  let t: TestServer | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('answers pipelined commands in order, whether they finish at once or wait for the filesystem', async () => {
    t = await startServer();
    const c = await t.raw();
    await c.reply();
    c.write(
      'USER user\r\nPASS 12345\r\nTYPE I\r\nMKD d\r\nPWD\r\nCWD d\r\nNOOP\r\nCDUP\r\nRMD d\r\nSYST\r\n',
    );
    const codes: number[] = [];
    for (let i = 0; i < 10; i++) codes.push((await c.reply()).code);
    expect(codes).toEqual([331, 230, 200, 257, 257, 250, 200, 250, 250, 215]);
  });

  it('pauses reading under a burst of lines and answers every one of them', async () => {
    t = await startServer();
    const c = await t.raw();
    await c.login();
    c.write('NOOP\r\n'.repeat(200));
    for (let i = 0; i < 200; i++) expect((await c.reply()).code).toBe(200);
    expect((await c.send('QUIT')).code).toBe(221);
    await c.waitClosed();
  });

  it('postpones the idle timeout while the client is active, and still times out once it is quiet', async () => {
    t = await startServer({ timeout: 1 });
    const c = await t.raw();
    await c.reply();
    // Five commands 250 ms apart keep the session busy longer than the timeout.
    for (let i = 0; i < 5; i++) {
      await sleep(250);
      expect((await c.send('NOOP')).code).toBe(200);
    }
    expect(await c.reply(5000)).toMatchObject({ code: 421, text: 'Control connection timed out.' });
    await c.waitClosed();
  });

  it('closes the connection right after the 221 of QUIT', async () => {
    t = await startServer();
    const disconnected: Session[] = [];
    t.server.on('disconnect', (session) => void disconnected.push(session));
    const c = await t.raw();
    await c.login();
    expect((await c.send('QUIT')).code).toBe(221);
    await c.waitClosed(1000);
    await sleep(20);
    expect(disconnected).toHaveLength(1);
    expect(t.server.sessions.size).toBe(0);
  });

  it('makes the session id, the MLST facts and the plugin state on first use, and keeps them', async () => {
    t = await startServer();
    const sessions: Session[] = [];
    t.server.on('connect', (session) => void sessions.push(session));
    const c = await t.raw();
    await c.login();
    const session = sessions[0]!;
    expect(session.id).toMatch(/^[0-9a-f]{8}$/);
    expect(session.id).toBe(session.id);
    session.pluginState.set('x', 1);
    expect(session.pluginState.get('x')).toBe(1);
    expect(await c.send('OPTS MLST type;size;')).toMatchObject({ code: 200 });
    expect([...session.facts].sort()).toEqual(['size', 'type']);
    // REIN forgets the facts along with the user.
    await c.send('REIN');
    expect(session.facts.has('modify')).toBe(true);
  });
});

describe('logging', () => {
  let t: TestServer | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('hands every command and reply to a logger that cannot say its level, PASS masked', async () => {
    const logger = recordingLogger();
    t = await startServer({ logger });
    const c = await t.raw();
    await c.login();
    expect((await c.send('QUIT')).code).toBe(221);
    await c.waitClosed();
    await sleep(20);
    const text = logger.lines.join('\n');
    expect(text).toMatch(/^D 127\.0\.0\.1:\d+-\[\] <- USER user$/m);
    expect(text).toMatch(/^D 127\.0\.0\.1:\d+-\[\] <- PASS \*{6}$/m);
    expect(text).toMatch(/^D 127\.0\.0\.1:\d+-\[user\] -> 230 Login successful\.$/m);
    expect(text).not.toContain('12345');
    expect(text).toMatch(/^I 127\.0\.0\.1:\d+-\[user\] USER 'user' logged in\.$/m);
  });

  it('builds no debug line for a logger that says it does not print them, and keeps the info lines', async () => {
    const logger = recordingLogger(['info', 'warn', 'error']);
    t = await startServer({ logger });
    const c = await t.raw();
    await c.login();
    expect((await c.send('QUIT')).code).toBe(221);
    await c.waitClosed();
    await sleep(20);
    expect(logger.lines.filter((l) => l.startsWith('D '))).toEqual([]);
    const sessionLines = logger.lines.filter((l) => !l.includes('>>> starting'));
    expect(sessionLines.map((l) => l.replace(/:\d+-/, ':PORT-'))).toEqual([
      'I 127.0.0.1:PORT-[] FTP session opened (connect)',
      "I 127.0.0.1:PORT-[user] USER 'user' logged in.",
      'I 127.0.0.1:PORT-[user] FTP session closed (disconnect).',
    ]);
  });
});
