import type { PermissionLetter } from '../authorizer.js';
import type { Session } from '../session.js';

/** Whether a command takes an argument: `required`, `none` (refused) or `optional`. */
export type ArgumentRule = 'required' | 'none' | 'optional';

/**
 * How the session turns a command's argument into the path it checks (containment, then the permission
 * letter) before the handler runs. pyftpdlib's rules:
 * - `arg-or-cwd`: the argument, or the working directory when there is none (most commands);
 * - `arg-or-root`: the argument, or `/` (CWD);
 * - `parent`: `..` (CDUP);
 * - `list`: like `arg-or-cwd`, but `-a`, `-l`, `-al`, `-la` mean the working directory (LIST);
 * - `second`: the argument is `<word> <path>` (SITE CHMOD, MFMT); a missing space is a 501;
 * - `none`: the handler checks paths itself, if any.
 */
export type PathRule = 'arg-or-cwd' | 'arg-or-root' | 'parent' | 'list' | 'second' | 'none';

/** What the session hands a command handler. */
export interface CommandRequest {
  /** The command name, upper-cased (`SITE CHMOD` for SITE sub-commands). */
  readonly name: string;
  /** The argument as sent, or undefined. */
  readonly arg: string | undefined;
  /** For commands with a path rule: the checked virtual path. */
  readonly virtualPath: string;
  /** For commands with a path rule: the filesystem's resolved path for {@link virtualPath}. */
  readonly path: string;
  /** For the `second` path rule: the word before the path. */
  readonly firstWord: string;
}

/**
 * One entry of the command table. Core's commands are defined this way, and plugins add their own
 * (`SITE RMTREE`, TLS's `AUTH`) through `ServerOptions.commands` or a plugin.
 */
export interface CommandDefinition {
  /** The command, upper-cased; `SITE X` for a SITE sub-command. */
  readonly name: string;
  /** The HELP text, e.g. `Syntax: RETR <SP> file-name (retrieve a file).` */
  readonly help: string;
  /** True when the command needs a logged-in user (`530` otherwise). */
  readonly requiresLogin: boolean;
  /** Argument rule, checked before the login check (`501` when broken). */
  readonly arg: ArgumentRule;
  /** The permission letter the user needs on the command's path. */
  readonly perm?: PermissionLetter;
  /** How the path is derived; default `arg-or-cwd` when {@link perm} is set, else `none`. */
  readonly path?: PathRule;
  /** A FEAT line (without the leading space) the command adds, e.g. `SIZE`. */
  readonly feature?: string | ((session: Session) => string | undefined);
  /** Runs the command. Replies go through `session.reply`. */
  run(session: Session, request: CommandRequest): Promise<void> | void;
}
