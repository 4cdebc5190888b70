import {
  type FileStat,
  S_IFBLK,
  S_IFCHR,
  S_IFDIR,
  S_IFIFO,
  S_IFLNK,
  S_IFMT,
  S_IFREG,
  S_IFSOCK,
} from '../filesystem.js';
import { formatListDate } from './times.js';

const TYPE_CHAR: Readonly<Record<number, string>> = {
  [S_IFDIR]: 'd',
  [S_IFREG]: '-',
  [S_IFLNK]: 'l',
  [S_IFCHR]: 'c',
  [S_IFBLK]: 'b',
  [S_IFIFO]: 'p',
  [S_IFSOCK]: 's',
};

/** The `drwxr-xr-x` column, as Python's `stat.filemode` renders it (setuid, setgid and sticky bits too). */
export function formatFileMode(mode: number): string {
  const type = TYPE_CHAR[mode & S_IFMT] ?? '?';
  const bit = (mask: number, char: string): string => ((mode & mask) !== 0 ? char : '-');
  const special = (exec: number, flag: number, set: string, unset: string): string => {
    const x = (mode & exec) !== 0;
    if ((mode & flag) !== 0) return x ? set : unset;
    return x ? 'x' : '-';
  };
  return (
    type +
    bit(0o400, 'r') +
    bit(0o200, 'w') +
    special(0o100, 0o4000, 's', 'S') +
    bit(0o040, 'r') +
    bit(0o020, 'w') +
    special(0o010, 0o2000, 's', 'S') +
    bit(0o004, 'r') +
    bit(0o002, 'w') +
    special(0o001, 0o1000, 't', 'T')
  );
}

/** Options of {@link formatListLine}. */
export interface ListLineOptions {
  /** The reference time for the 180-day rule. */
  now: Date;
  /** Show times in UTC (pyftpdlib's `use_gmt_times`). */
  utc: boolean;
  /** For a symlink, its target: shown as `name -> target`. */
  linkTarget?: string | undefined;
}

/**
 * One `ls -l` style line, CRLF-terminated, in pyftpdlib's layout:
 * `"%s %3s %-8s %-8s %8s %s %s\r\n" % (mode, nlink, owner, group, size, date, name)`.
 */
export function formatListLine(name: string, stat: FileStat, options: ListLineOptions): string {
  const nlink = String(stat.nlink > 0 ? stat.nlink : 1).padStart(3);
  const owner = (stat.owner ?? String(stat.uid)).padEnd(8);
  const group = (stat.group ?? String(stat.gid)).padEnd(8);
  const size = String(stat.size).padStart(8);
  const date = formatListDate(stat.mtime, options.now, options.utc);
  const shown = options.linkTarget === undefined ? name : `${name} -> ${options.linkTarget}`;
  return `${formatFileMode(stat.mode)} ${nlink} ${owner} ${group} ${size} ${date} ${shown}\r\n`;
}
