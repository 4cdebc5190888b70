import { describe, expect, it } from 'vitest';
import { S_IFDIR, S_IFLNK, S_IFREG } from '../src/filesystem.js';
import { formatFileMode, formatListLine } from '../src/listing/ls-line.js';
import { formatFeatFacts, formatMlsxFacts, mlsxPerm } from '../src/listing/mlsx.js';
import { formatListDate, formatTimeval, parseTimeval } from '../src/listing/times.js';

const now = new Date(Date.UTC(2026, 10, 22, 1, 51, 25));
const stat = (mode: number, size: number, mtime: Date) => ({ mode, size, mtime, nlink: 1, uid: 0, gid: 0 });

describe('ls -l lines', () => {
  it('renders modes like stat.filemode', () => {
    expect(formatFileMode(S_IFREG | 0o644)).toBe('-rw-r--r--');
    expect(formatFileMode(S_IFDIR | 0o755)).toBe('drwxr-xr-x');
    expect(formatFileMode(S_IFLNK | 0o777)).toBe('lrwxrwxrwx');
    expect(formatFileMode(S_IFREG | 0o4755)).toBe('-rwsr-xr-x');
    expect(formatFileMode(S_IFREG | 0o2644)).toBe('-rw-r-Sr--');
    expect(formatFileMode(S_IFDIR | 0o1777)).toBe('drwxrwxrwt');
  });

  it('matches the verified pyftpdlib sample', () => {
    const named = { ...stat(S_IFREG | 0o644, 12, now), owner: 'root', group: 'root' };
    expect(formatListLine('a.txt', named, { now, utc: true })).toBe(
      '-rw-r--r--   1 root     root           12 Nov 22 01:51 a.txt\r\n',
    );
    const old = { ...stat(S_IFREG | 0o644, 0, new Date(Date.UTC(2020, 0, 2))), owner: 'root', group: 'root' };
    expect(formatListLine('old.txt', old, { now, utc: true })).toBe(
      '-rw-r--r--   1 root     root            0 Jan 02  2020 old.txt\r\n',
    );
    const link = { ...stat(S_IFLNK | 0o777, 5, now), owner: 'root', group: 'root' };
    expect(formatListLine('link.txt', link, { now, utc: true, linkTarget: 'a.txt' })).toBe(
      'lrwxrwxrwx   1 root     root            5 Nov 22 01:51 link.txt -> a.txt\r\n',
    );
  });

  it('shows numeric ids when names are unknown and nlink 1 for 0', () => {
    const s = { ...stat(S_IFREG | 0o600, 1, now), nlink: 0, uid: 1234, gid: 56 };
    expect(formatListLine('f', s, { now, utc: true })).toBe(
      '-rw-------   1 1234     56              1 Nov 22 01:51 f\r\n',
    );
  });
});

describe('dates', () => {
  it('uses the time form within 180 days and for the future, the year form beyond', () => {
    const day = 24 * 3600 * 1000;
    expect(formatListDate(new Date(now.getTime() - 179 * day), now, true)).toMatch(
      /^\w{3} \d{2} \d{2}:\d{2}$/,
    );
    expect(formatListDate(new Date(now.getTime() - 181 * day), now, true)).toMatch(/^\w{3} \d{2} {2}2026$/);
    expect(formatListDate(new Date(now.getTime() + 400 * day), now, true)).toMatch(
      /^\w{3} \d{2} \d{2}:\d{2}$/,
    );
    expect(formatListDate(new Date(Date.UTC(1800, 0, 1)), now, true)).toBe('Nov 22 01:51');
  });

  it('formats and parses timevals', () => {
    expect(formatTimeval(now, true)).toBe('20261122015125');
    expect(parseTimeval('20200101000000')?.toISOString()).toBe('2020-01-01T00:00:00.000Z');
    expect(parseTimeval('20201301000000')).toBeUndefined();
    expect(parseTimeval('2020')).toBeUndefined();
    expect(parseTimeval('2020010100000x')).toBeUndefined();
  });
});

describe('MLSx facts', () => {
  it('computes perm like pyftpdlib', () => {
    expect(mlsxPerm('elradfmwMT', true)).toBe('eldfmMTcp');
    expect(mlsxPerm('elradfmwMT', false)).toBe('radfwMT');
    expect(mlsxPerm('elr', true)).toBe('el');
    expect(mlsxPerm('elr', false)).toBe('r');
  });

  it('sorts facts by name and renders unix.mode and unique as pyftpdlib does', () => {
    const s = { ...stat(S_IFREG | 0o644, 12, now), dev: 0xfe00, ino: 0x20e09e, uid: 1, gid: 2 };
    const all = new Set([
      'type',
      'perm',
      'size',
      'modify',
      'unique',
      'unix.mode',
      'unix.uid',
      'unix.gid',
    ] as const);
    expect(formatMlsxFacts(s, { facts: all, permissions: 'elradfmwMT', utc: true })).toBe(
      'modify=20261122015125;perm=radfwMT;size=12;type=file;unique=fe00g20e09e;unix.gid=2;unix.mode=0o644;unix.uid=1;',
    );
  });

  it('marks enabled facts in FEAT', () => {
    expect(formatFeatFacts(new Set(['type', 'size']))).toBe(
      'type*;perm;size*;modify;unique;unix.mode;unix.uid;unix.gid;',
    );
  });
});
