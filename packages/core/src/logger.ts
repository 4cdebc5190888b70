/**
 * The logger interface. A pino logger satisfies it, and so does `console`. The default logger prints
 * pyftpdlib's line format: `[I 2026-11-22 01:51:25] message`.
 */
export interface Logger {
  /** Detailed tracing: every command and reply. */
  debug(message: string): void;
  /** Sessions, logins, transfers and logged commands. */
  info(message: string): void;
  /** Client mistakes worth an operator's eye and refused configurations. */
  warn(message: string): void;
  /** Bugs and unexpected failures. */
  error(message: string): void;
}

/** Log levels from the most to the least verbose. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const LEVEL_RANK: Readonly<Record<LogLevel, number>> = {
  debug: 10,
  info: 20,
  warn: 30,
  error: 40,
  silent: 99,
};
const LEVEL_LETTER: Readonly<Record<Exclude<LogLevel, 'silent'>, string>> = {
  debug: 'D',
  info: 'I',
  warn: 'W',
  error: 'E',
};

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** `YYYY-MM-DD HH:MM:SS` in local time, as pyftpdlib's log records show. */
export function formatLogTime(date: Date): string {
  return (
    `${date.getFullYear()}-${pad2(date.getMonth() + 1)}-${pad2(date.getDate())} ` +
    `${pad2(date.getHours())}:${pad2(date.getMinutes())}:${pad2(date.getSeconds())}`
  );
}

/** Options of {@link createLogger}. */
export interface CreateLoggerOptions {
  /** The least severe level printed; default `info`. */
  level?: LogLevel;
  /** Where lines go; default `process.stderr`. */
  stream?: { write(chunk: string): unknown };
  /** Adds the process id to each line, as pyftpdlib does in pre-fork mode. */
  pid?: boolean;
}

/** A logger that prints pyftpdlib's format (`[I 2026-11-22 01:51:25] msg`) to a stream. */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const threshold = LEVEL_RANK[options.level ?? 'info'];
  const stream = options.stream ?? process.stderr;
  const pid = options.pid === true ? ` ${process.pid}` : '';
  const make =
    (level: Exclude<LogLevel, 'silent'>) =>
    (message: string): void => {
      if (LEVEL_RANK[level] < threshold) return;
      stream.write(`[${LEVEL_LETTER[level]} ${formatLogTime(new Date())}${pid}] ${message}\n`);
    };
  return { debug: make('debug'), info: make('info'), warn: make('warn'), error: make('error') };
}

/** A logger that drops everything. */
export const silentLogger: Logger = createLogger({ level: 'silent' });
