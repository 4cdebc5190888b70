// Temporary driver (helper experiment; deleted afterwards): runs the bench phases up to `connect`
// against ftpd, then watches its memory for WATCH_S seconds.
import { mkdirSync, openSync, writeSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ftpd } from './lib/servers.mjs';
import { runPhases } from './lib/phases.mjs';
import { uploadBuffer } from './lib/ftp-client.mjs';
const MiB = 1 << 20;
const clients = Number(process.env.CLIENTS ?? 200);
const watchS = Number(process.env.WATCH_S ?? 3);
const cfg = { bigSize: 256 * MiB, smallSize: 10 * MiB, clients, rounds: 1, dirFiles: 10000, loginMs: 1000, listRepeats: 2,
  dirName: 'dir', settleMs: 500, phaseTimeoutMs: 120000, loginParallelism: 20, clientThreads: 1,
  phases: (process.env.PHASES ?? 'stor1,retr1,list,mlsd,logins,connect').split(',') };
const root = '/tmp/mem/drv/root';
rmSync(root, { recursive: true, force: true });
mkdirSync(join(root, 'dir'), { recursive: true });
const w = (p, size) => { const b = uploadBuffer(); const fd = openSync(p, 'w'); for (let l = size; l > 0; l -= b.length) writeSync(fd, b, 0, Math.min(l, b.length)); closeSync(fd); };
w(join(root, 'big.bin'), cfg.bigSize); w(join(root, 'small.bin'), cfg.smallSize);
for (let i = 0; i < cfg.dirFiles; i++) closeSync(openSync(join(root, 'dir', `file-${String(i).padStart(5, '0')}.txt`), 'w'));
const handle = await ftpd.start({ root, logDir: '/tmp/mem/drv' });
const mem = () => { const t = readFileSync(`/proc/${handle.pid}/smaps_rollup`, 'latin1'); const g = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(t)[1]) / 1024; return { rss: g('Rss'), pss: g('Pss'), anon: g('Anonymous') }; };
const t0 = performance.now();
const fmt = (m) => `rss=${m.rss.toFixed(1)} pss=${m.pss.toFixed(1)} anon=${m.anon.toFixed(1)}`;
let marks = 0;
const monitor = { async mark() {
  marks += 1;
  if (marks === 2 * cfg.phases.length + 2) {
    for (let i = 0; i < watchS * 2; i++) { await new Promise((r) => setTimeout(r, 500)); console.log(`  watch +${(i + 1) / 2}s ${fmt(mem())}`); }
  }
  const m = mem();
  console.log(`${((performance.now() - t0) / 1000).toFixed(2)}s mark ${marks}: ${fmt(m)}`);
  return { now: { ...m, rss: m.rss * MiB, pss: m.pss * MiB, processes: 1 }, peak: { rss: 0, pss: 0, processes: 1 }, cpu: 0, selfCpu: 0 };
} };
const origLog = console.log;
const result = await runPhases(handle, { cfg, root, monitor, log: (s) => origLog(s) , onSessions: undefined });
console.log('sessions', fmt({ rss: result.sessions.rss / MiB, pss: result.sessions.pss / MiB, anon: 0 }), 'idle', (result.idle.pss / MiB).toFixed(1));
console.log('errors', result.errors);
await handle.stop();
