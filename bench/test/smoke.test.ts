/**
 * Smoke test of the benchmark harness (not a benchmark): `node bench/run.mjs --smoke` runs every phase
 * against the built ftpd with tiny sizes and must write a complete, sane JSON report.
 */

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const bench = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ftpdBin = resolve(bench, '..', 'apps', 'ftpd', 'dist', 'bin.js');
const out = mkdtempSync(join(tmpdir(), 'ftpkit-bench-smoke-'));

afterAll(() => rmSync(out, { recursive: true, force: true }));

interface Figure {
  error?: string;
  unsupported?: string;
  wall: number;
  serverCpu: number;
  clientCpu: number;
  [key: string]: unknown;
}

describe('bench/run.mjs --smoke', () => {
  it('runs every phase against ftpd and writes the JSON and markdown reports', () => {
    expect(existsSync(ftpdBin), `${ftpdBin} is missing: run pnpm build`).toBe(true);
    const run = spawnSync(process.execPath, [join(bench, 'run.mjs'), '--smoke', '--out', out], {
      encoding: 'utf8',
      timeout: 100_000,
    });
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);

    const report = JSON.parse(readFileSync(join(out, 'smoke.json'), 'utf8'));
    expect(report.meta.mode).toBe('smoke');
    expect(report.summary.servers).toEqual(['ftpd']);
    const [round] = report.servers.ftpd.rounds as Record<string, Figure & { errors: string[] }>[];
    expect(round!.errors).toEqual([]);

    const { bigSize, smallSize, clients, dirFiles } = report.meta.config;
    const phases = ['stor1', 'retr1', 'list', 'mlsd', 'logins', 'connect', 'retrN', 'storN', 'quitN'];
    for (const phase of phases) {
      const figure = round![phase] as Figure;
      expect(figure.error, phase).toBeUndefined();
      expect(figure.wall, phase).toBeGreaterThan(0);
      expect(figure.serverCpu, phase).toBeGreaterThanOrEqual(0);
      expect(figure.clientCpu, phase).toBeGreaterThanOrEqual(0);
    }
    const r = round as unknown as Record<string, Record<string, number>>;
    // Throughputs must be physically possible on loopback (below 100 GB/s) and non-zero.
    for (const phase of ['stor1', 'retr1', 'retrN', 'storN']) {
      expect(r[phase]!['mbps'], phase).toBeGreaterThan(0);
      expect(r[phase]!['mbps'], phase).toBeLessThan(100_000);
    }
    expect(r['list']!['lines']).toBeGreaterThanOrEqual(dirFiles);
    expect(r['mlsd']!['lines']).toBeGreaterThanOrEqual(dirFiles);
    expect(r['logins']!['count']).toBeGreaterThan(0);
    expect(r['connect']!['s']).toBeGreaterThan(0);
    expect(bigSize).toBeGreaterThan(smallSize);
    expect(clients).toBeGreaterThan(1);

    // Memory and CPU come from /proc: a Node server takes more than 5 MiB and less than 4 GiB.
    for (const key of ['idle', 'sessions', 'peak']) {
      expect(r[key]!['pss'], key).toBeGreaterThan(5 * 1024 * 1024);
      expect(r[key]!['rss'], key).toBeLessThan(4 * 1024 ** 3);
      expect(r[key]!['rss'], key).toBeGreaterThanOrEqual(r[key]!['pss']!);
    }
    expect(r['peak']!['pss']).toBeGreaterThanOrEqual(r['idle']!['pss']!);
    expect(round!['cpuTotal']).toBeGreaterThan(0);

    // The raw loopback limits were measured.
    for (const key of ['retr', 'storDisk', 'storNull', 'py', 'disk']) {
      expect(report.raw[0][key].mbps, key).toBeGreaterThan(0);
    }
    // Every figure of the summary has its ftpd median.
    const missing = report.summary.metrics
      .filter((m: { values: Record<string, { median?: number }> }) => m.values['ftpd']?.median === undefined)
      .map((m: { key: string }) => m.key);
    expect(missing).toEqual([]);

    const md = readFileSync(join(out, 'smoke.md'), 'utf8');
    expect(md).toContain('| figure | unit | better | ftpd |');
    expect(md).toContain('Raw loopback limits');
    expect(run.stdout).toContain('| figure | unit | better | ftpd |');
  });
});
