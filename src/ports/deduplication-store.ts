/**
 * The port of the catalog's `DeduplicationStore`: remembers ids within a
 * window (a count, a time, or both, set when a backend is opened) so that a
 * repeat can be recognised. Memory, LevelDB and NATS KV backends pass
 * `deduplicationStoreConformance` from `manyfold-rx/testing`.
 *
 * @lego DeduplicationStore
 */
export interface DeduplicationStore {
  /**
   * Records `id` and answers whether it had been recorded already within the
   * window. Atomic: of two concurrent `seen(id)` calls exactly one answers
   * `false`.
   */
  seen(id: string): Promise<boolean>;
  /** Whether `id` is recorded within the window, without recording it. */
  has(id: string): Promise<boolean>;
  /** Forgets `id` (so a failed handler can be retried). */
  forget(id: string): Promise<void>;
  close(): Promise<void>;
}
