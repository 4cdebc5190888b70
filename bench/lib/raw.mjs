/**
 * The physical limits: the same bytes over loopback without FTP, and to disk without a network.
 *
 *  retr      python socket.sendfile() of the file -> this client's download path (1 MiB onread, discard).
 *            The best a server could do for RETR, as seen by our client.
 *  storDisk  this client's upload path -> python recv_into(1 MiB) + write() to a file on the same disk.
 *            The best a server could do for STOR.
 *            (retr and storDisk are the best of two tries per round: noise only ever slows a copy down.)
 *  storNull  this client's upload path -> python recv_into, discarded: loopback alone.
 *  py        python sendfile -> python recv_into, discarded: loopback with no Node at either end (if it
 *            is much faster than `retr`/`storNull`, the client is the limit).
 *  disk      this process writing 1 MiB buffers to a file (page cache): the disk side alone.
 */

import { spawn } from 'node:child_process';
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MiB, uploadBuffer } from './ftp-client.mjs';
import { selfCpuSeconds } from './proc.mjs';
import { ANY_PYTHON } from './servers.mjs';

const PEER = join(dirname(fileURLToPath(import.meta.url)), '..', 'py', 'rawpeer.py');

/** Starts rawpeer.py; resolves with { port, child, output } once it printed its port. */
function peer(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(ANY_PYTHON, [PEER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let resolved = false;
    const exited = new Promise((done) => child.once('exit', (code) => done(code)));
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.stdout.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (!resolved && nl >= 0) {
        resolved = true;
        const port = Number(out.slice(0, nl));
        const output = exited.then((code) => {
          if (code !== 0) throw new Error(`rawpeer ${args[0]} exited ${code}: ${err.trim()}`);
          return out.slice(nl + 1).trim();
        });
        resolve({ port, child, output });
      }
    });
    child.once('error', reject);
    exited.then((code) => {
      if (!resolved) reject(new Error(`rawpeer ${args[0]} exited ${code}: ${err.trim()}`));
    });
  });
}

function mbps(bytes, ms) {
  return bytes / 1e6 / (ms / 1000);
}

/** Python sendfile -> our download path. */
async function rawRetr(file, size) {
  const { port, output } = await peer(['send', file]);
  const sink = Buffer.allocUnsafe(MiB);
  let bytes = 0;
  const cpu0 = selfCpuSeconds();
  const start = performance.now();
  await new Promise((resolve, reject) => {
    const socket = net.connect({
      host: '127.0.0.1',
      port,
      onread: {
        buffer: sink,
        callback: (n) => {
          bytes += n;
        },
      },
    });
    socket.once('error', reject);
    socket.once('close', resolve);
  });
  const ms = performance.now() - start;
  await output;
  if (bytes !== size) throw new Error(`raw retr got ${bytes} of ${size} bytes`);
  return { mbps: mbps(bytes, ms), ms, clientCpu: selfCpuSeconds() - cpu0 };
}

/** Our upload path -> python receiver (to `dest` or discarded). */
async function rawStor(size, dest) {
  const { port, output } = await peer(dest === undefined ? ['recv'] : ['recv', dest]);
  const source = uploadBuffer();
  const cpu0 = selfCpuSeconds();
  const start = performance.now();
  await new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('error', reject);
    socket.once('close', resolve);
    socket.once('connect', async () => {
      let left = size;
      while (left > 0) {
        const n = Math.min(left, source.length);
        left -= n;
        if (!socket.write(n === source.length ? source : source.subarray(0, n))) {
          await new Promise((drained) => socket.once('drain', drained));
        }
      }
      socket.end();
    });
  });
  const ms = performance.now() - start;
  const received = Number(await output);
  if (received !== size) throw new Error(`raw stor: peer got ${received} of ${size} bytes`);
  if (dest !== undefined) rmSync(dest, { force: true });
  return { mbps: mbps(size, ms), ms, clientCpu: selfCpuSeconds() - cpu0 };
}

/** Python sendfile -> python recv_into. */
async function rawPython(file, size) {
  const { port, output } = await peer(['recv']);
  const sender = await new Promise((resolve, reject) => {
    const child = spawn(ANY_PYTHON, [PEER, 'pysend', String(port), file], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`pysend exited ${code}`))));
  });
  const received = Number(await output);
  if (received !== size) throw new Error(`raw python: peer got ${received} of ${size} bytes`);
  const ms = Number(sender.trim()) * 1000;
  return { mbps: mbps(size, ms), ms };
}

/** 1 MiB writeSync()s to a new file, closed (no fsync: page cache, like the servers' STOR). */
function diskWrite(size, dest) {
  const source = uploadBuffer();
  const cpu0 = selfCpuSeconds();
  const start = performance.now();
  const fd = openSync(dest, 'w');
  let left = size;
  while (left > 0) {
    const n = Math.min(left, source.length);
    writeSync(fd, source, 0, n);
    left -= n;
  }
  closeSync(fd);
  const ms = performance.now() - start;
  rmSync(dest, { force: true });
  return { mbps: mbps(size, ms), ms, clientCpu: selfCpuSeconds() - cpu0 };
}

/** All raw limits for a file of `size` bytes at `file`; scratch files go in `scratchDir`. */
export async function measureRaw(file, size, scratchDir, tries = 2) {
  const result = {};
  const attempt = async (key, fn) => {
    try {
      result[key] = await fn();
    } catch (error) {
      result[key] = { error: error.message };
    }
  };
  // The two limits the servers are measured against: the best of `tries` (noise only ever slows down).
  const best = async (fn) => {
    let top;
    for (let i = 0; i < tries; i++) {
      const r = await fn();
      if (top === undefined || r.mbps > top.mbps) top = r;
    }
    return top;
  };
  await attempt('retr', () => best(() => rawRetr(file, size)));
  await attempt('storDisk', () => best(() => rawStor(size, join(scratchDir, 'raw-stor.bin'))));
  await attempt('storNull', () => rawStor(size));
  await attempt('py', () => rawPython(file, size));
  await attempt('disk', () => diskWrite(size, join(scratchDir, 'raw-disk.bin')));
  return result;
}
