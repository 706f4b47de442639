import { legoMeter, type LegoDescriptor, type LegoMeter } from "../../atom/lego-descriptor.js";
import { LegoError } from "../../atom/lego-error.js";
import { optional, optionalGroup, requireNonEmptyString, requireObject, requirePositive, requirePositiveInteger } from "../../atom/validate.js";
import type { DeduplicationStore } from "../../ports/deduplication-store.js";
import { systemClock, type Clock } from "../../time/clock.js";
import { requireClock } from "../durable-validate.js";

/** The window options every {@link DeduplicationStore} backend of this package takes. */
export interface DeduplicationWindowOptions {
  /**
   * Remember at most this many ids; recording one more forgets the oldest.
   * @default 100000
   */
  maxEntries?: number;
  /** Forget an id this many ms after it was recorded. @default no time limit (count only) */
  ttl?: number;
  /** Where "now" comes from (any RxJS scheduler is a Clock). @default systemClock */
  clock?: Clock;
  /** Label linking the store to the component that owns it. @default undefined */
  group?: string;
}

/** Options of {@link MemoryDeduplicationStore}. */
export type MemoryDeduplicationStoreOptions = DeduplicationWindowOptions;

/** Validated window options, shared with the LevelDB backend. */
export interface ValidatedWindow {
  readonly maxEntries: number;
  readonly ttl: number | undefined;
  readonly clock: Clock;
  readonly group: string | undefined;
}

/** Checks {@link DeduplicationWindowOptions}: TypeError/RangeError naming the option. */
export function validateDeduplicationWindow(options: DeduplicationWindowOptions): ValidatedWindow {
  requireObject("options", options);
  return {
    maxEntries: requirePositiveInteger("maxEntries", options.maxEntries ?? 100_000),
    ttl: optional("ttl", options.ttl, requirePositive),
    clock: options.clock === undefined ? systemClock : requireClock("clock", options.clock),
    group: optionalGroup(options.group),
  };
}

/**
 * The window as a pure state machine (no IO): ids in the order they were
 * recorded with the time they were recorded, bounded by count and age.
 * Both backends' behaviour is defined by it.
 */
export class DeduplicationWindow {
  readonly #seenAt = new Map<string, number>();

  constructor(
    readonly maxEntries: number,
    readonly ttl: number | undefined,
  ) {}

  get size(): number {
    return this.#seenAt.size;
  }

  /** Whether `id` is in the window at `now`. */
  has(id: string, now: number): boolean {
    const at = this.#seenAt.get(id);
    return at !== undefined && (this.ttl === undefined || now - at < this.ttl);
  }

  /** Records `id` at `now` unless present; answers whether it was present. Returns the ids it evicted. */
  seen(id: string, now: number): { duplicate: boolean; evicted: string[] } {
    const evicted = this.expire(now);
    if (this.#seenAt.has(id)) return { duplicate: true, evicted };
    this.#seenAt.set(id, now);
    evicted.push(...this.trim());
    return { duplicate: false, evicted };
  }

  /** Forgets the oldest ids beyond `maxEntries`; returns them. */
  trim(): string[] {
    const evicted: string[] = [];
    while (this.#seenAt.size > this.maxEntries) {
      const oldest = this.#seenAt.keys().next().value;
      if (oldest === undefined) break;
      this.#seenAt.delete(oldest);
      evicted.push(oldest);
    }
    return evicted;
  }

  /** Forgets `id`; answers whether it was there. */
  forget(id: string): boolean {
    return this.#seenAt.delete(id);
  }

  /** Drops the ids older than the ttl (they are a prefix: insertion order is time order). */
  expire(now: number): string[] {
    const evicted: string[] = [];
    if (this.ttl === undefined) return evicted;
    for (const [id, at] of this.#seenAt) {
      if (now - at < this.ttl) break;
      this.#seenAt.delete(id);
      evicted.push(id);
    }
    return evicted;
  }

  /** Restores an id read back from storage (oldest first). */
  restore(id: string, at: number): void {
    this.#seenAt.set(id, at);
  }
}

/**
 * The in-memory backend of the {@link DeduplicationStore} port: ids seen
 * within a window of `maxEntries` ids and/or `ttl` ms, in one process,
 * nothing kept across a restart. `seen(id)` is atomic (JavaScript runs it
 * in one turn). Counters: `seen`, `duplicates`, `evicted`.
 *
 * ## Example
 * ```ts
 * const store = new MemoryDeduplicationStore({ maxEntries: 10_000, ttl: 60_000 });
 * await store.seen("order-7"); // false: first time
 * await store.seen("order-7"); // true: a repeat
 * ```
 * @see {@link LevelDeduplicationStore} (persistent), the {@link dedupe} operator, {@link inbox}
 * @lego DeduplicationStore
 */
export class MemoryDeduplicationStore implements DeduplicationStore {
  readonly lego: LegoDescriptor;
  readonly group: string | undefined;
  readonly #window: DeduplicationWindow;
  readonly #clock: Clock;
  readonly #meter: LegoMeter;
  #closed = false;

  constructor(options: MemoryDeduplicationStoreOptions = {}) {
    const settings = validateDeduplicationWindow(options);
    this.group = settings.group;
    this.#clock = settings.clock;
    this.#window = new DeduplicationWindow(settings.maxEntries, settings.ttl);
    this.#meter = legoMeter("DeduplicationStore", { group: this.group }, ["seen", "duplicates", "evicted"]);
    this.lego = this.#meter.descriptor;
  }

  /** Ids currently remembered (expired ones may linger until the next write). */
  get size(): number {
    return this.#window.size;
  }

  seen(id: string): Promise<boolean> {
    return this.#run(() => {
      const { duplicate, evicted } = this.#window.seen(requireNonEmptyString("id", id), this.#clock.now());
      this.#meter.count(duplicate ? "duplicates" : "seen");
      if (evicted.length > 0) this.#meter.count("evicted", evicted.length);
      return duplicate;
    });
  }

  has(id: string): Promise<boolean> {
    return this.#run(() => this.#window.has(requireNonEmptyString("id", id), this.#clock.now()));
  }

  forget(id: string): Promise<void> {
    return this.#run(() => {
      this.#window.forget(requireNonEmptyString("id", id));
    });
  }

  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  #run<R>(operation: () => R): Promise<R> {
    if (this.#closed) return Promise.reject(new LegoError("STORE_CLOSED", "the deduplication store is closed", { group: this.group }));
    try {
      return Promise.resolve(operation());
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }
}
