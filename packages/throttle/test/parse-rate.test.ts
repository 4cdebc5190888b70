import { describe, expect, it } from 'vitest';
import { parseRate } from '../src/index.js';

describe('parseRate', () => {
  it.each([
    ['0', 0],
    ['65536', 65536],
    ['512K', 512 * 1024],
    ['512k', 512 * 1024],
    ['2M', 2 * 1024 * 1024],
    ['2m', 2 * 1024 * 1024],
    ['1.5M', 1.5 * 1024 * 1024],
    ['0.5K', 512],
    [' 100 K ', 100 * 1024],
    ['1000.9', 1000],
    [4096, 4096],
    [0, 0],
    [12.7, 12],
  ])('reads %j as %d bytes per second', (input, expected) => {
    expect(parseRate(input)).toBe(expected);
  });

  it.each(['', ' ', 'abc', '-1', '+5', '1G', '512KB', '512 KiB', 'K', '1e3', '0x10', '1,5M', 'Infinity'])(
    'refuses %j with a message naming the forms it accepts',
    (input) => {
      expect(() => parseRate(input)).toThrow(RangeError);
      expect(() => parseRate(input, '--read-limit')).toThrow(
        `--read-limit must be bytes per second, optionally with a K (KiB) or M (MiB) suffix, e.g. 65536, 512K or 2M; got ${JSON.stringify(input)}`,
      );
    },
  );

  it('refuses negative and non-finite numbers', () => {
    expect(() => parseRate(-1)).toThrow('rate must be a number of bytes per second >= 0, got -1');
    expect(() => parseRate(Number.NaN, 'writeLimit')).toThrow(
      'writeLimit must be a number of bytes per second >= 0, got NaN',
    );
    expect(() => parseRate(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });

  it('refuses a positive rate that would round to 0 (which would mean unlimited)', () => {
    expect(() => parseRate(0.5)).toThrow(
      'rate must be at least 1 byte per second (0 means unlimited), got 0.5',
    );
    expect(() => parseRate('0.2')).toThrow(RangeError);
  });

  it('refuses other types', () => {
    expect(() => parseRate(null as unknown as string)).toThrow(TypeError);
    expect(() => parseRate({} as unknown as string, 'perUser.readLimit')).toThrow(
      'perUser.readLimit must be a number or a string such as "512K", got object',
    );
  });
});
