import { optional, requireNonNegativeInteger, requireObject, requireOneOf, requirePositiveInteger } from "../atom/validate.js";

/**
 * What a full waiting line does with one more piece of work:
 * `drop_newest` refuses the newcomer (counted `rejected`), `drop_oldest`
 * evicts the longest-waiting one (counted `dropped`), `error` fails the
 * stream with `LegoError` `QUEUE_FULL`.
 */
export type QueueOverflow = "drop_newest" | "drop_oldest" | "error";

export const QUEUE_OVERFLOWS: readonly QueueOverflow[] = Object.freeze(["drop_newest", "drop_oldest", "error"]);

/**
 * The catalog's `ConcurrencyPolicy`: at most `limit` operations run at once,
 * up to `queue` more wait in line, and `overflow` says what happens beyond
 * that. Pure, frozen data; enforced by {@link Semaphore} and `bulkhead`.
 */
export interface ConcurrencyPolicy {
  /** Most operations running at once, a positive integer. */
  readonly limit: number;
  /** Most operations waiting for a permit, an integer >= 0. */
  readonly queue: number;
  /** What a full waiting line does with one more. */
  readonly overflow: QueueOverflow;
}

/** Options of {@link ConcurrencyPolicy.of}. */
export interface ConcurrencyPolicyOptions {
  /** Most operations running at once, a positive integer. */
  limit: number;
  /** Most operations waiting, an integer >= 0. @default 0 */
  queue?: number;
  /** @default "drop_newest" */
  overflow?: QueueOverflow;
}

function make(options: ConcurrencyPolicyOptions, name: string): ConcurrencyPolicy {
  requireObject(name, options);
  const limit = requirePositiveInteger(`${name}.limit`, options.limit);
  const queue = optional(`${name}.queue`, options.queue, requireNonNegativeInteger) ?? 0;
  const overflow = optional(`${name}.overflow`, options.overflow, (n, v) => requireOneOf(n, v, QUEUE_OVERFLOWS)) ?? "drop_newest";
  return Object.freeze({ limit, queue, overflow });
}

export const ConcurrencyPolicy = Object.freeze({
  /** `limit` at once, `queue` waiting (default 0), `overflow` beyond (default `drop_newest`). */
  of(options: ConcurrencyPolicyOptions): ConcurrencyPolicy {
    return make(options, "concurrency");
  },
  /** Validates a structural policy and returns a frozen copy. */
  from(policy: ConcurrencyPolicy | ConcurrencyPolicyOptions, name = "concurrency"): ConcurrencyPolicy {
    return make(policy, name);
  },
});
