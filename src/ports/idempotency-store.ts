/** The record an {@link IdempotencyStore} keeps per key. */
export type IdempotencyRecord<R> =
  | {
      readonly state: "in-progress";
      readonly fingerprint?: string;
      readonly startedAt: number;
      /** When a run left in progress (by a crash) stops blocking the key. */
      readonly expiresAt: number;
    }
  | {
      readonly state: "completed";
      readonly fingerprint?: string;
      readonly result: R;
      readonly completedAt: number;
      /** When the stored result is forgotten and the key may run again. */
      readonly expiresAt: number;
    };

/** Options of {@link IdempotencyStore.run}. */
export interface IdempotentRunOptions {
  /**
   * What the request carried (e.g. a hash of its payload). A repeat of the
   * key with another fingerprint rejects with `IDEMPOTENCY_MISMATCH`.
   */
  fingerprint?: string;
}

/**
 * The port of the catalog's `IdempotencyStore`: runs an operation once per
 * key and answers repeats with the stored result. Memory, LevelDB and NATS
 * KV backends pass `idempotencyStoreConformance` from `manyfold-rx/testing`.
 *
 * `run(key, fn)`:
 * - absent or expired key: marks it in progress (for the store's
 *   in-progress timeout), runs `fn`, stores the result as completed (for the
 *   store's TTL) and returns it; when `fn` throws, the mark is removed and
 *   the error rethrown, so the key can be tried again;
 * - completed key: returns the stored result without running `fn`
 *   (`IDEMPOTENCY_MISMATCH` when the fingerprint differs);
 * - in progress and not expired: rejects with `IDEMPOTENCY_IN_PROGRESS`.
 *
 * @lego IdempotencyStore
 */
export interface IdempotencyStore<R> {
  run(key: string, fn: () => R | Promise<R>, options?: IdempotentRunOptions): Promise<R>;
  get(key: string): Promise<IdempotencyRecord<R> | undefined>;
  close(): Promise<void>;
}
