/**
 * The catalog's `OverflowPolicy`: what a full bounded buffer does with one
 * more item.
 * - `drop_oldest`: evict the oldest item, keep the new one (counts `dropped`).
 * - `drop_newest`: keep what is stored, drop the new one (counts `dropped`).
 * - `reject`: refuse the new one; the caller learns it (counts `rejected`).
 * - `latest`: keep only the newest item; every replaced item counts `dropped`.
 */
export type OverflowPolicy = "drop_oldest" | "drop_newest" | "reject" | "latest";

export const OVERFLOW_POLICIES: readonly OverflowPolicy[] = Object.freeze([
  "drop_oldest",
  "drop_newest",
  "reject",
  "latest",
]);
