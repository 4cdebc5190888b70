import { isAuthenticationFailed } from '../errors.js';
import type { CommandDefinition } from './types.js';

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const USER: CommandDefinition = {
  name: 'USER',
  help: 'Syntax: USER <SP> user-name (set username).',
  requiresLogin: false,
  arg: 'required',
  run(session, { arg }) {
    if (session.authenticated) {
      session.flushAccount();
      session.username = arg;
      session.reply(331, 'Previous account information was flushed, send password.');
      return;
    }
    session.username = arg;
    session.reply(331, 'Username ok, send password.');
  },
};

const PASS: CommandDefinition = {
  name: 'PASS',
  help: 'Syntax: PASS [<SP> password] (set user password).',
  requiresLogin: false,
  arg: 'optional',
  async run(session, { arg }) {
    if (session.authenticated) {
      session.reply(503, 'User already authenticated.');
      return;
    }
    const username = session.username;
    if (username === undefined) {
      session.reply(503, 'Login with USER first.');
      return;
    }
    const password = arg ?? '';
    const { authorizer, logger } = session.options;
    let failure: string | undefined;
    try {
      await authorizer.validateAuthentication(username, password, {
        remoteAddress: session.remoteAddress,
        remotePort: session.remotePort,
        sessionId: session.id,
      });
    } catch (error) {
      if (!isAuthenticationFailed(error)) session.logBug('authorizer.validateAuthentication failed', error);
      failure = isAuthenticationFailed(error) ? error.message : 'Authentication failed.';
    }
    if (failure === undefined) {
      try {
        const home = await authorizer.getHomeDir(username);
        const fs = await session.options.filesystem({ username, home });
        if (session.isClosing) return;
        session.setLoggedIn(username, fs);
      } catch (error) {
        session.logBug(`cannot open the home directory of ${username}`, error);
        session.username = undefined;
        session.reply(530, 'Home directory not available.');
        return;
      }
      session.replyMessage(
        230,
        safeText(() => authorizer.getMsgLogin(username), 'Login successful.'),
      );
      logger.info(`${session.logPrefix} USER '${username}' logged in.`);
      session.emit('login', session, username);
      return;
    }
    // The username is forgotten at once; the reply (and everything the client pipelined behind this
    // command) waits for the delay, so guessing is slow and replies stay in order.
    session.username = undefined;
    await delay(session.options.authFailedTimeoutMs);
    if (session.isClosing) return;
    session.loginAttempts += 1;
    logger.info(`${session.logPrefix} USER '${username}' failed login.`);
    if (session.loginAttempts >= session.options.maxLoginAttempts) {
      session.reply(530, `${failure} Disconnecting.`);
      session.emit('loginFailed', session, username, password);
      session.quit();
      return;
    }
    session.reply(530, failure);
    session.emit('loginFailed', session, username, password);
  },
};

const QUIT: CommandDefinition = {
  name: 'QUIT',
  help: 'Syntax: QUIT (quit current session).',
  requiresLogin: false,
  arg: 'none',
  run(session) {
    const username = session.username;
    const loggedIn = session.authenticated && username !== undefined;
    const text = loggedIn
      ? safeText(() => session.options.authorizer.getMsgQuit(username), 'Goodbye.')
      : 'Goodbye.';
    session.replyMessage(221, text);
    if (loggedIn) session.emit('logout', session, username);
    session.quit();
  },
};

const REIN: CommandDefinition = {
  name: 'REIN',
  help: 'Syntax: REIN (flush account).',
  requiresLogin: true,
  arg: 'none',
  run(session) {
    session.flushAccount();
    session.reply(230, 'Ready for new user.');
  },
};

function safeText(fn: () => string, fallback: string): string {
  try {
    return fn();
  } catch {
    return fallback;
  }
}

/** USER, PASS, QUIT, REIN. */
export const LOGIN_COMMANDS: readonly CommandDefinition[] = [USER, PASS, QUIT, REIN];
