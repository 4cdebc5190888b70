import { fstatSync, writeSync } from 'node:fs';

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
  /**
   * Whether lines of `level` are printed (pino's `isLevelEnabled`). Optional: core asks it before
   * building a debug line (one per command and per reply), so that a logger at `info` costs nothing for
   * them; a logger without it is handed every line.
   */
  isLevelEnabled?(level: LogLevel): boolean;
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
  const write = threshold >= LEVEL_RANK.silent ? undefined : lineWriter(stream);
  const pid = options.pid === true ? ` ${process.pid}` : '';
  // The stamp changes once a second; formatting a Date for every line was a visible share of a login.
  let stampSecond = Number.NaN;
  let stamp = '';
  const timestamp = (): string => {
    const now = Date.now();
    const second = Math.floor(now / 1000);
    if (second !== stampSecond) {
      stampSecond = second;
      stamp = formatLogTime(new Date(now));
    }
    return stamp;
  };
  const noop = (_message: string): void => {};
  const make = (level: Exclude<LogLevel, 'silent'>): ((message: string) => void) => {
    if (LEVEL_RANK[level] < threshold || write === undefined) return noop;
    const letter = `[${LEVEL_LETTER[level]} `;
    return (message) => write(`${letter}${timestamp()}${pid}] ${message}\n`);
  };
  return {
    debug: make('debug'),
    info: make('info'),
    warn: make('warn'),
    error: make('error'),
    isLevelEnabled: (level) => LEVEL_RANK[level] >= threshold && level !== 'silent',
  };
}

/**
 * How lines reach `stream`. When it is `process.stderr` and that is a regular file, a line is one
 * `write(2)`: that is what Node's stream for a file does too, synchronously, after several layers of
 * stream machinery that cost more than the system call (three lines per login). Anything else (a pipe,
 * a terminal, journald's socket, a test's sink) goes through the stream. A failed write drops the line,
 * where the stream would have thrown an unhandled 'error' and ended the server.
 */
function lineWriter(stream: { write(chunk: string): unknown }): (line: string) => void {
  if (stream === process.stderr && isRegularFile(2)) {
    return (line) => {
      try {
        writeSync(2, line);
      } catch {
        // A full disk or a revoked descriptor must not take the server down.
      }
    };
  }
  return (line) => {
    stream.write(line);
  };
}

function isRegularFile(fd: number): boolean {
  try {
    return fstatSync(fd).isFile();
  } catch {
    return false;
  }
}

/**
 * True when `logger` prints lines of `level`: its `isLevelEnabled` answer, or true when it has none.
 * Call it before building a message that is expensive or frequent.
 */
export function isLevelEnabled(logger: Logger, level: LogLevel): boolean {
  return logger.isLevelEnabled === undefined || logger.isLevelEnabled(level);
}

/** A logger that drops everything. */
export const silentLogger: Logger = createLogger({ level: 'silent' });
