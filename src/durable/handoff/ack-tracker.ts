import { optionalGroup, requireNonNegativeInteger, requireObject } from "../../atom/validate.js";

/** Options of {@link AckTracker}. */
export interface AckTrackerOptions {
  /** The offset the first tracked record has (the watermark before anything is tracked). @default 0 */
  start?: number;
  /** Label linking the tracker to the component that owns it. */
  group?: string;
}

/** One unsettled delivery, as the tracker keeps it. */
export interface TrackedDelivery<K> {
  /** What was delivered (a job id, an offset …). */
  readonly key: K;
  readonly attempt: number;
  readonly deliveredAt: number;
}

/**
 * Tracks deliveries that are out but not yet acknowledged, and the
 * contiguous acknowledged watermark of a log (the catalog's `AckTracker`).
 * A pure state machine: no timers, no IO.
 *
 * - **Settle once.** {@link deliver} hands out a token per delivery;
 *   {@link settle} answers the delivery the first time and `undefined`
 *   every later time, so a late ack, a second nack, or an ack racing a
 *   visibility lapse can be refused.
 * - **Watermark.** Records are {@link track}ed in offset order and
 *   {@link settleOffset}ed in any order; {@link watermark} is the lowest
 *   offset not settled yet, so everything below it is done and it is the
 *   only position safe to checkpoint.
 *
 * ## Example
 * ```ts
 * const tracker = new AckTracker<string>();
 * tracker.track(0); tracker.track(1);
 * tracker.settleOffset(1); // watermark 0: offset 0 is still out
 * tracker.settleOffset(0); // watermark 2
 * const token = tracker.deliver("job-1", 1, now);
 * tracker.settle(token);   // the delivery
 * tracker.settle(token);   // undefined: already settled
 * ```
 * @see {@link VisibilityDeadline} which tells it which deliveries lapsed.
 * @lego AckTracker
 */
export class AckTracker<K> {
  group: string | undefined;
  /** Tracked offsets in increasing order, `true` once settled; settled prefixes are dropped. */
  readonly #offsets = new Map<number, boolean>();
  #next: number;
  readonly #deliveries = new Map<number, TrackedDelivery<K>>();
  #token = 0;

  constructor(options: AckTrackerOptions = {}) {
    requireObject("options", options);
    this.#next = requireNonNegativeInteger("start", options.start ?? 0);
    this.group = optionalGroup(options.group);
  }

  /** Starts tracking the record at `offset` (offsets must increase). */
  track(offset: number): void {
    if (offset < this.#next) throw new RangeError(`offset ${offset} was tracked already (next is ${this.#next})`);
    this.#offsets.set(offset, false);
    this.#next = offset + 1;
  }

  /** Marks the record at `offset` done; answers false when it was not tracked or already settled. */
  settleOffset(offset: number): boolean {
    if (this.#offsets.get(offset) !== false) return false;
    this.#offsets.set(offset, true);
    for (const [first, settled] of this.#offsets) {
      if (!settled) break;
      this.#offsets.delete(first);
    }
    return true;
  }

  /** The lowest offset not settled (every record below it is done). */
  get watermark(): number {
    for (const first of this.#offsets.keys()) return first;
    return this.#next;
  }

  /** Records tracked and not settled. */
  get unsettledRecords(): number {
    let count = 0;
    for (const settled of this.#offsets.values()) if (!settled) count++;
    return count;
  }

  /** Records a delivery of `key` and returns its token. */
  deliver(key: K, attempt: number, deliveredAt: number): number {
    const token = ++this.#token;
    this.#deliveries.set(token, { key, attempt, deliveredAt });
    return token;
  }

  /** The first call for a token answers its delivery and forgets it; later calls answer `undefined`. */
  settle(token: number): TrackedDelivery<K> | undefined {
    const delivery = this.#deliveries.get(token);
    if (delivery !== undefined) this.#deliveries.delete(token);
    return delivery;
  }

  /** The delivery behind `token` while it is unsettled. */
  get(token: number): TrackedDelivery<K> | undefined {
    return this.#deliveries.get(token);
  }

  /** Deliveries out and not settled. */
  get inFlight(): number {
    return this.#deliveries.size;
  }

  /** Tokens of the unsettled deliveries, oldest first. */
  tokens(): number[] {
    return [...this.#deliveries.keys()];
  }
}
