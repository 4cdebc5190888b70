import { Readable } from 'node:stream';
import { ALL_PERMISSIONS, type PermissionLetter } from '../authorizer.js';
import { type FileStat, type FileSystem, isSymbolicLink } from '../filesystem.js';
import { formatListLine } from './ls-line.js';
import { formatMlsdLine, type MlsxFact } from './mlsx.js';

/** Entries statted concurrently while a listing streams. */
const BATCH = 128;

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

/** The resolved path of `name` inside the resolved directory `dir`. */
export function childPath(dir: string, name: string): string {
  return dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`;
}

function childVirtual(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

/** The user's permission letters on `path`. */
export function permissionsOn(context: ListingContext, path: string): string {
  let letters = '';
  for (const letter of ALL_PERMISSIONS) {
    if (context.hasPerm(letter as PermissionLetter, path)) letters += letter;
  }
  return letters;
}

async function sortedNames(fs: FileSystem, dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const name of fs.readdir(dir)) names.push(name);
  return names.sort();
}

/** One `ls -l` line for `name` (with `-> target` for symlinks), or undefined when it vanished. */
export async function listLine(context: ListingContext, path: string, name: string, now: Date) {
  let stat: FileStat;
  try {
    stat = await context.fs.lstat(path);
  } catch {
    return undefined;
  }
  let linkTarget: string | undefined;
  if (isSymbolicLink(stat) && context.fs.readlink !== undefined) {
    linkTarget = await context.fs.readlink(path).catch(() => undefined);
  }
  return formatListLine(name, stat, { now, utc: context.utc, linkTarget });
}

/**
 * LIST of a directory: names sorted (only names are held in memory), then `ls -l` lines produced in
 * batches as the data connection drains. Entries whose lstat fails are skipped.
 */
export function listDirectory(context: ListingContext, dir: string): Readable {
  return Readable.from(
    (async function* () {
      const names = await sortedNames(context.fs, dir);
      const now = new Date();
      for (let i = 0; i < names.length; i += BATCH) {
        const batch = names.slice(i, i + BATCH);
        const lines = await Promise.all(
          batch.map((name) => listLine(context, childPath(dir, name), name, now)),
        );
        const text = lines.filter((line) => line !== undefined).join('');
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
      for (let i = 0; i < names.length; i += BATCH * 8) {
        yield context.encode(
          names
            .slice(i, i + BATCH * 8)
            .map((name) => `${name}\r\n`)
            .join(''),
        );
      }
    })(),
    { objectMode: false },
  );
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
  try {
    const lstat = await context.fs.lstat(path);
    if (!isSymbolicLink(lstat)) return lstat;
    await context.fs.resolve(virtualPath);
    return await context.fs.stat(path);
  } catch {
    return undefined;
  }
}

/** MLSD of a directory: one facts line per entry, streamed in directory order (RFC 3659 7.2). */
export function machineList(context: ListingContext, dir: string, virtualDir: string): Readable {
  return Readable.from(
    (async function* () {
      let batch: string[] = [];
      const flush = async (names: string[]): Promise<Buffer | undefined> => {
        const lines = await Promise.all(
          names.map(async (name) => {
            const path = childPath(dir, name);
            const stat = await mlsxStat(context, path, childVirtual(virtualDir, name));
            if (stat === undefined) return undefined;
            const permissions = context.facts.has('perm') ? permissionsOn(context, path) : '';
            return formatMlsdLine(name, stat, { facts: context.facts, permissions, utc: context.utc });
          }),
        );
        const text = lines.filter((line) => line !== undefined).join('');
        return text.length > 0 ? context.encode(text) : undefined;
      };
      for await (const name of context.fs.readdir(dir)) {
        batch.push(name);
        if (batch.length >= BATCH) {
          const chunk = await flush(batch);
          batch = [];
          if (chunk !== undefined) yield chunk;
        }
      }
      const chunk = await flush(batch);
      if (chunk !== undefined) yield chunk;
    })(),
    { objectMode: false },
  );
}
