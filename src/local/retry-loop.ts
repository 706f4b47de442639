import {
  isObservable,
  Observable,
  Subject,
  type Observer,
  type SchedulerAction,
  type Subscriber,
  type Subscription,
  type Unsubscribable,
} from "rxjs";
import { legoMeter, type LegoDescriptor, type LegoMeter, type LegoObservable } from "../atom/lego-descriptor.js";
import { LegoError } from "../atom/lego-error.js";
import { optional, requireFunction, requirePositive } from "../atom/validate.js";
import { delayForAttempt } from "../policy/backoff-policy.js";
import {
  validateRetryOptions,
  type RetryInfo,
  type RetryWithBackoffOptions,
  type ValidatedRetryOptions,
} from "./retry-with-backoff.js";
import { subscribeWithin } from "./subscribe-within.js";

/** What an operation learns about the attempt it runs. */
export interface AttemptInfo {
  /** 1 for the first try, 2 for the first retry, … */
  readonly attempt: number;
  /**
   * Aborted when this attempt times out (reason: a `TIMEOUT` LegoError), when
   * the loop's `signal` aborts or when the subscriber unsubscribes (reason:
   * an `ABORTED` LegoError). Hand it to `fetch`, streams and the like.
   */
  readonly signal: AbortSignal;
}

/**
 * One attempt: returns a value (sync), a Promise of one, or an Observable
 * whose values all pass on and whose completion ends the loop.
 */
export type RetryOperation<T> = (info: AttemptInfo) => T | PromiseLike<T> | Observable<T>;

/** Options of {@link retryLoop} and {@link retryRunner}. */
export interface RetryLoopOptions extends RetryWithBackoffOptions {
  /**
   * Most ms one attempt may take (until its Promise settles or its Observable
   * completes); a late attempt fails with a `TIMEOUT` LegoError, which the
   * retry policy treats like any other error. Sync operations cannot time out.
   * @default undefined (no timeout)
   */
  timeout?: number;
  /**
   * Cancels the loop: on abort the running attempt is abandoned, a pending
   * wait is cancelled, and the stream errors with an `ABORTED` LegoError
   * (its `cause` is the signal's reason). Never retried.
   * @default undefined
   */
  signal?: AbortSignal;
}

/** A validated retry loop that runs operations, one subscription each (see {@link retryRunner}). */
export interface RetryRunner extends Readonly<{ lego: LegoDescriptor }> {
  /**
   * Every retry of every run, in order, just before its wait (the same
   * {@link RetryInfo} `onRetry` gets; a timed-out attempt's `error` is the
   * `TIMEOUT` LegoError). Hot: only retries after subscribing are seen.
   */
  readonly events$: Observable<RetryInfo>;
  /** The loop over `operation`; `signal` overrides the runner's. Cold: each subscription runs it afresh. */
  run<T>(operation: RetryOperation<T>, signal?: AbortSignal): LegoObservable<T>;
}

function isAbortSignal(value: unknown): value is AbortSignal {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { aborted?: unknown }).aborted === "boolean" &&
    typeof (value as { addEventListener?: unknown }).addEventListener === "function"
  );
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === "object" || typeof value === "function") &&
    value !== null &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

function optionalSignal(value: unknown, name = "signal"): AbortSignal | undefined {
  return optional(name, value, (n, v) => {
    if (!isAbortSignal(v)) throw new TypeError(`${n} must be an AbortSignal`);
    return v;
  });
}

interface LoopSettings extends ValidatedRetryOptions {
  readonly timeout: number | undefined;
  readonly meter: LegoMeter;
  readonly events: Subject<RetryInfo>;
}

/** The state of one attempt; `settled` makes late callbacks of an abandoned attempt harmless. */
class Attempt<T> implements AttemptInfo {
  settled = false;
  controller: AbortController | undefined;
  inner: Subscription | undefined;
  timer: Subscription | undefined;

  constructor(
    readonly run: LoopRun<T>,
    readonly attempt: number,
  ) {}

  get signal(): AbortSignal {
    this.controller ??= new AbortController();
    return this.controller.signal;
  }
}

// Scheduled work is module-level and gets its target as state, so a run
// allocates no closures for its timers.
function resumeAfterWait<T>(this: SchedulerAction<LoopRun<T>>, run?: LoopRun<T>): void {
  run?.resume();
}

function expireAttempt<T>(this: SchedulerAction<Attempt<T>>, attempt?: Attempt<T>): void {
  attempt?.run.timedOut(attempt);
}

/**
 * The loop for one subscriber. A class rather than closures: a successful
 * run then costs a few allocations, which matters when a source runs one
 * loop per read. It is the subscriber's teardown (`unsubscribe`) and the
 * signal's listener (`handleEvent`).
 */
class LoopRun<T> implements Unsubscribable {
  private attempts = 0;
  private current: Attempt<T> | undefined;
  private wait: Subscription | undefined;
  private looping = false;
  private again = false;

  constructor(
    private readonly operation: RetryOperation<T>,
    private readonly settings: LoopSettings,
    private readonly signal: AbortSignal | undefined,
    private readonly subscriber: Subscriber<T>,
  ) {}

  open(): void {
    const { signal, subscriber } = this;
    if (signal?.aborted === true) {
      this.handleEvent();
      return;
    }
    signal?.addEventListener("abort", this, { once: true });
    subscriber.add(this);
    this.start();
  }

  /** The signal aborted. */
  handleEvent(): void {
    const error = new LegoError("ABORTED", "retry loop aborted", { cause: this.signal?.reason, group: this.settings.group });
    this.abandon(error);
    this.subscriber.error(error);
  }

  /** Teardown: the subscriber unsubscribed, or the loop ended. */
  unsubscribe(): void {
    this.signal?.removeEventListener("abort", this);
    // Only an attempt still running needs a reason (an Error, costly to build).
    if (this.current !== undefined) this.abandon(new LegoError("ABORTED", "retry loop unsubscribed", { group: this.settings.group }));
    else this.wait?.unsubscribe();
  }

  resume(): void {
    this.wait = undefined;
    this.start();
  }

  timedOut(attempt: Attempt<T>): void {
    const { meter, timeout, group } = this.settings;
    meter.count("timeouts");
    const error = new LegoError("TIMEOUT", `attempt ${attempt.attempt} timed out after ${timeout ?? 0} ms`, { group });
    attempt.controller?.abort(error);
    this.fail(attempt, error);
  }

  succeed(attempt: Attempt<T>): void {
    if (attempt.settled) return;
    this.settle(attempt);
    this.subscriber.complete();
  }

  fail(attempt: Attempt<T>, error: unknown): void {
    if (attempt.settled) return;
    this.settle(attempt);
    const { retry, backoff, meter, onRetry, scheduler, events } = this.settings;
    let delay: number;
    try {
      if (attempt.attempt >= retry.maxAttempts || !retry.retryOn(error)) {
        this.subscriber.error(error);
        return;
      }
      delay = delayForAttempt(backoff, attempt.attempt + 1);
      meter.count("retries");
      const info: RetryInfo = { attempt: attempt.attempt + 1, delay, error };
      events.next(info);
      onRetry?.(info);
    } catch (thrown) {
      this.subscriber.error(thrown);
      return;
    }
    if (this.subscriber.closed) return;
    if (delay === 0) this.start();
    else this.wait = scheduler.schedule(resumeAfterWait, delay, this);
  }

  next(attempt: Attempt<T>, value: T): void {
    if (!attempt.settled) this.subscriber.next(value);
  }

  private abandon(reason: LegoError): void {
    this.wait?.unsubscribe();
    const attempt = this.current;
    if (attempt === undefined) return;
    this.settle(attempt);
    attempt.controller?.abort(reason);
  }

  private settle(attempt: Attempt<T>): void {
    attempt.settled = true;
    attempt.timer?.unsubscribe();
    attempt.inner?.unsubscribe();
    if (this.current === attempt) this.current = undefined;
  }

  // A trampoline: a synchronous failure with no wait starts the next attempt
  // from this loop rather than from deeper in the stack.
  private start(): void {
    if (this.looping) {
      this.again = true;
      return;
    }
    this.looping = true;
    do {
      this.again = false;
      this.runAttempt();
    } while (this.restartRequested() && !this.subscriber.closed);
    this.looping = false;
  }

  // Read through a method: the compiler cannot see runAttempt() setting it.
  private restartRequested(): boolean {
    return this.again;
  }

  private runAttempt(): void {
    const { meter, scheduler, timeout } = this.settings;
    meter.count("attempts");
    const attempt = new Attempt(this, ++this.attempts);
    this.current = attempt;
    let result: T | PromiseLike<T> | Observable<T>;
    try {
      result = this.operation(attempt);
    } catch (error) {
      this.fail(attempt, error);
      return;
    }
    if (!isObservable(result) && !isPromiseLike(result)) {
      this.subscriber.next(result);
      this.succeed(attempt);
      return;
    }
    if (timeout !== undefined) attempt.timer = scheduler.schedule(expireAttempt, timeout, attempt);
    if (isObservable(result)) {
      const inner = subscribeWithin(this.subscriber, result, new AttemptObserver(attempt));
      if (attempt.settled) inner.unsubscribe();
      else attempt.inner = inner;
      return;
    }
    result.then(
      (value) => {
        if (attempt.settled) return;
        this.subscriber.next(value);
        this.succeed(attempt);
      },
      (error: unknown) => {
        this.fail(attempt, error);
      },
    );
  }
}

/** Forwards an Observable attempt's notifications to its loop. */
class AttemptObserver<T> implements Observer<T> {
  constructor(private readonly attempt: Attempt<T>) {}
  next(value: T): void {
    this.attempt.run.next(this.attempt, value);
  }
  error(error: unknown): void {
    this.attempt.run.fail(this.attempt, error);
  }
  complete(): void {
    this.attempt.run.succeed(this.attempt);
  }
}

/**
 * The Observable a run returns. Its `lego` is a prototype getter, not a
 * property defined per instance: a source makes one of these per read.
 */
class RetryLoopObservable<T> extends Observable<T> {
  constructor(operation: RetryOperation<T>, private readonly settings: LoopSettings, signal: AbortSignal | undefined) {
    super((subscriber) => {
      new LoopRun(operation, settings, signal, subscriber).open();
    });
  }

  get lego(): LegoDescriptor {
    return this.settings.meter.descriptor;
  }
}

/**
 * A validated, reusable retry loop (the catalog's `RetryLoop`): call
 * `run(operation)` once per operation — e.g. a sensor source per read — to
 * share one set of policies and one `lego` descriptor with live counters.
 *
 * Validates `options` at once (TypeError/RangeError naming the option).
 * @see {@link retryLoop} for semantics.
 * @lego RetryLoop
 */
export function retryRunner(options: RetryLoopOptions): RetryRunner {
  const base = validateRetryOptions(options);
  const settings: LoopSettings = {
    ...base,
    timeout: optional("timeout", options.timeout, requirePositive),
    meter: legoMeter("RetryLoop", { name: base.name, group: base.group }, ["attempts", "retries", "timeouts"]),
    events: new Subject<RetryInfo>(),
  };
  const defaultSignal = optionalSignal(options.signal);
  const runner: RetryRunner = {
    lego: settings.meter.descriptor,
    events$: settings.events.asObservable(),
    run<T>(operation: RetryOperation<T>, signal?: AbortSignal): LegoObservable<T> {
      requireFunction("operation", operation);
      const effective = signal === undefined ? defaultSignal : optionalSignal(signal);
      return new RetryLoopObservable(operation, settings, effective);
    },
  };
  return Object.freeze(runner);
}

/**
 * Runs `operation` under a retry and a backoff policy, with an optional
 * per-attempt timeout and cancellation (the catalog's
 * `RetryLoop = RetryPolicy + BackoffPolicy + Timeout + Cancellation`).
 *
 * The operation may be synchronous, return a Promise, or return an
 * Observable; it receives {@link AttemptInfo} (`attempt`, `signal`). The
 * result's values pass downstream and the loop completes when the attempt
 * does. A failed attempt (a throw, a rejection, an Observable error, or a
 * `TIMEOUT` LegoError after `timeout` ms) is retried while the retry policy
 * allows it, after `delayForAttempt(backoff, n)` ms on the scheduler (a zero
 * wait retries at once). When attempts run out, or `retryOn` refuses the
 * error, **that last error goes downstream as it is**, not wrapped — the
 * same as `retryWithBackoff` and RxJS `retry`, so `instanceof` checks and
 * codes of the operation's own errors keep working; count attempts with
 * `onRetry` or the `attempts` counter if needed.
 *
 * Unsubscribing abandons the running attempt (its `signal` aborts; a late
 * Promise result is ignored) and cancels a pending wait. Aborting `signal`
 * does the same and errors with an `ABORTED` LegoError.
 *
 * ```text
 * operation:  a sync read that throws twice, then returns 7
 *             retryLoop(read, { retry: RetryPolicy.attempts(3), backoff: BackoffPolicy.fixed(10) })
 * result:     20ms (7|)      (attempts at 0, 10 and 20 ms)
 * ```
 *
 * ## Example
 * ```ts
 * const reading$ = retryLoop(({ signal }) => fetch(url, { signal }).then((r) => r.json()), {
 *   retry: RetryPolicy.attempts(4),
 *   backoff: BackoffPolicy.exponential({ initialDelay: 200, maxDelay: 2_000 }),
 *   timeout: 1_000,
 * });
 * ```
 * Counters on `lego`: `attempts`, `retries`, `timeouts`.
 * @see {@link retryWithBackoff} to retry an existing Observable; {@link retryRunner} to run many operations under one set of policies.
 * @lego RetryLoop
 */
export function retryLoop<T>(operation: RetryOperation<T>, options: RetryLoopOptions): LegoObservable<T> {
  requireFunction("operation", operation);
  return retryRunner(options).run(operation);
}
