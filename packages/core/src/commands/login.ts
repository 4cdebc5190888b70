import { isAuthenticationFailed } from '../errors.js';
import type { FileSystem } from '../filesystem.js';
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
  run(session, { arg }) {
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
    let validating: Promise<void> | void;
    try {
      validating = session.options.authorizer.validateAuthentication(username, password, {
        remoteAddress: session.remoteAddress,
        remotePort: session.remotePort,
        // Read only by authorizers that log it: the id is made on first use.
        get sessionId() {
          return session.id;
        },
      });
    } catch (error) {
      return refuse(session, username, password, failureText(session, error));
    }
    if (!isPromiseLike(validating)) return logIn(session, username);
    return Promise.resolve(validating).then(
      () => logIn(session, username),
      (error: unknown) => refuse(session, username, password, failureText(session, error)),
    );
  },
};

// The login is a chain of plain functions that wait (with one `then`) only for what returned a promise:
// an async function per step cost a promise, a resumption and a microtask each, on every login.

/** The 530 text for an authorizer's refusal (anything but `AuthenticationFailed` is a bug, and logged). */
function failureText(session: Session, error: unknown): string {
  if (isAuthenticationFailed(error)) return error.message;
  session.logBug('authorizer.validateAuthentication failed', error);
  return 'Authentication failed.';
}

/** Asks the authorizer for the home directory, then {@link openHome}. */
function logIn(session: Session, username: string): Promise<void> | undefined {
  let home: Promise<string> | string;
  try {
    home = session.options.authorizer.getHomeDir(username);
  } catch (error) {
    homeUnavailable(session, username, error);
    return undefined;
  }
  // Both are synchronous for the dummy authorizer and the bundled filesystems: no promise for those.
  if (!isPromiseLike(home)) return openHome(session, username, home);
  return Promise.resolve(home).then(
    (dir) => openHome(session, username, dir),
    (error: unknown) => homeUnavailable(session, username, error),
  );
}

/** Opens the filesystem of `home`, then {@link loggedIn}. */
function openHome(session: Session, username: string, home: string): Promise<void> | undefined {
  let opened: Promise<FileSystem> | FileSystem;
  try {
    opened = session.options.filesystem({ username, home });
  } catch (error) {
    homeUnavailable(session, username, error);
    return undefined;
  }
  if (!isPromiseLike(opened)) {
    loggedIn(session, username, opened);
    return undefined;
  }
  return Promise.resolve(opened).then(
    (fs) => loggedIn(session, username, fs),
    (error: unknown) => homeUnavailable(session, username, error),
  );
}

/** `530`: the authorizer or the filesystem factory failed for this user's home. */
function homeUnavailable(session: Session, username: string, error: unknown): void {
  session.logBug(`cannot open the home directory of ${username}`, error);
  session.username = undefined;
  session.reply(530, 'Home directory not available.');
}

/** Installs the filesystem (unless the session went meanwhile), then `230`, the log line and `login`. */
function loggedIn(session: Session, username: string, fs: FileSystem): void {
  if (session.isClosing) return;
  session.setLoggedIn(username, fs);
  const { authorizer, logger } = session.options;
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
