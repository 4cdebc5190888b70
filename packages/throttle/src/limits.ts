/**
 * What a limit is, and where per-user limits come from.
 *
 * @module
 */
import type { Authorizer, TransferDirection } from '@ftpkit/core';
import { parseRate, type Rate } from './parse-rate.js';

/**
 * A pair of limits in bytes per second, with pyftpdlib's names seen from the server: `readLimit` is
 * what the server reads from data connections (uploads: STOR, APPE, STOU), `writeLimit` what it writes
 * to them (downloads and listings: RETR, LIST, NLST, MLSD). A missing field or `0` means unlimited.
 * Values are numbers or strings {@link parseRate} understands (`'512K'`, `'2M'`).
 */
export interface RateLimits {
  /** Upload limit (bytes per second), `0` or missing for none. */
  readonly readLimit?: Rate | undefined;
  /** Download limit (bytes per second), `0` or missing for none. */
  readonly writeLimit?: Rate | undefined;
}

/**
 * An authorizer that knows per-user limits, such as `@ftpkit/authorizer-dummy`'s `DummyAuthorizer`
 * (`addUser(name, password, home, { readLimit, writeLimit })`). The throttle plugin finds
 * `getUserLimits` by duck typing, so an authorizer needs no dependency on this package to offer it.
 */
export interface AuthorizerWithLimits extends Authorizer {
  /**
   * The user's limits, shared by all of the user's concurrent transfers, or undefined for none. Called
   * at the start of every transfer, so it must be cheap and must not block; it may throw, which fails
   * that transfer (`426`) and is logged.
   */
  getUserLimits(username: string): RateLimits | undefined;
}

/** True when the authorizer offers {@link AuthorizerWithLimits.getUserLimits}. */
export function hasUserLimits(authorizer: Authorizer): authorizer is AuthorizerWithLimits {
  return typeof (authorizer as Partial<AuthorizerWithLimits>).getUserLimits === 'function';
}

/**
 * The limit for one direction of a transfer, in whole bytes per second (0 = unlimited).
 *
 * @param where - the option's path for error messages (`perUser` gives `perUser.writeLimit`), or `''`.
 */
export function limitFor(
  limits: RateLimits | undefined,
  direction: TransferDirection,
  where: string,
): number {
  if (limits === undefined || limits === null) return 0;
  if (typeof limits !== 'object') {
    throw new TypeError(`${where || 'limits'} must be an object with readLimit and/or writeLimit`);
  }
  const field = direction === 'send' ? 'writeLimit' : 'readLimit';
  const value = limits[field];
  if (value === undefined) return 0;
  return parseRate(value, where === '' ? field : `${where}.${field}`);
}
