import { Readable } from 'node:stream';
import { isDirectory } from '../filesystem.js';
import {
  type ListingContext,
  listDirectory,
  listLine,
  machineList,
  mlsxStat,
  nameList,
  permissionsOn,
} from '../listing/listing-stream.js';
import { formatFeatFacts, formatMlsxFacts } from '../listing/mlsx.js';
import { virtualBasename } from '../protocol/virtual-path.js';
import type { Session } from '../session.js';
import type { CommandDefinition, CommandRequest } from './types.js';

/** The listing view of a session. */
export function listingContext(session: Session): ListingContext {
  return {
    fs: session.fs,
    utc: session.options.useGmtTimes,
    facts: session.facts,
    hasPerm: (perm, path) => session.hasPerm(perm, path),
    encode: (text) => session.options.charset.encode(text),
  };
}

/**
 * The LIST lines for a path: the sorted entries of a directory, or the one line of a file. Used by
 * LIST and by STAT with a path.
 */
export async function listingFor(session: Session, request: CommandRequest): Promise<Readable> {
  const context = listingContext(session);
  const stat = await session.fs.lstat(request.path);
  if (isDirectory(stat)) return listDirectory(context, request.path);
  const line = await listLine(context, request.path, virtualBasename(request.virtualPath), new Date());
  return Readable.from(line === undefined ? [] : [context.encode(line)]);
}

function send(session: Session, command: string, stream: Readable): void {
  session.startTransfer({ direction: 'send', command, stream, ascii: false });
}

const LIST: CommandDefinition = {
  name: 'LIST',
  help: 'Syntax: LIST [<SP> path] (list files).',
  requiresLogin: true,
  arg: 'optional',
  perm: 'l',
  path: 'list',
  async run(session, request) {
    const stream = await listingFor(session, request);
    if (!session.transfer.ensureReady()) {
      stream.destroy();
      return;
    }
    send(session, 'LIST', stream);
  },
};

const NLST: CommandDefinition = {
  name: 'NLST',
  help: 'Syntax: NLST [<SP> path] (list path in a compact form).',
  requiresLogin: true,
  arg: 'optional',
  perm: 'l',
  async run(session, request) {
    const stat = await session.fs.lstat(request.path);
    const stream = isDirectory(stat)
      ? nameList(listingContext(session), request.path)
      : Readable.from([session.options.charset.encode(`${virtualBasename(request.virtualPath)}\r\n`)]);
    if (!session.transfer.ensureReady()) {
      stream.destroy();
      return;
    }
    send(session, 'NLST', stream);
  },
};

const MLSD: CommandDefinition = {
  name: 'MLSD',
  help: 'Syntax: MLSD [<SP> path] (list directory).',
  requiresLogin: true,
  arg: 'optional',
  perm: 'l',
  async run(session, request) {
    let directory = false;
    try {
      directory = isDirectory(await session.fs.stat(request.path));
    } catch {
      // Missing paths get the same reply as files.
    }
    if (!directory) {
      session.reply(501, 'No such directory.');
      return;
    }
    if (!session.transfer.ensureReady()) return;
    send(session, 'MLSD', machineList(listingContext(session), request.path, request.virtualPath));
  },
};

const MLST: CommandDefinition = {
  name: 'MLST',
  help: 'Syntax: MLST [<SP> path] (show information about path).',
  requiresLogin: true,
  arg: 'optional',
  perm: 'l',
  feature: (session) => `MLST ${formatFeatFacts(session.facts)}`,
  async run(session, request) {
    const context = listingContext(session);
    const stat = await mlsxStat(context, request.path, request.virtualPath);
    if (stat === undefined) {
      // Report the real reason (ENOENT, ...) rather than a generic text.
      await session.fs.stat(request.path);
      session.reply(550, 'No such file or directory.');
      return;
    }
    const permissions = session.facts.has('perm') ? permissionsOn(context, request.path) : '';
    const facts = formatMlsxFacts(stat, {
      facts: session.facts,
      permissions,
      utc: session.options.useGmtTimes,
    });
    session.replyRaw(
      `250-Listing "${request.virtualPath}":\r\n ${facts} ${request.virtualPath}\r\n250 End MLST.\r\n`,
      250,
    );
  },
};

/** LIST, NLST, MLSD, MLST. */
export const LISTING_COMMANDS: readonly CommandDefinition[] = [LIST, NLST, MLSD, MLST];
