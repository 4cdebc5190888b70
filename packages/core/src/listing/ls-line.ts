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
import { ListDateFormatter } from './times.js';

const TYPE_CHAR: Readonly<Record<number, string>> = {
  [S_IFDIR]: 'd',
  [S_IFREG]: '-',
  [S_IFLNK]: 'l',
  [S_IFCHR]: 'c',
  [S_IFBLK]: 'b',
  [S_IFIFO]: 'p',
  [S_IFSOCK]: 's',
};

function fileModeText(mode: number): string {
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

/** Mode texts already rendered: a directory holds few distinct modes. Bounded, since `st_mode` has 16 bits. */
const MODE_TEXTS = new Map<number, string>();
const MODE_TEXTS_MAX = 1024;

/** The `drwxr-xr-x` column, as Python's `stat.filemode` renders it (setuid, setgid and sticky bits too). */
export function formatFileMode(mode: number): string {
  let text = MODE_TEXTS.get(mode);
  if (text === undefined) {
    text = fileModeText(mode);
    if (MODE_TEXTS.size < MODE_TEXTS_MAX) MODE_TEXTS.set(mode, text);
  }
  return text;
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
 * Formats the `ls -l` lines of one listing (see {@link formatListLine} for the layout). Neighbouring
 * entries usually share the columns before the size (mode, links, owner, group) and the date, so those
 * are kept as ready-made text and a line costs little more than its size and name.
 */
export class ListLineFormatter {
  readonly #dates: ListDateFormatter;
  #mode = -1;
  #links = -1;
  #owner: string | number | undefined;
  #group: string | number | undefined;
  /** `"<mode> <links> <owner> <group> "` of the last entry. */
  #head = '';
  #date = '';
  /** `" <date> "` of the last entry. */
  #dateColumn = '';

  /**
   * @param now - The reference time for the 180-day rule.
   * @param utc - Show times in UTC (pyftpdlib's `use_gmt_times`).
   */
  constructor(now: Date, utc: boolean) {
    this.#dates = new ListDateFormatter(now, utc);
  }

  /** One CRLF-terminated line for `name`; `linkTarget` (for a symlink) is shown as `name -> target`. */
  format(name: string, stat: FileStat, linkTarget?: string): string {
    const mode = stat.mode;
    const links = stat.nlink > 0 ? stat.nlink : 1;
    const owner = stat.owner ?? stat.uid;
    const group = stat.group ?? stat.gid;
    if (mode !== this.#mode || links !== this.#links || owner !== this.#owner || group !== this.#group) {
      this.#mode = mode;
      this.#links = links;
      this.#owner = owner;
      this.#group = group;
      this.#head = `${formatFileMode(mode)} ${String(links).padStart(3)} ${String(owner).padEnd(8)} ${String(group).padEnd(8)} `;
    }
    const date = this.#dates.format(stat.mtime);
    if (date !== this.#date) {
      this.#date = date;
      this.#dateColumn = ` ${date} `;
    }
    const shown = linkTarget === undefined ? name : `${name} -> ${linkTarget}`;
    return `${this.#head}${String(stat.size).padStart(8)}${this.#dateColumn}${shown}\r\n`;
  }
}

/**
 * One `ls -l` style line, CRLF-terminated, in pyftpdlib's layout:
 * `"%s %3s %-8s %-8s %8s %s %s\r\n" % (mode, nlink, owner, group, size, date, name)`.
 */
export function formatListLine(name: string, stat: FileStat, options: ListLineOptions): string {
  return new ListLineFormatter(options.now, options.utc).format(name, stat, options.linkTarget);
}
