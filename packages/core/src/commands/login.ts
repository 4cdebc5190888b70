import { isAuthenticationFailed } from '../errors.js';
import { isPromiseLike } from '../maybe-async.js';
import type { Session } from '../session.js';
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
    const failure = await checkPassword(session, username, password);
    if (failure === undefined) await logIn(session, username);
    else await refuse(session, username, password, failure);
  },
};

// PASS is split into async steps on purpose: the optimizing compiler never inlines an async function,
// so each step is compiled on its own, which costs far less than one graph of the whole login.

/** Asks the authorizer; resolves with the 530 text of a refusal, or undefined when the login is good. */
async function checkPassword(
  session: Session,
  username: string,
  password: string,
): Promise<string | undefined> {
  try {
    const validating = session.options.authorizer.validateAuthentication(username, password, {
      remoteAddress: session.remoteAddress,
      remotePort: session.remotePort,
      // Read only by authorizers that log it: the id is made on first use.
      get sessionId() {
        return session.id;
      },
    });
    if (isPromiseLike(validating)) await validating;
    return undefined;
  } catch (error) {
    if (isAuthenticationFailed(error)) return error.message;
    session.logBug('authorizer.validateAuthentication failed', error);
    return 'Authentication failed.';
  }
}

/** Opens the user's filesystem, then `230`, the log line and the `login` event. */
async function logIn(session: Session, username: string): Promise<void> {
  const { authorizer, logger } = session.options;
  try {
    // Both are synchronous for the dummy authorizer and the bundled filesystems: no await for those.
    const homeDir = authorizer.getHomeDir(username);
    const home = isPromiseLike(homeDir) ? await homeDir : homeDir;
    const opened = session.options.filesystem({ username, home });
    const fs = isPromiseLike(opened) ? await opened : opened;
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
}

/**
 * A refused login. The username is forgotten at once; the reply (and everything the client pipelined
 * behind this command) waits for the delay, so guessing is slow and replies stay in order.
 */
async function refuse(session: Session, username: string, password: string, failure: string): Promise<void> {
  session.username = undefined;
  await delay(session.options.authFailedTimeoutMs);
  if (session.isClosing) return;
  session.loginAttempts += 1;
  session.options.logger.info(`${session.logPrefix} USER '${username}' failed login.`);
  if (session.loginAttempts >= session.options.maxLoginAttempts) {
    session.reply(530, `${failure} Disconnecting.`);
    session.emit('loginFailed', session, username, password);
    session.quit();
    return;
  }
  session.reply(530, failure);
  session.emit('loginFailed', session, username, password);
}

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
