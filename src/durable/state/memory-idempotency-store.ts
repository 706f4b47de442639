import { legoMeter, type LegoDescriptor, type LegoMeter } from "../../atom/lego-descriptor.js";
import { LegoError } from "../../atom/lego-error.js";
import {
  optional,
  optionalGroup,
  requireFunction,
  requireNonEmptyString,
  requireObject,
  requirePositive,
  requirePositiveInteger,
  requireString,
} from "../../atom/validate.js";
import type { IdempotencyRecord, IdempotencyStore, IdempotentRunOptions } from "../../ports/idempotency-store.js";
import { systemClock, type Clock } from "../../time/clock.js";
import { requireClock } from "../durable-validate.js";

/** The options every {@link IdempotencyStore} backend of this package takes. */
export interface IdempotencyStoreOptions {
  /** How long (ms) a completed result is kept and returned to repeats. @default 86400000 (24 h) */
  ttl?: number;
  /** How long (ms) a run left in progress (e.g. by a crash) blocks its key. @default 60000 */
  inProgressTimeout?: number;
  /** Keep at most this many keys; one more forgets the oldest. @default 100000 */
  maxEntries?: number;
  /** Where "now" comes from (any RxJS scheduler is a Clock). @default systemClock */
  clock?: Clock;
  /** Label linking the store to the component that owns it. @default undefined */
  group?: string;
}

/** Options of {@link MemoryIdempotencyStore}. */
export type MemoryIdempotencyStoreOptions = IdempotencyStoreOptions;

/** Validated {@link IdempotencyStoreOptions}, shared with the LevelDB backend. */
export interface ValidatedIdempotency {
  readonly ttl: number;
  readonly inProgressTimeout: number;
  readonly maxEntries: number;
  readonly clock: Clock;
  readonly group: string | undefined;
}

export function validateIdempotencyOptions(options: IdempotencyStoreOptions): ValidatedIdempotency {
  requireObject("options", options);
  return {
    ttl: requirePositive("ttl", options.ttl ?? 86_400_000),
    inProgressTimeout: requirePositive("inProgressTimeout", options.inProgressTimeout ?? 60_000),
    maxEntries: requirePositiveInteger("maxEntries", options.maxEntries ?? 100_000),
    clock: options.clock === undefined ? systemClock : requireClock("clock", options.clock),
    group: optionalGroup(options.group),
  };
}

/** Checks the arguments of `run`. */
export function validateRun(key: unknown, fn: unknown, options: IdempotentRunOptions): string | undefined {
  requireNonEmptyString("key", key);
  requireFunction("fn", fn as () => unknown);
  requireObject("options", options);
  return optional("fingerprint", options.fingerprint, requireString);
}

/**
 * What `run` does with the record it finds: the pure decision shared by the
 * backends. `undefined` means "run `fn`" (absent or expired key).
 */
export function decideRun<R>(
  key: string,
  record: IdempotencyRecord<R> | undefined,
  fingerprint: string | undefined,
  now: number,
  group: string | undefined,
): { readonly result: R } | LegoError | undefined {
  if (record === undefined || record.expiresAt <= now) return undefined;
  if (record.fingerprint !== fingerprint) {
    return new LegoError(
      "IDEMPOTENCY_MISMATCH",
      `key ${key} was first used with fingerprint ${String(record.fingerprint)}, now ${String(fingerprint)}`,
      { group },
    );
  }
  if (record.state === "in-progress") {
    return new LegoError("IDEMPOTENCY_IN_PROGRESS", `key ${key} is being processed (since ${record.startedAt})`, { group });
  }
  return { result: record.result };
}

/** The records of a run: in progress, then completed. */
export function inProgressRecord(fingerprint: string | undefined, now: number, timeout: number): IdempotencyRecord<never> {
  return fingerprint === undefined
    ? { state: "in-progress", startedAt: now, expiresAt: now + timeout }
    : { state: "in-progress", fingerprint, startedAt: now, expiresAt: now + timeout };
}

export function completedRecord<R>(result: R, fingerprint: string | undefined, now: number, ttl: number): IdempotencyRecord<R> {
  return fingerprint === undefined
    ? { state: "completed", result, completedAt: now, expiresAt: now + ttl }
    : { state: "completed", fingerprint, result, completedAt: now, expiresAt: now + ttl };
}

/**
 * The in-memory backend of the {@link IdempotencyStore} port: runs an
 * operation once per key and answers repeats with the stored result, in one
 * process (nothing kept across a restart; results kept as they are, not
 * copied). See the port for the rules (`IDEMPOTENCY_IN_PROGRESS`,
 * `IDEMPOTENCY_MISMATCH`, a failed run frees its key). A repeat's
 * fingerprint must equal the first one's (two absent fingerprints are
 * equal). Counters: `runs`, `hits`, `failures`, `conflicts`.
 *
 * ## Example
 * ```ts
 * const store = new MemoryIdempotencyStore<Receipt>({ ttl: 3_600_000 });
 * const receipt = await store.run(request.id, () => charge(request), { fingerprint: hash(request) });
 * ```
 * @see {@link LevelIdempotencyStore} (persistent)
 * @lego IdempotencyStore
 */
export class MemoryIdempotencyStore<R> implements IdempotencyStore<R> {
  readonly lego: LegoDescriptor;
  readonly group: string | undefined;
  readonly #settings: ValidatedIdempotency;
  readonly #records = new Map<string, IdempotencyRecord<R>>();
  readonly #meter: LegoMeter;
  #closed = false;

  constructor(options: MemoryIdempotencyStoreOptions = {}) {
    this.#settings = validateIdempotencyOptions(options);
    this.group = this.#settings.group;
    this.#meter = legoMeter("IdempotencyStore", { group: this.group }, ["runs", "hits", "failures", "conflicts"]);
    this.lego = this.#meter.descriptor;
  }

  async run(key: string, fn: () => R | Promise<R>, options: IdempotentRunOptions = {}): Promise<R> {
    this.#assertOpen();
    const fingerprint = validateRun(key, fn, options);
    const { clock, ttl, inProgressTimeout, group } = this.#settings;
    const decision = decideRun(key, this.#records.get(key), fingerprint, clock.now(), group);
    if (decision instanceof LegoError) {
      this.#meter.count("conflicts");
      throw decision;
    }
    if (decision !== undefined) {
      this.#meter.count("hits");
      return decision.result;
    }
    const mark = inProgressRecord(fingerprint, clock.now(), inProgressTimeout);
    this.#set(key, mark);
    this.#meter.count("runs");
    let result: R;
    try {
      result = await fn();
    } catch (error) {
      if (this.#records.get(key) === mark) this.#records.delete(key);
      this.#meter.count("failures");
      throw error;
    }
    if (!this.#closed) this.#set(key, completedRecord(result, fingerprint, clock.now(), ttl));
    return result;
  }

  get(key: string): Promise<IdempotencyRecord<R> | undefined> {
    try {
      this.#assertOpen();
      requireNonEmptyString("key", key);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    const record = this.#records.get(key);
    return Promise.resolve(record === undefined || record.expiresAt <= this.#settings.clock.now() ? undefined : record);
  }

  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  #set(key: string, record: IdempotencyRecord<R>): void {
    this.#records.delete(key);
    this.#records.set(key, Object.freeze(record));
    while (this.#records.size > this.#settings.maxEntries) {
      const oldest = this.#records.keys().next().value;
      if (oldest === undefined) break;
      this.#records.delete(oldest);
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new LegoError("STORE_CLOSED", "the idempotency store is closed", { group: this.group });
  }
}
