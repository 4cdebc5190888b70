/**
 * Medians over rounds, ratios between servers, fractions of the physical limit, and the markdown report.
 */

import { PHASES } from './phases.mjs';

const MiB = 1024 * 1024;

export function median(values) {
  const xs = values.filter((v) => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return undefined;
  const mid = xs.length >> 1;
  return xs.length % 2 === 1 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
}

/** Half the range over rounds, relative to the median (±%), or undefined with fewer than 2 values. */
function spread(values) {
  const xs = values.filter((v) => typeof v === 'number' && Number.isFinite(v));
  const m = median(xs);
  if (xs.length < 2 || !m) return undefined;
  return ((Math.max(...xs) - Math.min(...xs)) / 2 / Math.abs(m)) * 100;
}

function get(object, path) {
  return path.split('.').reduce((o, k) => (o === undefined || o === null ? undefined : o[k]), object);
}

export function sizeLabel(bytes) {
  if (bytes >= 1024 * MiB && bytes % (1024 * MiB) === 0) return `${bytes / (1024 * MiB)} GiB`;
  if (bytes >= MiB && bytes % MiB === 0) return `${bytes / MiB} MiB`;
  return `${(bytes / 1024).toFixed(0)} KiB`;
}

/** Every figure of the report: where it is in a round's result, its unit and which way is better. */
export function metricDefinitions(cfg) {
  const big = sizeLabel(cfg.bigSize);
  const small = sizeLabel(cfg.smallSize);
  const n = cfg.clients;
  const files = cfg.dirFiles.toLocaleString('en-US');
  const mem = { unit: 'MiB', better: 'lower' };
  return [
    {
      key: 'stor1',
      path: 'stor1.mbps',
      label: `STOR ${big}, 1 client`,
      unit: 'MB/s',
      better: 'higher',
      limit: 'storDisk',
    },
    {
      key: 'retr1',
      path: 'retr1.mbps',
      label: `RETR ${big}, 1 client`,
      unit: 'MB/s',
      better: 'higher',
      limit: 'retr',
    },
    {
      key: 'connect',
      path: 'connect.s',
      label: `${n} clients connect + login (${cfg.loginParallelism > 0 ? `${cfg.loginParallelism} at a time` : 'all at once'})`,
      unit: 's',
      better: 'lower',
    },
    {
      key: 'retrN',
      path: 'retrN.s',
      label: `${n} concurrent RETR of ${small}`,
      unit: 's',
      better: 'lower',
      rate: 'retrN.mbps',
      limit: 'retr',
    },
    {
      key: 'storN',
      path: 'storN.s',
      label: `${n} concurrent STOR of ${small}`,
      unit: 's',
      better: 'lower',
      rate: 'storN.mbps',
      limit: 'storDisk',
    },
    {
      key: 'connectP50',
      path: 'connect.p50Ms',
      label: `${n} clients: median login latency`,
      unit: 'ms',
      better: 'lower',
    },
    {
      key: 'connectMax',
      path: 'connect.maxMs',
      label: `${n} clients: slowest login`,
      unit: 'ms',
      better: 'lower',
    },
    {
      key: 'backlog',
      path: 'listenBacklog',
      label: 'listen backlog (from ss; for information)',
      unit: '',
      better: 'info',
      digits: 0,
    },
    { key: 'quitN', path: 'quitN.s', label: `${n} concurrent QUIT`, unit: 's', better: 'lower' },
    {
      key: 'logins',
      path: 'logins.perSec',
      label: 'sequential logins (connect, USER, PASS, QUIT)',
      unit: '/s',
      better: 'higher',
    },
    { key: 'list', path: 'list.ms', label: `LIST of a ${files}-file directory`, unit: 'ms', better: 'lower' },
    { key: 'mlsd', path: 'mlsd.ms', label: `MLSD of a ${files}-file directory`, unit: 'ms', better: 'lower' },
    {
      key: 'cpuStor1',
      path: 'stor1.serverCpu',
      label: `server CPU: STOR ${big}`,
      unit: 's',
      better: 'lower',
    },
    {
      key: 'cpuRetr1',
      path: 'retr1.serverCpu',
      label: `server CPU: RETR ${big}`,
      unit: 's',
      better: 'lower',
    },
    {
      key: 'cpuConnect',
      path: 'connect.serverCpu',
      label: `server CPU: ${n} logins`,
      unit: 's',
      better: 'lower',
    },
    {
      key: 'cpuRetrN',
      path: 'retrN.serverCpu',
      label: `server CPU: ${n} × RETR ${small}`,
      unit: 's',
      better: 'lower',
    },
    {
      key: 'cpuStorN',
      path: 'storN.serverCpu',
      label: `server CPU: ${n} × STOR ${small}`,
      unit: 's',
      better: 'lower',
    },
    { key: 'cpuTotal', path: 'cpuTotal', label: 'server CPU: whole round', unit: 's', better: 'lower' },
    { key: 'pssIdle', path: 'idle.pss', label: 'memory idle (PSS)', ...mem },
    { key: 'rssIdle', path: 'idle.rss', label: 'memory idle (RSS)', ...mem },
    { key: 'pssSessions', path: 'sessions.pss', label: `memory, ${n} idle sessions (PSS)`, ...mem },
    { key: 'rssSessions', path: 'sessions.rss', label: `memory, ${n} idle sessions (RSS)`, ...mem },
    { key: 'pssPeak', path: 'peak.pss', label: 'memory peak (PSS)', ...mem },
    { key: 'rssPeak', path: 'peak.rss', label: 'memory peak (RSS)', ...mem },
    {
      key: 'processes',
      path: 'peak.processes',
      label: 'server processes at peak',
      unit: '',
      better: 'lower',
      digits: 0,
    },
  ];
}

export const RAW_ROWS = [
  { key: 'retr', label: 'python sendfile → this client (RETR limit)' },
  { key: 'storDisk', label: 'this client → python recv_into + write to disk (STOR limit)' },
  { key: 'storNull', label: 'this client → python recv_into, discarded' },
  { key: 'py', label: 'python sendfile → python recv_into (no Node at either end)' },
  { key: 'disk', label: 'write() of 1 MiB buffers to a file (page cache)' },
];


/** Medians of everything: raw limits, each metric per server, ratios and fractions of the limit. */
export function summarize(cfg, raw, servers) {
  const rawMedian = {};
  for (const row of RAW_ROWS) {
    const values = raw.map((r) => r[row.key]?.mbps);
    rawMedian[row.key] = { mbps: median(values), spread: spread(values) };
  }
  const names = Object.keys(servers).filter((name) => servers[name].rounds.length > 0);
  const metrics = metricDefinitions(cfg).map((def) => {
    const values = {};
    for (const name of names) {
      const rounds = servers[name].rounds;
      const xs = rounds.map((round) => get(round, def.path));
      const m = median(xs);
      const entry = { median: m, spread: spread(xs), values: xs };
      if (m === undefined) {
        const phase = def.path.split('.')[0];
        const why = rounds.map((round) => get(round, `${phase}.unsupported`)).find(Boolean);
        // A phase left out with --phases is neither a failure nor a figure.
        const notRun = rounds.every((round) => get(round, `${phase}.skipped`) === true);
        entry.note = why ?? (notRun ? 'not run' : 'failed');
      }
      if (def.rate !== undefined) entry.mbps = median(rounds.map((round) => get(round, def.rate)));
      const rate = def.rate === undefined ? m : entry.mbps;
      const limit = def.limit === undefined ? undefined : rawMedian[def.limit].mbps;
      if (limit && rate !== undefined) entry.ofLimit = rate / limit;
      values[name] = entry;
    }
    const ratios = {};
    for (let i = 0; i < names.length; i++) {
      for (let j = i + 1; j < names.length; j++) {
        const a = values[names[i]].median;
        const b = values[names[j]].median;
        if (def.better === 'info' || a === undefined || b === undefined || a === 0 || b === 0) continue;
        // > 1 means the first server is better, whichever way the metric goes.
        ratios[`${names[i]}/${names[j]}`] = def.better === 'higher' ? a / b : b / a;
      }
    }
    return { ...def, values, ratios };
  });
  const phases = {};
  for (const name of names) {
    phases[name] = {};
    for (const phase of PHASES) {
      const rounds = servers[name].rounds.map((round) => round[phase]).filter(Boolean);
      phases[name][phase] = {
        wall: median(rounds.map((r) => r.wall)),
        serverCpu: median(rounds.map((r) => r.serverCpu)),
        clientCpu: median(rounds.map((r) => r.clientCpu)),
        peakPss: median(rounds.map((r) => r.peakPss)),
      };
    }
  }
  return { raw: rawMedian, metrics, phases, servers: names };
}

function fmt(value, digits) {
  if (value === undefined) return 'n/a';
  const abs = Math.abs(value);
  const d = digits ?? (abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3);
  return value.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}

function cell(def, entry, showSpread) {
  if (entry === undefined) return '–';
  if (entry.median === undefined) {
    if (entry.note === 'not run') return '–';
    return entry.note?.includes('not supported') ? 'n/a (unsupported)' : 'failed';
  }
  const scale = def.unit === 'MiB' ? 1 / MiB : 1;
  let text = fmt(entry.median * scale, def.digits);
  if (showSpread && entry.spread !== undefined) text += ` ±${entry.spread.toFixed(0)}%`;
  if (entry.mbps !== undefined) text += ` (${fmt(entry.mbps, 0)} MB/s)`;
  if (entry.ofLimit !== undefined) text += ` [${(entry.ofLimit * 100).toFixed(0)}%]`;
  return text;
}

/** The markdown report: settings, the main table, the raw limits and the per-phase CPU table. */
export function markdown(results) {
  const { meta, summary } = results;
  const names = summary.servers;
  const pairs = [];
  for (let i = 0; i < names.length; i++)
    for (let j = i + 1; j < names.length; j++) pairs.push([names[i], names[j]]);
  const showSpread = meta.config.rounds > 1;
  const lines = [];
  lines.push(`# ftpkit benchmark — ${meta.mode} run, ${meta.date}`);
  lines.push('');
  lines.push(
    `${meta.host.cpus} × ${meta.host.cpuModel}, ${fmt(meta.host.memoryGiB, 0)} GiB, Linux ${meta.host.kernel}, ` +
      `Node ${meta.host.node}; load average ${meta.host.loadStart.map((l) => l.toFixed(2)).join(' ')} at start, ` +
      `${meta.host.loadEnd.map((l) => l.toFixed(2)).join(' ')} at end; ${meta.config.rounds} round(s), ` +
      `servers interleaved (${names.join(', ')}) in each; took ${fmt(meta.durationS, 0)} s.`,
  );
  lines.push('');
  lines.push(`Servers: ${names.map((n) => results.servers[n].version).join('; ')}.`);
  for (const [name, server] of Object.entries(results.servers)) {
    if (server.skipped) lines.push(`Skipped **${name}**: ${server.skipped}.`);
  }
  lines.push('');
  lines.push(
    'Medians over rounds' +
      (showSpread ? ' (±: half the range between rounds)' : '') +
      '. MB/s = 10^6 bytes/s; [n%] = throughput as a share of the raw loopback limit below. ' +
      'Ratios: how many times better the first server is (> 1: first better, < 1: second better), ' +
      'whichever way the figure goes.',
  );
  lines.push('');
  const header = ['figure', 'unit', 'better', ...names, ...pairs.map(([a, b]) => `${a} vs ${b}`)];
  lines.push(`| ${header.join(' | ')} |`);
  lines.push(`| ${header.map((_, i) => (i < 3 ? '---' : '---:')).join(' | ')} |`);
  for (const def of summary.metrics) {
    const row = [def.label, def.unit, def.better === 'info' ? '' : def.better];
    for (const name of names) row.push(cell(def, def.values[name], showSpread));
    for (const [a, b] of pairs) {
      const ratio = def.ratios[`${a}/${b}`];
      row.push(ratio === undefined ? '–' : `${ratio.toFixed(2)}×`);
    }
    lines.push(`| ${row.join(' | ')} |`);
  }
  lines.push('');
  lines.push(`Raw loopback limits (no FTP; ${sizeLabel(meta.config.bigSize)}, MB/s):`);
  lines.push('');
  lines.push('| path | MB/s |');
  lines.push('| --- | ---: |');
  for (const row of RAW_ROWS) {
    const r = summary.raw[row.key];
    const text =
      r?.mbps === undefined
        ? 'n/a'
        : fmt(r.mbps, 0) + (showSpread && r.spread !== undefined ? ` ±${r.spread.toFixed(0)}%` : '');
    lines.push(`| ${row.label} | ${text} |`);
  }
  lines.push('');
  lines.push(
    'Per phase (medians): wall s / server CPU s / client CPU s (client CPU ÷ wall) / server peak PSS MiB. ' +
      'Wall time includes the phase bookkeeping; the figures above are timed from the first command to the last reply.',
  );
  lines.push('');
  lines.push(`| phase | ${names.join(' | ')} |`);
  lines.push(`| --- | ${names.map(() => '---:').join(' | ')} |`);
  for (const phase of PHASES) {
    const row = [phase];
    for (const name of names) {
      const p = summary.phases[name][phase];
      if (p.wall === undefined) row.push('–');
      else {
        const share = p.wall > 0 ? ` (${((p.clientCpu / p.wall) * 100).toFixed(0)}%)` : '';
        const peak = p.peakPss === undefined ? 'n/a' : fmt(p.peakPss / MiB, 0);
        row.push(`${fmt(p.wall, 2)} / ${fmt(p.serverCpu, 2)} / ${fmt(p.clientCpu, 2)}${share} / ${peak}`);
      }
    }
    lines.push(`| ${row.join(' | ')} |`);
  }
  const problems = Object.entries(results.servers).flatMap(([name, s]) =>
    s.rounds.flatMap((round, i) => (round.errors ?? []).map((e) => `- ${name}, round ${i + 1}: ${e}`)),
  );
  if (problems.length > 0) {
    lines.push('');
    lines.push('Errors:');
    lines.push('');
    lines.push(...problems);
  }
  if (meta.warnings.length > 0) {
    lines.push('');
    lines.push('Warnings:');
    lines.push('');
    lines.push(...meta.warnings.map((w) => `- ${w}`));
  }
  lines.push('');
  return lines.join('\n');
}
