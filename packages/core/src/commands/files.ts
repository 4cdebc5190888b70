import { isDirectory, isRegularFile } from '../filesystem.js';
import { formatTimeval, parseTimeval } from '../listing/times.js';
import { quotePath } from '../protocol/reply.js';
import type { Session } from '../session.js';
import type { CommandDefinition, CommandRequest } from './types.js';

async function changeDirectory(session: Session, { path, virtualPath }: CommandRequest): Promise<void> {
  try {
    const stat = await session.fs.stat(path);
    if (!isDirectory(stat)) {
      session.reply(550, 'Not a directory.');
      return;
    }
  } catch (error) {
    session.replyFilesystemError(error);
    return;
  }
  session.cwd = virtualPath;
  session.reply(250, `"${virtualPath}" is the current directory.`);
}

function printDirectory(session: Session): void {
  session.reply(257, `"${quotePath(session.cwd)}" is the current directory.`);
}

async function makeDirectory(session: Session, { path, virtualPath }: CommandRequest): Promise<void> {
  await session.fs.mkdir(path);
  session.reply(257, `"${quotePath(virtualPath)}" directory created.`);
}

async function removeDirectory(session: Session, { path, virtualPath }: CommandRequest): Promise<void> {
  if (virtualPath === '/') {
    session.reply(550, "Can't remove root directory.");
    return;
  }
  await session.fs.rmdir(path);
  session.reply(250, 'Directory removed.');
}

/** A regular file's stat, or undefined (having replied `550 <path> is not retrievable<suffix>`). */
async function retrievable(session: Session, request: CommandRequest, suffix: string) {
  try {
    const stat = await session.fs.stat(request.path);
    if (isRegularFile(stat)) return stat;
  } catch {
    // Missing and unreadable paths are "not retrievable", as in pyftpdlib.
  }
  session.reply(550, `${request.virtualPath} is not retrievable${suffix}`);
  return undefined;
}

const commands: CommandDefinition[] = [
  {
    name: 'PWD',
    help: 'Syntax: PWD (get current working directory).',
    requiresLogin: true,
    arg: 'none',
    run: printDirectory,
  },
  {
    name: 'XPWD',
    help: 'Syntax: XPWD (obsolete; get current dir).',
    requiresLogin: true,
    arg: 'none',
    run: printDirectory,
  },
  {
    name: 'CWD',
    help: 'Syntax: CWD [<SP> dir-name] (change working directory).',
    requiresLogin: true,
    arg: 'optional',
    perm: 'e',
    path: 'arg-or-root',
    run: changeDirectory,
  },
  {
    name: 'XCWD',
    help: 'Syntax: XCWD [<SP> dir-name] (obsolete; change directory).',
    requiresLogin: true,
    arg: 'optional',
    perm: 'e',
    path: 'arg-or-root',
    run: changeDirectory,
  },
  {
    name: 'CDUP',
    help: 'Syntax: CDUP (go to parent directory).',
    requiresLogin: true,
    arg: 'none',
    perm: 'e',
    path: 'parent',
    run: changeDirectory,
  },
  {
    name: 'XCUP',
    help: 'Syntax: XCUP (obsolete; go to parent directory).',
    requiresLogin: true,
    arg: 'none',
    perm: 'e',
    path: 'parent',
    run: changeDirectory,
  },
  {
    name: 'MKD',
    help: 'Syntax: MKD <SP> path (create directory).',
    requiresLogin: true,
    arg: 'required',
    perm: 'm',
    run: makeDirectory,
  },
  {
    name: 'XMKD',
    help: 'Syntax: XMKD <SP> dir-name (obsolete; create directory).',
    requiresLogin: true,
    arg: 'required',
    perm: 'm',
    run: makeDirectory,
  },
  {
    name: 'RMD',
    help: 'Syntax: RMD <SP> dir-name (remove directory).',
    requiresLogin: true,
    arg: 'required',
    perm: 'd',
    run: removeDirectory,
  },
  {
    name: 'XRMD',
    help: 'Syntax: XRMD <SP> dir-name (obsolete; remove directory).',
    requiresLogin: true,
    arg: 'required',
    perm: 'd',
    run: removeDirectory,
  },
  {
    name: 'DELE',
    help: 'Syntax: DELE <SP> file-name (delete file).',
    requiresLogin: true,
    arg: 'required',
    perm: 'd',
    async run(session, { path }) {
      await session.fs.unlink(path);
      session.reply(250, 'File removed.');
    },
  },
  {
    name: 'RNFR',
    help: 'Syntax: RNFR <SP> file-name (rename (source name)).',
    requiresLogin: true,
    arg: 'required',
    perm: 'f',
    async run(session, { path, virtualPath }) {
      try {
        await session.fs.lstat(path);
      } catch {
        session.reply(550, 'No such file or directory.');
        return;
      }
      if (virtualPath === '/') {
        session.reply(550, "Can't rename home directory.");
        return;
      }
      session.renameFrom = { path, virtualPath };
      session.reply(350, 'Ready for destination name.');
    },
  },
  {
    name: 'RNTO',
    help: 'Syntax: RNTO <SP> file-name (rename (destination name)).',
    requiresLogin: true,
    arg: 'required',
    perm: 'f',
    async run(session, { path }) {
      const from = session.renameFrom;
      session.renameFrom = undefined;
      if (from === undefined) {
        session.reply(503, 'Bad sequence of commands: use RNFR first.');
        return;
      }
      await session.fs.rename(from.path, path);
      session.reply(250, 'Renaming ok.');
    },
  },
  {
    name: 'SIZE',
    help: 'Syntax: SIZE <SP> file-name (get file size).',
    requiresLogin: true,
    arg: 'required',
    perm: 'l',
    feature: 'SIZE',
    async run(session, request) {
      if (session.transferType === 'ascii') {
        session.reply(550, 'SIZE not allowed in ASCII mode.');
        return;
      }
      const stat = await retrievable(session, request, '.');
      if (stat !== undefined) session.reply(213, String(stat.size));
    },
  },
  {
    name: 'MDTM',
    help: 'Syntax: MDTM [<SP> path] (file last modification time).',
    requiresLogin: true,
    arg: 'required',
    perm: 'l',
    feature: 'MDTM',
    async run(session, request) {
      const stat = await retrievable(session, request, '');
      if (stat === undefined) return;
      if (!Number.isFinite(stat.mtime.getTime()) || stat.mtime.getUTCFullYear() < 1900) {
        session.reply(550, "Can't determine file's last modification time.");
        return;
      }
      session.reply(213, formatTimeval(stat.mtime, session.options.useGmtTimes));
    },
  },
  {
    name: 'MFMT',
    help: 'Syntax: MFMT <SP> timeval <SP> path (file update last modification time).',
    requiresLogin: true,
    arg: 'required',
    perm: 'T',
    path: 'second',
    feature: 'MFMT',
    async run(session, request) {
      const time = parseTimeval(request.firstWord);
      if (time === undefined) {
        session.reply(550, 'Invalid time format; expected: YYYYMMDDHHMMSS.');
        return;
      }
      if ((await retrievable(session, request, '')) === undefined) return;
      const fs = session.fs;
      if (fs.utimes === undefined) {
        session.reply(502, 'MFMT is not supported by this filesystem.');
        return;
      }
      await fs.utimes(request.path, time, time);
      const stat = await fs.stat(request.path);
      session.reply(
        213,
        `Modify=${formatTimeval(stat.mtime, session.options.useGmtTimes)}; ${request.virtualPath}.`,
      );
    },
  },
  {
    name: 'SITE CHMOD',
    help: 'Syntax: SITE CHMOD <SP> mode path (change file mode).',
    requiresLogin: true,
    arg: 'required',
    perm: 'M',
    path: 'second',
    async run(session, request) {
      if (!/^[0-7]{3,4}$/.test(request.firstWord)) {
        session.reply(501, 'Invalid SITE CHMOD format.');
        return;
      }
      const fs = session.fs;
      if (fs.chmod === undefined) {
        session.reply(502, 'SITE CHMOD is not supported by this filesystem.');
        return;
      }
      await fs.chmod(request.path, Number.parseInt(request.firstWord, 8));
      session.reply(200, 'SITE CHMOD successful.');
    },
  },
];

/** Navigation and file management: PWD, CWD, CDUP, MKD, RMD, DELE, RNFR, RNTO, SIZE, MDTM, MFMT, SITE CHMOD. */
export const FILE_COMMANDS: readonly CommandDefinition[] = commands;
