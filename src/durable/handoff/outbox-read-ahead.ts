import type { Observable, Subscription } from "rxjs";

/** A record as an outbox source replays it. */
export interface OutboxRecord<T> {
  readonly offset: number;
  readonly value: T;
}

/**
 * What an {@link OutboxReadAhead} reads: `replay({ from, follow })` in
 * offset order. `chunkSize` is a hint (a `LocalDurableSpool` reads that
 * many records per round trip; other sources ignore it): the reader asks
 * for what fits its buffer rather than a default chunk it would mostly
 * throw away.
 */
export interface ReplaySource<T> {
  replay(options?: { from?: number; follow?: boolean; chunkSize?: number }): Observable<OutboxRecord<T>>;
}

/** Callbacks of an {@link OutboxReadAhead}. */
export interface ReadAheadEvents {
  /** Records were buffered, or the reader caught up with the log. */
  changed(): void;
  /** The source failed; reading stops. */
  failed(error: unknown): void;
}

/**
 * The records an {@link Outbox} run is about to publish, read from its
 * source ahead of the publish window so the window never waits for a read.
 * It holds at most `capacity` records: while behind it reads with plain
 * replays (each stops when the buffer is full, the next starts once half of
 * it was taken); once a replay ends short the log is caught up, and one
 * `follow` replay then delivers new records as they are written — until a
 * burst fills the buffer, which pauses it and goes back to plain replays.
 *
 * ```text
 * log:     [0 … 999] then 1000, 1001 …     capacity 256
 * reads:   [0‥255] [256‥383] … [896‥999|   follow: 1000 1001 …
 * ```
 * @internal
 */
export class OutboxReadAhead<T> {
  readonly #source: ReplaySource<T>;
  readonly #capacity: number;
  readonly #lowWater: number;
  readonly #events: ReadAheadEvents;
  #buffer: OutboxRecord<T>[] = [];
  #head = 0;
  /** The offset the next read starts at: one after the last record buffered. */
  #next: number;
  /** The replay being read, if any. */
  #reading: Reading | undefined;
  /** The source's follow replay completed and a plain read after it found nothing: reading is over. */
  #exhausted = false;
  #stopped = false;
  #fillQueued = false;

  constructor(source: ReplaySource<T>, from: number, capacity: number, events: ReadAheadEvents) {
    this.#source = source;
    this.#next = from;
    this.#capacity = capacity;
    this.#lowWater = Math.floor(capacity / 2);
    this.#events = events;
  }

  /** Records buffered now. */
  get buffered(): number {
    return this.#buffer.length - this.#head;
  }

  /** True when nothing is buffered and the log had nothing more: following it, or it ended. */
  get caughtUp(): boolean {
    return this.buffered === 0 && (this.#reading?.follow === true || this.#exhausted);
  }

  start(): void {
    this.#fill();
  }

  /** The next record in offset order, or `undefined` when none is buffered. */
  shift(): OutboxRecord<T> | undefined {
    if (this.#head >= this.#buffer.length) return undefined;
    const record = this.#buffer[this.#head];
    this.#head++;
    if (this.#head === this.#buffer.length) {
      this.#buffer = [];
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#buffer.length) {
      this.#buffer = this.#buffer.slice(this.#head);
      this.#head = 0;
    }
    if (this.buffered <= this.#lowWater) this.#fillSoon();
    return record;
  }

  stop(): void {
    this.#stopped = true;
    const reading = this.#reading;
    if (reading !== undefined) this.#end(reading);
  }

  /** Refills outside the caller's stack (a read's callbacks may be running). */
  #fillSoon(): void {
    if (this.#fillQueued || this.#reading !== undefined || this.#stopped || this.#exhausted) return;
    this.#fillQueued = true;
    queueMicrotask(() => {
      this.#fillQueued = false;
      this.#fill();
    });
  }

  #fill(): void {
    if (this.#stopped || this.#exhausted || this.#reading !== undefined || this.buffered > this.#lowWater) return;
    this.#read(false, false);
  }

  /** `afterEnd`: this plain read follows a follow replay the source completed. */
  #read(follow: boolean, afterEnd: boolean): void {
    const reading: Reading = { subscription: undefined, follow, ended: false };
    this.#reading = reading;
    let found = false;
    const chunkSize = Math.max(1, this.#capacity - this.buffered);
    const options = follow ? { from: this.#next, follow: true, chunkSize } : { from: this.#next, chunkSize };
    const subscription = this.#source.replay(options).subscribe({
      next: (record) => {
        if (reading.ended || record.offset < this.#next) return;
        found = true;
        this.#next = record.offset + 1;
        this.#buffer.push(record);
        // Full: pause; the next read starts once half of the buffer was taken.
        if (this.buffered >= this.#capacity) this.#end(reading);
        this.#events.changed();
      },
      error: (error: unknown) => {
        if (reading.ended) return;
        this.#end(reading);
        this.#stopped = true;
        this.#events.failed(error);
      },
      complete: () => {
        if (reading.ended) return;
        this.#end(reading);
        if (follow) {
          // The source ended its follow (a closed spool): one plain read
          // reports why (its error), or finds nothing more and reading stops.
          this.#read(false, true);
        } else if (afterEnd && !found) {
          this.#exhausted = true;
          this.#events.changed();
        } else {
          // A plain read that ended short: the log is caught up; follow it.
          this.#read(true, false);
          this.#events.changed();
        }
      },
    });
    reading.subscription = subscription;
    // A source that emits synchronously may have ended this read inside subscribe().
    if (reading.ended) subscription.unsubscribe();
  }

  #end(reading: Reading): void {
    reading.ended = true;
    reading.subscription?.unsubscribe();
    if (this.#reading === reading) this.#reading = undefined;
  }
}

interface Reading {
  subscription: Subscription | undefined;
  readonly follow: boolean;
  ended: boolean;
}
