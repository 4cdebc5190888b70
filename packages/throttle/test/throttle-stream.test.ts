import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ThrottleStream } from '../src/throttle-stream.js';
import { TokenBucket } from '../src/token-bucket.js';
import { pattern } from './helpers.js';

const clock = (): number => Date.now();
const KiB = 1024;
const MiB = 1024 * 1024;

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

/** Collects what a stream emits, keeping the chunks themselves. */
function collect(stream: ThrottleStream): Buffer[] {
  const out: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => out.push(chunk));
  return out;
}

const total = (chunks: readonly Buffer[]): number => chunks.reduce((n, c) => n + c.length, 0);

describe('ThrottleStream', () => {
  it('splits a 1 MiB chunk into slices no bigger than the bucket, as views of the same memory', async () => {
    const bucket = new TokenBucket(1 * MiB, Date.now());
    const stream = new ThrottleStream([bucket], { clock });
    const out = collect(stream);
    const chunk = pattern(1 * MiB);
    stream.end(chunk);
    await vi.advanceTimersByTimeAsync(2000);
    expect(total(out)).toBe(chunk.length);
    expect(Buffer.concat(out).equals(chunk)).toBe(true);
    expect(out.length).toBeGreaterThan(40);
    for (const piece of out) {
      expect(piece.length).toBeLessThanOrEqual(bucket.capacity);
      expect(piece.buffer).toBe(chunk.buffer); // a subarray, not a copy
    }
  });

  it('paces at the rate: the burst, then rate × time', async () => {
    const rate = 100 * KiB;
    const bucket = new TokenBucket(rate, Date.now());
    const stream = new ThrottleStream([bucket], { clock });
    const out = collect(stream);
    stream.write(pattern(4 * MiB));
    await vi.advanceTimersByTimeAsync(0);
    expect(total(out)).toBeLessThanOrEqual(bucket.capacity + bucket.sliceSize());
    await vi.advanceTimersByTimeAsync(5000);
    const expected = bucket.capacity + rate * 5;
    expect(Math.abs(total(out) - expected)).toBeLessThanOrEqual(bucket.sliceSize());
    stream.destroy();
  });

  it('obeys the strictest of its buckets', async () => {
    const now = Date.now();
    const loose = new TokenBucket(1 * MiB, now);
    const strict = new TokenBucket(64 * KiB, now);
    const stream = new ThrottleStream([loose, strict], { clock });
    const out = collect(stream);
    stream.write(pattern(2 * MiB));
    await vi.advanceTimersByTimeAsync(4000);
    const expected = strict.capacity + 64 * KiB * 4;
    expect(Math.abs(total(out) - expected)).toBeLessThanOrEqual(strict.sliceSize());
    stream.destroy();
  });

  it('shares a bucket fairly between streams', async () => {
    const bucket = new TokenBucket(200 * KiB, Date.now());
    const streams = [0, 1, 2].map(() => new ThrottleStream([bucket], { clock }));
    expect(bucket.users).toBe(3);
    const outs = streams.map(collect);
    for (const stream of streams) stream.write(pattern(1 * MiB));
    await vi.advanceTimersByTimeAsync(3000);
    const got = outs.map(total);
    const sum = got.reduce((a, b) => a + b, 0);
    expect(Math.abs(sum - (bucket.capacity + 200 * KiB * 3))).toBeLessThanOrEqual(3 * bucket.sliceSize());
    for (const n of got) expect(Math.abs(n - sum / 3) / (sum / 3)).toBeLessThan(0.02);
    for (const stream of streams) stream.destroy();
    expect(bucket.users).toBe(0);
  });

  it('clears its timer, refunds its reservation and lets go of its buckets when destroyed', async () => {
    const bucket = new TokenBucket(10 * KiB, Date.now());
    const onClose = vi.fn();
    const stream = new ThrottleStream([bucket], { clock, onClose });
    collect(stream);
    stream.write(pattern(1 * MiB));
    await vi.advanceTimersByTimeAsync(50);
    expect(stream.waiting).toBe(true);
    expect(vi.getTimerCount()).toBe(1);
    const debt = bucket.tokens(Date.now());
    expect(debt).toBeLessThan(0);
    stream.destroy();
    await vi.advanceTimersByTimeAsync(0);
    expect(vi.getTimerCount()).toBe(0);
    expect(stream.waiting).toBe(false);
    expect(bucket.users).toBe(0);
    expect(bucket.hungry).toBe(0);
    expect(bucket.tokens(Date.now())).toBeGreaterThan(debt); // the unsent slice came back
    expect(onClose).toHaveBeenCalledTimes(1);
    stream.destroy();
    expect(onClose).toHaveBeenCalledTimes(1);
  });

  it('holds no more than its high-water mark plus a slice when the consumer stops reading', async () => {
    const bucket = new TokenBucket(10 * MiB, Date.now());
    const stream = new ThrottleStream([bucket], { clock });
    // A writable that never calls back: the pipe stops, the stream's readable side fills.
    const stuck = new Writable({ highWaterMark: 16 * KiB, write: () => {} });
    stream.pipe(stuck);
    stream.write(pattern(4 * MiB));
    await vi.advanceTimersByTimeAsync(2000);
    expect(stream.readableLength).toBeLessThanOrEqual(stream.readableHighWaterMark + bucket.sliceSize());
    expect(stream.waiting).toBe(false); // blocked on the consumer, not on a timer
    expect(vi.getTimerCount()).toBe(0);
    expect(bucket.hungry).toBe(0); // so no surplus builds up for a burst later
    // It resumes when the consumer reads again.
    stream.unpipe(stuck);
    const out = collect(stream);
    stream.resume();
    await vi.advanceTimersByTimeAsync(2000);
    expect(total(out)).toBeGreaterThan(1 * MiB);
    stream.destroy();
  });

  it('ends normally after the last slice and calls onClose once', async () => {
    const bucket = new TokenBucket(1 * MiB, Date.now());
    const onClose = vi.fn();
    const stream = new ThrottleStream([bucket], { clock, onClose });
    const out = collect(stream);
    const ended = new Promise<void>((resolve) => stream.once('end', resolve));
    stream.write(Buffer.alloc(0));
    stream.end(pattern(300 * KiB));
    await vi.advanceTimersByTimeAsync(1000);
    await ended;
    await vi.advanceTimersByTimeAsync(0);
    expect(total(out)).toBe(300 * KiB);
    expect(onClose).toHaveBeenCalledTimes(1);
    expect(bucket.users).toBe(0);
    expect(bucket.hungry).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('catches up after the event loop stalls while it waits', async () => {
    const rate = 100 * KiB;
    const bucket = new TokenBucket(rate, Date.now());
    const stream = new ThrottleStream([bucket], { clock });
    const out = collect(stream);
    stream.write(pattern(2 * MiB));
    await vi.advanceTimersByTimeAsync(1000);
    // A 250 ms stall: the clock jumps without any timer running.
    vi.setSystemTime(Date.now() + 250);
    await vi.advanceTimersByTimeAsync(2000);
    const expected = bucket.capacity + rate * 3.25;
    expect(Math.abs(total(out) - expected)).toBeLessThanOrEqual(2 * bucket.sliceSize());
    stream.destroy();
  });

  it('needs a bucket', () => {
    expect(() => new ThrottleStream([])).toThrow('ThrottleStream needs at least one bucket');
  });
});
