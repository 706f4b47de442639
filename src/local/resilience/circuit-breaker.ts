import { isObservable, Observable, type SchedulerLike } from "rxjs";
import { legoMeter, withLego, derivedName, type HasLego, type LegoDescriptor, type MonoLegoOperator } from "../../atom/lego-descriptor.js";
import { LegoError } from "../../atom/lego-error.js";
import {
  optional,
  optionalGroup,
  requireFinite,
  requireFunction,
  requireNonEmptyString,
  requireNonNegativeInteger,
  requireObject,
  requireOneOf,
  requirePositiveInteger,
} from "../../atom/validate.js";
import { BackoffPolicy, delayForAttempt } from "../../policy/backoff-policy.js";
import { ThresholdPolicy, thresholdTripped } from "../../policy/threshold-policy.js";
import { requireNonNegative } from "../../atom/validate.js";
import { schedulerOption } from "../../time/scheduler.js";
import { hotCounters } from "../hot-counters.js";
import { subscribeWithin } from "../subscribe-within.js";
import { DEFAULT_WINDOW, FailureCounter } from "./failure-counter.js";
import { StateTransition, type Transition } from "./state-transition.js";
import { Timer } from "./timer.js";
import type { WindowSnapshot, WindowSpec } from "./window.js";

/** The three states of a breaker. */
export type CircuitState = "closed" | "open" | "half-open";

const STATES: readonly CircuitState[] = ["closed", "open", "half-open"];

/** The breaker's allowed transitions (its {@link StateTransition} table). */
export const CIRCUIT_TRANSITIONS: Readonly<Record<CircuitState, readonly CircuitState[]>> = Object.freeze({
  closed: Object.freeze(["open"] as CircuitState[]),
  open: Object.freeze(["half-open"] as CircuitState[]),
  "half-open": Object.freeze(["closed", "open"] as CircuitState[]),
});

/** A breaker's state as plain JSON-safe data: what {@link CircuitBreaker.snapshot} exports and `restore` takes. */
export interface CircuitBreakerSnapshot {
  readonly version: 1;
  readonly state: CircuitState;
  /** When the state began (scheduler time). */
  readonly since: number;
  /** When an open breaker half-opens (scheduler time); only when `state` is `open`. */
  readonly openUntil?: number;
  /** Consecutive openings since the breaker last closed (drives a backoff `halfOpenAfter`). */
  readonly openings: number;
  /** The failure counter's window. */
  readonly window: WindowSnapshot;
}

/** Options of {@link CircuitBreaker} and {@link circuitBreaker}. */
export interface CircuitBreakerOptions {
  /** When the failures in the window open the breaker. @default ThresholdPolicy.ratio(0.5, { minimumCalls: 10 }) */
  threshold?: ThresholdPolicy;
  /**
   * The window failures are counted over: the last N calls, or the calls of
   * the last T ms. A count window keeps the success path free of clock
   * reads; a time window reads the scheduler's clock once per call (cheap
   * on most machines, ~0.4 µs on some VMs). @default { by: "count", size: 100 }
   */
  window?: WindowSpec;
  /**
   * How long an opening lasts before the breaker half-opens: ms (finite, ≥ 0),
   * or a `BackoffPolicy` — the k-th consecutive opening (without a close in
   * between) lasts `delayForAttempt(backoff, k + 1)`: `initialDelay`, then
   * × `multiplier`, capped at `maxDelay`. @default 10_000
   */
  halfOpenAfter?: number | BackoffPolicy;
  /**
   * Trial calls let through when half-open (a positive integer): all must
   * succeed to close; the first failure reopens. Calls beyond them are
   * rejected like when open. @default 1
   */
  probes?: number;
  /** Which errors count as failures; any other error counts as a success (the dependency answered). @default every error */
  isFailure?: (error: unknown) => boolean;
  /** State to start from (hydration), as exported by `snapshot()`. @default closed, empty window */
  initialState?: CircuitBreakerSnapshot;
  /** Where time, the window's clock and the half-open timer come from. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /** Label shown in the pipeline view. @default `<group>.circuit_breaker` when a group is given */
  name?: string;
  /** Group label, also carried by `CIRCUIT_OPEN` errors. @default undefined */
  group?: string;
}

/** A call the breaker guards: a value, a Promise of one, or an Observable (success = completion). */
export type BreakerCall<T> = (signal: AbortSignal) => T | PromiseLike<T> | Observable<T>;

const COUNTERS = ["calls", "successes", "failures", "rejected", "opened", "halfOpened", "closed"] as const;
type CounterName = (typeof COUNTERS)[number];

const REJECTED = -1;

/** The `then` handlers `run` settles permits of one epoch with. */
interface Settlers {
  readonly epoch: number;
  readonly ok: () => void;
  readonly fail: (error: unknown) => void;
}
const everyError = (): boolean => true;

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === "object" || typeof value === "function") &&
    value !== null &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

function halfOpenAfterOption(value: unknown): number | BackoffPolicy {
  if (value === undefined) return 10_000;
  if (typeof value === "number") return requireNonNegative("halfOpenAfter", value);
  if (typeof value === "object" && value !== null) return BackoffPolicy.from(value as BackoffPolicy, "halfOpenAfter");
  throw new TypeError("halfOpenAfter must be a number of ms or a BackoffPolicy");
}

function snapshotOption(value: unknown): CircuitBreakerSnapshot | undefined {
  return optional("initialState", value, (name, v) => {
    const s = requireObject(name, v);
    if (s.version !== 1) throw new RangeError(`${name}.version must be 1`);
    const state = requireOneOf(`${name}.state`, s.state, STATES);
    requireFinite(`${name}.since`, s.since);
    requireNonNegativeInteger(`${name}.openings`, s.openings);
    if (state === "open") requireFinite(`${name}.openUntil`, s.openUntil);
    requireObject(`${name}.window`, s.window);
    return v as CircuitBreakerSnapshot;
  });
}

/**
 * The catalog's `CircuitBreaker = FailureCounter + Window + ThresholdPolicy +
 * Timer + StateTransition`: stops calling a failing dependency.
 *
 * - **closed**: calls go through; their outcomes are counted over the
 *   window; when a failure makes the counts trip the `threshold` (with its
 *   minimum number of calls) the breaker opens.
 * - **open**: calls are rejected at once with a `CIRCUIT_OPEN` `LegoError`,
 *   without being called. After `halfOpenAfter` (a duration, or a backoff
 *   over consecutive openings) a timer on the scheduler half-opens it (a
 *   call arriving after that time half-opens it too, should the timer be late).
 * - **half-open**: up to `probes` trial calls go through, the rest are
 *   rejected; when all succeed it closes (the window starts empty), the
 *   first failure reopens it.
 *
 * Outcomes of calls that began in an earlier state are ignored (a slow call
 * from before an opening cannot reopen a breaker that has closed since); a
 * call whose subscriber leaves before it settles counts as nothing and frees
 * its probe slot. `isFailure` picks which errors count; others count as
 * successes.
 *
 * The class is the machine: `tryAcquire()` then `recordSuccess(permit)` /
 * `recordFailure(permit, error)` / `release(permit)`; `run(fn)` is the
 * Promise form and `execute(call)` / `guard(project)` /
 * {@link circuitBreaker} the RxJS forms. The success path allocates nothing
 * beyond the call itself. State is `state`, `state$` and `transitions$`;
 * `snapshot()` exports it and `CircuitBreaker.restore(snapshot, options)`
 * (or `options.initialState`) hydrates a new breaker. While open, one timer
 * is pending on the scheduler; `dispose()` cancels it.
 *
 * ```text
 * call outcomes:  x-x-x-x-x.....(p)......(p)
 *                 threshold 5 failures, halfOpenAfter 5
 * state$:         c--------o----h--o----h--c
 *   x failure, p probe (fails, then succeeds); c closed, o open, h half-open
 * ```
 *
 * ## Example
 * ```ts
 * const breaker = new CircuitBreaker({
 *   threshold: ThresholdPolicy.ratio(0.5, { minimumCalls: 20 }),
 *   window: { by: "time", size: 30_000 },
 *   halfOpenAfter: BackoffPolicy.exponential({ initialDelay: 1_000, maxDelay: 60_000 }),
 *   group: "billing",
 * });
 * const invoice$ = breaker.execute((signal) => fetch(url, { signal }).then((r) => r.json()));
 * ids$.pipe(mergeMap(breaker.guard((id) => api.get(id)), 4));
 * breaker.state$.subscribe((s) => health.report("billing", s));
 * await store.put("breaker", breaker.snapshot());
 * ```
 * Counters on `lego`: `calls`, `successes`, `failures`, `rejected`, `opened`,
 * `halfOpened`, `closed`.
 * @see {@link FailureCounter}, {@link ThresholdPolicy}, {@link StateTransition}, {@link Timer}
 * @lego CircuitBreaker
 */
export class CircuitBreaker implements HasLego {
  readonly lego: LegoDescriptor;
  readonly group: string | undefined;
  readonly scheduler: SchedulerLike;
  /** The current state on subscribe, then every change. */
  readonly state$: Observable<CircuitState>;
  /** Every transition from subscribe on (hot): `{ from, to, at }`. */
  readonly transitions$: Observable<Transition<CircuitState>>;
  private readonly machine: StateTransition<CircuitState>;
  private readonly counter: FailureCounter;
  private readonly timer: Timer;
  private readonly threshold: ThresholdPolicy;
  private readonly halfOpenAfter: number | BackoffPolicy;
  private readonly probes: number;
  private readonly isFailure: (error: unknown) => boolean;
  private readonly counters: Record<CounterName, number>;
  /** Bumped on every transition: a permit is the epoch it was granted in. */
  private epoch = 0;
  private closedNow: boolean;
  private openings: number;
  private openUntil: number | undefined;
  private probesStarted = 0;
  private probeSuccesses = 0;
  private settlers: Settlers | undefined;

  /** A breaker hydrated from `snapshot` (see {@link CircuitBreaker.snapshot}). */
  static restore(snapshot: CircuitBreakerSnapshot, options: CircuitBreakerOptions = {}): CircuitBreaker {
    requireObject("options", options);
    return new CircuitBreaker({ ...options, initialState: snapshot });
  }

  constructor(options: CircuitBreakerOptions = {}) {
    requireObject("options", options);
    this.group = optionalGroup(options.group);
    const name = optional("name", options.name, requireNonEmptyString) ?? derivedName(this.group, "circuit_breaker");
    this.scheduler = schedulerOption(options.scheduler, this.group);
    this.threshold =
      options.threshold === undefined ? ThresholdPolicy.ratio(0.5, { minimumCalls: 10 }) : ThresholdPolicy.from(options.threshold);
    this.halfOpenAfter = halfOpenAfterOption(options.halfOpenAfter);
    this.probes = optional("probes", options.probes, requirePositiveInteger) ?? 1;
    this.isFailure = optional("isFailure", options.isFailure, (n, v) => requireFunction(n, v as (e: unknown) => boolean)) ?? everyError;
    const initial = snapshotOption(options.initialState);
    const window = options.window ?? DEFAULT_WINDOW;
    const counterOptions: { window: WindowSpec; clock: SchedulerLike; group?: string } = { window, clock: this.scheduler };
    if (this.group !== undefined) counterOptions.group = this.group;
    this.counter = new FailureCounter(counterOptions);
    if (initial !== undefined) this.counter.restore(initial.window);
    this.machine = new StateTransition<CircuitState>({
      transitions: CIRCUIT_TRANSITIONS,
      initial: initial?.state ?? "closed",
      since: initial?.since ?? this.scheduler.now(),
      clock: this.scheduler,
    });
    this.closedNow = this.machine.state === "closed";
    this.openings = initial?.openings ?? 0;
    const timerOptions: { scheduler: SchedulerLike; group?: string } = { scheduler: this.scheduler };
    if (this.group !== undefined) timerOptions.group = this.group;
    this.timer = new Timer(() => {
      this.halfOpen();
    }, timerOptions);
    if (initial?.state === "open" && initial.openUntil !== undefined) {
      this.openUntil = initial.openUntil;
      this.timer.startAt(initial.openUntil);
    }
    const meter = legoMeter("CircuitBreaker", { name, group: this.group }, COUNTERS);
    this.lego = meter.descriptor;
    this.counters = hotCounters(meter, COUNTERS);
    this.state$ = new Observable<CircuitState>((subscriber) => {
      subscriber.next(this.machine.state);
      return this.machine.listen((t) => {
        subscriber.next(t.to);
      });
    });
    this.transitions$ = new Observable<Transition<CircuitState>>((subscriber) =>
      this.machine.listen((t) => {
        subscriber.next(t);
      }),
    );
  }

  /** The current state. */
  get state(): CircuitState {
    return this.machine.state;
  }

  /** When the current state began. */
  get since(): number {
    return this.machine.since;
  }

  /** When an open breaker half-opens, else `undefined`. */
  get halfOpensAt(): number | undefined {
    return this.openUntil;
  }

  /**
   * Asks to make one call. Returns a permit (≥ 0) to settle with
   * `recordSuccess`, `recordFailure` or `release`, or −1 when the breaker
   * rejects the call (open, or half-open with every probe taken; counted as
   * `rejected`).
   */
  tryAcquire(): number {
    if (this.closedNow) {
      this.counters.calls++;
      return this.epoch;
    }
    return this.acquireSlow();
  }

  private acquireSlow(): number {
    if (this.machine.state === "open") {
      const until = this.openUntil;
      if (until === undefined || this.scheduler.now() < until) return this.reject();
      this.halfOpen();
    }
    if (this.probesStarted >= this.probes) return this.reject();
    this.probesStarted++;
    this.counters.calls++;
    return this.epoch;
  }

  private reject(): number {
    this.counters.rejected++;
    return REJECTED;
  }

  /** Settles a permit as a success. */
  recordSuccess(permit: number): void {
    this.counters.successes++;
    if (permit !== this.epoch) return;
    if (this.closedNow) {
      this.counter.success();
      return;
    }
    if (++this.probeSuccesses >= this.probes) this.close();
  }

  /** Settles a permit with `error`: a failure when `isFailure(error)`, else a success. */
  recordFailure(permit: number, error: unknown): void {
    if (!this.countsAsFailure(error)) {
      this.recordSuccess(permit);
      return;
    }
    this.counters.failures++;
    if (permit !== this.epoch) return;
    const now = this.scheduler.now();
    if (this.closedNow) {
      this.counter.failure(now);
      if (thresholdTripped(this.threshold, this.counter.failures(now), this.counter.calls(now))) this.open(now);
      return;
    }
    this.open(now);
  }

  /** Settles a permit whose call was cancelled: counts nothing, frees its probe slot. */
  release(permit: number): void {
    if (permit === this.epoch && this.machine.state === "half-open") this.probesStarted--;
  }

  private countsAsFailure(error: unknown): boolean {
    try {
      return this.isFailure(error);
    } catch {
      return true;
    }
  }

  private move(to: CircuitState, now: number): void {
    this.epoch++;
    this.closedNow = to === "closed";
    this.machine.to(to, now);
  }

  private open(now: number): void {
    this.openings++;
    const after = this.halfOpenAfter;
    const delay = typeof after === "number" ? after : delayForAttempt(after, this.openings + 1);
    this.openUntil = now + delay;
    this.counters.opened++;
    this.move("open", now);
    this.timer.startAt(this.openUntil);
  }

  private halfOpen(): void {
    if (this.machine.state !== "open") return;
    const now = Math.max(this.scheduler.now(), this.openUntil ?? -Infinity);
    this.timer.cancel();
    this.openUntil = undefined;
    this.probesStarted = 0;
    this.probeSuccesses = 0;
    this.counters.halfOpened++;
    this.move("half-open", now);
  }

  private close(): void {
    this.openings = 0;
    this.counter.reset();
    this.counters.closed++;
    this.move("closed", this.scheduler.now());
  }

  /** The rejection error: a `CIRCUIT_OPEN` LegoError. */
  private openError(): LegoError {
    const message =
      this.machine.state === "open"
        ? `circuit is open until ${String(this.openUntil)}`
        : `circuit is half-open and its ${this.probes} probe call(s) are taken`;
    return new LegoError("CIRCUIT_OPEN", message, { group: this.group });
  }

  /**
   * Runs `call` under the breaker, the Promise form: rejects with a
   * `CIRCUIT_OPEN` LegoError without calling when the breaker rejects.
   * Otherwise it returns the call's own promise (a native Promise is passed
   * back as is), whose outcome the breaker has recorded by the time the
   * caller's `await` resumes.
   */
  run<T>(call: () => T | PromiseLike<T>): Promise<T> {
    const permit = this.tryAcquire();
    if (permit === REJECTED) return Promise.reject(this.openError());
    let result: T | PromiseLike<T>;
    try {
      result = call();
    } catch (error) {
      this.recordFailure(permit, error);
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the call's own error, passed on as thrown
      return Promise.reject(error);
    }
    if (!isPromiseLike(result)) {
      this.recordSuccess(permit);
      return Promise.resolve(result);
    }
    // The caller gets the call's own promise; the breaker watches it with one
    // `then` registered first, so the outcome is recorded before the
    // caller's continuation runs, without an extra promise hop. The watch's
    // handlers never throw (a rejection reaches the caller through the
    // call's promise), are made once per epoch, and the success path
    // allocates only the watch's promise.
    const promise = result instanceof Promise ? (result as Promise<T>) : Promise.resolve(result);
    const settlers = this.settlers;
    const handlers = settlers !== undefined && settlers.epoch === permit ? settlers : this.makeSettlers(permit);
    void promise.then(handlers.ok, handlers.fail);
    return promise;
  }

  private makeSettlers(permit: number): Settlers {
    return (this.settlers = {
      epoch: permit,
      ok: () => {
        this.recordSuccess(permit);
      },
      fail: (error: unknown) => {
        this.recordFailure(permit, error);
      },
    });
  }

  /**
   * The call as a cold Observable: each subscription asks the breaker, and
   * errors with `CIRCUIT_OPEN` (without calling) when rejected; otherwise it
   * calls `call`, passes its value(s) on, and records the outcome before
   * passing the completion or error on (so a `retry` downstream already sees
   * the new state). An Observable call succeeds when it completes.
   * Unsubscribing before the call settles counts nothing, frees the probe
   * slot and aborts the `signal` handed to `call` (allocated only when
   * `call` declares a parameter).
   *
   * ```text
   * closed:  execute(() => a$)   a$: --a|   result: --a|
   * open:    execute(() => a$)               result: #   (CIRCUIT_OPEN, a$ not subscribed)
   * ```
   */
  execute<T>(call: BreakerCall<T>): Observable<T> {
    requireFunction("call", call);
    return new Observable<T>((subscriber) => {
      const permit = this.tryAcquire();
      if (permit === REJECTED) {
        subscriber.error(this.openError());
        return;
      }
      let settled = false;
      const controller = call.length > 0 ? new AbortController() : undefined;
      subscriber.add(() => {
        if (settled) return;
        settled = true;
        this.release(permit);
        controller?.abort(new LegoError("ABORTED", "circuit breaker call unsubscribed", { group: this.group }));
      });
      let result: T | PromiseLike<T> | Observable<T>;
      try {
        result = call(controller?.signal as AbortSignal);
      } catch (error) {
        settled = true;
        this.recordFailure(permit, error);
        subscriber.error(error);
        return;
      }
      if (isObservable(result)) {
        subscribeWithin(subscriber, result, {
          next: (value) => {
            subscriber.next(value);
          },
          error: (error: unknown) => {
            settled = true;
            this.recordFailure(permit, error);
            subscriber.error(error);
          },
          complete: () => {
            settled = true;
            this.recordSuccess(permit);
            subscriber.complete();
          },
        });
      } else if (isPromiseLike(result)) {
        result.then(
          (value) => {
            if (settled) return;
            settled = true;
            this.recordSuccess(permit);
            subscriber.next(value);
            subscriber.complete();
          },
          (error: unknown) => {
            if (settled) return;
            settled = true;
            this.recordFailure(permit, error);
            subscriber.error(error);
          },
        );
      } else {
        settled = true;
        this.recordSuccess(permit);
        subscriber.next(result);
        subscriber.complete();
      }
    });
  }

  /**
   * `project` guarded per value, for `mergeMap` / `switchMap` / `concatMap` /
   * `exhaustMap`: `ids$.pipe(mergeMap(breaker.guard((id) => get(id))))`.
   * Each value's call goes through {@link CircuitBreaker.execute}.
   */
  guard<V, R>(project: (value: V, index: number, signal: AbortSignal) => R | PromiseLike<R> | Observable<R>): (value: V, index: number) => Observable<R> {
    requireFunction("project", project);
    // an AbortController per call only for a project that takes the signal
    if (project.length < 3) return (value, index) => this.execute<R>(() => project(value, index, undefined as never));
    return (value, index) => this.execute<R>((signal) => project(value, index, signal));
  }

  /** The breaker's state as data, to store and later hand to {@link CircuitBreaker.restore}. */
  snapshot(): CircuitBreakerSnapshot {
    const now = this.scheduler.now();
    const base = {
      version: 1 as const,
      state: this.machine.state,
      since: this.machine.since,
      openings: this.openings,
      window: this.counter.snapshot(now),
    };
    return Object.freeze(this.openUntil === undefined ? base : { ...base, openUntil: this.openUntil });
  }

  /** Failures, successes and calls in the window now. */
  counts(): { readonly calls: number; readonly failures: number; readonly successes: number } {
    return this.counter.counts(this.scheduler.now());
  }

  /** Cancels the pending half-open timer (the breaker then half-opens on the first call after `halfOpensAt`). */
  dispose(): void {
    this.timer.cancel();
  }
}

/** The operator {@link circuitBreaker} returns: it also carries its breaker. */
export interface CircuitBreakerOperator<T> extends MonoLegoOperator<T> {
  readonly breaker: CircuitBreaker;
}

/**
 * Guards a call expressed as an Observable: each subscription of
 * `call$.pipe(circuitBreaker(breaker))` is one call through the breaker —
 * rejected at once with `CIRCUIT_OPEN` (without subscribing `call$`) when
 * the breaker is open, else `call$` runs and its completion counts as a
 * success, its error as a failure. Resubscription semantics follow: a
 * `retry`/`repeat` after the operator is a new call each time, checked
 * against the breaker's state then (put the breaker inside the retry, as
 * the catalog says: `call$.pipe(circuitBreaker(b), retryWithBackoff(…))`
 * stops hammering a dependency once the breaker opens — retries then fail
 * fast with `CIRCUIT_OPEN`, which `retryOn` can refuse).
 *
 * Given options instead of a breaker it makes one, shared by every
 * subscription of the returned operator (available as `.breaker`).
 *
 * ```text
 * call$ (fails):  --#            breaker: threshold count 2, halfOpenAfter 10
 * sub 1 at 0:     --#
 * sub 2 at 3:        --#         (opens)
 * sub 3 at 6:           #        CIRCUIT_OPEN, call$ not subscribed
 * ```
 *
 * ## Example
 * ```ts
 * const guarded$ = defer(() => fetchStatus()).pipe(circuitBreaker({ threshold: ThresholdPolicy.count(5), group: "status" }));
 * ```
 * @see {@link CircuitBreaker} and its `guard(project)` for `mergeMap`-style use.
 * @lego CircuitBreaker
 */
export function circuitBreaker<T>(breakerOrOptions: CircuitBreaker | CircuitBreakerOptions = {}): CircuitBreakerOperator<T> {
  const breaker = breakerOrOptions instanceof CircuitBreaker ? breakerOrOptions : new CircuitBreaker(breakerOrOptions);
  const operator = (source: Observable<T>): Observable<T> => breaker.execute(() => source);
  Object.defineProperty(operator, "breaker", { value: breaker, enumerable: false, writable: false });
  return withLego(operator, breaker.lego) as CircuitBreakerOperator<T>;
}
