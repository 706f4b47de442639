import { optional, optionalGroup, requireFinite, requireFunction, requireObject, requireString } from "../../atom/validate.js";
import { isClock, systemClock, type Clock } from "../../time/clock.js";

/** One transition: from which state to which, and when. */
export interface Transition<S extends string> {
  readonly from: S;
  readonly to: S;
  readonly at: number;
}

/** Options of {@link StateTransition}. */
export interface StateTransitionOptions<S extends string> {
  /** The allowed transitions: for each state, the states it may move to. Every target must be a state (a key). */
  transitions: Readonly<Record<S, readonly S[]>>;
  /** The state it starts in. */
  initial: S;
  /** When the initial state began. @default clock.now() */
  since?: number;
  /** Where transitions read time when not given `now`. @default systemClock */
  clock?: Clock;
  /** Group label. @default undefined */
  group?: string;
}

/** A transition listener; listeners run in the order they were added. */
export type TransitionListener<S extends string> = (transition: Transition<S>) => void;

/**
 * The catalog's `StateTransition`: a small explicit state machine. Only the
 * listed transitions are allowed — asking for another throws a `RangeError`
 * (a bug to reject loudly) — and each one is reported to the listeners with
 * when it happened. `tryTo` is the form for timers: a late timer asks and
 * is refused instead of moving a machine that has meanwhile moved on.
 *
 * Pure (no RxJS); a component that owns one exposes it as a stream (the
 * circuit breaker's `state$`).
 *
 * ## Example
 * ```ts
 * const m = new StateTransition({
 *   initial: "closed",
 *   transitions: { closed: ["open"], open: ["half-open"], "half-open": ["closed", "open"] },
 * });
 * const stop = m.listen(({ from, to, at }) => log(from, to, at));
 * m.to("open");            // { from: "closed", to: "open", at }
 * m.tryTo("closed");       // undefined: open → closed is not listed
 * stop();
 * ```
 * @see {@link CircuitBreaker}
 * @lego StateTransition
 */
export class StateTransition<S extends string> {
  group: string | undefined;
  private readonly allowed: ReadonlyMap<S, ReadonlySet<S>>;
  private readonly clock: Clock;
  private current: S;
  private began: number;
  private listeners: readonly TransitionListener<S>[] = [];

  constructor(options: StateTransitionOptions<S>) {
    requireObject("options", options);
    const table = requireObject("transitions", options.transitions);
    const allowed = new Map<S, ReadonlySet<S>>();
    for (const [from, targets] of Object.entries(table)) {
      if (!Array.isArray(targets)) throw new TypeError(`transitions.${from} must be an array of states`);
      allowed.set(from as S, new Set(targets as S[]));
    }
    for (const [from, targets] of allowed) {
      for (const to of targets) {
        requireString(`transitions.${from}[]`, to);
        if (!allowed.has(to)) throw new RangeError(`transitions.${from} lists ${JSON.stringify(to)}, which is not a state`);
      }
    }
    const initial = requireString("initial", options.initial) as S;
    if (!allowed.has(initial)) throw new RangeError(`initial must be one of the states, got ${JSON.stringify(initial)}`);
    this.allowed = allowed;
    this.clock =
      optional("clock", options.clock, (name, value) => {
        if (!isClock(value)) throw new TypeError(`${name} must be a Clock (with now())`);
        return value;
      }) ?? systemClock;
    this.group = optionalGroup(options.group);
    this.current = initial;
    this.began = optional("since", options.since, requireFinite) ?? this.clock.now();
  }

  /** The current state. */
  get state(): S {
    return this.current;
  }

  /** When the current state began. */
  get since(): number {
    return this.began;
  }

  /** The states, in the order the table lists them. */
  get states(): readonly S[] {
    return [...this.allowed.keys()];
  }

  /** True when the current state may move to `to`. */
  can(to: S): boolean {
    return this.allowed.get(this.current)?.has(to) === true;
  }

  /** Moves to `to` (at `now`) and tells the listeners; a `RangeError` when the move is not listed. */
  to(to: S, now?: number): Transition<S> {
    const transition = this.tryTo(to, now);
    if (transition === undefined) {
      throw new RangeError(`transition ${JSON.stringify(this.current)} -> ${JSON.stringify(to)} is not allowed`);
    }
    return transition;
  }

  /** Moves to `to` when allowed and returns the transition; else `undefined`, nothing changes. */
  tryTo(to: S, now: number = this.clock.now()): Transition<S> | undefined {
    if (!this.can(to)) return undefined;
    const transition: Transition<S> = Object.freeze({ from: this.current, to, at: now });
    this.current = to;
    this.began = now;
    for (const listener of this.listeners) listener(transition);
    return transition;
  }

  /**
   * Calls `listener` after every transition (listeners added during a
   * notification hear from the next one on). Returns the function that
   * removes it.
   */
  listen(listener: TransitionListener<S>): () => void {
    requireFunction("listener", listener);
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }
}
