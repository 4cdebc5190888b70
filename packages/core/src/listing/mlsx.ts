import { type FileStat, isDirectory } from '../filesystem.js';
import { formatTimeval } from './times.js';

/** The MLSx facts ftpkit offers, in the order FEAT lists them (RFC 3659 section 7.8). */
export const AVAILABLE_FACTS = [
  'type',
  'perm',
  'size',
  'modify',
  'unique',
  'unix.mode',
  'unix.uid',
  'unix.gid',
] as const;

/** One MLSx fact name. */
export type MlsxFact = (typeof AVAILABLE_FACTS)[number];

/** The facts enabled until the client sends `OPTS MLST`. */
export const DEFAULT_FACTS: readonly MlsxFact[] = ['type', 'perm', 'size', 'modify', 'unique'];

/** True when `name` is one of {@link AVAILABLE_FACTS}. */
export function isMlsxFact(name: string): name is MlsxFact {
  return (AVAILABLE_FACTS as readonly string[]).includes(name);
}

/** The ` MLST type*;perm*;...` FEAT line body: every available fact, `*` marking the enabled ones. */
export function formatFeatFacts(enabled: ReadonlySet<MlsxFact>): string {
  return AVAILABLE_FACTS.map((fact) => `${fact}${enabled.has(fact) ? '*' : ''};`).join('');
}

/**
 * The RFC 3659 `perm` fact from the user's permission letters on that entry, as pyftpdlib computes it:
 * directories get the letters minus `a r w`, plus `c` when any of `w a f` is held and `p` when `d` is;
 * files get the letters minus `c e l m p`.
 */
export function mlsxPerm(letters: string, directory: boolean): string {
  if (!directory) return letters.replace(/[celmp]/g, '');
  let perm = letters.replace(/[arw]/g, '');
  if (/[waf]/.test(letters)) perm += 'c';
  if (letters.includes('d')) perm += 'p';
  return perm;
}

/** Options of {@link formatMlsxFacts}. */
export interface MlsxOptions {
  /** The facts to show. */
  facts: ReadonlySet<MlsxFact>;
  /** The user's permission letters on this entry (for `perm`). */
  permissions: string;
  /** Times in UTC. */
  utc: boolean;
}

/** The facts part of an MLSx line: `modify=...;perm=...;size=...;type=...;` (facts sorted by name). */
export function formatMlsxFacts(stat: FileStat, options: MlsxOptions): string {
  const directory = isDirectory(stat);
  const values: Array<[string, string]> = [];
  const { facts } = options;
  if (facts.has('type')) values.push(['type', directory ? 'dir' : 'file']);
  if (facts.has('perm')) values.push(['perm', mlsxPerm(options.permissions, directory)]);
  if (facts.has('size')) values.push(['size', String(stat.size)]);
  if (facts.has('modify') && Number.isFinite(stat.mtime.getTime())) {
    values.push(['modify', formatTimeval(stat.mtime, options.utc)]);
  }
  if (facts.has('unique') && stat.dev !== undefined && stat.ino !== undefined) {
    values.push(['unique', `${stat.dev.toString(16)}g${stat.ino.toString(16)}`]);
  }
  if (facts.has('unix.mode')) values.push(['unix.mode', `0o${(stat.mode & 0o777).toString(8)}`]);
  if (facts.has('unix.uid')) values.push(['unix.uid', String(stat.uid)]);
  if (facts.has('unix.gid')) values.push(['unix.gid', String(stat.gid)]);
  values.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return values.map(([k, v]) => `${k}=${v};`).join('');
}

/** One MLSD line: `<facts> <name>\r\n`. */
export function formatMlsdLine(name: string, stat: FileStat, options: MlsxOptions): string {
  return `${formatMlsxFacts(stat, options)} ${name}\r\n`;
}
