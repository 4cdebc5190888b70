/**
 * One round against one running server: every phase in order, each measured for wall time, server CPU
 * (its process tree), client CPU (this process) and peak server memory (from the monitor).
 */

import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { clientGroup } from './client-group.mjs';
import { FtpSession } from './ftp-client.mjs';
import { selfCpuSeconds } from './proc.mjs';
import { PASSWORD, USER } from './servers.mjs';

const HOST = '127.0.0.1';
const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const mbps = (bytes, ms) => bytes / 1e6 / (ms / 1000);

/** Checks that a STORed file reached the disk whole. */
function checkStored(path, size) {
  let actual;
  try {
    actual = statSync(path).size;
  } catch {
    throw new Error(`${path} was not created`);
  }
  if (actual !== size) throw new Error(`${path} has ${actual} bytes, expected ${size}`);
}

/**
 * Runs the phases against `handle` (a started server) and returns the round's figures.
 * @param {{ cfg: object, root: string, monitor: { mark(): Promise<object> }, log: (s: string) => void }} ctx
 */
/** Every phase, in the order a round runs them (`--phases` picks some). */
export const PHASES = ['stor1', 'retr1', 'list', 'mlsd', 'logins', 'connect', 'retrN', 'storN', 'quitN'];

export async function runPhases(handle, { cfg, root, monitor, log }) {
  const port = handle.port;
  const result = {};
  const errors = [];
  const peaks = [];
  // Every look at the server goes through the monitor, which follows its process tree.
  const mark = async () => {
    const m = await monitor.mark();
    peaks.push(m.peak);
    return m;
  };

  const selected = (name) => cfg.phases === undefined || cfg.phases.includes(name);
  const measure = async (name, fn) => {
    if (!selected(name)) {
      result[name] = { skipped: true };
      return result[name];
    }
    const before = await mark();
    const c0 = selfCpuSeconds();
    const t0 = performance.now();
    let out;
    try {
      out = await withTimeout(fn(), cfg.phaseTimeoutMs, name);
    } catch (error) {
      out = { error: error.message };
      errors.push(`${name}: ${error.message}`);
      log(`      ${name}: ERROR ${error.message}`);
    }
    const wall = (performance.now() - t0) / 1000;
    const clientCpu = selfCpuSeconds() - c0;
    const after = await mark();
    const figures = {
      ...out,
      wall,
      serverCpu: after.cpu - before.cpu,
      clientCpu,
      peakPss: after.peak.pss,
      peakRss: after.peak.rss,
    };
    result[name] = figures;
    return figures;
  };

  result.listenBacklog = handle.backlog;
  await sleep(cfg.settleMs);
  const first = await mark();
  const cpuAtStart = first.cpu;
  result.idle = { ...first.now, startCpu: cpuAtStart };

  // One session for the single-client phases; replaced by a new one after a phase that failed.
  const login = () => withTimeout(FtpSession.login(HOST, port, USER, PASSWORD), cfg.phaseTimeoutMs, 'login');
  let single;
  try {
    single = await login();
  } catch (error) {
    errors.push(`login: ${error.message}`);
    return { ...result, errors };
  }
  const singlePhase = async (name, fn) => {
    if (single === undefined) return;
    const figures = await measure(name, () => fn(single));
    if (figures.error !== undefined) {
      single.destroy();
      single = await login().catch(() => undefined);
    }
  };

  await singlePhase('stor1', async (session) => {
    const path = join(root, 'up-big.bin');
    try {
      const { ms } = await session.upload('up-big.bin', cfg.bigSize);
      checkStored(path, cfg.bigSize);
      return { ms, mbps: mbps(cfg.bigSize, ms) };
    } finally {
      rmSync(path, { force: true });
    }
  });

  await singlePhase('retr1', async (session) => {
    const { ms, bytes } = await session.download('RETR big.bin');
    if (bytes !== cfg.bigSize) throw new Error(`RETR got ${bytes} of ${cfg.bigSize} bytes`);
    return { ms, mbps: mbps(bytes, ms) };
  });

  for (const [name, verb] of [
    ['list', 'LIST'],
    ['mlsd', 'MLSD'],
  ]) {
    await singlePhase(name, async (session) => {
      const times = [];
      let lines = 0;
      let bytes = 0;
      for (let i = 0; i < cfg.listRepeats; i++) {
        let got;
        try {
          got = await session.download(`${verb} ${cfg.dirName}`, { countLines: true });
        } catch (error) {
          if (error.reply !== undefined && error.reply.code >= 500 && error.reply.code <= 502) {
            // A server without the command: a figure ("n/a"), not a failure of the run.
            return { unsupported: `${verb} not supported (${error.reply.code} ${error.reply.text})` };
          }
          throw error;
        }
        times.push(got.ms);
        lines = got.lines;
        bytes = got.bytes;
      }
      if (lines < cfg.dirFiles) throw new Error(`${verb} listed ${lines} lines, expected >= ${cfg.dirFiles}`);
      return { ms: median(times), lines, bytes, entriesPerSec: cfg.dirFiles / (median(times) / 1000) };
    });
  }
  await single?.quit().catch(() => single.destroy());

  await measure('logins', async () => {
    let count = 0;
    const start = performance.now();
    while (performance.now() - start < cfg.loginMs) {
      const session = await FtpSession.open(HOST, port);
      try {
        await session.expect(`USER ${USER}`, 331);
        await session.expect(`PASS ${PASSWORD}`, 230);
        await session.quit();
      } finally {
        session.destroy();
      }
      count += 1;
    }
    const ms = performance.now() - start;
    return { count, ms, perSec: count / (ms / 1000) };
  });

  // The many-clients phases share one group of sessions (in this thread, or spread over workers).
  const group = clientGroup(cfg.clientThreads, cfg.clients);
  const failures = (results, what) => {
    const failed = results.reduce((sum, r) => sum + r.failed, 0);
    if (failed > 0) {
      const first = results.find((r) => r.firstError !== undefined)?.firstError;
      throw new Error(`${what}: ${failed} of ${cfg.clients} failed (first: ${first})`);
    }
  };
  try {
    await group.run('ping', () => ({}));
    const connect = await measure('connect', async () => {
      const start = performance.now();
      const parallel = cfg.loginParallelism === 0 ? 0 : Math.ceil(cfg.loginParallelism / group.threads);
      const results = await group.run('connect', (_, count) => ({
        host: HOST,
        port,
        user: USER,
        password: PASSWORD,
        count,
        parallel,
      }));
      const ms = performance.now() - start;
      failures(results, 'connect + login');
      const latencies = results.flatMap((r) => r.latencies);
      // A slowest login of ~1 s or more is the kernel retransmitting a SYN that found the listen queue
      // full (a small listen backlog), not the server working.
      return { ms, s: ms / 1000, p50Ms: median(latencies), maxMs: Math.max(...latencies) };
    });

    if (connect.skipped !== undefined) {
      // --phases left connect out, so it left out the phases that need its sessions too.
      for (const name of ['retrN', 'storN', 'quitN']) result[name] = { skipped: true };
    } else if (connect.error === undefined) {
      await sleep(cfg.settleMs);
      result.sessions = (await mark()).now;
      const n = cfg.clients;

      await measure('retrN', async () => {
        const start = performance.now();
        const results = await group.run('retr', () => ({ path: 'small.bin', size: cfg.smallSize }));
        const ms = performance.now() - start;
        failures(results, 'RETR');
        const bad = results.reduce((sum, r) => sum + r.wrongSize, 0);
        if (bad > 0) throw new Error(`${bad} RETR returned a wrong size`);
        return { ms, s: ms / 1000, mbps: mbps(n * cfg.smallSize, ms) };
      });

      await measure('storN', async () => {
        const start = performance.now();
        try {
          const results = await group.run('stor', (_, __, offset) => ({
            prefix: 'up-',
            offset,
            size: cfg.smallSize,
          }));
          const ms = performance.now() - start;
          failures(results, 'STOR');
          for (let i = 0; i < n; i++) checkStored(join(root, `up-${i}.bin`), cfg.smallSize);
          return { ms, s: ms / 1000, mbps: mbps(n * cfg.smallSize, ms) };
        } finally {
          for (let i = 0; i < n; i++) rmSync(join(root, `up-${i}.bin`), { force: true });
        }
      });

      await measure('quitN', async () => {
        const start = performance.now();
        const results = await group.run('quit', () => ({}));
        const ms = performance.now() - start;
        failures(results, 'QUIT');
        return { ms, s: ms / 1000 };
      });
    }
  } finally {
    await group.close();
  }

  const last = await mark();
  result.cpuTotal = last.cpu - cpuAtStart;
  result.monitor = { cpu: last.selfCpu - first.selfCpu };
  result.peak = {
    pss: Math.max(result.idle.pss, ...peaks.map((p) => p.pss)),
    rss: Math.max(result.idle.rss, ...peaks.map((p) => p.rss)),
    processes: Math.max(result.idle.processes, ...peaks.map((p) => p.processes)),
  };
  result.errors = errors;
  return result;
}
