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

/**
 * The date column of an `ls -l` line: `Nov 22 01:51` for times within 180 days of `now` (or in the
 * future), `Jan 02  2020` for older ones. Times before 1900 or invalid ones show `now`, like pyftpdlib.
 */
export function formatListDate(mtime: Date, now: Date, utc: boolean): string {
  const valid = Number.isFinite(mtime.getTime()) && mtime.getUTCFullYear() >= 1900;
  const date = valid ? mtime : now;
  const p = parts(date, utc);
  const head = `${MONTHS[p.month]} ${pad(p.day)}`;
  if (now.getTime() - date.getTime() > SIX_MONTHS_MS) return `${head}  ${p.year}`;
  return `${head} ${pad(p.hours)}:${pad(p.minutes)}`;
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
