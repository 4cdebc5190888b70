/**
 * A mistake on the command line (unknown flag, bad or missing value, stray argument). The message is one
 * line, meant to follow `ftpd: error: `.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * The server could not start although the command line was valid: a missing shared directory, a busy
 * port, no permission to bind. The message is one line, meant to follow `ftpd: error: `.
 */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}
