/**
 * The confirmation frontier of an {@link Outbox} run: the offsets handed to
 * the transport, in log order, and which of them the transport confirmed.
 * Confirmations arrive in any order; `frontier` is the highest offset that
 * was confirmed together with every offset issued before it — the only
 * offset a checkpoint may cover, so a crash can cause re-sends but never
 * skip a record. Offsets the log never produced (a gap: a record the
 * source dropped as undecodable) are not waited for.
 *
 * ```text
 * issued:     0 1 2 3 4
 * confirmed:  0   2 3        frontier 0
 * confirmed:  0 1 2 3        frontier 3
 * ```
 * @internal
 */
export class OutboxFrontier<R> {
  /** Issued slots not yet released, in offset order, from `#head`. */
  #offsets: number[] = [];
  #results: (R | undefined)[] = [];
  #done: boolean[] = [];
  #head = 0;
  /** Index of the first unconfirmed slot (or the end). */
  #firstOpen = 0;
  #frontier: number;
  #lastIssued: number;

  /** `covered`: the highest offset a previous run's checkpoint already covers (-1: none). */
  constructor(covered: number) {
    this.#frontier = covered;
    this.#lastIssued = covered;
  }

  /** The highest offset confirmed with every issued offset before it. */
  get frontier(): number {
    return this.#frontier;
  }

  /** Slots issued and not yet released (confirmed or not). */
  get size(): number {
    return this.#offsets.length - this.#head;
  }

  /** Records that `offset` was handed to the transport; offsets must increase. */
  issue(offset: number): void {
    if (offset <= this.#lastIssued) throw new RangeError(`offset ${offset} issued after ${this.#lastIssued}`);
    this.#lastIssued = offset;
    this.#offsets.push(offset);
    this.#results.push(undefined);
    this.#done.push(false);
  }

  /**
   * Records that the transport confirmed `offset` (`result`: what to report
   * once a checkpoint covers it; `undefined` for nothing). Returns whether
   * the frontier moved.
   */
  confirm(offset: number, result: R | undefined): boolean {
    const at = this.#find(offset);
    if (at < 0 || this.#done[at] === true) return false;
    this.#done[at] = true;
    this.#results[at] = result;
    const before = this.#firstOpen;
    while (this.#firstOpen < this.#offsets.length && this.#done[this.#firstOpen] === true) this.#firstOpen++;
    if (this.#firstOpen === before) return false;
    this.#frontier = this.#offsets[this.#firstOpen - 1] ?? this.#frontier;
    return true;
  }

  /**
   * Forgets the confirmed slots up to `offset` (at most the frontier) and
   * returns their results, in offset order, skipping `undefined` ones.
   */
  release(offset: number): R[] {
    const out: R[] = [];
    const upTo = Math.min(offset, this.#frontier);
    while (this.#head < this.#firstOpen && (this.#offsets[this.#head] ?? Infinity) <= upTo) {
      const result = this.#results[this.#head];
      if (result !== undefined) out.push(result);
      this.#results[this.#head] = undefined;
      this.#head++;
    }
    this.#compact();
    return out;
  }

  /** The slot of an unconfirmed `offset`, or -1: where offsets run without gaps it is one subtraction away. */
  #find(offset: number): number {
    const offsets = this.#offsets;
    let low = this.#firstOpen;
    let high = offsets.length - 1;
    const first = offsets[low];
    if (first === undefined || offset < first) return -1;
    const guess = low + (offset - first);
    if (guess <= high && offsets[guess] === offset) return guess;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      const at = offsets[mid] ?? Infinity;
      if (at === offset) return mid;
      if (at < offset) low = mid + 1;
      else high = mid - 1;
    }
    return -1;
  }

  /** Drops released slots from the front once they are most of the arrays. */
  #compact(): void {
    if (this.#head < 1024 || this.#head * 2 < this.#offsets.length) return;
    const head = this.#head;
    this.#offsets = this.#offsets.slice(head);
    this.#results = this.#results.slice(head);
    this.#done = this.#done.slice(head);
    this.#firstOpen -= head;
    this.#head = 0;
  }
}
