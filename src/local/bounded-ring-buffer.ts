import { optional, optionalGroup, requireOneOf, requirePositiveInteger } from "../atom/validate.js";
import { OVERFLOW_POLICIES, type OverflowPolicy } from "../policy/overflow-policy.js";

/** Options of {@link BoundedRingBuffer}. */
export interface BoundedRingBufferOptions {
  /** Most items held at once, a positive integer. */
  capacity: number;
  /** What a push into a full buffer does. @default "drop_oldest" */
  overflow?: OverflowPolicy;
  /** Label linking the buffer to the component that owns it. */
  group?: string;
}

/**
 * A fixed-capacity FIFO ring (the catalog's `RingBuffer`, as
 * `BoundedRingBuffer`) with an explicit overflow policy and counters. It
 * never allocates after construction.
 *
 * ## Example
 * ```ts
 * const ring = new BoundedRingBuffer<number>({ capacity: 2 });
 * ring.push(1); ring.push(2); ring.push(3); // 1 is dropped
 * ring.drain(); // [2, 3]
 * ring.dropped; // 1
 * ```
 * @lego BoundedRingBuffer
 */
export class BoundedRingBuffer<T> implements Iterable<T> {
  readonly capacity: number;
  readonly overflow: OverflowPolicy;
  group: string | undefined;
  /** Items lost to `drop_oldest`, `drop_newest` or `latest`. */
  dropped = 0;
  /** Items refused under `reject`. */
  rejected = 0;
  private readonly slots: (T | undefined)[];
  private head = 0;
  private count = 0;

  constructor(options: BoundedRingBufferOptions) {
    if (typeof options !== "object" || (options as unknown) === null) throw new TypeError("options must be an object");
    this.capacity = requirePositiveInteger("capacity", options.capacity);
    this.overflow = optional("overflow", options.overflow, (n, v) => requireOneOf(n, v, OVERFLOW_POLICIES)) ?? "drop_oldest";
    this.group = optionalGroup(options.group);
    this.slots = new Array<T | undefined>(this.capacity);
  }

  get size(): number {
    return this.count;
  }

  get isFull(): boolean {
    return this.count === this.capacity;
  }

  /** Adds `item`; returns false when it was not stored (`drop_newest`, `reject`). */
  push(item: T): boolean {
    if (this.overflow === "latest") {
      if (this.count > 0) {
        this.dropped += this.count;
        this.release();
      }
    } else if (this.count === this.capacity) {
      if (this.overflow === "drop_newest") {
        this.dropped++;
        return false;
      }
      if (this.overflow === "reject") {
        this.rejected++;
        return false;
      }
      this.shift();
      this.dropped++;
    }
    this.slots[(this.head + this.count) % this.capacity] = item;
    this.count++;
    return true;
  }

  /** Removes and returns the oldest item, or `undefined` when empty. */
  pop(): T | undefined {
    return this.count === 0 ? undefined : this.shift();
  }

  /** The oldest item without removing it. */
  peek(): T | undefined {
    return this.count === 0 ? undefined : this.slots[this.head];
  }

  /** Removes and returns every item, oldest first. */
  drain(): T[] {
    const items = [...this];
    this.clear();
    return items;
  }

  /** Empties the buffer without counting drops. */
  clear(): void {
    this.release();
  }

  *[Symbol.iterator](): Iterator<T> {
    for (let i = 0; i < this.count; i++) yield this.slots[(this.head + i) % this.capacity] as T;
  }

  /** Forgets the stored items (only their slots: `latest` calls this on every push). */
  private release(): void {
    for (let i = 0; i < this.count; i++) this.slots[(this.head + i) % this.capacity] = undefined;
    this.head = 0;
    this.count = 0;
  }

  private shift(): T {
    const item = this.slots[this.head] as T;
    this.slots[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.count--;
    return item;
  }
}
