/**
 * A binary min-heap under a comparator: the ordered part of a queue's
 * state (ready jobs by priority then arrival, delayed jobs by due time).
 * Internal to the handoff family.
 */
export class JobHeap<T> {
  readonly #items: T[] = [];

  constructor(private readonly before: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.#items.length;
  }

  peek(): T | undefined {
    return this.#items[0];
  }

  push(item: T): void {
    const items = this.#items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent] as T;
      if (!this.before(item, p)) break;
      items[i] = p;
      i = parent;
    }
    items[i] = item;
  }

  pop(): T | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    let i = 0;
    const n = items.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && this.before(items[right] as T, items[left] as T) ? right : left;
      const c = items[child] as T;
      if (!this.before(c, last)) break;
      items[i] = c;
      i = child;
    }
    items[i] = last;
    return top;
  }

  /** Removes every item for which `drop` is true (linear; for rare operations). */
  removeWhere(drop: (item: T) => boolean): T[] {
    const kept = this.#items.filter((item) => !drop(item));
    const removed = this.#items.filter(drop);
    this.#items.length = 0;
    for (const item of kept) this.push(item);
    return removed;
  }
}
