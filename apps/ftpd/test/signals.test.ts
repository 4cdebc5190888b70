import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import {
  RELOAD_SIGNAL,
  type SignalTarget,
  signalExitCode,
  trapReloadSignal,
  trapShutdownSignals,
} from '../src/signals.js';

class FakeSignals extends EventEmitter implements SignalTarget {
  send(signal: NodeJS.Signals): void {
    this.emit(signal, signal);
  }
}

describe('trapShutdownSignals', () => {
  it('resolves with the first signal and calls onRepeat for every later one', async () => {
    const target = new FakeSignals();
    const onRepeat = vi.fn();
    const trap = trapShutdownSignals(target, onRepeat);
    target.send('SIGTERM');
    await expect(trap.received).resolves.toBe('SIGTERM');
    expect(onRepeat).not.toHaveBeenCalled();
    target.send('SIGINT');
    target.send('SIGTERM');
    expect(onRepeat.mock.calls).toEqual([['SIGINT'], ['SIGTERM']]);
    trap.dispose();
  });

  it('installs SIGINT and SIGTERM handlers and removes them on dispose', () => {
    const target = new FakeSignals();
    const trap = trapShutdownSignals(target, () => {});
    expect(target.listenerCount('SIGINT')).toBe(1);
    expect(target.listenerCount('SIGTERM')).toBe(1);
    trap.dispose();
    trap.dispose();
    expect(target.listenerCount('SIGINT')).toBe(0);
    expect(target.listenerCount('SIGTERM')).toBe(0);
  });
});

describe('signalExitCode', () => {
  it('is 128 + the signal number', () => {
    expect(signalExitCode('SIGINT')).toBe(130);
    expect(signalExitCode('SIGTERM')).toBe(143);
  });
});

describe('trapReloadSignal', () => {
  it('calls reload on every SIGHUP and is removed by dispose', () => {
    const target = new FakeSignals();
    const reload = vi.fn();
    const trap = trapReloadSignal(target, reload);
    expect(RELOAD_SIGNAL).toBe('SIGHUP');
    expect(target.listenerCount('SIGHUP')).toBe(1);
    target.send('SIGHUP');
    target.send('SIGHUP');
    expect(reload).toHaveBeenCalledTimes(2);
    target.send('SIGTERM');
    expect(reload).toHaveBeenCalledTimes(2);
    trap.dispose();
    trap.dispose();
    expect(target.listenerCount('SIGHUP')).toBe(0);
  });
});
