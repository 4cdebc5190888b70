import { describe, expect, it } from 'vitest';
import { BURST_SECONDS, LAG_SECONDS, MAX_SLICE, TokenBucket } from '../src/token-bucket.js';

/**
 * Drives users of a bucket with a fake clock, as ThrottleStream does: reserve a slice, wait the time the
 * bucket asks for (plus `lateMs` of timer latency), send it, reserve the next. Returns the bytes each
 * user sent between `start` and `start + seconds`.
 */
function simulate(bucket: TokenBucket, users: number, seconds: number, lateMs = 0, start = 0): number[] {
  const sent = new Array<number>(users).fill(0);
  const due = new Array<number>(users).fill(start);
  const reserved = new Array<number>(users).fill(0);
  bucket.users = users;
  const end = start + seconds * 1000;
  for (;;) {
    // The user whose wait ends first goes next (ties: the lowest index), like timers firing in order.
    let next = 0;
    for (let i = 1; i < users; i++) if (due[i]! < due[next]!) next = i;
    const now = due[next]!;
    if (now > end) break;
    sent[next]! += reserved[next]!;
    const slice = bucket.sliceSize();
    const wait = bucket.reserve(slice, now);
    reserved[next] = slice;
    due[next] = now + (wait > 0 ? Math.ceil(wait) + lateMs : 0.001);
  }
  return sent;
}

describe('TokenBucket', () => {
  it('starts full, with 100 ms of traffic', () => {
    const bucket = new TokenBucket(10_000, 0);
    expect(BURST_SECONDS).toBe(0.1);
    expect(bucket.capacity).toBe(1000);
    expect(bucket.tokens(0)).toBe(1000);
  });

  it('grants at once what the balance covers, then makes the caller wait for its debt', () => {
    const bucket = new TokenBucket(10_000, 0);
    expect(bucket.reserve(1000, 0)).toBe(0);
    expect(bucket.reserve(500, 0)).toBe(50); // 500 bytes at 10 000 B/s
    expect(bucket.tokens(0)).toBe(-500);
    expect(bucket.reserve(500, 0)).toBe(100); // queued behind the first debt
    expect(bucket.tokens(100)).toBe(0);
  });

  it('refills at its rate but never above its capacity', () => {
    const bucket = new TokenBucket(10_000, 0);
    bucket.reserve(1000, 0);
    expect(bucket.tokens(30)).toBeCloseTo(300);
    expect(bucket.tokens(10_000)).toBe(1000);
  });

  it('grants exactly rate × time to a busy user over 10 s, even with late timers', () => {
    for (const late of [0, 3, 40]) {
      const bucket = new TokenBucket(2 * 1024 * 1024, 0);
      const [got] = simulate(bucket, 1, 10, late);
      // 10 s worth plus the initial burst, short of at most what is in flight at the end: the slice
      // reserved and the lateness of its timer (nothing is lost in between).
      const expected = 2 * 1024 * 1024 * 10 + bucket.capacity;
      const inFlight = bucket.sliceSize() + (late * 2 * 1024 * 1024) / 1000;
      expect(got!).toBeLessThanOrEqual(expected);
      expect(got!).toBeGreaterThanOrEqual(expected - inFlight - bucket.sliceSize());
    }
  });

  it('loses throughput to timers later than the cap when nobody is marked hungry', () => {
    const bucket = new TokenBucket(1_000_000, 0);
    const [got] = simulate(bucket, 1, 10, 150); // 150 ms late each time: the bucket holds 100 ms
    expect(got).toBeLessThan(1_000_000 * 10 * 0.9);
  });

  it('forgives a hungry waiter up to 300 ms of lateness, and no more', () => {
    expect(LAG_SECONDS).toBe(0.3);
    const forgiven = new TokenBucket(1_000_000, 0);
    forgiven.hunger(1, 0);
    const [got] = simulate(forgiven, 1, 10, 250);
    const expected = 1_000_000 * 10 + forgiven.capacity;
    expect(got!).toBeLessThanOrEqual(expected);
    expect(got!).toBeGreaterThanOrEqual(expected - forgiven.sliceSize() - 250_000 - forgiven.sliceSize());
    const tooLate = new TokenBucket(1_000_000, 0);
    tooLate.hunger(1, 0);
    const [lost] = simulate(tooLate, 1, 10, 400);
    expect(lost).toBeLessThan(1_000_000 * 10 * 0.97);
  });

  it('keeps no surplus once nobody is hungry, and none builds up while nobody waits on it', () => {
    const bucket = new TokenBucket(10_000, 0);
    bucket.hunger(1, 0);
    bucket.reserve(1500, 0); // in debt: the hungry user waits on this bucket
    expect(bucket.tokens(1000)).toBe(3000 - 1500 + 1500); // 1 s late: 0.3 s of traffic kept
    bucket.hunger(-1, 1000);
    expect(bucket.hungry).toBe(0);
    expect(bucket.tokens(1000)).toBe(1000); // back to the 0.1 s cap
    // Hungry but not in debt (its users wait on another, stricter bucket): the plain cap applies.
    bucket.hunger(1, 1000);
    expect(bucket.tokens(60_000)).toBe(1000);
    bucket.hunger(-1, 60_000);
    bucket.hunger(-1, 60_000);
    expect(bucket.hungry).toBe(0);
  });

  it('never lets more than its capacity through after an idle period', () => {
    const rate = 2 * 1024 * 1024;
    const bucket = new TokenBucket(rate, 0);
    simulate(bucket, 1, 1); // busy for a second
    // Idle for 10 s, then a greedy user for 500 ms.
    const [got] = simulate(bucket, 1, 0.5, 0, 11_000);
    expect(got!).toBeLessThanOrEqual(rate * 0.5 + bucket.capacity + bucket.sliceSize());
    expect(got!).toBeLessThan(2 * rate * 0.5);
  });

  it('gives 20 users equal shares (first come, first served)', () => {
    const rate = 2 * 1024 * 1024;
    const bucket = new TokenBucket(rate, 0);
    const got = simulate(bucket, 20, 5, 1);
    const total = got.reduce((a, b) => a + b, 0);
    const expected = rate * 5 + bucket.capacity; // 5 s worth plus the initial burst
    expect(Math.abs(total - expected) / expected).toBeLessThan(0.005);
    for (const share of got) expect(Math.abs(share - total / 20) / (total / 20)).toBeLessThan(0.01);
  });

  it('sizes slices: 20 ms of a fair share, never above the capacity nor 64 KiB, not tiny', () => {
    const bucket = new TokenBucket(2 * 1024 * 1024, 0);
    bucket.users = 1;
    expect(bucket.sliceSize()).toBe(Math.floor(2 * 1024 * 1024 * 0.02));
    bucket.users = 20;
    expect(bucket.sliceSize()).toBe(Math.floor((2 * 1024 * 1024 * 0.02) / 20));
    bucket.users = 10_000;
    expect(bucket.sliceSize()).toBe(Math.floor(2 * 1024 * 1024 * 0.0005)); // at most ~2000 writes/s
    const fast = new TokenBucket(1024 * 1024 * 1024, 0);
    expect(fast.sliceSize()).toBe(MAX_SLICE);
    const slow = new TokenBucket(100, 0);
    expect(slow.capacity).toBe(10);
    expect(slow.sliceSize()).toBe(10); // split below the capacity, so 100 B/s still moves 10 times a second
    expect(new TokenBucket(1, 0).sliceSize()).toBe(1);
  });

  it('changes rate without losing or inventing tokens', () => {
    const bucket = new TokenBucket(10_000, 0);
    bucket.reserve(1000, 0);
    bucket.setRate(1000, 50); // 500 tokens earned at the old rate; the new capacity is 100
    expect(bucket.rate).toBe(1000);
    expect(bucket.tokens(50)).toBe(100);
    expect(bucket.reserve(300, 50)).toBe(200);
  });

  it('takes refunds, up to its capacity', () => {
    const bucket = new TokenBucket(10_000, 0);
    bucket.reserve(1500, 0);
    bucket.refund(500, 0);
    expect(bucket.tokens(0)).toBe(0);
    bucket.refund(5000, 0);
    expect(bucket.tokens(0)).toBe(1000);
  });

  it('refuses a rate that is not a positive number', () => {
    expect(() => new TokenBucket(0, 0)).toThrow(RangeError);
    expect(() => new TokenBucket(Number.NaN, 0)).toThrow('rate must be a number > 0, got NaN');
    expect(() => new TokenBucket(10, 0).setRate(-1, 0)).toThrow(RangeError);
  });
});
