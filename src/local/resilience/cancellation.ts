import { isObservable, Observable, type SchedulerLike, type Subscription } from "rxjs";
import { legoMeter, withLego, type LegoObservable, type MonoLegoOperator } from "../../atom/lego-descriptor.js";
import { LegoError } from "../../atom/lego-error.js";
import { optional, optionalGroup, requireFunction, requireNonEmptyString, requireObject, requireOneOf } from "../../atom/validate.js";
import { CancellationPolicy } from "../../policy/cancellation-policy.js";
import { schedulerOption } from "../../time/scheduler.js";
import { hotCounters } from "../hot-counters.js";
import { subscribeWithin } from "../subscribe-within.js";

/** Labels every cancellation lego takes. */
export interface CancellationLabels {
  /** Label shown in the pipeline view. @default undefined */
  name?: string;
  /** Group label, carried by `ABORTED` errors. @default undefined */
  group?: string;
}

/** Options of {@link takeUntilAborted}. */
export interface TakeUntilAbortedOptions extends CancellationLabels {
  /** What the output does when the signal aborts: `complete`, or `error` with an `ABORTED` LegoError (cause: the signal's reason). @default "complete" */
  aborted?: "complete" | "error";
}

/** Options of {@link withAbortSignal}. */
export interface WithAbortSignalOptions extends CancellationLabels {
  /** What an unsubscribe does to the work: abort its signal at once (default), after a grace period, or never. @default CancellationPolicy.cascade() */
  cancellation?: CancellationPolicy;
  /** Where a grace period is timed. @default asyncScheduler */
  scheduler?: SchedulerLike;
}

/** What `withAbortSignal`'s work may return. */
export type AbortableWork<T> = (signal: AbortSignal) => T | PromiseLike<T> | Observable<T>;

function requireSignal(name: string, value: unknown): AbortSignal {
  if (
    typeof value !== "object" ||
    value === null ||
    typeof (value as { aborted?: unknown }).aborted !== "boolean" ||
    typeof (value as { addEventListener?: unknown }).addEventListener !== "function"
  ) {
    throw new TypeError(`${name} must be an AbortSignal`);
  }
  return value as AbortSignal;
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === "object" || typeof value === "function") &&
    value !== null &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

function labels(options: CancellationLabels): { name: string | undefined; group: string | undefined } {
  return { name: optional("name", options.name, requireNonEmptyString), group: optionalGroup(options.group) };
}

/**
 * An AbortSignal as an Observable (the catalog's `Cancellation`, signal →
 * stream): emits the signal's `reason` once when it aborts — at once when
 * it already has — then completes; never emits if it never aborts.
 * Unsubscribing removes the listener.
 *
 * ```text
 * signal aborts at 3:  ---r|
 * ```
 *
 * ## Example
 * ```ts
 * work$.pipe(takeUntil(fromAbortSignal(request.signal)));
 * ```
 * @see {@link takeUntilAborted}, {@link withAbortSignal}
 * @lego Cancellation
 */
export function fromAbortSignal(signal: AbortSignal, options: CancellationLabels = {}): LegoObservable<unknown> {
  requireSignal("signal", signal);
  requireObject("options", options);
  const meter = legoMeter("Cancellation", labels(options), []);
  const aborted$ = new Observable<unknown>((subscriber) => {
    const onAbort = (): void => {
      subscriber.next(signal.reason);
      subscriber.complete();
    };
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener("abort", onAbort, { once: true });
    return () => {
      signal.removeEventListener("abort", onAbort);
    };
  });
  return withLego(aborted$, meter.descriptor);
}

/**
 * Unsubscribes the source when `signal` aborts (signal → unsubscription):
 * the output then completes, or errors with an `ABORTED` `LegoError`
 * (`aborted: "error"`, cause: the signal's reason). An already aborted
 * signal never subscribes the source.
 *
 * ```text
 * source:  -a-b-c-d-
 * signal:  ----x        (aborts at 4)
 *          takeUntilAborted(signal)
 * result:  -a-b|
 * ```
 *
 * ## Example
 * ```ts
 * const controller = new AbortController();
 * readings$.pipe(takeUntilAborted(controller.signal)).subscribe(show);
 * shutdown.once("stop", () => controller.abort());
 * ```
 * Counters on `lego`: `aborted`.
 * @lego Cancellation
 */
export function takeUntilAborted<T>(signal: AbortSignal, options: TakeUntilAbortedOptions = {}): MonoLegoOperator<T> {
  requireSignal("signal", signal);
  requireObject("options", options);
  const { name, group } = labels(options);
  const mode = optional("aborted", options.aborted, (n, v) => requireOneOf(n, v, ["complete", "error"] as const)) ?? "complete";
  const meter = legoMeter("Cancellation", { name, group }, ["aborted"]);
  const counters = hotCounters(meter, ["aborted"] as const);
  const operator = (source: Observable<T>): Observable<T> =>
    new Observable<T>((subscriber) => {
      const onAbort = (): void => {
        counters.aborted++;
        if (mode === "complete") subscriber.complete();
        else subscriber.error(new LegoError("ABORTED", "aborted by its signal", { cause: signal.reason, group }));
      };
      if (signal.aborted) {
        onAbort();
        return;
      }
      signal.addEventListener("abort", onAbort, { once: true });
      subscriber.add(() => {
        signal.removeEventListener("abort", onAbort);
      });
      subscribeWithin(subscriber, source, {
        next: (value) => {
          subscriber.next(value);
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

/**
 * Runs Promise-based (or Observable) work with an `AbortSignal` that is
 * aborted when the subscriber leaves (unsubscription → signal), so `fetch`
 * and other signal-aware libraries stop when nobody wants the result.
 * Cold: each subscription calls `work(signal)` with a fresh signal. A
 * Promise's value is emitted then the stream completes; an Observable's
 * values pass on. The signal's abort reason is an `ABORTED` `LegoError`;
 * once the work settled, unsubscribing aborts nothing.
 *
 * The `cancellation` policy says what an unsubscribe does: `cascade`
 * aborts at once, or after `gracePeriod` ms on the scheduler unless the
 * work settles first; `detach` never aborts (the work runs on, its result is
 * dropped). An Observable work is always unsubscribed.
 *
 * ```text
 * subscribe at 0, unsubscribe at 3:   work(signal) started at 0, signal aborted at 3
 * ```
 *
 * ## Example
 * ```ts
 * const body$ = withAbortSignal((signal) => fetch(url, { signal }).then((r) => r.text()));
 * body$.pipe(takeUntil(cancelClicks$)).subscribe(render); // a click aborts the request
 * ```
 * Counters on `lego`: `started`, `aborted`, `detached`.
 * @see {@link takeUntilAborted}, {@link fromAbortSignal}, {@link CancellationPolicy}
 * @lego Cancellation
 */
export function withAbortSignal<T>(work: AbortableWork<T>, options: WithAbortSignalOptions = {}): LegoObservable<T> {
  requireFunction("work", work);
  requireObject("options", options);
  const { name, group } = labels(options);
  const policy = options.cancellation === undefined ? CancellationPolicy.cascade() : CancellationPolicy.from(options.cancellation);
  const scheduler = schedulerOption(options.scheduler, group);
  const meter = legoMeter("Cancellation", { name, group }, ["started", "aborted", "detached"]);
  const counters = hotCounters(meter, ["started", "aborted", "detached"] as const);

  const result$ = new Observable<T>((subscriber) => {
    const controller = new AbortController();
    let settled = false;
    let grace: Subscription | undefined;
    const abort = (): void => {
      counters.aborted++;
      controller.abort(new LegoError("ABORTED", "unsubscribed before the work settled", { group }));
    };
    subscriber.add(() => {
      if (settled) return;
      settled = true;
      if (policy.propagation === "detach") {
        counters.detached++;
      } else if (policy.gracePeriod === 0) {
        abort();
      } else {
        grace = scheduler.schedule(abort, policy.gracePeriod);
      }
    });
    const finish = (): void => {
      settled = true;
      grace?.unsubscribe();
    };
    counters.started++;
    let result: T | PromiseLike<T> | Observable<T>;
    try {
      result = work(controller.signal);
    } catch (error) {
      finish();
      subscriber.error(error);
      return;
    }
    if (isObservable(result)) {
      subscribeWithin(subscriber, result, {
        next: (value) => {
          subscriber.next(value);
        },
        error: (error: unknown) => {
          finish();
          subscriber.error(error);
        },
        complete: () => {
          finish();
          subscriber.complete();
        },
      });
    } else if (isPromiseLike(result)) {
      result.then(
        (value) => {
          const late = settled;
          finish();
          if (late) return;
          subscriber.next(value);
          subscriber.complete();
        },
        (error: unknown) => {
          const late = settled;
          finish();
          if (late) return;
          subscriber.error(error);
        },
      );
    } else {
      finish();
      subscriber.next(result);
      subscriber.complete();
    }
  });
  return withLego(result$, meter.descriptor);
}
