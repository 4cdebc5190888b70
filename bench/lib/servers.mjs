/**
 * The servers under test: how to find or install each, prepare it and start it fresh on a free
 * loopback port, and how to stop it. Every server runs as a child of the harness in its own process
 * group, with its output going to a log file in the run's temp directory.
 */

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FtpSession } from './ftp-client.mjs';
import { processTree } from './proc.mjs';

const here = dirname(fileURLToPath(import.meta.url));
export const REPO = resolve(here, '..', '..');
export const FTPD_BIN = join(REPO, 'apps', 'ftpd', 'dist', 'bin.js');
/** Debian's python, which has python3-pyftpdlib (the `python3` on PATH may be a pyenv one without it). */
export const SYSTEM_PYTHON = '/usr/bin/python3';
/** Any python 3 for the raw peers (standard library only). */
export const ANY_PYTHON = existsSync(SYSTEM_PYTHON) ? SYSTEM_PYTHON : 'python3';
const PYFTPDLIB_LAUNCHER = join(here, '..', 'py', 'pyftpdlib_server.py');
const VSFTPD_BIN = '/usr/sbin/vsftpd';

/** The one account every server gets (for vsftpd a system user of that name). */
export const USER = 'ftpkitbench';
export const PASSWORD = 'bench-pw-1';
const PAM_SERVICE = 'ftpkit-bench';
const PAM_FILE = `/etc/pam.d/${PAM_SERVICE}`;
/** Idle timeout given to every server, long enough never to fire during a run. */
const TIMEOUT_S = 600;

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** A free TCP port on 127.0.0.1 (bound then released; the server binds it right after). */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

function run(command, args, options = {}) {
  return spawnSync(command, args, { encoding: 'utf8', ...options });
}

/** `apt-get install -y PACKAGES` (after an `apt-get update` when the first try fails); true on success. */
export function aptInstall(packages, log) {
  if (!isRoot()) {
    log(`  not root: cannot install ${packages.join(' ')}; install them with apt-get to include this peer`);
    return false;
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => {
    log(`  $ apt-get install -y --no-install-recommends ${packages.join(' ')}`);
    const result = run('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...packages], { env });
    if (result.status !== 0) log(indent(`${result.stdout}${result.stderr}`.trim().split('\n').slice(-5)));
    return result.status === 0;
  };
  if (install()) return true;
  log('  $ apt-get update');
  run('apt-get', ['update', '-q'], { env });
  return install();
}

function indent(lines) {
  return lines.map((line) => `    ${line}`).join('\n');
}

function tail(file, lines = 15) {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Waits until the server answers 220 on `port` (and leaves again), or its process exits. */
async function waitReady(child, port, logFile, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `exited (${child.exitCode ?? child.signalCode}) before listening; log:\n${tail(logFile)}`,
      );
    }
    try {
      const session = await FtpSession.open('127.0.0.1', port);
      await session.quit().catch(() => session.destroy());
      return;
    } catch (error) {
      lastError = error;
      await sleep(50);
    }
  }
  throw new Error(
    `not answering on port ${port} after ${timeoutMs} ms (${lastError?.message}); log:\n${tail(logFile)}`,
  );
}

/** Starts `command args` as a server child and waits until it answers; returns a handle with stop(). */
async function launch(name, command, args, { port, logFile }) {
  const out = openSync(logFile, 'a');
  const child = spawn(command, args, { stdio: ['ignore', out, out], detached: true });
  const exited = new Promise((done) => child.once('exit', done));
  child.once('error', () => {});
  try {
    await waitReady(child, port, logFile);
  } catch (error) {
    await stopChild(child, exited);
    throw new Error(`${name}: ${error.message}`);
  }
  return {
    pid: child.pid,
    port,
    logFile,
    backlog: listenBacklog(port),
    stop: () => stopChild(child, exited),
  };
}

/** The listen backlog of the socket on `port` (the Send-Q column of `ss -ltn`), if `ss` is there. */
function listenBacklog(port) {
  const result = run('ss', ['-ltnH', `sport = :${port}`]);
  const fields = result.status === 0 ? result.stdout.trim().split(/\s+/) : [];
  return fields.length >= 3 ? Number(fields[2]) : undefined;
}

/** SIGTERM, up to 3 s to exit, then SIGKILL of its process group and of any process left in its tree. */
async function stopChild(child, exited) {
  if (child.exitCode === null && child.signalCode === null) {
    const leftovers = processTree(child.pid).slice(1);
    child.kill('SIGTERM');
    const ok = await Promise.race([exited.then(() => true), sleep(3000).then(() => false)]);
    if (!ok) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
      await Promise.race([exited, sleep(1000)]);
    }
    for (const pid of leftovers) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
  }
}

/** The newest modification time of the files under `dir` (0 if it does not exist). */
function newest(dir) {
  let latest = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true, recursive: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    try {
      latest = Math.max(latest, statSync(join(entry.parentPath ?? entry.path, entry.name)).mtimeMs);
    } catch {}
  }
  return latest;
}

// ---------------------------------------------------------------------------------------------------

/** ftpkit's own `ftpd`, from apps/ftpd/dist (built by `pnpm build`). */
export const ftpd = {
  name: 'ftpd',
  description: 'ftpkit ftpd (apps/ftpd/dist/bin.js)',
  check(log) {
    if (!existsSync(FTPD_BIN)) return `${FTPD_BIN} is missing: run \`pnpm build\` first`;
    const stale = [
      'apps/ftpd',
      'packages/core',
      'packages/filesystems/local',
      'packages/authorizers/dummy',
    ].filter((dir) => newest(join(REPO, dir, 'src')) > newest(join(REPO, dir, 'dist')));
    if (stale.length > 0)
      log(`ftpd: warning: ${stale.join(', ')} changed since the last build (run \`pnpm build\`)`);
    return undefined;
  },
  version() {
    try {
      return execFileSync(process.execPath, [FTPD_BIN, '--version'], { encoding: 'utf8' }).trim();
    } catch {
      return 'ftpd (unknown version)';
    }
  },
  prepare() {},
  async start({ root, logDir, ftpdArgs = [] }) {
    const port = await freePort();
    const args = [
      FTPD_BIN,
      '-i',
      '127.0.0.1',
      '-p',
      String(port),
      '-w',
      '-d',
      root,
      '-u',
      USER,
      '-P',
      PASSWORD,
      '--max-cons',
      '0',
      '--max-cons-per-ip',
      '0',
      '--timeout',
      String(TIMEOUT_S),
      ...ftpdArgs,
    ];
    return launch('ftpd', process.execPath, args, { port, logFile: join(logDir, 'ftpd.log') });
  },
  cleanup() {},
};

/** pyftpdlib 1.5.7 from Debian (python3-pyftpdlib), through a launcher using its API. */
export const pyftpdlib = {
  name: 'pyftpdlib',
  description: 'pyftpdlib (Debian python3-pyftpdlib, /usr/bin/python3)',
  check(log) {
    const has = () =>
      existsSync(SYSTEM_PYTHON) && run(SYSTEM_PYTHON, ['-c', 'import pyftpdlib']).status === 0;
    if (has()) return undefined;
    log('pyftpdlib: /usr/bin/python3 cannot import pyftpdlib; installing python3-pyftpdlib');
    if (aptInstall(['python3-pyftpdlib'], log) && has()) return undefined;
    return 'python3-pyftpdlib is not installed (apt-get install python3-pyftpdlib)';
  },
  version() {
    const result = run(SYSTEM_PYTHON, [
      '-c',
      'import pyftpdlib, sys; print(pyftpdlib.__ver__, sys.version.split()[0])',
    ]);
    const [lib, py] = result.stdout.trim().split(' ');
    return `pyftpdlib ${lib} (Python ${py})`;
  },
  prepare() {},
  async start({ root, logDir }) {
    const port = await freePort();
    const args = [PYFTPDLIB_LAUNCHER, '127.0.0.1', String(port), root, USER, PASSWORD, String(TIMEOUT_S)];
    return launch('pyftpdlib', SYSTEM_PYTHON, args, { port, logFile: join(logDir, 'pyftpdlib.log') });
  },
  cleanup() {},
};

/**
 * vsftpd 3.0.3 from Debian, standalone (listen=YES) with its default process model (a process pair per
 * session, isolate=YES, seccomp sandbox), authenticating a system user through a PAM service of our
 * own (pam_unix; the password hashed with SHA-512 at 1000 rounds so hashing is not what is measured).
 */
export const vsftpd = {
  name: 'vsftpd',
  description: 'vsftpd (Debian vsftpd, standalone, PAM pam_unix)',
  createdUser: false,
  wrotePam: false,
  check(log) {
    if (!isRoot()) return 'vsftpd needs root here (system user, PAM service, privilege separation)';
    if (existsSync(VSFTPD_BIN)) return undefined;
    log('vsftpd: /usr/sbin/vsftpd is missing; installing vsftpd');
    if (aptInstall(['vsftpd'], log) && existsSync(VSFTPD_BIN)) return undefined;
    return 'vsftpd is not installed (apt-get install vsftpd)';
  },
  version() {
    // vsftpd -v prints its version on stdin's fd (0), hence the shell redirection.
    const result = run('sh', ['-c', `${VSFTPD_BIN} -v 0>&1`]);
    const match = /version\s+([\d.]+)/.exec(`${result.stdout}${result.stderr}`);
    return `vsftpd ${match?.[1] ?? '(unknown version)'}`;
  },
  prepare({ tmp, root, log }) {
    // vsftpd changes to the user's home directory at login (before local_root), so the home is the
    // shared directory of this run.
    if (run('id', ['-u', USER]).status !== 0) {
      const args = ['--system', '--no-create-home', '--home-dir', root, '--shell', '/usr/sbin/nologin', USER];
      log(`vsftpd: $ useradd ${args.join(' ')}`);
      const result = run('useradd', args);
      if (result.status !== 0) throw new Error(`useradd failed: ${result.stderr.trim()}`);
      this.createdUser = true;
    } else {
      const result = run('usermod', ['--home', root, USER]);
      if (result.status !== 0) throw new Error(`usermod --home failed: ${result.stderr.trim()}`);
    }
    const pw = run('chpasswd', ['-c', 'SHA512', '-s', '1000'], { input: `${USER}:${PASSWORD}\n` });
    if (pw.status !== 0) throw new Error(`chpasswd failed: ${pw.stderr.trim()}`);
    const pam = [
      '# written by the ftpkit benchmark (bench/run.mjs); removed when it ends',
      'auth     required pam_unix.so',
      'account  required pam_unix.so',
      'session  required pam_permit.so',
      '',
    ].join('\n');
    if (!existsSync(PAM_FILE) || readFileSync(PAM_FILE, 'utf8') !== pam) {
      log(`vsftpd: writing PAM service ${PAM_FILE} (pam_unix)`);
      writeFileSync(PAM_FILE, pam);
      this.wrotePam = true;
    }
    this.emptyDir = join(tmp, 'vsftpd-empty');
    mkdirSync(this.emptyDir, { recursive: true, mode: 0o755 });
  },
  async start({ root, logDir, tmp }) {
    const port = await freePort();
    const config = join(tmp, 'vsftpd.conf');
    writeFileSync(
      config,
      [
        'listen=YES',
        'listen_ipv6=NO',
        'listen_address=127.0.0.1',
        `listen_port=${port}`,
        'background=NO',
        'anonymous_enable=NO',
        'local_enable=YES',
        'write_enable=YES',
        'local_umask=022',
        `local_root=${root}`,
        'pasv_enable=YES',
        'connect_from_port_20=NO',
        `pam_service_name=${PAM_SERVICE}`,
        `secure_chroot_dir=${this.emptyDir}`,
        'max_clients=0',
        'max_per_ip=0',
        `idle_session_timeout=${TIMEOUT_S}`,
        `data_connection_timeout=${TIMEOUT_S}`,
        'xferlog_enable=NO',
        'use_localtime=NO',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    return launch('vsftpd', VSFTPD_BIN, [config], { port, logFile: join(logDir, 'vsftpd.log') });
  },
  cleanup(log) {
    if (this.wrotePam) {
      rmSync(PAM_FILE, { force: true });
      this.wrotePam = false;
    }
    if (this.createdUser) {
      const result = run('userdel', [USER]);
      if (result.status !== 0) log(`vsftpd: userdel ${USER} failed: ${result.stderr.trim()}`);
      this.createdUser = false;
    }
  },
};

export const SERVERS = [ftpd, pyftpdlib, vsftpd];
