import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Transform } from 'node:stream';
import { DummyAuthorizer } from '@ftpkit/authorizer-dummy';
import type { Authorizer, Session } from '@ftpkit/core';
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  type AuthorizerWithLimits,
  createThrottlePlugin,
  hasUserLimits,
  type RateLimits,
  type ThrottlePlugin,
} from '../src/index.js';

const home = mkdtempSync(join(tmpdir(), 'ftpkit-throttle-unit-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

const plainAuthorizer = { validateAuthentication: async () => {} } as unknown as Authorizer;

/** Just what the plugin reads of a session. */
function session(username: string | undefined, authorizer: Authorizer = plainAuthorizer): Session {
  return {
    username,
    authenticated: username !== undefined,
    options: { authorizer },
    logBug: vi.fn(),
  } as unknown as Session;
}

function transform(plugin: ThrottlePlugin, s: Session, direction: 'send' | 'receive'): Transform | undefined {
  return plugin.transformData!(s, direction);
}

describe('createThrottlePlugin', () => {
  it('adds nothing to the data path when no limit applies', () => {
    expect(transform(createThrottlePlugin(), session('bob'), 'send')).toBeUndefined();
    expect(transform(createThrottlePlugin(), session('bob'), 'receive')).toBeUndefined();
    // A limit in the other direction only, or explicitly 0.
    const uploadsOnly = createThrottlePlugin({ readLimit: '1M', perTransfer: { writeLimit: 0 } });
    expect(transform(uploadsOnly, session('bob'), 'send')).toBeUndefined();
    // A per-user limit for others only.
    const forAlice = createThrottlePlugin({
      perUser: (s) => (s.username === 'alice' ? { writeLimit: '1M' } : undefined),
    });
    expect(transform(forAlice, session('bob'), 'send')).toBeUndefined();
    expect(forAlice.stats()).toEqual({ transfers: 0, waiting: 0, userBuckets: 0 });
  });

  it('adds a transform when a limit applies, and forgets it once destroyed', () => {
    const plugin = createThrottlePlugin({ readLimit: '1M' });
    const t = transform(plugin, session('bob'), 'receive');
    expect(t).toBeDefined();
    expect(plugin.stats()).toEqual({ transfers: 1, waiting: 0, userBuckets: 0 });
    t!.destroy();
    expect(plugin.stats()).toEqual({ transfers: 0, waiting: 0, userBuckets: 0 });
  });

  it('keeps one budget per user and direction while that user has transfers running', () => {
    const plugin = createThrottlePlugin({ perUser: { writeLimit: '1M', readLimit: '1M' } });
    const bob1 = transform(plugin, session('bob'), 'send')!;
    const bob2 = transform(plugin, session('bob'), 'send')!;
    const alice = transform(plugin, session('alice'), 'send')!;
    const bobUp = transform(plugin, session('bob'), 'receive')!;
    expect(plugin.stats()).toMatchObject({ transfers: 4, userBuckets: 3 });
    bob1.destroy();
    expect(plugin.stats()).toMatchObject({ transfers: 3, userBuckets: 3 });
    bob2.destroy();
    alice.destroy();
    bobUp.destroy();
    expect(plugin.stats()).toEqual({ transfers: 0, waiting: 0, userBuckets: 0 });
  });

  it('applies no per-user limit to a session that is not logged in', () => {
    const plugin = createThrottlePlugin({ perUser: { writeLimit: '1M' } });
    expect(transform(plugin, session(undefined), 'send')).toBeUndefined();
  });

  it("finds the authorizer's getUserLimits by duck typing (DummyAuthorizer has it)", () => {
    const authorizer = new DummyAuthorizer();
    authorizer.addUser('slow', 'pw', home, { writeLimit: 4096 });
    authorizer.addUser('fast', 'pw', home);
    const typed: AuthorizerWithLimits = authorizer;
    expect(hasUserLimits(typed)).toBe(true);
    expect(hasUserLimits(plainAuthorizer)).toBe(false);
    const plugin = createThrottlePlugin();
    expect(transform(plugin, session('slow', authorizer), 'send')).toBeDefined();
    expect(transform(plugin, session('slow', authorizer), 'receive')).toBeUndefined();
    expect(transform(plugin, session('fast', authorizer), 'send')).toBeUndefined();
    expect(transform(plugin, session('bob'), 'send')).toBeUndefined();
  });

  it("lets perUser replace the authorizer's limits", () => {
    const authorizer = new DummyAuthorizer();
    authorizer.addUser('slow', 'pw', home, { writeLimit: 4096 });
    const plugin = createThrottlePlugin({ perUser: () => undefined });
    expect(transform(plugin, session('slow', authorizer), 'send')).toBeUndefined();
  });

  it('asks the perUser function at every transfer and follows a changed limit', () => {
    let limits: RateLimits | undefined = { writeLimit: '1M' };
    const perUser = vi.fn(() => limits);
    const plugin = createThrottlePlugin({ perUser });
    const s = session('bob');
    const first = transform(plugin, s, 'send')!;
    limits = { writeLimit: 2048 };
    const second = transform(plugin, s, 'send')!;
    expect(perUser).toHaveBeenCalledTimes(2);
    expect(perUser).toHaveBeenCalledWith(s);
    expect(plugin.stats().userBuckets).toBe(1);
    limits = undefined;
    expect(transform(plugin, s, 'send')).toBeUndefined();
    first.destroy();
    second.destroy();
  });

  it('fails the transfer and logs when the perUser function throws or returns a bad rate', () => {
    const boom = new Error('boom');
    const throwing = createThrottlePlugin({
      perUser: () => {
        throw boom;
      },
    });
    const s = session('bob');
    expect(() => transform(throwing, s, 'send')).toThrow(boom);
    expect(s.logBug).toHaveBeenCalledWith('throttle: per-user limits failed', boom);
    const bad = createThrottlePlugin({ perUser: () => ({ readLimit: '1G' }) });
    expect(() => transform(bad, session('bob'), 'receive')).toThrow(
      'perUser.readLimit must be bytes per second, optionally with a K (KiB) or M (MiB) suffix, e.g. 65536, 512K or 2M; got "1G"',
    );
  });

  it('checks fixed limits when it is created, naming the option', () => {
    expect(() => createThrottlePlugin({ writeLimit: '10 MB' })).toThrow(
      /^writeLimit must be bytes per second/,
    );
    expect(() => createThrottlePlugin({ perTransfer: { readLimit: -1 } })).toThrow(
      'perTransfer.readLimit must be a number of bytes per second >= 0, got -1',
    );
    expect(() => createThrottlePlugin({ perUser: { writeLimit: 'fast' } })).toThrow(
      /^perUser\.writeLimit must be bytes per second/,
    );
    expect(() => createThrottlePlugin({ perTransfer: 5 as unknown as RateLimits })).toThrow(
      'perTransfer must be an object with readLimit and/or writeLimit',
    );
  });

  it('is named throttle and adds no commands', () => {
    const plugin = createThrottlePlugin();
    expect(plugin.name).toBe('throttle');
    expect(plugin.commands).toBeUndefined();
  });
});
