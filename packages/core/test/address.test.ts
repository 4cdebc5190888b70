import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../src/options.js';
import {
  formatPasvAddress,
  parseEprtArgument,
  parsePortArgument,
  plainAddress,
} from '../src/protocol/address.js';

describe('addresses', () => {
  it('strips the IPv4-mapped prefix only', () => {
    expect(plainAddress('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(plainAddress('::1')).toBe('::1');
    expect(plainAddress('::FFFF:10.0.0.1')).toBe('10.0.0.1');
    expect(plainAddress('127.0.0.1')).toBe('127.0.0.1');
    expect(plainAddress('::ffff:abcd')).toBe('::ffff:abcd');
    expect(plainAddress('::ffff:1.2.3')).toBe('::ffff:1.2.3');
    expect(plainAddress('fe80::ffff:1.2.3.4')).toBe('fe80::ffff:1.2.3.4');
    expect(plainAddress('')).toBe('');
  });

  it('parses PORT', () => {
    expect(parsePortArgument('127,0,0,1,4,1')).toEqual({ host: '127.0.0.1', port: 1025 });
    expect(parsePortArgument('127,0,0,1,4')).toBeUndefined();
    expect(parsePortArgument('256,0,0,1,4,1')).toBeUndefined();
    expect(parsePortArgument('1,2,3,4,256,0')).toBeUndefined();
    expect(parsePortArgument('a,b,c,d,e,f')).toBeUndefined();
  });

  it('splits EPRT with any delimiter', () => {
    expect(parseEprtArgument('|1|127.0.0.1|2000|')).toEqual({ protocol: '1', host: '127.0.0.1', port: 2000 });
    expect(parseEprtArgument('x2x::1x21x')).toEqual({ protocol: '2', host: '::1', port: 21 });
    expect(parseEprtArgument('|3|1.2.3.4|5|')).toEqual({ protocol: '3', host: '1.2.3.4', port: 5 });
    expect(parseEprtArgument('|1|1.2.3.4|70000|')).toBeUndefined();
    expect(parseEprtArgument('|1|1.2.3.4|')).toBeUndefined();
    expect(parseEprtArgument('|')).toBeUndefined();
  });

  it('checks only the resulting PORT port, as pyftpdlib', () => {
    expect(parsePortArgument('127,0,0,1,0,5000')).toEqual({ host: '127.0.0.1', port: 5000 });
  });

  it('formats the 227 address', () => {
    expect(formatPasvAddress('10.0.0.1', 1025)).toBe('10,0,0,1,4,1');
  });
});

describe('options', () => {
  const base = { authorizer: {} as never, filesystem: () => ({}) as never };
  it('applies pyftpdlib defaults', () => {
    const o = resolveOptions(base);
    expect(o.timeoutMs).toBe(300_000);
    expect(o.dataTimeoutMs).toBe(300_000);
    expect(o.passiveAcceptTimeoutMs).toBe(30_000);
    expect(o.maxCons).toBe(512);
    expect(o.maxConsPerIp).toBe(0);
    expect(o.maxLoginAttempts).toBe(3);
    expect(o.authFailedTimeoutMs).toBe(3000);
    expect(o.maxLineLength).toBe(2048);
    expect(o.useGmtTimes).toBe(true);
  });
  it('refuses bad values with the option name', () => {
    expect(() => resolveOptions({ ...base, timeout: -1 })).toThrow(/timeout/);
    expect(() => resolveOptions({ ...base, maxCons: 1.5 })).toThrow(/maxCons/);
    expect(() => resolveOptions({ ...base, passivePorts: [0] })).toThrow(/passivePorts/);
  });
});
