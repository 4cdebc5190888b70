/**
 * The rate limiter behind every limit: a token bucket that may go into debt.
 *
 * @module
 */

/** Seconds of traffic the bucket holds when full: the most that can pass at once after an idle period. */
export const BURST_SECONDS = 0.1;

/**
 * Seconds of lateness forgiven while someone is waiting on the bucket: when the event loop stalls (a
 * busy machine, a GC pause) and a waiter wakes late, what accrued meanwhile is kept up to this much, so
 * the average rate holds. Never reached after an idle period (nobody waiting): then the cap is
 * {@link BURST_SECONDS}.
 */
export const LAG_SECONDS = 0.3;

/** A transfer sends about this often (seconds of its fair share) when it is alone on the bucket. */
const SLICE_SECONDS = 0.02;

/** The largest slice: the size of a socket read, so even fast limits pace in small steps. */
export const MAX_SLICE = 64 * 1024;

/** The smallest slice, unless the bucket itself is smaller: below this, per-write overhead dominates. */
const MIN_SLICE = 256;

/**
 * A slice is never smaller than this fraction of a second of the bucket's rate, so that many sharers
 * cannot drive the number of writes (and timers) per second much above 2000.
 */
const MIN_SLICE_SECONDS = 0.0005;

/**
 * A token bucket with debt: `rate` tokens (bytes) per second flow in, up to `capacity`; a reservation
 * takes its tokens at once, even when that leaves the balance negative, and says how long to wait until
 * the debt is repaid. Because each reservation queues behind the debt left by earlier ones, the bucket
 * serves its users in the order they asked (first come, first served), and with equal slices that is
 * a fair share for everyone.
 *
 * Time is passed in by the caller (milliseconds from any monotonic clock), so the bucket is pure and
 * testable with a fake clock.
 *
 * The cap depends on demand. While no user is hungry (all idle, finished or blocked by a slow
 * consumer), tokens stop at `capacity` ({@link BURST_SECONDS} of traffic), which bounds the burst after
 * an idle period. While someone is hungry and the bucket is in debt (it is the limit they wait on), a
 * waiter that wakes late finds up to {@link LAG_SECONDS} of accrued tokens, so a stalled event loop
 * does not lower the average rate; the surplus is dropped back to `capacity` when demand stops.
 *
 * Guarantees, for any interval of `t` seconds: at most `rate * t` plus {@link LAG_SECONDS} of traffic is
 * granted (plus only {@link BURST_SECONDS} when the interval follows an idle period), and while someone
 * is always hungry, `rate * t` bytes are granted unless a waiter is more than {@link LAG_SECONDS} late.
 */
export class TokenBucket {
  #rate: number;
  #capacity: number;
  #tokens: number;
  #stamp: number;
  /** Users that want tokens now; see {@link hunger}. */
  #hungry = 0;
  /** How many streams draw from this bucket now: used to size slices for a fair share. */
  users = 0;

  /**
   * @param rate - bytes per second, > 0.
   * @param now - the current time in milliseconds; the bucket starts full.
   */
  constructor(rate: number, now: number) {
    this.#rate = checkRate(rate);
    this.#capacity = capacityFor(this.#rate);
    this.#tokens = this.#capacity;
    this.#stamp = now;
  }

  /** Bytes per second. */
  get rate(): number {
    return this.#rate;
  }

  /** The most tokens the bucket holds: {@link BURST_SECONDS} of traffic (at least one byte). */
  get capacity(): number {
    return this.#capacity;
  }

  /** The balance at `now`: positive when bytes may pass at once, negative while in debt. */
  tokens(now: number): number {
    this.#refill(now);
    return this.#tokens;
  }

  /** Changes the rate from `now` on; tokens earned so far at the old rate are kept (up to the new capacity). */
  setRate(rate: number, now: number): void {
    this.#refill(now);
    this.#rate = checkRate(rate);
    this.#capacity = capacityFor(this.#rate);
    if (this.#tokens > this.#capacity) this.#tokens = this.#capacity;
  }

  /** How many users want tokens now. */
  get hungry(): number {
    return this.#hungry;
  }

  /**
   * A user starts (`+1`) or stops (`-1`) wanting tokens: it has data to send and its consumer takes it,
   * or it has none (chunk done, consumer full, destroyed). When nobody wants tokens any more, a surplus
   * kept for late waiters is dropped back to `capacity`.
   */
  hunger(delta: 1 | -1, now: number): void {
    this.#refill(now);
    this.#hungry = Math.max(0, this.#hungry + delta);
    if (this.#hungry === 0 && this.#tokens > this.#capacity) this.#tokens = this.#capacity;
  }

  /**
   * Takes `bytes` tokens and returns how many milliseconds to wait before sending them: 0 when the
   * balance covered them, else the time until the debt is repaid.
   */
  reserve(bytes: number, now: number): number {
    this.#refill(now);
    this.#tokens -= bytes;
    return this.#tokens >= 0 ? 0 : (-this.#tokens * 1000) / this.#rate;
  }

  /** Gives back tokens reserved but never used (a stream destroyed while it waited). */
  refund(bytes: number, now: number): void {
    this.#refill(now);
    this.#tokens = Math.min(this.#capacity, this.#tokens + bytes);
  }

  /**
   * How many bytes one user should reserve at a time: about {@link SLICE_SECONDS} of its fair share,
   * never more than the bucket holds (so a large chunk is always split) nor {@link MAX_SLICE}.
   */
  sliceSize(): number {
    const share = (this.#rate * SLICE_SECONDS) / Math.max(1, this.users);
    const floor = Math.max(MIN_SLICE, this.#rate * MIN_SLICE_SECONDS);
    return Math.max(1, Math.floor(Math.min(this.#capacity, MAX_SLICE, Math.max(floor, share))));
  }

  #refill(now: number): void {
    const elapsed = now - this.#stamp;
    if (elapsed <= 0) return;
    this.#stamp = now;
    // In debt with someone hungry: the bucket is what they wait on, and time past the due moment is a
    // late wake-up, forgiven up to LAG_SECONDS. Otherwise the plain cap.
    const lagging = this.#hungry > 0 && (this.#tokens < 0 || this.#tokens > this.#capacity);
    const cap = lagging ? Math.max(this.#capacity, this.#rate * LAG_SECONDS) : this.#capacity;
    if (this.#tokens >= cap) return;
    this.#tokens = Math.min(cap, this.#tokens + (elapsed * this.#rate) / 1000);
  }
}

function checkRate(rate: number): number {
  if (!Number.isFinite(rate) || rate <= 0) throw new RangeError(`rate must be a number > 0, got ${rate}`);
  return rate;
}

function capacityFor(rate: number): number {
  return Math.max(1, rate * BURST_SECONDS);
}
