import { Readable } from 'node:stream';
import { ALL_PERMISSIONS, type PermissionLetter } from '../authorizer.js';
import { type FileStat, type FileSystem, isDirectory, isSymbolicLink } from '../filesystem.js';
import { BATCH, childPath, lstatBatch, nameBatches, sortedNames, yieldToEventLoop } from './entry-source.js';
import { formatListLine, ListLineFormatter } from './ls-line.js';
import { type MlsxFact, MlsxFormatter } from './mlsx.js';

/** Names per chunk of NLST, which has no per-entry I/O. */
const NAMES_PER_CHUNK = 2048;

/** What the listing formatters need from the session. */
export interface ListingContext {
  readonly fs: FileSystem;
  /** Times in UTC. */
  readonly utc: boolean;
  /** Permission check for the MLSx `perm` fact. */
  hasPerm(perm: PermissionLetter, path: string): boolean;
  /** MLSx facts enabled. */
  readonly facts: ReadonlySet<MlsxFact>;
  /** Encodes listing text in the session's charset. */
  encode(text: string): Buffer;
}

function childVirtual(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

const ALL_LETTERS = [...ALL_PERMISSIONS] as PermissionLetter[];

/**
 * The letters that can change the MLSx `perm` fact of an entry (see `mlsxPerm`): a file's fact drops
 * `e l m`, a directory's drops `r` (while `a` and `w` still decide its `c`). MLSD asks only for these,
 * which saves a third of the authorizer calls for files.
 */
const FILE_PERM_LETTERS = ALL_LETTERS.filter((letter) => !'elm'.includes(letter));
const DIR_PERM_LETTERS = ALL_LETTERS.filter((letter) => letter !== 'r');

/** Letter strings by bit mask (bit i = `ALL_PERMISSIONS[i]`), made once each: MLSD builds none per entry. */
const LETTERS_BY_MASK: string[] = [];

function lettersOfMask(mask: number): string {
  let letters = LETTERS_BY_MASK[mask];
  if (letters === undefined) {
    letters = ALL_LETTERS.filter((_, bit) => (mask & (1 << bit)) !== 0).join('');
    LETTERS_BY_MASK[mask] = letters;
  }
  return letters;
}

/** The held ones among `letters`, in `ALL_PERMISSIONS` order. */
function lettersHeld(context: ListingContext, path: string, letters: readonly PermissionLetter[]): string {
  let mask = 0;
  for (const letter of letters) {
    if (context.hasPerm(letter, path)) mask |= 1 << ALL_PERMISSIONS.indexOf(letter);
  }
  return lettersOfMask(mask);
}

/** The user's permission letters on `path`. */
export function permissionsOn(context: ListingContext, path: string): string {
  return lettersHeld(context, path, ALL_LETTERS);
}

async function linkTargetOf(fs: FileSystem, path: string): Promise<string | undefined> {
  return fs.readlink === undefined ? undefined : fs.readlink(path).catch(() => undefined);
}

/** The positions of the symlinks among `stats`, or undefined when there are none (the usual case). */
function symlinksIn(stats: ReadonlyArray<FileStat | undefined>): number[] | undefined {
  let links: number[] | undefined;
  for (let i = 0; i < stats.length; i++) {
    const stat = stats[i];
    if (stat === undefined || !isSymbolicLink(stat)) continue;
    links ??= [];
    links.push(i);
  }
  return links;
}

/** The targets of the symlinks at `links` (LIST's `name -> target`), by position. */
async function linkTargets(
  fs: FileSystem,
  dir: string,
  names: readonly string[],
  links: readonly number[],
): Promise<Array<string | undefined>> {
  const targets = new Array<string | undefined>(names.length);
  for (const i of links) targets[i] = await linkTargetOf(fs, childPath(dir, names[i] as string));
  return targets;
}

/**
 * The `ls -l` lines of one batch. The per-entry loops are plain functions rather than loops inside the
 * async generators, which V8 optimizes later: the first listings of a fresh process are the ones that
 * count most against a C server.
 */
function listBatch(
  formatter: ListLineFormatter,
  names: readonly string[],
  stats: ReadonlyArray<FileStat | undefined>,
  targets: ReadonlyArray<string | undefined> | undefined,
): string {
  let text = '';
  for (let i = 0; i < names.length; i++) {
    const stat = stats[i];
    if (stat !== undefined) text += formatter.format(names[i] as string, stat, targets?.[i]);
  }
  return text;
}

/** `stats` with each symlink replaced by what MLSx shows for it ({@link followForMlsx}). */
async function followLinks(
  context: ListingContext,
  dir: string,
  virtualDir: string,
  names: readonly string[],
  stats: ReadonlyArray<FileStat | undefined>,
  links: readonly number[],
): Promise<Array<FileStat | undefined>> {
  const shown = [...stats];
  for (const i of links) {
    const name = names[i] as string;
    shown[i] = await followForMlsx(context, childPath(dir, name), childVirtual(virtualDir, name));
  }
  return shown;
}

/** The MLSD lines of one batch (see {@link listBatch} for why a plain function). */
function mlsdBatch(
  context: ListingContext,
  formatter: MlsxFormatter,
  dir: string,
  names: readonly string[],
  stats: ReadonlyArray<FileStat | undefined>,
): string {
  const prefix = childPath(dir, '');
  let text = '';
  for (let i = 0; i < names.length; i++) {
    const stat = stats[i];
    if (stat === undefined) continue;
    const name = names[i] as string;
    const permissions = formatter.showsPerm
      ? lettersHeld(context, prefix + name, isDirectory(stat) ? DIR_PERM_LETTERS : FILE_PERM_LETTERS)
      : '';
    text += `${formatter.facts(stat, permissions)} ${name}\r\n`;
  }
  return text;
}

/** One `ls -l` line for `name` (with `-> target` for symlinks), or undefined when it vanished. */
export async function listLine(context: ListingContext, path: string, name: string, now: Date) {
  let stat: FileStat;
  try {
    stat = await context.fs.lstat(path);
  } catch {
    return undefined;
  }
  const linkTarget = isSymbolicLink(stat) ? await linkTargetOf(context.fs, path) : undefined;
  return formatListLine(name, stat, { now, utc: context.utc, linkTarget });
}

/**
 * LIST of a directory: names sorted (only names are held in memory), then `ls -l` lines produced in
 * batches as the data connection drains, each batch one chunk. Entries whose lstat fails are skipped.
 */
export function listDirectory(context: ListingContext, dir: string): Readable {
  return Readable.from(
    (async function* () {
      const names = await sortedNames(context.fs, dir);
      const formatter = new ListLineFormatter(new Date(), context.utc);
      for (let i = 0; i < names.length; i += BATCH) {
        if (i > 0) await yieldToEventLoop();
        const batch = names.slice(i, i + BATCH);
        const stats = await lstatBatch(context.fs, dir, batch);
        const links = symlinksIn(stats);
        const targets = links === undefined ? undefined : await linkTargets(context.fs, dir, batch, links);
        const text = listBatch(formatter, batch, stats, targets);
        if (text.length > 0) yield context.encode(text);
      }
    })(),
    { objectMode: false },
  );
}

/** NLST of a directory: sorted names, one per CRLF-terminated line. */
export function nameList(context: ListingContext, dir: string): Readable {
  return Readable.from(
    (async function* () {
      const names = await sortedNames(context.fs, dir);
      for (let i = 0; i < names.length; i += NAMES_PER_CHUNK) {
        if (i > 0) await yieldToEventLoop();
        const end = Math.min(names.length, i + NAMES_PER_CHUNK);
        let text = '';
        for (let j = i; j < end; j++) text += `${names[j]}\r\n`;
        yield context.encode(text);
      }
    })(),
    { objectMode: false },
  );
}

/** For MLSx, a symlink is followed only when its target stays inside the root; undefined otherwise. */
async function followForMlsx(
  context: ListingContext,
  path: string,
  virtualPath: string,
): Promise<FileStat | undefined> {
  try {
    await context.fs.resolve(virtualPath);
    return await context.fs.stat(path);
  } catch {
    return undefined;
  }
}

/**
 * The stat MLSx shows for an entry: `stat` (symlinks followed), but a symlink is only followed when its
 * target stays inside the root; entries that fail are skipped (undefined).
 */
export async function mlsxStat(
  context: ListingContext,
  path: string,
  virtualPath: string,
): Promise<FileStat | undefined> {
  let lstat: FileStat;
  try {
    lstat = await context.fs.lstat(path);
  } catch {
    return undefined;
  }
  return isSymbolicLink(lstat) ? followForMlsx(context, path, virtualPath) : lstat;
}

/** MLSD of a directory: one facts line per entry, streamed in directory order (RFC 3659 7.2). */
export function machineList(context: ListingContext, dir: string, virtualDir: string): Readable {
  const formatter = new MlsxFormatter(context.facts, context.utc);
  return Readable.from(
    (async function* () {
      let first = true;
      for await (const names of nameBatches(context.fs, dir)) {
        if (!first) await yieldToEventLoop();
        first = false;
        let stats = await lstatBatch(context.fs, dir, names);
        const links = symlinksIn(stats);
        if (links !== undefined) stats = await followLinks(context, dir, virtualDir, names, stats, links);
        const text = mlsdBatch(context, formatter, dir, names, stats);
        if (text.length > 0) yield context.encode(text);
      }
    })(),
    { objectMode: false },
  );
}
