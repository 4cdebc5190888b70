/** Time formats shared by LIST, MLSx, MDTM and MFMT. */

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;
const SIX_MONTHS_MS = 180 * 24 * 60 * 60 * 1000;

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

interface TimeParts {
  year: number;
  month: number;
  day: number;
  hours: number;
  minutes: number;
  seconds: number;
}

function parts(date: Date, utc: boolean): TimeParts {
  return utc
    ? {
        year: date.getUTCFullYear(),
        month: date.getUTCMonth(),
        day: date.getUTCDate(),
        hours: date.getUTCHours(),
        minutes: date.getUTCMinutes(),
        seconds: date.getUTCSeconds(),
      }
    : {
        year: date.getFullYear(),
        month: date.getMonth(),
        day: date.getDate(),
        hours: date.getHours(),
        minutes: date.getMinutes(),
        seconds: date.getSeconds(),
      };
}

/** `YYYYMMDDHHMMSS` (MDTM, MFMT and the MLSx `modify` fact). */
export function formatTimeval(date: Date, utc: boolean): string {
  const p = parts(date, utc);
  return `${pad(p.year, 4)}${pad(p.month + 1)}${pad(p.day)}${pad(p.hours)}${pad(p.minutes)}${pad(p.seconds)}`;
}

/** `Date.UTC(1900, 0, 1)`: LIST shows `now` for older (or invalid) times, as pyftpdlib does. */
const YEAR_1900_MS = -2_208_988_800_000;

function listDateText(date: Date, old: boolean, utc: boolean): string {
  const p = parts(date, utc);
  const head = `${MONTHS[p.month]} ${pad(p.day)}`;
  return old ? `${head}  ${p.year}` : `${head} ${pad(p.hours)}:${pad(p.minutes)}`;
}

/**
 * The date column of an `ls -l` line: `Nov 22 01:51` for times within 180 days of `now` (or in the
 * future), `Jan 02  2020` for older ones. Times before 1900 or invalid ones show `now`, like pyftpdlib.
 */
export function formatListDate(mtime: Date, now: Date, utc: boolean): string {
  return new ListDateFormatter(now, utc).format(mtime);
}

/**
 * {@link formatListDate} for the entries of one listing, with `now` fixed. The entries of a directory
 * mostly share their modification second (files unpacked or copied together), and splitting a Date
 * into calendar fields costs more than the rest of the line, so the last text is reused while the
 * second and the side of the 180-day rule stay the same.
 */
export class ListDateFormatter {
  readonly #now: Date;
  readonly #nowMs: number;
  readonly #utc: boolean;
  #second = Number.NaN;
  #old = false;
  #text = '';

  /**
   * @param now - The reference time for the 180-day rule (and the date shown for invalid times).
   * @param utc - Show times in UTC rather than local time.
   */
  constructor(now: Date, utc: boolean) {
    this.#now = now;
    this.#nowMs = now.getTime();
    this.#utc = utc;
  }

  /** The date column for `mtime`. */
  format(mtime: Date): string {
    const ms = mtime.getTime();
    const valid = ms >= YEAR_1900_MS;
    const shownMs = valid ? ms : this.#nowMs;
    const old = this.#nowMs - shownMs > SIX_MONTHS_MS;
    // Local-time offsets are whole seconds, so one second always shows as one minute.
    const second = Math.floor(shownMs / 1000);
    if (second !== this.#second || old !== this.#old) {
      this.#text = listDateText(valid ? mtime : this.#now, old, this.#utc);
      this.#second = second;
      this.#old = old;
    }
    return this.#text;
  }
}

/** {@link formatTimeval} that reuses its last text while the second stays the same (MLSD's `modify`). */
export class TimevalFormatter {
  readonly #utc: boolean;
  #second = Number.NaN;
  #text = '';

  /** @param utc - Show times in UTC rather than local time. */
  constructor(utc: boolean) {
    this.#utc = utc;
  }

  /** `YYYYMMDDHHMMSS` of `date`, which must be valid. */
  format(date: Date): string {
    const second = Math.floor(date.getTime() / 1000);
    if (second !== this.#second) {
      this.#text = formatTimeval(date, this.#utc);
      this.#second = second;
    }
    return this.#text;
  }
}

/**
 * Parses a `YYYYMMDDHHMMSS` timeval (MFMT) as UTC. Returns undefined when it is not 14 digits or not a
 * real date.
 */
export function parseTimeval(text: string): Date | undefined {
  if (!/^\d{14}$/.test(text)) return undefined;
  const year = Number(text.slice(0, 4));
  const month = Number(text.slice(4, 6));
  const day = Number(text.slice(6, 8));
  const hours = Number(text.slice(8, 10));
  const minutes = Number(text.slice(10, 12));
  const seconds = Number(text.slice(12, 14));
  const date = new Date(Date.UTC(year, month - 1, day, hours, minutes, seconds));
  if (
    date.getUTCFullYear() !== year ||
    date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day ||
    date.getUTCHours() !== hours ||
    date.getUTCMinutes() !== minutes ||
    date.getUTCSeconds() !== seconds
  ) {
    return undefined;
  }
  return date;
}
