#!/usr/bin/env node
/**
 * ftpkit benchmark harness: ftpd vs pyftpdlib vs vsftpd on loopback. See bench/README.md.
 *
 *   node bench/run.mjs              full run (1 GiB, 200 clients, 5 rounds; under 10 minutes)
 *   node bench/run.mjs --quick      about a minute (256 MiB, 50 clients, 2 rounds)
 *   node bench/run.mjs --smoke      ftpd only, tiny sizes, a few seconds (what the CI smoke test runs)
 *   options: --only ftpd,pyftpdlib  --rounds N  --clients N  --client-threads N  --size MiB  --out DIR
 *            --keep  --no-raw
 */

import { fork } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { MiB, uploadBuffer } from './lib/ftp-client.mjs';
import { PHASES, runPhases } from './lib/phases.mjs';
import { measureRaw } from './lib/raw.mjs';
import { markdown, sizeLabel, summarize } from './lib/report.mjs';
import { SERVERS } from './lib/servers.mjs';

const here = dirname(fileURLToPath(import.meta.url));

const PRESETS = {
  full: {
    bigSize: 1024 * MiB,
    smallSize: 10 * MiB,
    clients: 200,
    rounds: 5,
    dirFiles: 10_000,
    loginMs: 2000,
    listRepeats: 3,
  },
  quick: {
    bigSize: 256 * MiB,
    smallSize: 10 * MiB,
    clients: 50,
    rounds: 2,
    dirFiles: 10_000,
    loginMs: 1000,
    listRepeats: 2,
  },
  smoke: {
    bigSize: 8 * MiB,
    smallSize: 1 * MiB,
    clients: 5,
    rounds: 1,
    dirFiles: 200,
    loginMs: 300,
    listRepeats: 1,
  },
};

const USAGE = `usage: node bench/run.mjs [--quick | --smoke] [options]

  --quick            about a minute: 256 MiB file, 50 clients, 2 rounds
  --smoke            ftpd only, tiny sizes, 1 round (a few seconds): checks the harness works
  --only LIST        servers to run, comma-separated, from: ${SERVERS.map((s) => s.name).join(', ')}
  --rounds N         rounds (each runs every server once, interleaved)
  --clients N        concurrent clients
  --client-threads N worker threads for the concurrent clients (default 1: this thread)
  --login-parallelism N  logins in progress at once while the N clients connect (default 20;
                     0 = all at once, which overflows small listen backlogs)
  --size MIB         size of the big file (single-client STOR/RETR and raw limits), MiB
  --out DIR          where to write the JSON and markdown (default bench/results)
  --no-raw           skip the raw loopback limits
  --phases LIST      run only these phases, comma-separated, from: ${PHASES.join(', ')}
                     (retrN, storN and quitN bring connect with them; idle, sessions and peak memory
                     are always measured)
  --ftpd-args ARGS   extra flags for ftpd, space-separated (A/B runs of one option, e.g.
                     --ftpd-args=--disable-direct-receive)
  --keep             keep the temp directory (files, server logs)
  -h, --help         this help
`;

/** A bad command line or a missing server: one line of text, no stack. */
class UsageError extends Error {}

function parseCli(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        quick: { type: 'boolean' },
        smoke: { type: 'boolean' },
        only: { type: 'string' },
        rounds: { type: 'string' },
        clients: { type: 'string' },
        'client-threads': { type: 'string' },
        'login-parallelism': { type: 'string' },
        size: { type: 'string' },
        out: { type: 'string' },
        'no-raw': { type: 'boolean' },
        phases: { type: 'string' },
        'ftpd-args': { type: 'string' },
        keep: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    });
  } catch (error) {
    throw new UsageError(error.message.split('\n')[0]);
  }
  const { values } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const mode = values.smoke ? 'smoke' : values.quick ? 'quick' : 'full';
  const positive = (name) => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name}: expected a positive integer`);
    return n;
  };
  const cfg = {
    ...PRESETS[mode],
    dirName: 'dir',
    settleMs: mode === 'smoke' ? 100 : 500,
    phaseTimeoutMs: 120_000,
    monitorIntervalMs: 100,
    // Logins in progress at once in the connect phase. Below every server's listen backlog (vsftpd: 32):
    // a burst beyond it leaves connections that the server never sees (see README), not a slow server.
    loginParallelism: 20,
  };
  if (values.rounds !== undefined) cfg.rounds = positive('rounds');
  if (values.clients !== undefined) cfg.clients = positive('clients');
  cfg.clientThreads = values['client-threads'] === undefined ? 1 : positive('client-threads');
  if (values['login-parallelism'] !== undefined) {
    cfg.loginParallelism = Number(values['login-parallelism']);
    if (!Number.isInteger(cfg.loginParallelism) || cfg.loginParallelism < 0) {
      throw new UsageError('--login-parallelism: expected an integer >= 0');
    }
  }
  if (values.size !== undefined) cfg.bigSize = positive('size') * MiB;
  if (values.phases !== undefined) {
    const phases = values.phases
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    for (const name of phases)
      if (!PHASES.includes(name))
        throw new UsageError(`--phases: unknown phase ${name} (${PHASES.join(', ')})`);
    if (phases.some((p) => ['retrN', 'storN', 'quitN'].includes(p)) && !phases.includes('connect')) {
      phases.push('connect');
    }
    cfg.phases = phases;
  }
  // Extra ftpd flags, for A/B runs of one option (`--ftpd-args=--disable-sendfile`); space-separated.
  cfg.ftpdArgs = values['ftpd-args']?.split(/\s+/).filter(Boolean) ?? [];
  const known = SERVERS.map((s) => s.name);
  const only =
    values.only
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean) ?? (mode === 'smoke' ? ['ftpd'] : known);
  for (const name of only)
    if (!known.includes(name)) throw new UsageError(`--only: unknown server ${name} (${known.join(', ')})`);
  return {
    mode,
    cfg,
    only,
    out: values.out ?? join(here, 'results'),
    raw: !values['no-raw'],
    keep: Boolean(values.keep),
  };
}

/** The server sampler child (bench/lib/monitor.mjs): CPU and memory of the server's process tree. */
function startMonitor() {
  const child = fork(join(here, 'lib', 'monitor.mjs'), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let next = 0;
  let dead = false;
  const pending = new Map();
  // What a mark answers once the monitor is gone (Ctrl-C reaches it too): no figures, but no hang.
  const nothing = {
    now: { rss: 0, pss: 0, processes: 0 },
    cpu: Number.NaN,
    peak: { rss: 0, pss: 0, processes: 0 },
  };
  child.on('message', (message) => {
    pending.get(message.id)?.(message);
    pending.delete(message.id);
  });
  child.on('exit', () => {
    dead = true;
    for (const resolve of pending.values()) resolve(nothing);
    pending.clear();
  });
  const ask = (type) =>
    new Promise((resolve) => {
      if (dead) return resolve(nothing);
      const id = next++;
      pending.set(id, resolve);
      child.send({ type, id });
    });
  return {
    watch: (pid, intervalMs) => {
      if (!dead) child.send({ type: 'watch', pid, intervalMs });
    },
    mark: () => ask('mark'),
    stop: () => ask('stop'),
    close: () => {
      if (!dead) child.disconnect();
    },
  };
}

/** The data every round uses: the big file, the small file and the directory of empty files. */
function makeTree(root, cfg) {
  mkdirSync(root, { recursive: true });
  chmodSync(root, 0o777); // vsftpd's sessions run as the bench user and must write here
  const writeFile = (path, size) => {
    const source = uploadBuffer();
    const fd = openSync(path, 'w', 0o644);
    for (let left = size; left > 0; left -= source.length)
      writeSync(fd, source, 0, Math.min(left, source.length));
    closeSync(fd);
  };
  writeFile(join(root, 'big.bin'), cfg.bigSize);
  writeFile(join(root, 'small.bin'), cfg.smallSize);
  const dir = join(root, cfg.dirName);
  mkdirSync(dir);
  for (let i = 0; i < cfg.dirFiles; i++)
    closeSync(openSync(join(dir, `file-${String(i).padStart(5, '0')}.txt`), 'w', 0o644));
}

function stamp(date) {
  return date
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/:/g, '-');
}

function oneLine(name, r) {
  const f = (x, d = 0) => (typeof x === 'number' ? x.toFixed(d) : 'err');
  return (
    `${name.padEnd(10)} STOR ${f(r.stor1?.mbps)} MB/s, RETR ${f(r.retr1?.mbps)} MB/s, ` +
    `LIST ${f(r.list?.ms)} ms, MLSD ${r.mlsd?.unsupported ? 'n/a' : `${f(r.mlsd?.ms)} ms`}, ` +
    `${f(r.logins?.perSec)} logins/s, connect ${f(r.connect?.s, 2)} s, RETR×N ${f(r.retrN?.s, 2)} s, ` +
    `STOR×N ${f(r.storN?.s, 2)} s, QUIT×N ${f(r.quitN?.s, 3)} s, peak PSS ${f((r.peak?.pss ?? 0) / MiB, 1)} MiB`
  );
}

async function main() {
  const started = new Date();
  const t0 = performance.now();
  const { mode, cfg, only, out, raw: doRaw, keep } = parseCli(process.argv.slice(2));
  const log = (line) => process.stdout.write(`${line}\n`);
  const warnings = [];
  log(
    `ftpkit bench (${mode}): ${sizeLabel(cfg.bigSize)} file, ${cfg.clients} clients × ${sizeLabel(cfg.smallSize)}, ` +
      `${cfg.dirFiles} files to list, ${cfg.rounds} round(s); servers: ${only.join(', ')}`,
  );
  if (typeof process.getuid === 'function' && process.getuid() !== 0)
    log('(not root: vsftpd will be skipped)');

  const servers = [];
  const results = { servers: {} };
  for (const server of SERVERS.filter((s) => only.includes(s.name))) {
    const problem = server.check(log);
    if (problem !== undefined) {
      log(`skipping ${server.name}: ${problem}`);
      results.servers[server.name] = { skipped: problem, rounds: [] };
      if (mode === 'smoke') throw new UsageError(`${server.name}: ${problem}`);
      continue;
    }
    servers.push(server);
    results.servers[server.name] = { version: server.version(), description: server.description, rounds: [] };
  }
  if (servers.length === 0) throw new UsageError('no server to benchmark');

  const tmp = mkdtempSync(join(os.tmpdir(), 'ftpkit-bench-'));
  chmodSync(tmp, 0o755);
  const root = join(tmp, 'root');
  const logDir = join(tmp, 'logs');
  mkdirSync(logDir);
  const monitor = startMonitor();
  let current;
  const cleanup = async () => {
    await current?.stop().catch(() => {});
    current = undefined;
    for (const server of servers) server.cleanup(log);
    monitor.close();
    if (keep) log(`kept ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  };
  const onSignal = (signal) => {
    log(`\n${signal}: stopping`);
    cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const raw = [];
  try {
    const setupStart = performance.now();
    makeTree(root, cfg);
    for (const server of servers) server.prepare({ tmp, root, log });
    log(`data ready in ${((performance.now() - setupStart) / 1000).toFixed(1)} s (${tmp})`);
    const loadStart = os.loadavg();

    for (let round = 1; round <= cfg.rounds; round++) {
      log(`round ${round}/${cfg.rounds}`);
      if (doRaw) {
        const r = await measureRaw(join(root, 'big.bin'), cfg.bigSize, tmp);
        raw.push(r);
        const f = (x) => (x?.mbps === undefined ? `error (${x?.error})` : `${x.mbps.toFixed(0)} MB/s`);
        log(
          `  raw        py→client ${f(r.retr)}, client→py+disk ${f(r.storDisk)}, client→py ${f(r.storNull)}, ` +
            `py→py ${f(r.py)}, disk ${f(r.disk)}`,
        );
      }
      for (const server of servers) {
        let handle;
        try {
          handle = await server.start({ root, logDir, tmp, ftpdArgs: cfg.ftpdArgs });
        } catch (error) {
          log(`  ${server.name}: could not start: ${error.message}`);
          results.servers[server.name].rounds.push({ errors: [`start: ${error.message}`] });
          continue;
        }
        current = handle;
        monitor.watch(handle.pid, cfg.monitorIntervalMs);
        let result;
        try {
          result = await runPhases(handle, { cfg, root, monitor, log });
        } finally {
          await monitor.stop();
          current = undefined;
          await handle.stop();
        }
        results.servers[server.name].rounds.push(result);
        log(`  ${oneLine(server.name, result)}`);
        if (result.errors.length > 0)
          warnings.push(`${server.name} round ${round}: ${result.errors.length} error(s)`);
      }
    }

    const summary = summarize(cfg, raw, results.servers);
    for (const name of summary.servers) {
      for (const [phase, p] of Object.entries(summary.phases[name])) {
        if (p.wall > 0.2 && p.clientCpu / p.wall > 0.9) {
          warnings.push(
            `client CPU was ${((p.clientCpu / p.wall) * 100).toFixed(0)}% of wall time in ${name} ${phase}: the client may be the bottleneck (on 2 cores: the machine is; see README)`,
          );
        }
      }
    }
    const loadEnd = os.loadavg();
    if (loadStart[0] > 0.5 * os.cpus().length)
      warnings.push(`the machine was busy at the start (load ${loadStart[0].toFixed(2)})`);
    const meta = {
      date: started.toISOString(),
      mode,
      durationS: (performance.now() - t0) / 1000,
      config: cfg,
      host: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown CPU',
        memoryGiB: os.totalmem() / 1024 ** 3,
        kernel: os.release(),
        node: process.versions.node,
        loadStart,
        loadEnd,
      },
      warnings,
    };
    const full = { meta, summary, raw, servers: results.servers };
    const md = markdown(full);
    mkdirSync(out, { recursive: true });
    const base = mode === 'smoke' ? 'smoke' : 'latest';
    writeFileSync(join(out, `${base}.json`), `${JSON.stringify(full, null, 2)}\n`);
    writeFileSync(join(out, `${base}.md`), md);
    if (mode !== 'smoke') {
      const dated = `${stamp(started)}-${mode}`;
      copyFileSync(join(out, `${base}.json`), join(out, `${dated}.json`));
      copyFileSync(join(out, `${base}.md`), join(out, `${dated}.md`));
    }
    log('');
    log(md);
    log(`results: ${join(out, `${base}.json`)}, ${join(out, `${base}.md`)}`);
    const failed = Object.values(results.servers).some((s) =>
      s.rounds.some((r) => (r.errors ?? []).length > 0),
    );
    return failed ? 1 : 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await cleanup();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
    // Connections a server black-holed must not keep the process alive once the report is written.
    setTimeout(() => process.exit(code), 1000).unref();
  },
  (error) => {
    if (error instanceof UsageError) {
      console.error(`bench: ${error.message} (see --help)`);
      process.exitCode = 2;
    } else {
      console.error(`bench: ${error.stack ?? error.message}`);
      process.exitCode = 1;
    }
  },
);
