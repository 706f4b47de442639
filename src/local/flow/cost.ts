/**
 * The catalog's `Cost`: the weight of one item in a shared budget (tokens,
 * bytes, credits). A cost function gets the item and its index; it should
 * return a finite number >= 0. The flow legos treat anything else — and a
 * cost that can never fit the budget — as bad data: the item is dropped,
 * counted as `invalid` and reported through `onInvalid`; the stream goes on.
 */
export type Cost<T> = (value: T, index: number) => number;

/** Why a flow lego refused an item as bad data. */
export type InvalidCostReason = "bad-cost" | "over-budget" | "bad-key" | "bad-priority";

/** What `onInvalid` receives. */
export interface InvalidItem<T> {
  readonly reason: InvalidCostReason;
  readonly value: T;
  /** The cost or priority computed, or the error a callback threw. */
  readonly detail: unknown;
}

/** Ready-made cost functions. */
export const Cost = Object.freeze({
  /** Every item costs 1 (the default). */
  unit: (): number => 1,
  /** The item's `byteLength` (buffers, typed arrays) or `length` (strings, arrays); 1 for anything else. */
  bytes: (value: unknown): number => {
    if (typeof value === "string") return value.length;
    if (typeof value === "object" && value !== null) {
      const v = value as { byteLength?: unknown; length?: unknown };
      if (typeof v.byteLength === "number") return v.byteLength;
      if (typeof v.length === "number") return v.length;
    }
    return 1;
  },
  /** True when `cost` is a usable cost: a finite number >= 0. */
  isValid: (cost: unknown): cost is number => typeof cost === "number" && cost >= 0 && cost !== Infinity,
});
