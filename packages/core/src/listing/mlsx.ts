import { type FileStat, isDirectory } from '../filesystem.js';
import { TimevalFormatter } from './times.js';

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

/**
 * Formats the MLSx facts of one listing's entries: which facts to show is decided once, the `perm`
 * texts and the `modify` text are reused across entries that share them, and the line is built in one
 * pass in the order RFC 3659 leaves to the server and pyftpdlib uses (facts sorted by name:
 * `modify perm size type unique unix.gid unix.mode unix.uid`).
 */
export class MlsxFormatter {
  readonly #type: boolean;
  readonly #perm: boolean;
  readonly #size: boolean;
  readonly #modify: boolean;
  readonly #unique: boolean;
  readonly #mode: boolean;
  readonly #uid: boolean;
  readonly #gid: boolean;
  readonly #times: TimevalFormatter;
  /** `perm` fact texts by permission letters, for files and for directories. */
  readonly #filePerms = new Map<string, string>();
  readonly #dirPerms = new Map<string, string>();
  #dev: number | undefined;
  #devText = '';
  /** `modify=...;perm=...;` of the last entry, and what it was made of (never matches at first). */
  #head = '';
  #headModify: string | undefined;
  #headPerm: string | undefined;

  /**
   * @param facts - The facts to show.
   * @param utc - Show `modify` in UTC rather than local time.
   */
  constructor(facts: ReadonlySet<MlsxFact>, utc: boolean) {
    this.#type = facts.has('type');
    this.#perm = facts.has('perm');
    this.#size = facts.has('size');
    this.#modify = facts.has('modify');
    this.#unique = facts.has('unique');
    this.#mode = facts.has('unix.mode');
    this.#uid = facts.has('unix.uid');
    this.#gid = facts.has('unix.gid');
    this.#times = new TimevalFormatter(utc);
  }

  /** True when the `perm` fact is shown, so that the caller needs the entry's permission letters. */
  get showsPerm(): boolean {
    return this.#perm;
  }

  /**
   * The facts part of an MLSx line, e.g. `modify=...;perm=...;size=...;type=...;`.
   *
   * @param stat - The entry's stat.
   * @param permissions - The user's permission letters on the entry (for `perm`).
   */
  facts(stat: FileStat, permissions: string): string {
    const directory = isDirectory(stat);
    const modify =
      this.#modify && Number.isFinite(stat.mtime.getTime()) ? this.#times.format(stat.mtime) : '';
    const perm = this.#perm ? this.#permText(permissions, directory) : '';
    if (modify !== this.#headModify || perm !== this.#headPerm) {
      this.#headModify = modify;
      this.#headPerm = perm;
      this.#head = (modify === '' ? '' : `modify=${modify};`) + (this.#perm ? `perm=${perm};` : '');
    }
    let text = this.#head;
    if (this.#size) text += `size=${stat.size};`;
    if (this.#type) text += directory ? 'type=dir;' : 'type=file;';
    if (this.#unique && stat.dev !== undefined && stat.ino !== undefined) {
      if (stat.dev !== this.#dev) {
        this.#dev = stat.dev;
        this.#devText = stat.dev.toString(16);
      }
      text += `unique=${this.#devText}g${stat.ino.toString(16)};`;
    }
    if (this.#gid) text += `unix.gid=${stat.gid};`;
    if (this.#mode) text += `unix.mode=0o${(stat.mode & 0o777).toString(8)};`;
    if (this.#uid) text += `unix.uid=${stat.uid};`;
    return text;
  }

  #permText(letters: string, directory: boolean): string {
    const cache = directory ? this.#dirPerms : this.#filePerms;
    let text = cache.get(letters);
    if (text === undefined) {
      text = mlsxPerm(letters, directory);
      cache.set(letters, text);
    }
    return text;
  }
}

/** The facts part of an MLSx line: `modify=...;perm=...;size=...;type=...;` (facts sorted by name). */
export function formatMlsxFacts(stat: FileStat, options: MlsxOptions): string {
  return new MlsxFormatter(options.facts, options.utc).facts(stat, options.permissions);
}

/** One MLSD line: `<facts> <name>\r\n`. */
export function formatMlsdLine(name: string, stat: FileStat, options: MlsxOptions): string {
  return `${formatMlsxFacts(stat, options)} ${name}\r\n`;
}
