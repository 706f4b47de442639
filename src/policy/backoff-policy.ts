import { optional, requireFinite, requireFunction, requireNonNegative, requireOneOf } from "../atom/validate.js";

export type Jitter = "none" | "full";

/**
 * The catalog's `BackoffPolicy`: the wait before each retry. Attempt 1 waits
 * 0; attempt n ≥ 2 waits `initialDelay × multiplier^(n−2)`, capped at
 * `maxDelay`, then jittered.
 */
export interface BackoffPolicy {
  readonly initialDelay: number;
  readonly multiplier: number;
  readonly maxDelay?: number;
  readonly jitter?: Jitter;
  readonly random?: () => number;
}

export interface JitterOptions {
  /** `"full"` draws uniformly in `[0, delay]`. @default "none" */
  jitter?: Jitter;
  /** Source of randomness for jitter, in `[0, 1)`. @default Math.random */
  random?: () => number;
}

export interface ExponentialBackoffOptions extends JitterOptions {
  /** Wait before the second attempt, in ms. */
  initialDelay: number;
  /** Growth per attempt, ≥ 1. @default 2 */
  multiplier?: number;
  /** Cap on any single wait, in ms. */
  maxDelay?: number;
}

function make(options: ExponentialBackoffOptions, name = "backoff"): BackoffPolicy {
  const policy: { -readonly [K in keyof BackoffPolicy]: BackoffPolicy[K] } = {
    initialDelay: requireNonNegative(`${name}.initialDelay`, options.initialDelay),
    multiplier: optional(`${name}.multiplier`, options.multiplier, requireFinite) ?? 2,
  };
  if (policy.multiplier < 1) throw new RangeError(`${name}.multiplier must be >= 1, got ${policy.multiplier}`);
  const maxDelay = optional(`${name}.maxDelay`, options.maxDelay, requireNonNegative);
  if (maxDelay !== undefined) policy.maxDelay = maxDelay;
  const jitter = optional(`${name}.jitter`, options.jitter, (n, v) => requireOneOf(n, v, ["none", "full"] as const));
  if (jitter !== undefined) policy.jitter = jitter;
  const random = optional(`${name}.random`, options.random, (n, v) => requireFunction(n, v as () => number));
  if (random !== undefined) policy.random = random;
  return Object.freeze(policy);
}

export const BackoffPolicy = Object.freeze({
  /** No wait between attempts. */
  none(): BackoffPolicy {
    return make({ initialDelay: 0, multiplier: 1 });
  },
  /** The same wait, `ms`, before every retry. */
  fixed(ms: number, options: JitterOptions = {}): BackoffPolicy {
    return make({ ...options, initialDelay: requireNonNegative("ms", ms), multiplier: 1 });
  },
  /** `initialDelay`, then × `multiplier` per attempt, capped at `maxDelay`. */
  exponential(options: ExponentialBackoffOptions): BackoffPolicy {
    return make(options);
  },
  /** Validates a structural policy and returns a frozen copy. */
  from(policy: BackoffPolicy, name = "backoff"): BackoffPolicy {
    if (typeof policy !== "object" || (policy as unknown) === null) throw new TypeError(`${name} must be a BackoffPolicy object`);
    return make(policy, name);
  },
});

/**
 * The wait in ms before attempt `attempt` (1-based): 0 for the first,
 * `initialDelay × multiplier^(attempt−2)` capped at `maxDelay` after, then
 * jitter (after the cap). An overflow yields `maxDelay`, or a `RangeError`
 * when there is no cap.
 */
export function delayForAttempt(
  backoff: BackoffPolicy,
  attempt: number,
  random: () => number = backoff.random ?? Math.random,
): number {
  if (typeof attempt !== "number") throw new TypeError(`attempt must be a number, got ${typeof attempt}`);
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`attempt must be a positive integer, got ${attempt}`);
  // 0 × Infinity would be NaN; a zero initial delay stays zero forever.
  if (attempt === 1 || backoff.initialDelay === 0) return 0;
  let delay = backoff.initialDelay * backoff.multiplier ** (attempt - 2);
  if (!Number.isFinite(delay)) {
    if (backoff.maxDelay === undefined) {
      throw new RangeError(`backoff delay for attempt ${attempt} overflows; set maxDelay`);
    }
    delay = backoff.maxDelay;
  }
  if (backoff.maxDelay !== undefined) delay = Math.min(delay, backoff.maxDelay);
  return backoff.jitter === "full" ? random() * delay : delay;
}
