/**
 * The assertions the contract checks use. They throw {@link ContractViolation} with a message that
 * says which behaviour of the contract is broken and what happened instead, so a failing check reads
 * as a bug report, inside or outside vitest.
 *
 * @module
 */
import { inspect } from 'node:util';
import {
  describeFilesystemError,
  errorCode,
  isAuthenticationFailed,
  isFilesystemError,
  isPathOutsideRootError,
  strerror,
} from '@ftpkit/core';

/** A plugin does not do what core relies on. */
export class ContractViolation extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ContractViolation';
  }
}

/** Fails the check. */
export function fail(message: string, cause?: unknown): never {
  throw new ContractViolation(message, cause === undefined ? undefined : { cause });
}

/** Fails the check unless `condition` holds. */
export function ensure(condition: unknown, message: string): asserts condition {
  if (!condition) fail(message);
}

/** A short rendering of a value for messages. */
export function show(value: unknown): string {
  if (Buffer.isBuffer(value)) {
    const text =
      value.length > 64 ? `${value.subarray(0, 64).toString('latin1')}...` : value.toString('latin1');
    return `<${value.length} bytes: ${JSON.stringify(text)}>`;
  }
  return inspect(value, { depth: 3, breakLength: Number.POSITIVE_INFINITY, maxStringLength: 200 });
}

/** Describes an error for messages: its kind, code and message. */
export function showError(error: unknown): string {
  if (isPathOutsideRootError(error)) return `PathOutsideRootError (${error.message})`;
  if (isAuthenticationFailed(error)) return `AuthenticationFailed (${show(error.message)})`;
  const code = errorCode(error);
  const name = error instanceof Error ? error.name : typeof error;
  const message = error instanceof Error ? error.message : show(error);
  return code === undefined ? `${name}: ${message}` : `${name} with code ${code}: ${message}`;
}

/** Fails unless `actual` equals `expected` (deep equality for plain data, byte equality for buffers). */
export function equal(actual: unknown, expected: unknown, what: string): void {
  if (Buffer.isBuffer(actual) && Buffer.isBuffer(expected)) {
    if (!actual.equals(expected)) fail(`${what}: expected ${show(expected)}, got ${show(actual)}`);
    return;
  }
  if (!isDeepStrictEqual(actual, expected)) fail(`${what}: expected ${show(expected)}, got ${show(actual)}`);
}

function isDeepStrictEqual(a: unknown, b: unknown): boolean {
  return inspect(a, { depth: 10, sorted: true }) === inspect(b, { depth: 10, sorted: true });
}

/** What a call did: its value, or the error it threw or rejected with. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Runs `fn`, catching a synchronous throw and a rejection alike. */
export async function outcome<T>(fn: () => T | Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    return { ok: false, error };
  }
}

/** Runs `fn` and fails the check, with `what` in the message, when it throws or rejects. */
export async function succeeds<T>(fn: () => T | Promise<T>, what: string): Promise<T> {
  const result = await outcome(fn);
  if (!result.ok) fail(`${what} must succeed, but it failed with ${showError(result.error)}`, result.error);
  return result.value;
}

/**
 * Fails the check unless `fn` fails with an errno-style error whose code is one of `codes`, and unless
 * core would turn it into the right reply text (`strerror(code)`, or a `FilesystemError`'s message).
 * Returns the error.
 */
export async function failsWithCode(
  fn: () => unknown,
  codes: readonly string[],
  what: string,
): Promise<unknown> {
  const result = await outcome(fn);
  const wanted = codes.join(' or ');
  if (result.ok) fail(`${what} must fail with ${wanted}, but it succeeded (returned ${show(result.value)})`);
  const error = result.error;
  const code = errorCode(error);
  if (code === undefined || !codes.includes(code)) {
    fail(`${what} must fail with ${wanted}, got ${showError(error)}`, error);
  }
  const text = describeFilesystemError(error);
  const expected = strerror(code);
  if (!isFilesystemError(error) && text !== expected) {
    fail(`${what}: core would reply "550 ${text}." instead of "550 ${expected}."`, error);
  }
  return error;
}

/** Fails the check unless `fn` fails with a `PathOutsideRootError` (from any copy of core). */
export async function failsOutsideRoot(fn: () => unknown, what: string): Promise<void> {
  const result = await outcome(fn);
  if (result.ok) {
    fail(`${what} must be refused with PathOutsideRootError, but it resolved to ${show(result.value)}`);
  }
  if (!isPathOutsideRootError(result.error)) {
    fail(`${what} must be refused with PathOutsideRootError, got ${showError(result.error)}`, result.error);
  }
}

/**
 * Fails the check unless `fn` fails in a way core reports as a clean `550`: a `FilesystemError`, a
 * `PathOutsideRootError` or an errno-style error (anything else is logged as a bug and closes the
 * session). Returns the error.
 */
export async function failsCleanly(fn: () => unknown, what: string): Promise<unknown> {
  const result = await outcome(fn);
  if (result.ok) fail(`${what} must be refused, but it succeeded`);
  const error = result.error;
  if (!isFilesystemError(error) && !isPathOutsideRootError(error) && errorCode(error) === undefined) {
    fail(
      `${what} must fail with a FilesystemError or an errno-style error (code: 'E...'), got ${showError(error)}; core treats anything else as a bug and closes the session`,
      error,
    );
  }
  return error;
}
