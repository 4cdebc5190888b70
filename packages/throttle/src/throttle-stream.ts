/**
 * The transform the plugin puts in a transfer's data path.
 *
 * @module
 */
import { Transform, type TransformCallback } from 'node:stream';
import type { TokenBucket } from './token-bucket.js';

/** Milliseconds from a monotonic clock. */
export type Clock = () => number;

/** Options of a {@link ThrottleStream}. */
export interface ThrottleStreamOptions {
  /** Where time comes from; default `performance.now`. */
  readonly clock?: Clock;
  /** Called once when the stream is destroyed (which includes a normal end): releases shared buckets. */
  readonly onClose?: () => void;
}

const defaultClock: Clock = () => performance.now();

/**
 * Passes bytes through unchanged, no faster than every one of its buckets allows.
 *
 * Each chunk is cut into slices (views, never copies) no larger than the smallest bucket and its fair
 * share (see {@link TokenBucket.sliceSize}); each slice is reserved from every bucket at once and
 * pushed when the slowest of them has repaid its debt. So the strictest limit wins at any moment, a
 * 1 MiB chunk from the file never passes in one burst, and data comes out in steady small steps
 * (which keeps the server's data-stall timer fed even at low rates).
 *
 * Backpressure: the next slice waits while the readable side is full; the next chunk is accepted only
 * when the current one has been pushed, so at most one chunk is held. Destroying the stream (ABOR, the
 * stall timer, a closed connection) clears its timer at once and refunds the slice it was waiting for.
 */
export class ThrottleStream extends Transform {
  readonly #buckets: readonly TokenBucket[];
  readonly #clock: Clock;
  #onClose: (() => void) | undefined;
  #chunk: Buffer | undefined;
  #offset = 0;
  #callback: TransformCallback | undefined;
  /** Bytes of the current chunk reserved from the buckets, pushed once the wait is over. */
  #reserved = 0;
  /** Kept after it fires and re-armed with `refresh()` when the next wait is as long: no allocation. */
  #timer: NodeJS.Timeout | undefined;
  #timerDelay = 0;
  #timerArmed = false;
  #immediate: NodeJS.Immediate | undefined;
  /** The last push was refused (readable side full): `_read` resumes. */
  #blocked = false;
  /** Counted as wanting tokens in every bucket (see {@link TokenBucket.hunger}). */
  #hungry = false;

  /**
   * @param buckets - every limit that applies, at least one. The stream counts itself as a user of each
   *   until it is destroyed.
   */
  constructor(buckets: readonly TokenBucket[], options: ThrottleStreamOptions = {}) {
    super();
    if (buckets.length === 0) throw new TypeError('ThrottleStream needs at least one bucket');
    this.#buckets = buckets;
    this.#clock = options.clock ?? defaultClock;
    this.#onClose = options.onClose;
    for (const bucket of buckets) bucket.users++;
  }

  /** True while a timer is pending (the stream waits for tokens or for its turn). */
  get waiting(): boolean {
    return this.#timerArmed || this.#immediate !== undefined;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (chunk.length === 0) {
      callback();
      return;
    }
    this.#chunk = chunk;
    this.#offset = 0;
    this.#callback = callback;
    this.#setHungry(true);
    this.#pump();
  }

  override _read(size: number): void {
    if (this.#blocked) {
      this.#blocked = false;
      this.#setHungry(true);
      this.#pump();
    }
    super._read(size);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    clearTimeout(this.#timer);
    clearImmediate(this.#immediate);
    this.#timer = undefined;
    this.#timerArmed = false;
    this.#immediate = undefined;
    if (this.#reserved > 0) {
      const now = this.#clock();
      for (const bucket of this.#buckets) bucket.refund(this.#reserved, now);
      this.#reserved = 0;
    }
    this.#setHungry(false);
    this.#chunk = undefined;
    this.#callback = undefined;
    for (const bucket of this.#buckets) bucket.users--;
    const onClose = this.#onClose;
    this.#onClose = undefined;
    onClose?.();
    callback(error);
  }

  /** Pushes slices of the current chunk as fast as the buckets allow; a property so timers need no bind. */
  readonly #pump = (): void => {
    this.#timerArmed = false;
    this.#immediate = undefined;
    const chunk = this.#chunk;
    if (chunk === undefined || this.destroyed) return;
    for (;;) {
      if (this.#reserved > 0) {
        const end = this.#offset + this.#reserved;
        this.#reserved = 0;
        const more = this.push(chunk.subarray(this.#offset, end));
        this.#offset = end;
        if (end >= chunk.length) {
          const callback = this.#callback!;
          this.#chunk = undefined;
          this.#callback = undefined;
          this.#setHungry(false);
          callback();
          return;
        }
        // push() may have run a consumer that destroyed the stream.
        if (this.destroyed) return;
        if (!more) {
          this.#blocked = true;
          this.#setHungry(false);
          return;
        }
      }
      const wait = this.#reserve(chunk.length - this.#offset);
      if (wait > 0) {
        this.#sleep(wait);
        return;
      }
      if (this.#shared()) {
        // Tokens are left over (the loop was late): take one slice per turn, as every other ready
        // sharer does, instead of draining the bucket alone.
        this.#immediate = setImmediate(this.#pump);
        return;
      }
    }
  };

  #sleep(wait: number): void {
    // Rounded up so the timer never fires before the debt is repaid.
    const delay = Math.ceil(wait);
    // Waking up to ~12% (at least 2 ms) late costs no throughput (the bucket keeps what accrues
    // meanwhile, and the next wait is that much shorter), and lets the timer be re-armed in place.
    const slack = this.#timerDelay - delay;
    if (this.#timer !== undefined && slack >= 0 && slack <= Math.max(2, delay >> 3)) this.#timer.refresh();
    else {
      clearTimeout(this.#timer);
      this.#timer = setTimeout(this.#pump, delay);
      this.#timerDelay = delay;
    }
    this.#timerArmed = true;
  }

  #setHungry(hungry: boolean): void {
    if (hungry === this.#hungry) return;
    this.#hungry = hungry;
    const now = this.#clock();
    for (const bucket of this.#buckets) bucket.hunger(hungry ? 1 : -1, now);
  }

  #shared(): boolean {
    for (const bucket of this.#buckets) if (bucket.users > 1) return true;
    return false;
  }

  /** Reserves the next slice (at most `remaining` bytes) from every bucket; returns the longest wait. */
  #reserve(remaining: number): number {
    let slice = remaining;
    for (const bucket of this.#buckets) slice = Math.min(slice, bucket.sliceSize());
    const now = this.#clock();
    let wait = 0;
    for (const bucket of this.#buckets) wait = Math.max(wait, bucket.reserve(slice, now));
    this.#reserved = slice;
    return wait;
  }
}
