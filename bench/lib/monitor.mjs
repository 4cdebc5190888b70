/**
 * The server sampler, run as a child process (`fork`) so that its work is not charged to the
 * benchmark client's CPU time. It looks at the watched server's process tree every `intervalMs`, or
 * less often when a look is expensive (it keeps itself to about 10% of a core), and on every mark
 * (see TreeTracker in proc.mjs): CPU seconds so far, memory now, and the peak since the last mark.
 * Messages from the parent:
 *   { type: 'watch', pid, intervalMs }  start following the tree of `pid` (replaces any earlier one)
 *   { type: 'mark', id }                look now; reply { type: 'mark', id, now, peak, cpu, samples,
 *                                       selfCpu }, then start a new peak interval
 *   { type: 'stop', id }                like 'mark', then stop looking
 * It exits when the parent goes away.
 */

import { selfCpuSeconds, TreeTracker } from './proc.mjs';

let timer;
let tracker;
let peak;
let samples = 0;
let last = { cpu: 0, rss: 0, pss: 0, processes: 0 };

function reset() {
  peak = { rss: 0, pss: 0, processes: 0 };
  samples = 0;
}

/** Milliseconds the last look took. */
let cost = 0;

function tick() {
  if (tracker === undefined) return last;
  const start = performance.now();
  last = tracker.look();
  cost = performance.now() - start;
  samples += 1;
  if (last.pss > peak.pss) peak.pss = last.pss;
  if (last.rss > peak.rss) peak.rss = last.rss;
  if (last.processes > peak.processes) peak.processes = last.processes;
  return last;
}

reset();
process.on('message', (message) => {
  if (message.type === 'watch') {
    clearTimeout(timer);
    tracker = new TreeTracker(message.pid);
    reset();
    const interval = message.intervalMs ?? 100;
    // At most ~10% of a core: a tree of 400 vsftpd processes takes tens of ms to read.
    const loop = () => {
      tick();
      if (tracker !== undefined) timer = setTimeout(loop, Math.max(interval, 9 * cost));
    };
    loop();
  } else if (message.type === 'mark' || message.type === 'stop') {
    const now = tick();
    process.send({
      type: 'mark',
      id: message.id,
      now: { rss: now.rss, pss: now.pss, processes: now.processes },
      cpu: now.cpu,
      peak,
      samples,
      selfCpu: selfCpuSeconds(),
    });
    reset();
    if (message.type === 'stop') {
      clearTimeout(timer);
      tracker = undefined;
    }
  }
});
process.on('disconnect', () => process.exit(0));
