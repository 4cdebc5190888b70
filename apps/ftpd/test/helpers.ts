// Helpers of the end-to-end tests: run the built `ftpd` binary and real clients (curl, lftp) as child
// processes, with bounded timeouts, and clean every one of them up.
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built binary; the e2e tests run what `pnpm build` produced, never the sources. */
export const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

/** Fails early with a clear message when the package was not built. */
export function assertBuilt(): void {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`pnpm build\` first`);
}

/** An environment without anything that would silence Node's warnings or change its behaviour. */
function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env['NODE_OPTIONS'];
  delete env['NODE_NO_WARNINGS'];
  return env;
}

const children = new Set<ChildProcess>();
const sockets = new Set<Socket>();
const dirs: string[] = [];

/** A fresh temporary directory (real path), removed by {@link cleanup}. */
export function tempDir(prefix = 'ftpd-e2e-'): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  dirs.push(dir);
  return dir;
}

/** Kills every child still running (SIGKILL) and removes the temporary directories. */
export async function cleanup(): Promise<void> {
  const exits: Promise<unknown>[] = [];
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      exits.push(new Promise((resolve) => child.once('exit', resolve)));
      child.kill('SIGKILL');
    }
  }
  children.clear();
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  await Promise.all(exits);
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** The outcome of a finished child process. */
export interface RunResult {
  /** The exit status; null when killed by a signal. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to completion (killed after `timeoutMs`), never rejecting on a non-zero status. */
export function run(
  command: string,
  args: readonly string[],
  options: { timeoutMs?: number; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(
      command,
      [...args],
      {
        timeout: options.timeoutMs ?? 12_000,
        killSignal: 'SIGKILL',
        maxBuffer: 64 * 1024 * 1024,
        env: childEnv(options.env),
        ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      },
      (error, stdout, stderr) => {
        children.delete(child);
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ code, signal: child.signalCode, stdout, stderr });
      },
    );
    children.add(child);
  });
}

/** Runs the built `ftpd` to completion (for flags that exit: -h, -v, errors). */
export function runFtpd(args: readonly string[], timeoutMs = 8000): Promise<RunResult> {
  return run(process.execPath, [BIN, ...args], { timeoutMs });
}

/** A running `ftpd`. */
export interface Ftpd {
  readonly child: ChildProcess;
  /** The port it listens on, from its `>>> starting FTP server on 127.0.0.1:<port>` line. */
  readonly port: number;
  /**
   * With `--implicit-tls-port`: the implicit-FTPS port, from its `>>> starting FTPS (implicit) server on
   * 127.0.0.1:<port>` line.
   */
  readonly implicitPort: number | undefined;
  /** `ftp://127.0.0.1:<port>/` */
  readonly url: string;
  /** Everything it wrote to stderr so far. */
  stderr(): string;
  /** Resolves once stderr matches `pattern`; rejects after `timeoutMs`. */
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit status (or signal) once the process ended. */
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const STARTED =
  /^\[I \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] >>> starting FTP server on 127\.0\.0\.1:(\d+), pid=\d+ <<<$/m;
const IMPLICIT_STARTED =
  /^\[I \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] >>> starting FTPS \(implicit\) server on 127\.0\.0\.1:(\d+), pid=\d+ <<<$/m;

/**
 * Starts the built `ftpd` on `127.0.0.1`, an ephemeral port and `directory` (no `-d` when undefined),
 * plus `args` (and `env` on top of this process's environment, in `cwd`), and waits (at most
 * `timeoutMs`, default 8 s) for the start line that tells the port, and for the implicit-FTPS one when
 * `args` has `--implicit-tls-port`.
 */
export async function startFtpd(
  directory: string | undefined,
  args: readonly string[] = [],
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<Ftpd> {
  const dirArgs = directory === undefined ? [] : ['-d', directory];
  const child = spawn(process.execPath, [BIN, '-p', '0', '-i', '127.0.0.1', ...dirArgs, ...args], {
    env: childEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  });
  children.add(child);
  let stderr = '';
  const waiters = new Set<() => void>();
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
    for (const wake of waiters) wake();
  });
  child.stdout.resume();
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      for (const wake of waiters) wake();
      resolve({ code, signal });
    });
  });
  const waitForStderr = (pattern: RegExp, ms = 8000): Promise<RegExpMatchArray> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const match = pattern.exec(stderr);
        if (match !== null) {
          finish();
          resolve(match);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          finish();
          reject(
            new Error(`ftpd exited (${child.exitCode ?? child.signalCode}) before ${pattern}:\n${stderr}`),
          );
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out after ${ms} ms waiting for ${pattern} on ftpd's stderr:\n${stderr}`));
      }, ms);
      const finish = (): void => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  const match = await waitForStderr(STARTED, options.timeoutMs ?? 8000);
  const port = Number(match[1]);
  const implicit = args.some((arg) => arg.startsWith('--implicit-tls-port'))
    ? await waitForStderr(IMPLICIT_STARTED, options.timeoutMs ?? 8000)
    : undefined;
  return {
    child,
    port,
    implicitPort: implicit === undefined ? undefined : Number(implicit[1]),
    url: `ftp://127.0.0.1:${port}/`,
    stderr: () => stderr,
    waitForStderr,
    exited: () => exit,
  };
}

/** Runs curl with `-sS --max-time 10` (plus `args`). */
export function curl(args: readonly string[], cwd?: string): Promise<RunResult> {
  return run('curl', ['-sS', '--max-time', '10', ...args], cwd === undefined ? {} : { cwd });
}

/**
 * Runs `lftp -c` with strict, fast-failing settings (fail on the first error, one retry, 5 s network
 * timeout, no TLS attempt, passive mode unless `script` changes it), logged in as `user` (anonymous when
 * undefined), then `script`. HOME is a temp dir so no user configuration leaks in. With `tls`, lftp must
 * use TLS on the control and data connections instead (and accepts a self-signed certificate).
 */
export function lftp(
  ftpd: Ftpd,
  script: string,
  user?: string,
  options: { debug?: boolean; cwd?: string; tls?: boolean } = {},
): Promise<RunResult> {
  const home = tempDir('ftpd-lftp-home-');
  mkdirSync(join(home, '.config'), { recursive: true });
  const login = user === undefined ? '' : `-u ${user} `;
  const commands = [
    'set cmd:fail-exit yes',
    ...(options.tls === true
      ? [
          'set ftp:ssl-force true',
          'set ftp:ssl-protect-data true',
          'set ssl:verify-certificate no',
          // Without it lftp logs in as anonymous in plaintext, whatever ftp:ssl-force says.
          'set ftp:ssl-allow-anonymous true',
        ]
      : ['set ftp:ssl-allow no']),
    'set ftp:passive-mode true',
    'set net:max-retries 1',
    'set net:timeout 5',
    'set net:reconnect-interval-base 1',
    'set xfer:clobber on',
    `open ${login}ftp://127.0.0.1:${ftpd.port}`,
    script,
  ].join('; ');
  return run('lftp', [...(options.debug === true ? ['-d'] : []), '-c', commands], {
    env: { HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_DATA_HOME: join(home, '.local') },
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  });
}

/** A self-signed test certificate made by openssl. */
export interface TestCertificate {
  /** The PEM certificate file. */
  readonly cert: string;
  /** The PEM private key file. */
  readonly key: string;
  /** Its SHA-256 fingerprint as openssl prints it: `AB:CD:...`. */
  readonly fingerprint: string;
}

/**
 * Makes a 2-day self-signed RSA certificate for `cn` (`openssl req -x509 ...`), written to `cert.pem` and
 * `key.pem` in `dir` (or the names given), replacing them if they exist.
 */
export function makeCertificate(
  dir: string,
  cn = 'localhost',
  names: { cert?: string; key?: string } = {},
): TestCertificate {
  const cert = join(dir, names.cert ?? 'cert.pem');
  const key = join(dir, names.key ?? 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      `/CN=${cn}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 },
  );
  return { cert, key, fingerprint: fingerprintOf(cert) };
}

/** The SHA-256 fingerprint of a PEM certificate file (`AB:CD:...`), by openssl. */
export function fingerprintOf(cert: string): string {
  const out = execFileSync('openssl', ['x509', '-in', cert, '-noout', '-fingerprint', '-sha256'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  return out.trim().replace(/^.*Fingerprint=/i, '');
}

/**
 * The SHA-256 fingerprint of the certificate a server presents after `AUTH TLS` on `port`
 * (`openssl s_client -starttls ftp`), or of its implicit-TLS certificate when `implicit`.
 */
export async function presentedFingerprint(port: number, implicit = false): Promise<string> {
  const args = ['s_client', '-connect', `127.0.0.1:${port}`, ...(implicit ? [] : ['-starttls', 'ftp'])];
  const client = await run('sh', [
    '-c',
    'openssl "$@" </dev/null | openssl x509 -noout -fingerprint -sha256',
    'sh',
    ...args,
  ]);
  const match = /Fingerprint=(\S+)/i.exec(client.stdout);
  if (match === null)
    throw new Error(`no certificate from 127.0.0.1:${port}: ${client.stdout}${client.stderr}`);
  return match[1]!;
}

/** The SHA-256 of a file, hex. */
export function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** A pyftpdlib log record: `[I 2026-11-22 01:51:25] message`. */
export const LOG_LINE = /^\[[DIWE] \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] /;

/** A raw control connection for checks no client exposes. */
export interface RawClient {
  readonly socket: Socket;
  /** Everything received so far. */
  received(): string;
  /** Sends one command line (CRLF added). */
  send(line: string): void;
  /**
   * Resolves with the first match of `pattern` in what was received after `from` characters; rejects
   * when the connection closes first or after 5 s.
   */
  until(pattern: RegExp, from?: number): Promise<string>;
  /** Resolves when the server closed the connection. */
  closed: Promise<void>;
}

/** Connects to `127.0.0.1:port` and waits for the 220 greeting. Closed by {@link cleanup}. */
export async function rawClient(port: number): Promise<RawClient> {
  const socket = connect(port, '127.0.0.1');
  sockets.add(socket);
  socket.on('error', () => {});
  let text = '';
  const waiters = new Set<() => void>();
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    text += chunk;
    for (const wake of waiters) wake();
  });
  let isClosed = false;
  const closed = new Promise<void>((resolve) =>
    socket.once('close', () => {
      isClosed = true;
      for (const wake of waiters) wake();
      resolve();
    }),
  );
  const until = (pattern: RegExp, from = 0): Promise<string> =>
    new Promise((resolve, reject) => {
      const fail = (why: string): void => {
        clearTimeout(timer);
        waiters.delete(check);
        reject(new Error(`${why} before ${pattern}; got ${JSON.stringify(text)}`));
      };
      const timer = setTimeout(() => fail('5 s passed'), 5000);
      function check(): void {
        const match = pattern.exec(text.slice(from));
        if (match === null) {
          if (isClosed) fail('the server closed the connection');
          return;
        }
        clearTimeout(timer);
        waiters.delete(check);
        resolve(match[0]);
      }
      waiters.add(check);
      check();
    });
  await until(/^220[ -]/m);
  return {
    socket,
    received: () => text,
    send: (line) => socket.write(`${line}\r\n`),
    until,
    closed,
  };
}
