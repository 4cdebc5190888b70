/**
 * CPU time and memory of a process tree, read from /proc (Linux only).
 *
 * Memory: Rss and Pss from /proc/<pid>/smaps_rollup, summed over the tree. Pss shares each shared page
 * among the processes mapping it, so the Pss sum is the tree's real footprint. The Rss sum counts shared
 * pages once per process, so for vsftpd's forked sessions it overstates a lot.
 *
 * CPU ({@link TreeTracker}): for each live process, its own run time plus cutime+cstime (its reaped
 * children), plus whatever processes that vanished since the previous look used and nobody in the
 * tree reaped. Details:
 *  - own run time comes from schedstat (nanoseconds). utime/stime in /proc/<pid>/stat are whole clock
 *    ticks truncated per process, so 400 vsftpd processes using 2 ms each would read as 0.
 *  - cutime+cstime: the kernel sums a reaped child's time into its parent in nanoseconds and
 *    truncates once.
 *  - vanished processes: a vsftpd session's unprivileged process is not always reaped by its
 *    parent (the session ends first), so its time reaches no cutime in the tree. When a process
 *    disappears, the tracker checks how much its parent's cutime grew. What is missing is added to
 *    `lost`, so the total never goes backwards. Sample often (the monitor does every 100 ms) to
 *    see short-lived processes at least once.
 */

import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let ticks;
/** Clock ticks per second (`getconf CLK_TCK`, 100 everywhere in practice). */
export function clockTicks() {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

/** Fields of /proc/<pid>/stat after the command name, or undefined when the process is gone. */
function statFields(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // The command name is in parentheses and may itself contain spaces or parentheses.
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

function readNumber(path) {
  try {
    return Number(readFileSync(path, 'latin1').split(' ')[0]);
  } catch {
    return 0;
  }
}

/** On-CPU seconds of the live threads of `pid` (schedstat, exact). */
function runSeconds(pid, threads) {
  if (threads <= 1) return readNumber(`/proc/${pid}/schedstat`) / 1e9;
  let tasks;
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return 0;
  }
  let ns = 0;
  for (const tid of tasks) ns += readNumber(`/proc/${pid}/task/${tid}/schedstat`);
  return ns / 1e9;
}

/** Every pid of the tree rooted at `root` (root first), found through the ppid of all processes. */
export function processTree(root) {
  const children = new Map();
  for (const name of readdirSync('/proc')) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const fields = statFields(name);
    if (fields === undefined) continue;
    const ppid = Number(fields[1]);
    const list = children.get(ppid);
    if (list === undefined) children.set(ppid, [Number(name)]);
    else list.push(Number(name));
  }
  const tree = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift();
    tree.push(pid);
    for (const child of children.get(pid) ?? []) queue.push(child);
  }
  return tree;
}

/** Rss and Pss of one process in bytes, or undefined (gone, or a zombie). */
function processMemory(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/smaps_rollup`, 'latin1');
  } catch {
    return undefined;
  }
  const r = /^Rss:\s+(\d+) kB/m.exec(text);
  const p = /^Pss:\s+(\d+) kB/m.exec(text);
  if (r === null || p === null) return undefined;
  return { rss: Number(r[1]) * 1024, pss: Number(p[1]) * 1024 };
}

/** Rss and Pss in bytes, summed over the given pids. */
export function memory(pids) {
  let rss = 0;
  let pss = 0;
  let processes = 0;
  for (const pid of pids) {
    const m = processMemory(pid);
    if (m === undefined) continue;
    rss += m.rss;
    pss += m.pss;
    processes += 1;
  }
  return { rss, pss, processes };
}

/**
 * Follows one server's process tree across repeated looks: the CPU seconds it used since it started
 * (see the file comment) and its memory now. Finding the tree reads the stat of every process on the
 * machine only once; later looks read the known tree and processes not seen before.
 */
export class TreeTracker {
  constructor(root) {
    this.root = root;
    this.hz = clockTicks();
    /** pid -> { ppid, own, cut } at the previous look, for the tree's processes. */
    this.known = new Map();
    /** pids seen outside the tree (their parents never change to a tree process in practice). */
    this.outside = new Set();
    this.lost = 0;
  }

  /** Reads the tree; returns { cpu, rss, pss, processes }. */
  look() {
    const now = new Map();
    const stats = new Map();
    const parents = new Map();
    const listed = new Set();
    for (const name of readdirSync('/proc')) {
      const c = name.charCodeAt(0);
      if (c < 48 || c > 57) continue;
      const pid = Number(name);
      listed.add(pid);
      if (this.outside.has(pid)) continue;
      const fields = statFields(pid);
      if (fields === undefined) continue;
      stats.set(pid, fields);
      parents.set(pid, Number(fields[1]));
    }
    // The tree: the root and everything whose parent chain reaches it.
    const inTree = (pid, seen = 0) => {
      if (pid === this.root) return true;
      const ppid = parents.get(pid);
      if (ppid === undefined || seen > 64) return false;
      return inTree(ppid, seen + 1);
    };
    let rss = 0;
    let pss = 0;
    let processes = 0;
    for (const [pid, fields] of stats) {
      if (!inTree(pid)) {
        if (!this.known.has(pid)) this.outside.add(pid);
        continue;
      }
      const zombie = fields[0] === 'Z';
      const ticksOwn = (Number(fields[11]) + Number(fields[12])) / this.hz;
      const cut = (Number(fields[13]) + Number(fields[14])) / this.hz;
      const before = this.known.get(pid);
      const run = zombie ? 0 : runSeconds(pid, Number(fields[17]));
      // Never less than before: threads that ended leave schedstat but not the process's stat.
      const own = Math.max(ticksOwn, run, before?.own ?? 0);
      now.set(pid, { ppid: Number(fields[1]), own, cut });
      const m = zombie ? undefined : processMemory(pid);
      if (m !== undefined) {
        rss += m.rss;
        pss += m.pss;
        processes += 1;
      }
    }
    // A pid that ended may be reused by a new process of the tree.
    for (const pid of this.outside) if (!listed.has(pid)) this.outside.delete(pid);
    this.#account(now);
    this.known = now;
    let cpu = this.lost;
    for (const p of now.values()) cpu += p.own + p.cut;
    return { cpu, rss, pss, processes };
  }

  /** Adds to `lost` the time of vanished processes that their surviving ancestor's cutime did not get. */
  #account(now) {
    const vanished = [...this.known.keys()].filter((pid) => !now.has(pid));
    if (vanished.length === 0) return;
    const gone = new Set(vanished);
    const subtree = new Map();
    const total = (pid) => {
      if (subtree.has(pid)) return subtree.get(pid);
      const p = this.known.get(pid);
      let sum = p.own + p.cut;
      for (const child of vanished) if (this.known.get(child).ppid === pid) sum += total(child);
      subtree.set(pid, sum);
      return sum;
    };
    const expected = new Map();
    for (const pid of vanished) {
      const parent = this.known.get(pid).ppid;
      if (gone.has(parent)) continue; // counted within its vanished parent
      expected.set(parent, (expected.get(parent) ?? 0) + total(pid));
    }
    for (const [parent, want] of expected) {
      const inflow =
        now.has(parent) && this.known.has(parent) ? now.get(parent).cut - this.known.get(parent).cut : 0;
      if (want > inflow) this.lost += want - inflow;
    }
  }
}

/** CPU seconds of this process (the benchmark client), all threads. */
export function selfCpuSeconds() {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}
