// In-process tests of main(): the same code as the binary, with the process's streams, signals and exit
// replaced, so the error paths and the shutdown sequence run in milliseconds.
import { EventEmitter } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createLogger, type FtpServer } from '@ftpkit/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT_USAGE, type MainEnvironment, main, reloadCertificates } from '../src/main.js';
import type { SignalTarget } from '../src/signals.js';
import { MEMORY_HOME_PREFIX, type StartedServer } from '../src/startup.js';
import { FTPD_VERSION } from '../src/version.js';
import { cleanup, makeCertificate, rawClient } from './helpers.js';

class Capture {
  text = '';
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

class FakeSignals extends EventEmitter implements SignalTarget {
  send(signal: NodeJS.Signals): void {
    this.emit(signal, signal);
  }
}

interface Run {
  readonly stdout: Capture;
  readonly stderr: Capture;
  readonly signals: FakeSignals;
  readonly exits: number[];
  readonly env: Partial<MainEnvironment>;
}

function run(overrides: Partial<MainEnvironment> = {}): Run {
  const stdout = new Capture();
  const stderr = new Capture();
  const signals = new FakeSignals();
  const exits: number[] = [];
  return {
    stdout,
    stderr,
    signals,
    exits,
    env: { stdout, stderr, signals, exit: (code) => exits.push(code), cwd: dir, ...overrides },
  };
}

let dir: string;
const blockers: Server[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ftpd-main-'));
});

afterEach(async () => {
  await cleanup();
  for (const server of blockers.splice(0)) await new Promise((done) => server.close(done));
  rmSync(dir, { recursive: true, force: true });
});

describe('main: exit codes and one-line errors', () => {
  it('prints the version on stdout and returns 0', async () => {
    const r = run();
    expect(await main(['--version'], r.env)).toBe(0);
    expect(r.stdout.text).toBe(`ftpd ${FTPD_VERSION}\n`);
    expect(r.stderr.text).toBe('');
  });

  it('prints the help on stdout and returns 0', async () => {
    const r = run();
    expect(await main(['-h'], r.env)).toBe(0);
    expect(r.stdout.text).toMatch(/^usage: ftpd \[options\]\n/);
  });

  it.each([
    [['--bogus'], 'unrecognized option: --bogus'],
    [['-p', '70000'], '-p/--port: must be in 0..65535, got 70000'],
    [['-u', 'bob'], '-u/--username needs a password: add -P/--password'],
  ])('%j: usage error, status 2', async (argv, message) => {
    const r = run();
    expect(await main(argv, r.env)).toBe(EXIT_USAGE);
    expect(r.stderr.text).toBe(`ftpd: error: ${message}\n`);
    expect(r.stdout.text).toBe('');
  });

  it('refuses a missing directory', async () => {
    const r = run();
    const missing = join(dir, 'nope');
    expect(await main(['-p', '0', '-d', missing], r.env)).toBe(EXIT_USAGE);
    expect(r.stderr.text).toBe(`ftpd: error: no such directory: ${missing}\n`);
  });

  it('refuses a file given as the directory', async () => {
    const r = run();
    const file = join(dir, 'file.txt');
    writeFileSync(file, 'x');
    expect(await main(['-p', '0', '-d', file], r.env)).toBe(EXIT_USAGE);
    expect(r.stderr.text).toBe(`ftpd: error: not a directory: ${file}\n`);
  });

  it('reports a busy port', async () => {
    const blocker = createServer();
    blockers.push(blocker);
    await new Promise<void>((done) => blocker.listen(0, '127.0.0.1', done));
    const port = (blocker.address() as { port: number }).port;
    const r = run();
    expect(await main(['-i', '127.0.0.1', '-p', String(port)], r.env)).toBe(EXIT_USAGE);
    const lines = r.stderr.text.trimEnd().split('\n');
    expect(lines.at(-1)).toBe(`ftpd: error: cannot listen on 127.0.0.1:${port}: address already in use`);
    expect(lines.filter((line) => line.startsWith('ftpd: error:'))).toHaveLength(1);
  });

  it('reports a busy port on all interfaces (no -i), naming the address', async () => {
    const blocker = createServer();
    blockers.push(blocker);
    await new Promise<void>((done) => blocker.listen(0, done));
    const { address, port } = blocker.address() as { address: string; port: number };
    const shown = address.includes(':') ? `[${address}]` : address;
    const r = run();
    expect(await main(['-p', String(port)], r.env)).toBe(EXIT_USAGE);
    expect(r.stderr.text.trimEnd().split('\n').at(-1)).toBe(
      `ftpd: error: cannot listen on ${shown}:${port}: address already in use`,
    );
  });
});

describe('main: serving and shutting down', () => {
  function start(
    argv: string[],
  ): Promise<{ r: Run; port: number; server: FtpServer; done: Promise<number> }> {
    return new Promise((resolve, reject) => {
      const r = run({
        onListening: (address, server) => resolve({ r, port: address.port, server, done }),
      });
      const done = main(argv, r.env);
      done.then(
        (code) => reject(new Error(`main returned ${code} before listening: ${r.stderr.text}`)),
        reject,
      );
    });
  }

  it('logs the start lines, then stops on the first signal and returns 0', async () => {
    const { r, port, done } = await start([
      '-i',
      '127.0.0.1',
      '-p',
      '0',
      '-r',
      '50000-50010',
      '-n',
      '10.1.2.3',
    ]);
    expect(r.stderr.text).toContain('] concurrency model: async\n');
    expect(r.stderr.text).toContain('] masquerade (NAT) address: 10.1.2.3\n');
    expect(r.stderr.text).toContain('] passive ports: 50000->50010\n');
    expect(r.stderr.text).toContain(
      `] >>> starting FTP server on 127.0.0.1:${port}, pid=${process.pid} <<<\n`,
    );
    expect(r.signals.listenerCount('SIGINT')).toBe(1);
    r.signals.send('SIGINT');
    expect(await done).toBe(0);
    expect(r.stderr.text).toMatch(
      /\[I \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] >>> shutting down FTP server \(0 active sessions\) <<<\n$/,
    );
    expect(r.signals.listenerCount('SIGINT')).toBe(0);
    expect(r.signals.listenerCount('SIGTERM')).toBe(0);
    expect(r.exits).toEqual([]);
  });

  it('disconnects connected clients, counts them in the shutdown line, and exits at once on a second signal', async () => {
    const { r, port, server, done } = await start(['-i', '127.0.0.1', '-p', '0']);
    const client = connect(port, '127.0.0.1');
    const closed = new Promise<void>((resolve) => client.on('close', () => resolve()));
    client.on('error', () => {});
    await new Promise<void>((resolve) => client.once('data', () => resolve()));
    expect(server.sessions.size).toBe(1);
    r.signals.send('SIGTERM');
    r.signals.send('SIGINT');
    expect(r.exits).toEqual([130]);
    expect(await done).toBe(0);
    await closed;
    expect(r.stderr.text).toContain('>>> shutting down FTP server (1 active sessions) <<<');
  });

  it('logs the debug start lines with -D', async () => {
    const { r, done } = await start(['-i', '127.0.0.1', '-p', '0', '-D', '--max-cons-per-ip', '0']);
    r.signals.send('SIGTERM');
    expect(await done).toBe(0);
    expect(r.stderr.text).toContain('[D ');
    expect(r.stderr.text).toContain('] max connections: 512\n');
    expect(r.stderr.text).toContain('] max connections per ip: unlimited\n');
    expect(r.stderr.text).toContain('] timeout: 300\n');
  });
});

/** Starts main() and resolves once it listens, with what it started. */
function startMain(argv: string[]): Promise<{ r: Run; started: StartedServer; done: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const r = run({ onListening: (_address, _server, started) => resolve({ r, started, done }) });
    const done = main(argv, r.env);
    done.then(
      (code) => reject(new Error(`main returned ${code} before listening: ${r.stderr.text}`)),
      reject,
    );
  });
}

/** A port that was free a moment ago. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
  const { port } = probe.address() as { port: number };
  await new Promise((done) => probe.close(done));
  return port;
}

describe('main: TLS', () => {
  it('reports an unreadable certificate as one error line, status 2', async () => {
    const r = run();
    const missing = join(dir, 'missing.pem');
    expect(await main(['-p', '0', '--tls', '--certfile', missing], r.env)).toBe(EXIT_USAGE);
    expect(r.stderr.text).toMatch(/^ftpd: error: cannot read certFile .*missing\.pem: ENOENT[^\n]*\n$/);
    expect(r.signals.listenerCount('SIGHUP')).toBe(0);
    expect(r.signals.listenerCount('SIGINT')).toBe(0);
  });

  it('starts the implicit listener after the control one and logs both', async () => {
    const cert = makeCertificate(dir);
    const { r, started, done } = await startMain([
      '-i',
      '127.0.0.1',
      '-p',
      '0',
      '--certfile',
      cert.cert,
      '--keyfile',
      cert.key,
      '--implicit-tls-port',
      '0',
    ]);
    expect(started.tls).toBeDefined();
    const implicit = started.implicitAddress!.port;
    expect(implicit).toBeGreaterThan(0);
    const lines = r.stderr.text.trimEnd().split('\n');
    expect(lines.at(-2)).toContain(
      `] >>> starting FTP server on 127.0.0.1:${started.address.port}, pid=${process.pid} <<<`,
    );
    expect(lines.at(-1)).toContain(
      `] >>> starting FTPS (implicit) server on 127.0.0.1:${implicit}, pid=${process.pid} <<<`,
    );
    r.signals.send('SIGTERM');
    expect(await done).toBe(0);
  });

  it('a busy implicit port: status 2, and the control port is released', async () => {
    const cert = makeCertificate(dir);
    const blocker = createServer();
    blockers.push(blocker);
    await new Promise<void>((done) => blocker.listen(0, '127.0.0.1', done));
    const busy = (blocker.address() as { port: number }).port;
    const control = await freePort();
    const r = run();
    const argv = ['-i', '127.0.0.1', '-p', String(control), '--tls', '--certfile', cert.cert];
    expect(await main([...argv, '--keyfile', cert.key, '--implicit-tls-port', String(busy)], r.env)).toBe(
      EXIT_USAGE,
    );
    expect(r.stderr.text.trimEnd().split('\n').at(-1)).toBe(
      `ftpd: error: cannot listen on 127.0.0.1:${busy}: address already in use`,
    );
    const again = createServer();
    blockers.push(again);
    await new Promise<void>((done, fail) => again.once('error', fail).listen(control, '127.0.0.1', done));
  });

  it('SIGHUP reloads the certificates, logs a failure and never stops; the handler goes at shutdown', async () => {
    const cert = makeCertificate(dir);
    const { r, done } = await startMain([
      '-i',
      '127.0.0.1',
      '-p',
      '0',
      '--tls',
      '--certfile',
      cert.cert,
      '--keyfile',
      cert.key,
    ]);
    expect(r.signals.listenerCount('SIGHUP')).toBe(1);
    makeCertificate(dir, 'renewed');
    r.signals.send('SIGHUP');
    expect(r.stderr.text).toMatch(
      new RegExp(
        `\\[I [^\\]]+\\] certificates reloaded \\(certfile ${cert.cert}, keyfile ${cert.key}\\)\\n$`,
      ),
    );
    writeFileSync(cert.key, 'garbage');
    r.signals.send('SIGHUP');
    expect(r.stderr.text).toMatch(
      /\[E [^\]]+\] cannot reload certificates, keeping the previous ones: invalid TLS certificate or key .*\n$/,
    );
    expect(r.exits).toEqual([]);
    r.signals.send('SIGINT');
    expect(await done).toBe(0);
    expect(r.signals.listenerCount('SIGHUP')).toBe(0);
  });

  it('installs no SIGHUP handler without TLS', async () => {
    const { r, done } = await startMain(['-i', '127.0.0.1', '-p', '0']);
    expect(r.signals.listenerCount('SIGHUP')).toBe(0);
    r.signals.send('SIGTERM');
    expect(await done).toBe(0);
  });

  it('reloadCertificates before the server is up only warns', () => {
    const out = {
      text: '',
      write(chunk: string) {
        this.text += chunk;
      },
    };
    reloadCertificates(undefined, createLogger({ stream: out }));
    expect(out.text).toMatch(/^\[W [^\]]+\] SIGHUP ignored: the server is still starting\n$/);
  });
});

describe('main: --fs memory and --encoding', () => {
  it('serves the memory volume; the nominal home stays empty and is removed at shutdown', async () => {
    const { r, started, done } = await startMain(['-i', '127.0.0.1', '-p', '0', '--fs', 'memory', '-w']);
    const home = started.home;
    expect(dirname(home)).toBe(tmpdir());
    expect(home).toContain(MEMORY_HOME_PREFIX);
    expect(started.volume).toBeDefined();
    const client = await rawClient(started.address.port);
    client.send('USER anonymous');
    client.send('PASS x');
    await client.until(/^230 /m);
    const from = client.received().length;
    client.send('MKD fresh');
    expect(await client.until(/^\d{3} .*\r\n/m, from)).toBe('257 "/fresh" directory created.\r\n');
    expect(started.volume!.list('/')).toEqual(['fresh']);
    expect(readdirSync(home)).toEqual([]);
    r.signals.send('SIGTERM');
    expect(await done).toBe(0);
    expect(existsSync(home)).toBe(false);
  });

  it('passes --encoding to the server (and shows its WHATWG name with -D)', async () => {
    const { r, started, done } = await startMain([
      '-i',
      '127.0.0.1',
      '-p',
      '0',
      '-D',
      '--encoding',
      'latin1',
    ]);
    expect(started.server.options.charset.name).toBe('windows-1252');
    expect(r.stderr.text).toContain("] encoding: 'windows-1252'\n");
    r.signals.send('SIGTERM');
    expect(await done).toBe(0);
  });
});
