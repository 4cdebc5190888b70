/**
 * Shutdown signals: the first SIGINT or SIGTERM asks for a clean stop, a second one for an immediate exit.
 */

import { constants } from 'node:os';

/** The signals that stop `ftpd`. */
export const SHUTDOWN_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

/** Where signal handlers are installed: `process`, or a stand-in in tests. */
export interface SignalTarget {
  on(event: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  off(event: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
}

/** The conventional exit status of a process killed by `signal`: 128 + its number (130 for SIGINT). */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

/** Handlers installed by {@link trapShutdownSignals}. */
export interface SignalTrap {
  /** Resolves with the first shutdown signal received. */
  readonly received: Promise<NodeJS.Signals>;
  /** Removes the handlers; signals then have their default effect again. Idempotent. */
  dispose(): void;
}

/**
 * Installs SIGINT and SIGTERM handlers. The first signal resolves {@link SignalTrap.received}; any later
 * one calls `onRepeat` (which should exit at once).
 *
 * Installing a handler replaces Node's default of dying on the signal, so the caller must
 * {@link SignalTrap.dispose} once it has stopped.
 */
export function trapShutdownSignals(
  target: SignalTarget,
  onRepeat: (signal: NodeJS.Signals) => void,
): SignalTrap {
  let first = true;
  let resolveReceived: (signal: NodeJS.Signals) => void = () => {};
  const received = new Promise<NodeJS.Signals>((resolve) => {
    resolveReceived = resolve;
  });
  const listener = (signal: NodeJS.Signals): void => {
    if (first) {
      first = false;
      resolveReceived(signal);
    } else {
      onRepeat(signal);
    }
  };
  for (const signal of SHUTDOWN_SIGNALS) target.on(signal, listener);
  let disposed = false;
  return {
    received,
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const signal of SHUTDOWN_SIGNALS) target.off(signal, listener);
    },
  };
}

/** The signal that reloads the TLS certificates. */
export const RELOAD_SIGNAL: NodeJS.Signals = 'SIGHUP';

/** The handler installed by {@link trapReloadSignal}. */
export interface ReloadTrap {
  /** Removes the handler; SIGHUP then has its default effect again. Idempotent. */
  dispose(): void;
}

/**
 * Installs a SIGHUP handler that calls `reload` on every SIGHUP (and nothing else: the process goes on).
 *
 * Installing it replaces Node's default of dying on SIGHUP, so the caller must {@link ReloadTrap.dispose}
 * once it has stopped.
 */
export function trapReloadSignal(target: SignalTarget, reload: () => void): ReloadTrap {
  const listener = (): void => reload();
  target.on(RELOAD_SIGNAL, listener);
  let disposed = false;
  return {
    dispose() {
      if (disposed) return;
      disposed = true;
      target.off(RELOAD_SIGNAL, listener);
    },
  };
}
