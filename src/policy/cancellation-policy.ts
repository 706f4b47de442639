import { optional, requireNonNegative, requireObject, requireOneOf } from "../atom/validate.js";

/** How a cancellation reaches the work a subscription started. */
export type CancellationPropagation = "cascade" | "detach";

/**
 * The catalog's `CancellationPolicy` (pure, frozen data): what happens to
 * started work when its consumer leaves.
 *
 * - `propagation: "cascade"` aborts the work's `AbortSignal`; `"detach"` lets
 *   it run to its end and ignores its result.
 * - `gracePeriod` (ms, ≥ 0): with `cascade`, how long the work may still
 *   finish by itself before the abort is forced (0 = at once).
 *
 * Cancellation is cooperative: work that ignores its signal keeps running.
 */
export interface CancellationPolicy {
  readonly propagation: CancellationPropagation;
  readonly gracePeriod: number;
}

/** The fields {@link CancellationPolicy.of} takes. */
export interface CancellationPolicyOptions {
  /** `cascade` aborts the work, `detach` lets it finish unobserved. @default "cascade" */
  propagation?: CancellationPropagation;
  /** Ms the work may still finish before a cascading abort. @default 0 */
  gracePeriod?: number;
}

function make(options: CancellationPolicyOptions, name: string): CancellationPolicy {
  requireObject(name, options);
  const propagation =
    optional(`${name}.propagation`, options.propagation, (n, v) => requireOneOf(n, v, ["cascade", "detach"] as const)) ?? "cascade";
  const gracePeriod = optional(`${name}.gracePeriod`, options.gracePeriod, requireNonNegative) ?? 0;
  return Object.freeze({ propagation, gracePeriod });
}

export const CancellationPolicy = Object.freeze({
  /** A policy from its fields (defaults: cascade, no grace period). */
  of(options: CancellationPolicyOptions = {}): CancellationPolicy {
    return make(options, "cancellation");
  },
  /** Abort at once (the default). */
  cascade(gracePeriod = 0): CancellationPolicy {
    return make({ propagation: "cascade", gracePeriod }, "cancellation");
  },
  /** Never abort: the work finishes, its result is dropped. */
  detach(): CancellationPolicy {
    return make({ propagation: "detach" }, "cancellation");
  },
  /** Validates a structural policy and returns a frozen copy. */
  from(policy: CancellationPolicy, name = "cancellation"): CancellationPolicy {
    return make(policy, name);
  },
});
