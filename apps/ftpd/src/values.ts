/**
 * Parsers of flag values. Each takes the flag's display name (`-p/--port`) for its error message and
 * throws a {@link UsageError} with one line of text.
 */

import { isIPv4 } from 'node:net';
import { parseRate } from '@ftpkit/throttle';
import { UsageError } from './errors.js';

const DIGITS = /^[0-9]+$/;

/**
 * A decimal integer within `[min, max]`. Signs, decimals, exponents, hex and blanks are refused, so
 * `-p 21x` or `--timeout 1e3` never slip through as something else.
 */
export function parseInteger(flag: string, text: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const value = DIGITS.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value)) {
    throw new UsageError(`${flag}: expected an integer, got ${JSON.stringify(text)}`);
  }
  if (value < min || value > max) {
    const bound = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in ${min}..${max}`;
    throw new UsageError(`${flag}: must be ${bound}, got ${value}`);
  }
  return value;
}

/** A TCP port to listen on: 0..65535, where 0 asks the system for a free one. */
export function parsePort(flag: string, text: string): number {
  return parseInteger(flag, text, 0, 65535);
}

/** An inclusive passive port range. */
export interface PortRange {
  /** The first port, 1..65535. */
  readonly from: number;
  /** The last port, greater than {@link from}. */
  readonly to: number;
}

/** `FROM-TO`, both 1..65535 and FROM < TO, as pyftpdlib's `-r`. */
export function parsePortRange(flag: string, text: string): PortRange {
  const match = /^([0-9]+)-([0-9]+)$/.exec(text);
  if (match === null) {
    throw new UsageError(`${flag}: expected FROM-TO, e.g. 60000-60099, got ${JSON.stringify(text)}`);
  }
  const from = parseInteger(flag, match[1]!, 1, 65535);
  const to = parseInteger(flag, match[2]!, 1, 65535);
  if (from >= to) throw new UsageError(`${flag}: FROM must be lower than TO, got ${text}`);
  return { from, to };
}

/** A dotted-quad IPv4 address (what a 227 reply can carry). */
export function parseIPv4(flag: string, text: string): string {
  if (!isIPv4(text)) throw new UsageError(`${flag}: expected an IPv4 address, got ${JSON.stringify(text)}`);
  return text;
}

/** Any text but the empty string. */
export function parseNonEmpty(flag: string, text: string): string {
  if (text.length === 0) throw new UsageError(`${flag}: must not be empty`);
  return text;
}

/** One of a fixed set of words, e.g. `require|prefer|off`; case-sensitive. */
export function parseChoice<T extends string>(flag: string, text: string, choices: readonly T[]): T {
  if ((choices as readonly string[]).includes(text)) return text as T;
  const listed =
    choices.length === 1 ? choices[0] : `${choices.slice(0, -1).join(', ')} or ${choices.at(-1)}`;
  throw new UsageError(`${flag}: expected ${listed}, got ${JSON.stringify(text)}`);
}

/**
 * A character-set label that `TextDecoder` knows (`utf8`, `latin1`, `cp1252`, `gbk`, ...): the labels
 * core's `encoding` option accepts. Returned as given; core maps it to its WHATWG name.
 */
export function parseEncoding(flag: string, text: string): string {
  parseNonEmpty(flag, text);
  try {
    new TextDecoder(text);
  } catch {
    throw new UsageError(`${flag}: unknown encoding ${JSON.stringify(text)}`);
  }
  return text;
}

/**
 * A bandwidth limit in bytes per second (`512K`, `2M`, `100000`; K and M mean 1024 and 1024², 0 means
 * unlimited), as `@ftpkit/throttle` parses it.
 */
export function parseRateFlag(flag: string, text: string): number {
  try {
    return parseRate(text, flag);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : `${flag}: invalid rate`);
  }
}

/** The WHATWG name of an encoding label accepted by {@link parseEncoding}: `latin1` → `windows-1252`. */
export function encodingName(label: string): string {
  return new TextDecoder(label).encoding;
}
