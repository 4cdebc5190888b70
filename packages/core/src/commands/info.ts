import { isMlsxFact, type MlsxFact } from '../listing/mlsx.js';
import type { Session } from '../session.js';
import { listingFor } from './listings.js';
import type { CommandDefinition } from './types.js';

/** Features that belong to no single command. */
const CORE_FEATURES = ['TVFS'];

function featureLines(session: Session): string[] {
  const features = new Set(CORE_FEATURES);
  if (session.options.charset.isUtf8) features.add('UTF8');
  for (const definition of session.commands.values()) {
    const feature =
      typeof definition.feature === 'function' ? definition.feature(session) : definition.feature;
    if (feature !== undefined) features.add(feature);
  }
  for (const plugin of session.options.plugins) {
    for (const feature of plugin.features?.(session) ?? []) features.add(feature);
  }
  return [...features].sort();
}

/** The compact HELP table: sorted names, ` %-6s` each, eight per line (trailing spaces kept). */
function helpTable(session: Session): string {
  const names = [...session.commands.keys()].filter((name) => !name.includes(' ')).sort();
  let out = '';
  for (let i = 0; i < names.length; i += 8) {
    out += `${names
      .slice(i, i + 8)
      .map((name) => ` ${name.padEnd(6)}`)
      .join('')}\r\n`;
  }
  return out;
}

function statusLines(session: Session): string[] {
  const lines = ['FTP server status:', ` Connected to: ${session.localAddress}:${session.localPort}`];
  if (session.authenticated) lines.push(` Logged in as: ${session.username ?? ''}`);
  else if (session.username !== undefined) lines.push(' Waiting for password.');
  else lines.push(' Waiting for username.');
  const type = session.transferType === 'ascii' ? 'ASCII' : 'Binary';
  lines.push(` TYPE: ${type}; STRUcture: File; MODE: Stream`);
  const status = session.transfer.status;
  const channel = session.data;
  if (status !== undefined) {
    lines.push(' Data connection open:');
    lines.push(` Total bytes sent: ${status.direction === 'send' ? status.bytes : 0}`);
    lines.push(` Total bytes received: ${status.direction === 'receive' ? status.bytes : 0}`);
    lines.push(` Transfer elapsed time: ${status.elapsedSeconds} secs`);
  } else if (channel?.state === 'passive') {
    lines.push(' Passive data channel waiting for connection.');
  } else if (channel?.state === 'connected') {
    lines.push(' Data connection open.');
  } else {
    lines.push(' Data connection closed.');
  }
  lines.push('End of status.');
  return lines;
}

const commands: CommandDefinition[] = [
  {
    name: 'SYST',
    help: 'Syntax: SYST (get operating system type).',
    requiresLogin: false,
    arg: 'none',
    run: (session) => session.reply(215, 'UNIX Type: L8'),
  },
  {
    name: 'NOOP',
    help: 'Syntax: NOOP (just do nothing).',
    requiresLogin: false,
    arg: 'none',
    run: (session) => session.reply(200, "I successfully did nothing'."),
  },
  {
    name: 'FEAT',
    help: 'Syntax: FEAT (list all new features supported).',
    requiresLogin: false,
    arg: 'none',
    run(session) {
      const body = featureLines(session)
        .map((line) => ` ${line}\r\n`)
        .join('');
      session.replyRaw(`211-Features supported:\r\n${body}211 End FEAT.\r\n`, 211);
    },
  },
  {
    name: 'HELP',
    help: 'Syntax: HELP [<SP> cmd] (show help).',
    requiresLogin: false,
    arg: 'optional',
    run(session, { arg }) {
      if (arg !== undefined && arg !== '') {
        const definition = session.commands.get(arg.trim().toUpperCase());
        if (definition === undefined) session.reply(501, 'Unrecognized command.');
        else session.reply(214, definition.help);
        return;
      }
      session.replyRaw(
        `214-The following commands are recognized:\r\n${helpTable(session)}214 Help command successful.\r\n`,
        214,
      );
    },
  },
  {
    name: 'STAT',
    help: 'Syntax: STAT [<SP> path name] (server stats [list files]).',
    requiresLogin: false,
    arg: 'optional',
    async run(session, { arg }) {
      if (arg === undefined || arg === '') {
        session.replyLines(211, statusLines(session));
        return;
      }
      if (!session.authenticated) {
        session.reply(530, 'Log in with USER and PASS first.');
        return;
      }
      if (/[*?[]/.test(arg)) {
        session.reply(550, 'Globbing not supported.');
        return;
      }
      const checked = await session.checkPath(arg, 'l');
      if (checked === undefined) return;
      const listing = await listingFor(session, { ...checked, name: 'STAT', arg, firstWord: '' });
      session.replyRaw(`213-Status of "${checked.virtualPath}":\r\n`, 213);
      for await (const chunk of listing) {
        if (!(await session.writeControl(chunk))) return;
      }
      session.replyRaw('213 End of status.\r\n', 213);
    },
  },
  {
    name: 'OPTS',
    help: 'Syntax: OPTS <SP> cmd [<SP> option] (set option for command).',
    requiresLogin: true,
    arg: 'required',
    run(session, { arg = '' }) {
      const spaces = arg.split(' ').length - 1;
      if (spaces > 1) {
        session.reply(501, 'Invalid number of arguments.');
        return;
      }
      const [command = '', option] = arg.split(' ');
      const name = command.toUpperCase();
      if (name === 'UTF8' || name === 'UTF-8') {
        session.reply(200, 'Always in UTF8 mode.');
        return;
      }
      if (option !== undefined && option !== '' && !option.includes(';')) {
        session.reply(501, 'Invalid argument.');
        return;
      }
      if (name !== 'MLST' || !session.commands.has('MLST')) {
        session.reply(501, `Unsupported command "${command}".`);
        return;
      }
      const wanted = (option ?? '')
        .toLowerCase()
        .split(';')
        .filter((fact): fact is MlsxFact => isMlsxFact(fact));
      const unique = [...new Set(wanted)];
      session.facts = new Set(unique);
      session.reply(200, `MLST OPTS ${unique.map((fact) => `${fact};`).join('')}`);
    },
  },
  {
    name: 'SITE',
    help: 'Syntax: SITE <SP> site-command (execute SITE command).',
    requiresLogin: false,
    arg: 'required',
    run(session, { arg }) {
      session.reply(500, `Command "SITE ${(arg ?? '').toUpperCase()}" not understood.`);
    },
  },
  {
    name: 'SITE HELP',
    help: 'Syntax: SITE HELP [<SP> cmd] (show SITE command help).',
    requiresLogin: false,
    arg: 'optional',
    run(session, { arg }) {
      if (arg !== undefined && arg !== '') {
        const definition = session.commands.get(`SITE ${arg.trim().toUpperCase()}`);
        if (definition === undefined) session.reply(501, 'Unrecognized SITE command.');
        else session.reply(214, definition.help);
        return;
      }
      const names = [...session.commands.keys()]
        .filter((name) => name.startsWith('SITE '))
        .map((name) => ` ${name.slice(5)}`)
        .sort();
      session.replyLines(214, [
        'The following SITE commands are recognized:',
        ...names,
        'Help SITE command successful.',
      ]);
    },
  },
];

/** SYST, NOOP, FEAT, HELP, STAT, OPTS, SITE, SITE HELP. */
export const INFO_COMMANDS: readonly CommandDefinition[] = commands;
