import { of, retry, timer, type MonoTypeOperatorFunction, type Observable, type SchedulerLike } from "rxjs";
import { legoMeter, withLego, type MonoLegoOperator } from "../atom/lego-descriptor.js";
import { optional, optionalGroup, requireBoolean, requireFunction, requireNonEmptyString, requireObject } from "../atom/validate.js";
import { BackoffPolicy, delayForAttempt } from "../policy/backoff-policy.js";
import { RetryPolicy } from "../policy/retry-policy.js";
import { schedulerOption } from "../time/scheduler.js";

/** What a retrying lego reports before each retry. */
export interface RetryInfo {
  /** The attempt about to start (2 for the first retry). */
  readonly attempt: number;
  /** The wait before it, in ms (`delayForAttempt(backoff, attempt)`). */
  readonly delay: number;
  /** The error that ended the previous attempt. */
  readonly error: unknown;
}

/** Options of {@link retryWithBackoff}. */
export interface RetryWithBackoffOptions {
  /** How many attempts in all and which errors are retried. */
  retry: RetryPolicy;
  /** The wait before each retry. */
  backoff: BackoffPolicy;
  /** Where the waits are scheduled. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /** Start counting attempts afresh after each value, so a long-lived stream gets a full budget per outage. @default false */
  resetOnSuccess?: boolean;
  /** Called before each retry (after the decision to retry, before the wait). @default undefined */
  onRetry?: (info: RetryInfo) => void;
  /** Label shown in the pipeline view. @default undefined */
  name?: string;
  /** Group label; a `ManualClock` scheduler without a group adopts it. @default undefined */
  group?: string;
}

/** The options both retrying legos share, validated once. */
export interface ValidatedRetryOptions {
  readonly retry: RetryPolicy;
  readonly backoff: BackoffPolicy;
  readonly scheduler: SchedulerLike;
  readonly onRetry: ((info: RetryInfo) => void) | undefined;
  readonly name: string | undefined;
  readonly group: string | undefined;
}

/** @internal Validates the options `retryWithBackoff` and `retryLoop` share. */
export function validateRetryOptions(options: RetryWithBackoffOptions): ValidatedRetryOptions {
  requireObject("options", options);
  const group = optionalGroup(options.group);
  return {
    retry: RetryPolicy.from(options.retry, "retry"),
    backoff: BackoffPolicy.from(options.backoff, "backoff"),
    scheduler: schedulerOption(options.scheduler, group),
    onRetry: optional("onRetry", options.onRetry, (n, v) => requireFunction(n, v as (info: RetryInfo) => void)),
    name: optional("name", options.name, requireNonEmptyString),
    group,
  };
}

/**
 * Resubscribes to the source after an error its retry policy accepts,
 * waiting `delayForAttempt(backoff, n)` on the scheduler before attempt `n`
 * (the catalog's `RetryLoop` as an operator).
 *
 * After `retry.maxAttempts` attempts, or on an error `retry.retryOn` refuses,
 * the error itself goes downstream, unwrapped (as RxJS `retry` does).
 * Unsubscribing cancels a pending wait. A zero wait resubscribes
 * synchronously. Values of failed attempts have already been passed on.
 *
 * ```text
 * source (cold): --a--#
 *          retryWithBackoff({ retry: RetryPolicy.attempts(3), backoff: BackoffPolicy.fixed(3) })
 * result:        --a-------a-------a--#
 *   (attempt 1 at 0, attempts 2 and 3 each 3 ms after the previous error)
 * ```
 *
 * ## Example
 * ```ts
 * connect$.pipe(
 *   retryWithBackoff({
 *     retry: RetryPolicy.attempts(5, (e) => !isLegoError(e, "ABORTED")),
 *     backoff: BackoffPolicy.exponential({ initialDelay: 100, multiplier: 2, maxDelay: 5_000 }),
 *     resetOnSuccess: true,
 *   }),
 * );
 * ```
 * Counters on `lego`: `retries`.
 * @see {@link retryLoop} for an operation (sync, Promise or Observable) with per-attempt timeouts and an AbortSignal.
 * @lego RetryLoop
 */
export function retryWithBackoff<T>(options: RetryWithBackoffOptions): MonoLegoOperator<T> {
  const { retry: policy, backoff, scheduler, onRetry, name, group } = validateRetryOptions(options);
  const resetOnSuccess = optional("resetOnSuccess", options.resetOnSuccess, requireBoolean) ?? false;
  const meter = legoMeter("RetryLoop", { name, group }, ["retries"]);

  // RxJS calls this with the number of retries so far, the one about to happen included.
  const waitBeforeRetry = (error: unknown, retries: number): Observable<unknown> => {
    if (!policy.retryOn(error)) throw error;
    const attempt = retries + 1;
    const delay = delayForAttempt(backoff, attempt);
    meter.count("retries");
    onRetry?.({ attempt, delay, error });
    return delay === 0 ? of(0) : timer(delay, scheduler);
  };

  const operator: MonoTypeOperatorFunction<T> = (source) =>
    source.pipe(retry({ count: policy.maxAttempts - 1, delay: waitBeforeRetry, resetOnSuccess }));
  return withLego(operator, meter.descriptor);
}
