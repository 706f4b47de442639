import { isObservable, Observable, type Subscriber, type Subscription } from "rxjs";
import { legoMeter, withLego, type LegoDescriptor, type LegoMeter, type LegoObservable } from "../atom/lego-descriptor.js";
import { LegoError } from "../atom/lego-error.js";
import { optional, requireFunction, requirePositive } from "../atom/validate.js";
import { delayForAttempt } from "../policy/backoff-policy.js";
import { validateRetryOptions, type RetryWithBackoffOptions, type ValidatedRetryOptions } from "./retry-with-backoff.js";
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
}

/** The state of one attempt; `settled` makes late callbacks of an abandoned attempt harmless. */
interface Attempt {
  readonly number: number;
  settled: boolean;
  controller: AbortController | undefined;
  inner: Subscription | undefined;
  timer: Subscription | undefined;
}

/** Runs the loop for one subscriber. */
function runLoop<T>(
  operation: RetryOperation<T>,
  settings: LoopSettings,
  signal: AbortSignal | undefined,
  subscriber: Subscriber<T>,
): void {
  const { retry, backoff, scheduler, onRetry, timeout, meter, group } = settings;
  let attempts = 0;
  let current: Attempt | undefined;
  let wait: Subscription | undefined;
  let looping = false;
  let again = false;

  const abandon = (reason: LegoError): void => {
    wait?.unsubscribe();
    const attempt = current;
    if (attempt === undefined) return;
    settle(attempt);
    attempt.controller?.abort(reason);
  };

  const settle = (attempt: Attempt): void => {
    attempt.settled = true;
    attempt.timer?.unsubscribe();
    attempt.inner?.unsubscribe();
    if (current === attempt) current = undefined;
  };

  const succeed = (attempt: Attempt): void => {
    if (attempt.settled) return;
    settle(attempt);
    subscriber.complete();
  };

  const fail = (attempt: Attempt, error: unknown): void => {
    if (attempt.settled) return;
    settle(attempt);
    let delay: number;
    try {
      if (attempt.number >= retry.maxAttempts || !retry.retryOn(error)) {
        subscriber.error(error);
        return;
      }
      delay = delayForAttempt(backoff, attempt.number + 1);
      meter.count("retries");
      onRetry?.({ attempt: attempt.number + 1, delay, error });
    } catch (thrown) {
      subscriber.error(thrown);
      return;
    }
    if (subscriber.closed) return;
    if (delay === 0) start();
    else
      wait = scheduler.schedule(() => {
        wait = undefined;
        start();
      }, delay);
  };

  const timedOut = (attempt: Attempt): void => {
    meter.count("timeouts");
    const error = new LegoError("TIMEOUT", `attempt ${attempt.number} timed out after ${timeout ?? 0} ms`, { group });
    attempt.controller?.abort(error);
    fail(attempt, error);
  };

  const runAttempt = (): void => {
    attempts++;
    meter.count("attempts");
    const attempt: Attempt = { number: attempts, settled: false, controller: undefined, inner: undefined, timer: undefined };
    current = attempt;
    const info: AttemptInfo = {
      attempt: attempt.number,
      get signal() {
        attempt.controller ??= new AbortController();
        return attempt.controller.signal;
      },
    };
    let result: T | PromiseLike<T> | Observable<T>;
    try {
      result = operation(info);
    } catch (error) {
      fail(attempt, error);
      return;
    }
    if (!isObservable(result) && !isPromiseLike(result)) {
      subscriber.next(result);
      succeed(attempt);
      return;
    }
    if (timeout !== undefined) {
      attempt.timer = scheduler.schedule(() => {
        timedOut(attempt);
      }, timeout);
    }
    if (isObservable(result)) {
      const inner = subscribeWithin(subscriber, result, {
        next: (value) => {
          if (!attempt.settled) subscriber.next(value);
        },
        error: (error: unknown) => {
          fail(attempt, error);
        },
        complete: () => {
          succeed(attempt);
        },
      });
      if (attempt.settled) inner.unsubscribe();
      else attempt.inner = inner;
      return;
    }
    result.then(
      (value) => {
        if (attempt.settled) return;
        subscriber.next(value);
        succeed(attempt);
      },
      (error: unknown) => {
        fail(attempt, error);
      },
    );
  };

  // Read through a function: the compiler cannot see runAttempt() setting it.
  const restartRequested = (): boolean => again;

  // A trampoline: a synchronous failure with no wait starts the next attempt
  // from this loop rather than from deeper in the stack.
  const start = (): void => {
    if (looping) {
      again = true;
      return;
    }
    looping = true;
    do {
      again = false;
      runAttempt();
    } while (restartRequested() && !subscriber.closed);
    looping = false;
  };

  const onAbort = (): void => {
    const error = new LegoError("ABORTED", "retry loop aborted", { cause: signal?.reason, group });
    abandon(error);
    subscriber.error(error);
  };

  if (signal?.aborted === true) {
    onAbort();
    return;
  }
  signal?.addEventListener("abort", onAbort, { once: true });
  subscriber.add(() => {
    signal?.removeEventListener("abort", onAbort);
    abandon(new LegoError("ABORTED", "retry loop unsubscribed", { group }));
  });
  start();
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
  };
  const defaultSignal = optionalSignal(options.signal);
  const runner: RetryRunner = {
    lego: settings.meter.descriptor,
    run<T>(operation: RetryOperation<T>, signal?: AbortSignal): LegoObservable<T> {
      requireFunction("operation", operation);
      const effective = signal === undefined ? defaultSignal : optionalSignal(signal);
      const loop = new Observable<T>((subscriber) => {
        runLoop(operation, settings, effective, subscriber);
      });
      return withLego(loop, settings.meter.descriptor);
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
