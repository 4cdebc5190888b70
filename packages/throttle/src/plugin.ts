/**
 * The throttle plugin: which limits apply to a transfer, and the buckets they share.
 *
 * @module
 */
import type { FtpPlugin, Session, TransferDirection } from '@ftpkit/core';
import { hasUserLimits, limitFor, type RateLimits } from './limits.js';
import type { Rate } from './parse-rate.js';
import { ThrottleStream } from './throttle-stream.js';
import { TokenBucket } from './token-bucket.js';

/** Where a session's per-user limits come from: fixed limits for every user, or a function of the session. */
export type PerUserLimits = RateLimits | ((session: Session) => RateLimits | undefined);

/**
 * Options of {@link createThrottlePlugin}. Every limit is in bytes per second, as a number or a string
 * such as `'512K'` or `'2M'` (see `parseRate`); `0` or a missing value means unlimited. `read*` limits
 * apply to uploads (the server reads the data connection), `write*` limits to downloads and listings
 * (the server writes it), as in pyftpdlib.
 *
 * A transfer obeys every limit that applies to it at once (server-wide, its user's, its own), so the
 * strictest one decides at any moment.
 */
export interface ThrottleOptions {
  /** Server-wide upload limit, shared fairly by every upload of every user. Default 0 (none). */
  readonly readLimit?: Rate;
  /** Server-wide download limit, shared fairly by every download and listing. Default 0 (none). */
  readonly writeLimit?: Rate;
  /**
   * Limits of each data connection on its own: pyftpdlib's `ThrottledDTPHandler.read_limit` and
   * `write_limit` (and ftpd's `--read-limit` / `--write-limit`). Default none.
   */
  readonly perTransfer?: RateLimits;
  /**
   * Limits per user, shared fairly by all of one user's concurrent transfers (every session logged in
   * under that name, `anonymous` included, counts as the same user):
   * - a {@link RateLimits} object gives every user the same limits, each user its own budget;
   * - a function of the session, called when each transfer starts, returns the limits for that
   *   session's user (or undefined for none). A function that throws fails the transfer (`426`) and is
   *   logged. If two sessions of one user get different limits, the latest transfer's value applies
   *   to the user's whole budget from then on.
   *
   * Default: the authorizer's `getUserLimits(username)` when it has one (see `AuthorizerWithLimits`;
   * `DummyAuthorizer` does), else none. Giving `perUser` replaces that lookup.
   */
  readonly perUser?: PerUserLimits;
}

/** What {@link ThrottlePlugin.stats} reports. */
export interface ThrottleStats {
  /** Transfers currently throttled (their transform is not yet destroyed). */
  readonly transfers: number;
  /** How many of them are waiting for tokens, i.e. hold a timer. */
  readonly waiting: number;
  /** Per-user budgets in use (one per user and direction with a running transfer). */
  readonly userBuckets: number;
}

/** The plugin {@link createThrottlePlugin} returns: an `FtpPlugin` plus counters for monitoring. */
export interface ThrottlePlugin extends FtpPlugin {
  /** A snapshot of the throttle's state; every count is 0 once no transfer runs. */
  stats(): ThrottleStats;
}

interface DirectionState {
  readonly perTransfer: number;
  readonly server: TokenBucket | undefined;
  readonly users: Map<string, TokenBucket>;
}

const now = (): number => performance.now();

/**
 * Creates the bandwidth-limit plugin: pyftpdlib's `ThrottledDTPHandler`, plus per-user and server-wide
 * budgets. Pass it in the server's `plugins`.
 *
 * When no limit applies to a transfer, the plugin adds nothing to its data path. Otherwise it adds a
 * transform that lets bytes through in small slices paced by token buckets (a burst of at most 0.1 s of
 * traffic after an idle period). Limits apply to the plaintext, before any TLS wrapping of the data
 * connection.
 *
 * @throws RangeError or TypeError naming the option, for a limit that is not a valid rate.
 * @example
 * ```ts
 * const server = new FtpServer({
 *   authorizer,
 *   filesystem: localFileSystem(),
 *   plugins: [
 *     createThrottlePlugin({
 *       writeLimit: '10M', // all downloads together
 *       perUser: { writeLimit: '2M', readLimit: '1M' }, // each user, over all its sessions
 *       perTransfer: { writeLimit: '512K' }, // each data connection
 *     }),
 *   ],
 * });
 * ```
 */
export function createThrottlePlugin(options: ThrottleOptions = {}): ThrottlePlugin {
  const perTransfer = options.perTransfer;
  const perUser = options.perUser;
  const fixedPerUser = typeof perUser === 'function' ? undefined : perUser;
  const serverLimits: RateLimits = { readLimit: options.readLimit, writeLimit: options.writeLimit };
  // Validate every fixed limit now, so a typo fails at startup rather than at the first transfer.
  if (fixedPerUser !== undefined) {
    limitFor(fixedPerUser, 'send', 'perUser');
    limitFor(fixedPerUser, 'receive', 'perUser');
  }
  const state = (direction: TransferDirection): DirectionState => {
    const server = limitFor(serverLimits, direction, '');
    return {
      perTransfer: limitFor(perTransfer, direction, 'perTransfer'),
      server: server > 0 ? new TokenBucket(server, now()) : undefined,
      users: new Map(),
    };
  };
  const directions: Record<TransferDirection, DirectionState> = {
    send: state('send'),
    receive: state('receive'),
  };
  const live = new Set<ThrottleStream>();

  function userLimits(session: Session): RateLimits | undefined {
    if (typeof perUser === 'function') return perUser(session);
    if (perUser !== undefined) return perUser;
    const authorizer = session.options.authorizer;
    return hasUserLimits(authorizer) ? authorizer.getUserLimits(session.username!) : undefined;
  }

  function userRate(session: Session, direction: TransferDirection): number {
    if (!session.authenticated || session.username === undefined) return 0;
    try {
      return limitFor(userLimits(session), direction, 'perUser');
    } catch (error) {
      session.logBug('throttle: per-user limits failed', error);
      throw error;
    }
  }

  return {
    name: 'throttle',

    transformData(session, direction) {
      const own = directions[direction];
      const rate = userRate(session, direction);
      if (own.perTransfer === 0 && rate === 0 && own.server === undefined) return undefined;
      const at = now();
      const buckets: TokenBucket[] = [];
      if (own.perTransfer > 0) buckets.push(new TokenBucket(own.perTransfer, at));
      const username = session.username!;
      let userBucket: TokenBucket | undefined;
      if (rate > 0) {
        userBucket = own.users.get(username);
        if (userBucket === undefined) {
          userBucket = new TokenBucket(rate, at);
          own.users.set(username, userBucket);
        } else if (userBucket.rate !== rate) {
          userBucket.setRate(rate, at);
        }
        buckets.push(userBucket);
      }
      if (own.server !== undefined) buckets.push(own.server);
      const stream: ThrottleStream = new ThrottleStream(buckets, {
        clock: now,
        onClose: () => {
          live.delete(stream);
          // A user's budget lives while one of its transfers runs; a new one starts full (one burst).
          if (userBucket !== undefined && userBucket.users === 0 && own.users.get(username) === userBucket) {
            own.users.delete(username);
          }
        },
      });
      live.add(stream);
      return stream;
    },

    stats() {
      let waiting = 0;
      for (const stream of live) if (stream.waiting) waiting++;
      return {
        transfers: live.size,
        waiting,
        userBuckets: directions.send.users.size + directions.receive.users.size,
      };
    },
  };
}
