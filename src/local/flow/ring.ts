/**
 * A FIFO ring that grows by doubling up to `limit` slots and never past it:
 * constant-time `push`/`shift`, no per-item allocation once grown. The flow
 * legos keep their bounded queues in it; the caller checks `size` against its
 * own capacity before pushing (`push` past `limit` throws, a bug).
 *
 * @internal shared by the flow legos; not part of the package surface.
 */
export class Ring<T> {
  private slots: (T | undefined)[];
  private head = 0;
  private count = 0;

  constructor(readonly limit: number) {
    this.slots = new Array<T | undefined>(Math.min(limit, 16));
  }

  get size(): number {
    return this.count;
  }

  push(item: T): void {
    let slots = this.slots;
    if (this.count === slots.length) {
      if (this.count >= this.limit) throw new Error("Ring is full");
      const grown = new Array<T | undefined>(Math.min(this.limit, slots.length * 2));
      for (let i = 0; i < this.count; i++) grown[i] = slots[(this.head + i) % slots.length];
      this.slots = slots = grown;
      this.head = 0;
    }
    slots[(this.head + this.count) % slots.length] = item;
    this.count++;
  }

  /** The oldest item, removed; `undefined` when empty. */
  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const slots = this.slots;
    const item = slots[this.head];
    slots[this.head] = undefined;
    this.head = this.head + 1 === slots.length ? 0 : this.head + 1;
    this.count--;
    return item;
  }

  /** The oldest item, kept; `undefined` when empty. */
  peek(): T | undefined {
    return this.count === 0 ? undefined : this.slots[this.head];
  }

  /** The item `i` places after the oldest (0 = oldest). */
  at(i: number): T | undefined {
    return i < 0 || i >= this.count ? undefined : this.slots[(this.head + i) % this.slots.length];
  }

  /** Removes the item `i` places after the oldest, keeping the order of the rest. */
  removeAt(i: number): T | undefined {
    if (i < 0 || i >= this.count) return undefined;
    const slots = this.slots;
    const n = slots.length;
    const item = slots[(this.head + i) % n];
    for (let j = i; j < this.count - 1; j++) slots[(this.head + j) % n] = slots[(this.head + j + 1) % n];
    slots[(this.head + this.count - 1) % n] = undefined;
    this.count--;
    return item;
  }

  clear(): void {
    this.slots.fill(undefined);
    this.head = 0;
    this.count = 0;
  }
}
