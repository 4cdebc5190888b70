/**
 * Contracts such as the authorizer's let a method answer synchronously or with a promise. Awaiting a
 * plain value still costs a microtask and a resumption, on every command of every session, so the
 * session and the login commands only wait when there is something to wait for.
 */

/** True for a promise or any other thenable. */
export function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return (
    typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
  );
}
