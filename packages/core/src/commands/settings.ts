import type { CommandDefinition } from './types.js';

const TYPE: CommandDefinition = {
  name: 'TYPE',
  help: 'Syntax: TYPE <SP> [A | I] (set transfer type).',
  requiresLogin: true,
  arg: 'required',
  run(session, { arg = '' }) {
    const type = arg.toUpperCase().replaceAll(' ', '');
    if (type === 'A' || type === 'L7') {
      session.transferType = 'ascii';
      session.reply(200, 'Type set to: ASCII.');
    } else if (type === 'I' || type === 'L8') {
      session.transferType = 'binary';
      session.reply(200, 'Type set to: Binary.');
    } else {
      session.reply(504, `Unsupported type "${arg}".`);
    }
  },
};

const MODE: CommandDefinition = {
  name: 'MODE',
  help: 'Syntax: MODE <SP> mode (noop; set data transfer mode).',
  requiresLogin: true,
  arg: 'required',
  run(session, { arg = '' }) {
    const mode = arg.toUpperCase();
    if (mode === 'S') session.reply(200, 'Transfer mode set to: S');
    else if (mode === 'B' || mode === 'C') session.reply(504, 'Unimplemented MODE type.');
    else session.reply(501, 'Unrecognized MODE type.');
  },
};

const STRU: CommandDefinition = {
  name: 'STRU',
  help: 'Syntax: STRU <SP> type (noop; set file structure).',
  requiresLogin: true,
  arg: 'required',
  run(session, { arg = '' }) {
    const stru = arg.toUpperCase();
    if (stru === 'F') session.reply(200, 'File transfer structure set to: F.');
    else if (stru === 'P' || stru === 'R') session.reply(504, 'Unimplemented STRU type.');
    else session.reply(501, 'Unrecognized STRU type.');
  },
};

const REST: CommandDefinition = {
  name: 'REST',
  help: 'Syntax: REST <SP> offset (set file offset).',
  requiresLogin: true,
  arg: 'required',
  feature: 'REST STREAM',
  run(session, { arg = '' }) {
    if (session.transferType === 'ascii') {
      session.reply(501, 'Resuming transfers not allowed in ASCII mode.');
      return;
    }
    const text = arg.trim();
    const position = /^\+?\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(position)) {
      session.reply(501, 'Invalid parameter.');
      return;
    }
    session.restPosition = position;
    session.reply(350, `Restarting at position ${position}.`);
  },
};

const ALLO: CommandDefinition = {
  name: 'ALLO',
  help: 'Syntax: ALLO <SP> bytes (noop; allocate storage).',
  requiresLogin: true,
  arg: 'required',
  run(session) {
    session.reply(202, 'No storage allocation necessary.');
  },
};

/** TYPE, MODE, STRU, REST, ALLO. */
export const SETTINGS_COMMANDS: readonly CommandDefinition[] = [TYPE, MODE, STRU, REST, ALLO];
