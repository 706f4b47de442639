import { optional, optionalGroup, requireNonNegativeInteger, requireObject, requireOneOf, requirePositive, requirePositiveInteger } from "../../atom/validate.js";
import { isClock, systemClock, type Clock } from "../../time/clock.js";

/** Which records a window keeps: the last `size` records, or those of the last `size` ms. */
export type WindowKind = "count" | "time";

/** Options shared by both windows. */
interface WindowCommonOptions {
  /** How many categories a record can fall in (0 … categories−1), an integer in 1 … 255. @default 2 */
  categories?: number;
  /** Group label. @default undefined */
  group?: string;
}

/** Options of {@link CountWindow}. */
export interface CountWindowOptions extends WindowCommonOptions {
  /** How many of the latest records the window holds (a positive integer). */
  size: number;
}

/** Options of {@link TimeWindow}. */
export interface TimeWindowOptions extends WindowCommonOptions {
  /** How many ms of records the window holds (finite, > 0). */
  size: number;
  /**
   * Buckets the window is cut into (a positive integer): the window moves
   * one bucket (`size / buckets` ms) at a time, so it covers between
   * `size − size/buckets` and `size` ms. @default 10
   */
  buckets?: number;
  /** Where `record()`/`count()` read time when not given `now`. @default systemClock */
  clock?: Clock;
}

/** A window described as data: the `window` option of `FailureCounter` and `CircuitBreaker`. */
export type WindowSpec =
  | ({ by: "count" } & Omit<CountWindowOptions, "categories">)
  | ({ by: "time" } & Omit<TimeWindowOptions, "categories">);

/** A window's contents as plain JSON-safe data, for export and restore. */
export type WindowSnapshot =
  | { readonly by: "count"; readonly size: number; readonly records: readonly number[] }
  | {
      readonly by: "time";
      readonly size: number;
      readonly buckets: number;
      /** Live buckets: absolute bucket index (`floor(t / (size / buckets))`) and per-category counts. */
      readonly entries: readonly { readonly index: number; readonly counts: readonly number[] }[];
    };

/**
 * What {@link CountWindow} and {@link TimeWindow} have in common: records
 * fall in small integer categories (for a breaker: 0 = success,
 * 1 = failure) and the window keeps per-category counts over its span.
 * Every operation is O(1) (a time window that was idle costs at most one
 * pass over its buckets) and allocates nothing.
 */
export interface OutcomeWindow {
  readonly by: WindowKind;
  readonly size: number;
  readonly categories: number;
  group: string | undefined;
  /** Adds one record of `category` (at `now` for a time window). */
  record(category: number, now?: number): void;
  /** Records of `category` in the window (at `now`). */
  count(category: number, now?: number): number;
  /** All records in the window (at `now`). */
  total(now?: number): number;
  /** Empties the window. */
  reset(): void;
  /** The contents as data (see {@link WindowSnapshot}). */
  snapshot(now?: number): WindowSnapshot;
  /** Replaces the contents with a snapshot of a window of the same shape (`RangeError` otherwise). */
  restore(snapshot: WindowSnapshot): void;
}

function categoriesOption(value: unknown): number {
  const n = optional("categories", value, requirePositiveInteger) ?? 2;
  if (n > 255) throw new RangeError(`categories must be at most 255, got ${n}`);
  return n;
}

function requireCategory(category: unknown, categories: number): asserts category is number {
  if (!(typeof category === "number" && category >= 0 && category < categories && Number.isInteger(category))) {
    throw new RangeError(`category must be an integer in 0 … ${categories - 1}, got ${String(category)}`);
  }
}

/**
 * The catalog's `Window` by count: the last `size` records, with running
 * per-category counts (a ring of one byte per record).
 *
 * ## Example
 * ```ts
 * const w = new CountWindow({ size: 3 });
 * w.record(0); w.record(1); w.record(1); w.record(0); // the first 0 falls out
 * w.count(1); // 2
 * w.total();  // 3
 * ```
 * @see {@link TimeWindow}, {@link FailureCounter}
 * @lego Window
 */
export class CountWindow implements OutcomeWindow {
  readonly by = "count" as const;
  readonly size: number;
  readonly categories: number;
  group: string | undefined;
  private readonly ring: Uint8Array;
  private readonly counts: Float64Array;
  private head = 0;
  private filled = 0;

  constructor(options: CountWindowOptions) {
    requireObject("options", options);
    this.size = requirePositiveInteger("size", options.size);
    this.categories = categoriesOption(options.categories);
    this.group = optionalGroup(options.group);
    this.ring = new Uint8Array(this.size);
    this.counts = new Float64Array(this.categories);
  }

  record(category: number): void {
    requireCategory(category, this.categories);
    const { ring, counts } = this;
    if (this.filled === this.size) {
      const old = ring[this.head] as number;
      counts[old] = (counts[old] as number) - 1;
    } else {
      this.filled++;
    }
    ring[this.head] = category;
    counts[category] = (counts[category] as number) + 1;
    this.head = this.head + 1 === this.size ? 0 : this.head + 1;
  }

  count(category: number): number {
    requireCategory(category, this.categories);
    return this.counts[category] as number;
  }

  total(): number {
    return this.filled;
  }

  reset(): void {
    this.head = 0;
    this.filled = 0;
    this.counts.fill(0);
  }

  snapshot(): WindowSnapshot {
    const records: number[] = [];
    const start = this.filled === this.size ? this.head : 0;
    for (let i = 0; i < this.filled; i++) records.push(this.ring[(start + i) % this.size] as number);
    return Object.freeze({ by: "count" as const, size: this.size, records: Object.freeze(records) });
  }

  restore(snapshot: WindowSnapshot): void {
    requireObject("snapshot", snapshot);
    if (snapshot.by !== "count" || snapshot.size !== this.size) {
      throw new RangeError(`snapshot must be of a count window of size ${this.size}`);
    }
    const records: unknown = snapshot.records;
    if (!Array.isArray(records) || records.length > this.size) {
      throw new RangeError(`snapshot.records must be an array of at most ${this.size} categories`);
    }
    const checked: number[] = [];
    for (const category of records as unknown[]) {
      requireCategory(category, this.categories);
      checked.push(category);
    }
    this.reset();
    for (const category of checked) this.record(category);
  }
}

/**
 * The catalog's `Window` by time: the records of the last `size` ms, kept
 * as per-bucket counts (`buckets` buckets of `size / buckets` ms, the
 * resolution at which old records fall out). Time comes from the `now`
 * arguments or the clock; a record older than the window is ignored.
 *
 * ## Example
 * ```ts
 * const w = new TimeWindow({ size: 1_000, buckets: 10, clock });
 * w.record(1, 0);
 * w.count(1, 999);  // 1
 * w.count(1, 1000); // 0: its bucket [0, 100) left the window
 * ```
 * @see {@link CountWindow}, {@link FailureCounter}
 * @lego Window
 */
export class TimeWindow implements OutcomeWindow {
  readonly by = "time" as const;
  readonly size: number;
  readonly buckets: number;
  readonly categories: number;
  group: string | undefined;
  private readonly width: number;
  private readonly clock: Clock;
  /** counts[slot * categories + category] */
  private readonly counts: Float64Array;
  private readonly totals: Float64Array;
  private latest = -Infinity;

  constructor(options: TimeWindowOptions) {
    requireObject("options", options);
    this.size = requirePositive("size", options.size);
    this.buckets = optional("buckets", options.buckets, requirePositiveInteger) ?? 10;
    this.categories = categoriesOption(options.categories);
    this.group = optionalGroup(options.group);
    this.clock =
      optional("clock", options.clock, (name, value) => {
        if (!isClock(value)) throw new TypeError(`${name} must be a Clock (with now())`);
        return value;
      }) ?? systemClock;
    this.width = this.size / this.buckets;
    this.counts = new Float64Array(this.buckets * this.categories);
    this.totals = new Float64Array(this.categories);
  }

  /** Moves the window to bucket `index`, clearing the buckets that fell out. */
  private advance(index: number): void {
    const latest = this.latest;
    if (index <= latest) return;
    const { buckets, categories, counts, totals } = this;
    const from = index - latest > buckets ? index - buckets + 1 : latest + 1;
    for (let i = from; i <= index; i++) {
      const base = (((i % buckets) + buckets) % buckets) * categories;
      for (let c = 0; c < categories; c++) {
        totals[c] = (totals[c] as number) - (counts[base + c] as number);
        counts[base + c] = 0;
      }
    }
    this.latest = index;
  }

  record(category: number, now: number = this.clock.now()): void {
    requireCategory(category, this.categories);
    const index = Math.floor(now / this.width);
    if (index > this.latest) this.advance(index);
    else if (index <= this.latest - this.buckets) return;
    const at = (((index % this.buckets) + this.buckets) % this.buckets) * this.categories + category;
    this.counts[at] = (this.counts[at] as number) + 1;
    this.totals[category] = (this.totals[category] as number) + 1;
  }

  count(category: number, now: number = this.clock.now()): number {
    requireCategory(category, this.categories);
    this.advance(Math.floor(now / this.width));
    return this.totals[category] as number;
  }

  total(now: number = this.clock.now()): number {
    this.advance(Math.floor(now / this.width));
    let sum = 0;
    for (const n of this.totals) sum += n;
    return sum;
  }

  reset(): void {
    this.counts.fill(0);
    this.totals.fill(0);
    this.latest = -Infinity;
  }

  snapshot(now: number = this.clock.now()): WindowSnapshot {
    this.advance(Math.floor(now / this.width));
    const entries: { index: number; counts: readonly number[] }[] = [];
    if (this.latest !== -Infinity) {
      for (let index = this.latest - this.buckets + 1; index <= this.latest; index++) {
        const base = (((index % this.buckets) + this.buckets) % this.buckets) * this.categories;
        const counts = Array.from(this.counts.subarray(base, base + this.categories));
        if (counts.some((n) => n !== 0)) entries.push(Object.freeze({ index, counts: Object.freeze(counts) }));
      }
    }
    return Object.freeze({ by: "time" as const, size: this.size, buckets: this.buckets, entries: Object.freeze(entries) });
  }

  restore(snapshot: WindowSnapshot): void {
    requireObject("snapshot", snapshot);
    if (snapshot.by !== "time" || snapshot.size !== this.size || snapshot.buckets !== this.buckets) {
      throw new RangeError(`snapshot must be of a time window of size ${this.size} in ${this.buckets} buckets`);
    }
    const raw: unknown = snapshot.entries;
    if (!Array.isArray(raw)) throw new TypeError("snapshot.entries must be an array");
    const entries: { index: number; counts: number[] }[] = [];
    for (const item of raw as unknown[]) {
      const entry = requireObject("snapshot.entries[]", item);
      const index = entry.index;
      if (typeof index !== "number" || !Number.isInteger(index)) throw new RangeError("snapshot.entries[].index must be an integer");
      const counts: unknown = entry.counts;
      if (!Array.isArray(counts) || counts.length !== this.categories) {
        throw new RangeError(`snapshot.entries[].counts must hold ${this.categories} counts`);
      }
      entries.push({ index, counts: (counts as unknown[]).map((n) => requireNonNegativeInteger("snapshot.entries[].counts[]", n)) });
    }
    this.reset();
    let latest = -Infinity;
    for (const entry of entries) latest = Math.max(latest, entry.index);
    if (latest === -Infinity) return;
    this.latest = latest;
    for (const entry of entries) {
      if (entry.index <= latest - this.buckets) continue;
      const base = (((entry.index % this.buckets) + this.buckets) % this.buckets) * this.categories;
      for (let c = 0; c < this.categories; c++) {
        const n = entry.counts[c] ?? 0;
        this.counts[base + c] = (this.counts[base + c] as number) + n;
        this.totals[c] = (this.totals[c] as number) + n;
      }
    }
  }
}

const KINDS: readonly WindowKind[] = ["count", "time"];

/**
 * Builds a {@link CountWindow} or {@link TimeWindow} from a {@link WindowSpec}
 * (`{ by: "count", size: 20 }`, `{ by: "time", size: 10_000, buckets: 10 }`).
 * @lego Window
 */
export function slidingWindow(spec: WindowSpec, options: { categories?: number; clock?: Clock; group?: string } = {}): OutcomeWindow {
  requireObject("window", spec);
  const by = requireOneOf("window.by", spec.by, KINDS);
  const group = spec.group ?? options.group;
  const common: WindowCommonOptions = {};
  if (options.categories !== undefined) common.categories = options.categories;
  if (group !== undefined) common.group = group;
  if (by === "count") return new CountWindow({ ...common, size: spec.size });
  const time = spec as { by: "time" } & TimeWindowOptions;
  const timeOptions: TimeWindowOptions = { ...common, size: time.size };
  if (time.buckets !== undefined) timeOptions.buckets = time.buckets;
  const clock = time.clock ?? options.clock;
  if (clock !== undefined) timeOptions.clock = clock;
  return new TimeWindow(timeOptions);
}
