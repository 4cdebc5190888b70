/**
 * The many-clients side of the benchmark: a set of logged-in sessions driven together, either in this
 * thread (the default on a 2-core machine: one core for the client, one for the server) or spread over
 * worker threads (`--client-threads N`) when one core cannot keep up. The same `SessionSet` runs in
 * both cases; the main thread measures each operation from dispatch to the last reply.
 */

import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { FtpSession } from './ftp-client.mjs';

/** Settles all promises; counts the failures and keeps the first reason. */
async function settle(promises) {
  const results = await Promise.allSettled(promises);
  const failures = results.filter((r) => r.status === 'rejected');
  return {
    values: results.filter((r) => r.status === 'fulfilled').map((r) => r.value),
    failed: failures.length,
    firstError: failures[0]?.reason?.message,
  };
}

/** Sessions of one thread. Every method resolves with plain, clonable data. */
export class SessionSet {
  sessions = [];

  /** Every socket opened by connect(), so that destroy() also ends logins still in progress. */
  sockets = new Set();

  /**
   * `count` connects + logins, at most `parallel` in progress at a time (0: all at once); the latency
   * of each login (connect to the 200 of TYPE I) in ms.
   */
  async connect({ host, port, user, password, count, parallel }) {
    const latencies = [];
    const one = async () => {
      const start = performance.now();
      const session = await FtpSession.login(host, port, user, password, this.sockets);
      latencies.push(performance.now() - start);
      this.sessions.push(session);
    };
    let next = 0;
    const failures = [];
    const lane = async () => {
      while (next < count) {
        next += 1;
        await one().catch((error) => failures.push(error));
      }
    };
    const lanes = parallel > 0 ? Math.min(parallel, count) : count;
    await Promise.all(Array.from({ length: lanes }, lane));
    return { latencies, failed: failures.length, firstError: failures[0]?.message };
  }

  /** Every session RETRs `path` at once; counts downloads whose size is not `size`. */
  async retr({ path, size }) {
    const { values, failed, firstError } = await settle(this.sessions.map((s) => s.download(`RETR ${path}`)));
    return { failed, firstError, wrongSize: values.filter((v) => v.bytes !== size).length };
  }

  /** Every session STORs `size` bytes at once, session i as `${prefix}${offset + i}.bin`. */
  async stor({ prefix, offset, size }) {
    const { failed, firstError } = await settle(
      this.sessions.map((s, i) => s.upload(`${prefix}${offset + i}.bin`, size)),
    );
    return { failed, firstError };
  }

  /** Every session QUITs at once (until the server closes each connection). */
  async quit() {
    const { failed, firstError } = await settle(this.sessions.map((s) => s.quit()));
    this.sessions = [];
    return { failed, firstError };
  }

  /** Nothing: lets the caller wait until every worker is up before timing anything. */
  ping() {
    return {};
  }

  destroy() {
    for (const s of this.sessions) s.destroy();
    for (const socket of this.sockets) socket.destroy();
    this.sessions = [];
    this.sockets.clear();
    return {};
  }
}

/** Splits `total` into `parts` near-equal shares. */
function shares(total, parts) {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

/**
 * A group of `threads` session sets. `run(op, argsFor)` runs `op` on every set at once (`argsFor(i,
 * share)` gives each its arguments) and resolves with the per-set results.
 */
export function clientGroup(threads, total) {
  const split = shares(total, threads);
  if (threads <= 1) {
    const set = new SessionSet();
    return {
      threads: 1,
      run: async (op, argsFor) => [await set[op](argsFor(0, split[0], 0))],
      close: async () => {
        set.destroy();
      },
    };
  }
  const workers = Array.from({ length: threads }, () => new Worker(new URL(import.meta.url)));
  let next = 0;
  const pending = new Map();
  for (const worker of workers) {
    worker.on('message', ({ id, ok, result, error }) => {
      const p = pending.get(id);
      pending.delete(id);
      if (ok) p?.resolve(result);
      else p?.reject(new Error(error));
    });
    worker.on('error', (error) => {
      for (const p of pending.values()) p.reject(error);
      pending.clear();
    });
  }
  const call = (worker, op, args) =>
    new Promise((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve, reject });
      worker.postMessage({ id, op, args });
    });
  const offsets = split.map((_, i) => split.slice(0, i).reduce((a, b) => a + b, 0));
  return {
    threads,
    run: (op, argsFor) => Promise.all(workers.map((w, i) => call(w, op, argsFor(i, split[i], offsets[i])))),
    close: async () => {
      await Promise.all(workers.map((w) => call(w, 'destroy', {}).catch(() => {})));
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

// Worker side: serve one SessionSet.
if (!isMainThread && parentPort !== null) {
  const set = new SessionSet();
  parentPort.on('message', async ({ id, op, args }) => {
    try {
      parentPort.postMessage({ id, ok: true, result: await set[op](args) });
    } catch (error) {
      parentPort.postMessage({ id, ok: false, error: error.message });
    }
  });
}
