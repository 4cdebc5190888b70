/**
 * Rates written the way people write them: `65536`, `512K`, `2M`.
 *
 * @module
 */

/** A rate in bytes per second: a number, or a string {@link parseRate} understands (`512K`, `2M`). */
export type Rate = number | string;

const RATE = /^(\d+(?:\.\d+)?|\.\d+)\s*([kKmM]?)$/;

const MULTIPLIERS: Readonly<Record<string, number>> = { '': 1, k: 1024, m: 1024 * 1024 };

/**
 * Reads a rate in bytes per second. A number is taken as is; a string is a decimal number with an
 * optional suffix: `K` (× 1024) or `M` (× 1024²), either case, e.g. `65536`, `512K`, `1.5M`, `0`.
 * The result is rounded down to whole bytes. `0` means unlimited wherever a limit is read.
 *
 * @param value - the rate, e.g. the argument of ftpd's `--read-limit`.
 * @param name - what the value is, for the error message (default `rate`).
 * @throws RangeError naming the value and the accepted forms for anything else: negative numbers,
 *   `NaN`, `Infinity`, empty strings, signs, unknown suffixes (`512KB`, `1G`), other types.
 * @example
 * ```ts
 * parseRate('512K'); // 524288
 * parseRate('2M'); // 2097152
 * parseRate(1000); // 1000
 * ```
 */
export function parseRate(value: Rate, name = 'rate'): number {
  let raw: number;
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) {
      throw new RangeError(`${name} must be a number of bytes per second >= 0, got ${value}`);
    }
    raw = value;
  } else if (typeof value === 'string') {
    const match = RATE.exec(value.trim());
    raw = match === null ? Number.NaN : Number(match[1]) * MULTIPLIERS[match[2]!.toLowerCase()]!;
    if (!Number.isSafeInteger(Math.floor(raw))) {
      throw new RangeError(
        `${name} must be bytes per second, optionally with a K (KiB) or M (MiB) suffix, e.g. 65536, 512K or 2M; got ${JSON.stringify(value)}`,
      );
    }
  } else {
    throw new TypeError(`${name} must be a number or a string such as "512K", got ${typeof value}`);
  }
  const bytes = Math.floor(raw);
  // Rounding must not turn a tiny limit into "unlimited".
  if (bytes === 0 && raw > 0) {
    throw new RangeError(
      `${name} must be at least 1 byte per second (0 means unlimited), got ${String(value)}`,
    );
  }
  return bytes;
}
