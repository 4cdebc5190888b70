/** A control line split into command and argument, as pyftpdlib splits it. */
export interface ParsedCommand {
  /** The command, upper-cased; `SITE X` for SITE sub-commands. */
  readonly name: string;
  /**
   * Everything after the first space, verbatim (not trimmed: `CWD  x` has the argument ` x`), or
   * undefined when the line has no space.
   */
  readonly arg: string | undefined;
}

/**
 * Splits a decoded control line. `SITE` with an argument becomes `SITE <FIRST WORD>` and the rest of the
 * argument (`SITE chmod 755 f` is `SITE CHMOD` with `755 f`).
 */
export function parseCommandLine(line: string): ParsedCommand {
  const space = line.indexOf(' ');
  const name = (space < 0 ? line : line.slice(0, space)).toUpperCase();
  const arg = space < 0 ? undefined : line.slice(space + 1);
  if (name === 'SITE' && arg !== undefined && arg !== '') {
    const sub = arg.indexOf(' ');
    const subName = (sub < 0 ? arg : arg.slice(0, sub)).toUpperCase();
    return { name: `SITE ${subName}`, arg: sub < 0 ? undefined : arg.slice(sub + 1) };
  }
  return { name, arg };
}
