import { Observable } from "rxjs";
import { LegoError } from "../atom/lego-error.js";
import { legoMeter, withLego, type MonoLegoOperator } from "../atom/lego-descriptor.js";
import {
  optional,
  optionalGroup,
  requireFunction,
  requireNonEmptyString,
  requireNumber,
  requireObject,
  requireOneOf,
} from "../atom/validate.js";
import { subscribeWithin } from "../local/subscribe-within.js";

/**
 * A fencing token: a positive integer that grows with every grant of a
 * lease (the register version that granted it). Of two tokens the smaller
 * one is **stale**: it belongs to an older grant, whose holder may still be
 * acting after it lost the lease.
 */
export type FencingToken = number;

/** What {@link fence} does with a value carrying a stale token. */
export type FenceMode = "drop" | "error";

const FENCE_MODES: readonly FenceMode[] = ["drop", "error"];

/** Options of {@link fence}. */
export interface FenceOptions<T> {
  /** Reads the token a value carries. A value whose token is not a positive integer is dropped and counted as `invalid`. */
  tokenOf: (value: T) => FencingToken;
  /** `drop` skips a stale value (counted, reported through `onFenced`); `error` ends the stream with `LegoError` `FENCED`. @default "drop" */
  mode?: FenceMode;
  /** Called with each stale value and the newest token seen when it arrived. @default undefined */
  onFenced?: (value: T, newest: FencingToken) => void;
  /** Label shown in the pipeline view. @default undefined */
  name?: string;
  /** Group label. @default undefined */
  group?: string;
}

/** Options of the pure {@link FencingGuard}. */
export interface FencingGuardOptions {
  /** The highest token already accepted (e.g. read back from the resource). @default 0 (nothing accepted) */
  highest?: number;
  /** Label linking the guard to the component that owns it. */
  group?: string;
}

/**
 * Checks and returns a {@link FencingToken}: a `TypeError` for a non-number,
 * a `RangeError` unless it is a positive integer (register versions start at 1).
 *
 * @lego FencingToken
 */
export function fencingToken(value: unknown, name = "token"): FencingToken {
  const n = requireNumber(name, value);
  if (!Number.isSafeInteger(n) || n <= 0) throw new RangeError(`${name} must be a positive integer, got ${String(n)}`);
  return n;
}

/** True when `value` could be a {@link FencingToken} (a positive safe integer). */
export function isFencingToken(value: unknown): value is FencingToken {
  return typeof value === "number" && Number.isSafeInteger(value) && value > 0;
}

/** Orders tokens: negative when `a` is older than `b`, 0 when equal, positive when newer. */
export function compareTokens(a: FencingToken, b: FencingToken): number {
  return a - b;
}

/** True when `token` is older (smaller) than `newest`: a write carrying it must be refused. */
export function isStale(token: FencingToken, newest: FencingToken): boolean {
  return token < newest;
}

/**
 * The resource side of a `FencingToken` as a pure machine: it remembers the
 * highest token it has accepted and refuses any lower one. Equal tokens pass
 * (one holder writes many times under one grant).
 *
 * ## Example
 * ```ts
 * const guard = new FencingGuard();
 * guard.admit(7);  // true  (highest 7)
 * guard.admit(7);  // true
 * guard.admit(5);  // false (stale: 5 < 7)
 * guard.admit(9);  // true  (highest 9)
 * ```
 * @lego FencingToken
 */
export class FencingGuard {
  group: string | undefined;
  #highest: number;
  #fenced = 0;

  constructor(options: FencingGuardOptions = {}) {
    requireObject("options", options);
    this.#highest = optional("highest", options.highest, (n, v) => (v === 0 ? 0 : fencingToken(v, n))) ?? 0;
    this.group = optionalGroup(options.group);
  }

  /** The highest token accepted so far (0 before any). */
  get highest(): number {
    return this.#highest;
  }

  /** How many tokens were refused. */
  get fenced(): number {
    return this.#fenced;
  }

  /** Whether a write with `token` would pass now, without recording it. */
  check(token: FencingToken): boolean {
    return token >= this.#highest;
  }

  /** Accepts `token` (raising the highest seen) or refuses it when stale; returns whether it passed. */
  admit(token: FencingToken): boolean {
    if (token < this.#highest) {
      this.#fenced++;
      return false;
    }
    this.#highest = token;
    return true;
  }

  /** Like {@link admit}, but throws `LegoError` `FENCED` for a stale token. */
  assert(token: FencingToken): void {
    if (!this.admit(token)) {
      throw new LegoError("FENCED", `token ${token} is stale: a write with token ${this.#highest} was already accepted`, {
        group: this.group,
      });
    }
  }
}

/**
 * Passes values whose fencing token is not older than the newest token seen
 * so far, and drops (or, with `mode: "error"`, fails on) values from a stale
 * holder. Each subscription has its own {@link FencingGuard}.
 *
 * ```text
 * source:  -a5-b7-c5-d7-e9-|      (letter + its token)
 *          fence({ tokenOf })
 * result:  -a5-b7----d7-e9-|      c5 is stale once 7 was seen
 * ```
 *
 * ## Example
 * ```ts
 * commands$.pipe(fence({ tokenOf: (c) => c.token, onFenced: (c) => log(c) }))
 *   .subscribe(apply);
 * ```
 * Counters on `lego`: `passed`, `fenced`, `invalid`.
 * @see {@link fencedRegister} the same check at a store.
 * @lego FencingToken
 */
export function fence<T>(options: FenceOptions<T>): MonoLegoOperator<T> {
  requireObject("options", options);
  const tokenOf = requireFunction("tokenOf", options.tokenOf);
  const mode = optional("mode", options.mode, (n, v) => requireOneOf(n, v, FENCE_MODES)) ?? "drop";
  const onFenced = options.onFenced === undefined ? undefined : requireFunction("onFenced", options.onFenced);
  const name = optional("name", options.name, requireNonEmptyString);
  const group = optionalGroup(options.group);
  const meter = legoMeter("FencingToken", { name, group }, ["passed", "fenced", "invalid"]);

  const operator = (source: Observable<T>): Observable<T> =>
    new Observable<T>((subscriber) => {
      const guard = new FencingGuard(group === undefined ? {} : { group });
      subscribeWithin(subscriber, source, {
        next: (value) => {
          let token: unknown;
          try {
            token = tokenOf(value);
          } catch {
            token = undefined;
          }
          if (!isFencingToken(token)) {
            meter.count("invalid");
            return;
          }
          if (guard.admit(token)) {
            meter.count("passed");
            subscriber.next(value);
            return;
          }
          meter.count("fenced");
          onFenced?.(value, guard.highest);
          if (mode === "error") {
            subscriber.error(
              new LegoError("FENCED", `token ${token} is stale: token ${guard.highest} was already seen`, { group }),
            );
          }
        },
        error: (error: unknown) => {
          subscriber.error(error);
        },
        complete: () => {
          subscriber.complete();
        },
      });
    });
  return withLego(operator, meter.descriptor);
}
