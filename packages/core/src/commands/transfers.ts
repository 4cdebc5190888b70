import { randomInt } from 'node:crypto';
import { posix } from 'node:path';
import type { Writable } from 'node:stream';
import { describeFilesystemError, errorCode } from '../errors.js';
import { normalizeVirtualPath } from '../protocol/virtual-path.js';
import type { Session } from '../session.js';
import type { CommandDefinition, CommandRequest } from './types.js';

/** Takes the REST marker: every RETR/STOR consumes it, even one that fails. */
function takeRestPosition(session: Session): number {
  const position = session.restPosition;
  session.restPosition = 0;
  return position;
}

/** Checks a REST position against the file size; replies 554 and returns false when it is past the end. */
async function restWithinFile(session: Session, path: string, position: number): Promise<boolean> {
  const stat = await session.fs.stat(path);
  if (position > stat.size) {
    session.reply(554, `REST position (${position}) > file size (${stat.size})`);
    return false;
  }
  return true;
}

async function store(session: Session, request: CommandRequest, command: 'STOR' | 'APPE'): Promise<void> {
  const position = command === 'STOR' ? takeRestPosition(session) : 0;
  if (!session.transfer.ensureReady()) return;
  if (position > 0 && !(await restWithinFile(session, request.path, position))) return;
  const stream = await session.fs.openWrite(request.path, {
    mode: command === 'APPE' ? 'append' : position > 0 ? 'offset' : 'truncate',
    start: position,
    highWaterMark: session.options.bufferSize,
  });
  session.startTransfer({
    direction: 'receive',
    command,
    stream,
    path: request.path,
    ascii: session.transferType === 'ascii',
  });
}

const RETR: CommandDefinition = {
  name: 'RETR',
  help: 'Syntax: RETR <SP> file-name (retrieve a file).',
  requiresLogin: true,
  arg: 'required',
  perm: 'r',
  async run(session, request) {
    const position = takeRestPosition(session);
    const fs = session.fs;
    if (position > 0 && !(await restWithinFile(session, request.path, position))) return;
    const stream = await fs.openRead(request.path, {
      start: position,
      highWaterMark: session.options.bufferSize,
    });
    if (!session.transfer.ensureReady()) {
      stream.destroy();
      return;
    }
    session.startTransfer({
      direction: 'send',
      command: 'RETR',
      stream,
      path: request.path,
      ascii: session.transferType === 'ascii',
    });
  },
};

const STOR: CommandDefinition = {
  name: 'STOR',
  help: 'Syntax: STOR <SP> file-name (store a file).',
  requiresLogin: true,
  arg: 'required',
  perm: 'w',
  run(session, request) {
    return store(session, request, 'STOR');
  },
};

const APPE: CommandDefinition = {
  name: 'APPE',
  help: 'Syntax: APPE <SP> file-name (append data to file).',
  requiresLogin: true,
  arg: 'required',
  perm: 'a',
  async run(session, request) {
    if (session.restPosition > 0) {
      session.reply(450, "Can't APPE while REST request is pending.");
      return;
    }
    await store(session, request, 'APPE');
  },
};

/** Attempts STOU makes before giving up, as mkstemp(3) in pyftpdlib. */
const STOU_ATTEMPTS = 50;
const STOU_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789_';

function uniqueSuffix(): string {
  let suffix = '';
  for (let i = 0; i < 8; i++) suffix += STOU_ALPHABET[randomInt(STOU_ALPHABET.length)];
  return suffix;
}

const STOU: CommandDefinition = {
  name: 'STOU',
  help: 'Syntax: STOU [<SP> name] (store a file with a unique name).',
  requiresLogin: true,
  arg: 'optional',
  async run(session, { arg }) {
    if (session.restPosition > 0) {
      session.reply(450, "Can't STOU while REST request is pending.");
      return;
    }
    // The argument is a name prefix; the file goes in its directory (or the working directory).
    const given = arg !== undefined && arg !== '' ? normalizeVirtualPath(session.cwd, arg) : undefined;
    const directory = given === undefined ? session.cwd : posix.dirname(given);
    const prefix = given === undefined || given === '/' ? 'ftpd.' : `${posix.basename(given)}.`;
    if (!session.transfer.ensureReady()) return;
    for (let attempt = 0; attempt < STOU_ATTEMPTS; attempt++) {
      const name = `${prefix}${uniqueSuffix()}`;
      // Every candidate goes through the same containment and permission checks as STOR.
      const checked = await session.checkPath(posix.join(directory, name), 'w');
      if (checked === undefined) return;
      let stream: Writable;
      try {
        stream = await session.fs.openWrite(checked.path, {
          mode: 'exclusive',
          highWaterMark: session.options.bufferSize,
        });
      } catch (error) {
        if (errorCode(error) === 'EEXIST') continue;
        session.reply(450, `${describeFilesystemError(error)}.`);
        return;
      }
      session.startTransfer({
        direction: 'receive',
        command: 'STOU',
        stream,
        path: checked.path,
        ascii: session.transferType === 'ascii',
        announce: `FILE: ${name}`,
      });
      return;
    }
    session.reply(450, 'No usable unique file name found.');
  },
};

const ABOR: CommandDefinition = {
  name: 'ABOR',
  help: 'Syntax: ABOR (abort transfer).',
  requiresLogin: true,
  arg: 'none',
  run(session) {
    const outcome = session.transfer.abort();
    if (outcome === 'transfer') {
      session.reply(426, 'Transfer aborted via ABOR.');
      session.reply(226, 'ABOR command successful.');
    } else if (outcome === 'channel') {
      session.reply(225, 'ABOR command successful; data channel closed.');
    } else {
      session.reply(225, 'No transfer to abort.');
    }
  },
};

/** RETR, STOR, STOU, APPE, ABOR. */
export const TRANSFER_COMMANDS: readonly CommandDefinition[] = [RETR, STOR, STOU, APPE, ABOR];
