import { from, Observable, type ObservableInput, type SchedulerAction, type SchedulerLike, type Subscription } from "rxjs";
import { isDeadline, type Deadline } from "../../atom/deadline.js";
import { legoMeter, withLego, type LegoOperator } from "../../atom/lego-descriptor.js";
import { LegoError } from "../../atom/lego-error.js";
import { optional, optionalGroup, requireFunction, requireNonEmptyString, requireObject } from "../../atom/validate.js";
import { TimeoutPolicy } from "../../policy/timeout-policy.js";
import { schedulerOption } from "../../time/scheduler.js";
import { hotCounters } from "../hot-counters.js";
import { subscribeWithin } from "../subscribe-within.js";

/** Which budget ran out. */
export type TimeoutKind = "first" | "each" | "total" | "deadline";

/** What a timeout reports (to `with`, and in the error's message). */
export interface TimeoutInfo {
  readonly kind: TimeoutKind;
  /** Values seen before the timeout. */
  readonly seen: number;
  /** When it timed out. */
  readonly at: number;
}

/** Options of {@link withTimeout}. */
export interface WithTimeoutOptions<R = never> {
  /** Budget until the first value, ms. @default undefined */
  first?: number;
  /** Budget between values (and before the first when `first` is absent), ms. @default undefined */
  each?: number;
  /** Budget from subscribe to completion, ms. @default undefined */
  total?: number;
  /** The budgets as a `TimeoutPolicy` (instead of `first`/`each`/`total`). @default undefined */
  policy?: TimeoutPolicy;
  /** An absolute budget propagated from upstream (on the scheduler's clock); the stream errors with `DEADLINE_EXCEEDED` when it passes. @default undefined */
  deadline?: Deadline;
  /** On timeout, switch to this instead of erroring (as RxJS `timeout({ with })`). @default undefined (error) */
  with?: (info: TimeoutInfo) => ObservableInput<R>;
  /** Where time and the timer come from. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /** Label shown in the pipeline view. @default undefined */
  name?: string;
  /** Group label, carried by the errors. @default undefined */
  group?: string;
}

function check(this: SchedulerAction<TimeoutRun>, run?: TimeoutRun): void {
  run?.check(this);
}

/** The timing state of one subscription. */
class TimeoutRun {
  seen = 0;
  last: number;
  armedFor = Infinity;
  action: Subscription | undefined;
  done = false;

  constructor(
    readonly start: number,
    readonly first: number | undefined,
    readonly each: number | undefined,
    readonly total: number | undefined,
    readonly deadline: number | undefined,
    readonly scheduler: SchedulerLike,
    readonly onTimeout: (kind: TimeoutKind, at: number) => void,
  ) {
    this.last = start;
  }

  /** The earliest due budget and its kind. */
  due(): [number, TimeoutKind] {
    let at = Infinity;
    let kind: TimeoutKind = "total";
    const valueBudget = this.seen === 0 ? (this.first ?? this.each) : this.each;
    if (valueBudget !== undefined) {
      at = this.last + valueBudget;
      kind = this.seen === 0 && this.first !== undefined ? "first" : "each";
    }
    if (this.total !== undefined && this.start + this.total < at) {
      at = this.start + this.total;
      kind = "total";
    }
    if (this.deadline !== undefined && this.deadline < at) {
      at = this.deadline;
      kind = "deadline";
    }
    return [at, kind];
  }

  arm(): void {
    const [at] = this.due();
    if (at === Infinity || at >= this.armedFor) return;
    this.armedFor = at;
    this.action?.unsubscribe();
    this.action = this.scheduler.schedule(check, Math.max(0, at - this.scheduler.now()), this);
  }

  value(now: number): void {
    this.seen++;
    this.last = now;
    // budgets only move later with a value, except `each` after a longer `first`
    if (this.seen === 1) this.arm();
  }

  check(action: SchedulerAction<TimeoutRun>): void {
    if (this.done) return;
    const now = this.scheduler.now();
    const [at, kind] = this.due();
    if (now >= at) {
      this.done = true;
      this.onTimeout(kind, now);
      return;
    }
    if (at === Infinity) {
      this.armedFor = Infinity;
      this.action = undefined;
      return;
    }
    this.armedFor = at;
    this.action = action.schedule(this, at - now);
  }

  stop(): void {
    this.done = true;
    this.action?.unsubscribe();
  }
}

/**
 * The catalog's `Timeout` on a scheduler: fails a stream that takes too long
 * by a {@link TimeoutPolicy} — `first` (until the first value), `each`
 * (between values), `total` (until completion) — or by a propagated
 * {@link Deadline}. On timeout it unsubscribes the source (ends the wait,
 * not necessarily the remote work) and errors with a `TIMEOUT` `LegoError`
 * (`DEADLINE_EXCEEDED` for the deadline), or switches to `with(info)`.
 * One scheduled action per subscription, re-armed lazily (not per value).
 *
 * ```text
 * source:  --a--b--------c|
 *          withTimeout({ each: 5 })
 * result:  --a--b----#          # = LegoError TIMEOUT (kind each)
 * ```
 *
 * ## Example
 * ```ts
 * reading$.pipe(withTimeout({ first: 2_000, total: 10_000, group: "ambient" }));
 * call$.pipe(withTimeout({ deadline: request.deadline }));
 * ```
 * Counters on `lego`: `timeouts`.
 * @see {@link TimeoutPolicy}, {@link Timer}, {@link withDeadline}
 * @lego Timeout
 */
export function withTimeout<T, R = never>(options: WithTimeoutOptions<R>): LegoOperator<T, T | R> {
  requireObject("options", options);
  const policy =
    options.policy !== undefined
      ? TimeoutPolicy.from(options.policy, "policy")
      : options.first === undefined && options.each === undefined && options.total === undefined
        ? undefined
        : TimeoutPolicy.of(options);
  const deadline = optional("deadline", options.deadline, (n, v) => {
    if (!isDeadline(v)) throw new TypeError(`${n} must be a Deadline`);
    return v;
  });
  if (policy === undefined && deadline === undefined) throw new TypeError("options need first, each, total, policy or deadline");
  const fallback = optional("with", options.with, (n, v) => requireFunction(n, v as (info: TimeoutInfo) => ObservableInput<R>));
  const group = optionalGroup(options.group);
  const name = optional("name", options.name, requireNonEmptyString);
  const scheduler = schedulerOption(options.scheduler, group);
  const meter = legoMeter("Timeout", { name, group }, ["timeouts"]);
  const counters = hotCounters(meter, ["timeouts"] as const);

  const operator = (source: Observable<T>): Observable<T | R> =>
    new Observable<T | R>((subscriber) => {
      // eslint-disable-next-line prefer-const -- assigned after the run that reads it is made
      let upstream: Subscription | undefined;
      const run = new TimeoutRun(
        scheduler.now(),
        policy?.first,
        policy?.each,
        policy?.total,
        deadline?.at,
        scheduler,
        (kind, at) => {
          counters.timeouts++;
          upstream?.unsubscribe();
          const info: TimeoutInfo = Object.freeze({ kind, seen: run.seen, at });
          if (fallback !== undefined) {
            let next: Observable<R>;
            try {
              next = from(fallback(info));
            } catch (error) {
              subscriber.error(error);
              return;
            }
            subscribeWithin(subscriber, next, {
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
            return;
          }
          subscriber.error(
            kind === "deadline"
              ? new LegoError("DEADLINE_EXCEEDED", `deadline ${String(deadline?.at)} passed after ${run.seen} value(s)`, { group })
              : new LegoError("TIMEOUT", timeoutMessage(kind, policy, run.seen), { group }),
          );
        },
      );
      subscriber.add(() => {
        run.stop();
      });
      run.arm();
      if (subscriber.closed) return;
      upstream = subscribeWithin(subscriber, source, {
        next: (value) => {
          if (run.done) return;
          run.value(scheduler.now());
          subscriber.next(value);
        },
        error: (error: unknown) => {
          run.stop();
          subscriber.error(error);
        },
        complete: () => {
          run.stop();
          subscriber.complete();
        },
      });
    });
  return withLego(operator, meter.descriptor);
}

function timeoutMessage(kind: TimeoutKind, policy: TimeoutPolicy | undefined, seen: number): string {
  if (kind === "first") return `no value within ${String(policy?.first)} ms`;
  if (kind === "each") return `no value for ${String(policy?.each)} ms after ${seen} value(s)`;
  return `not complete within ${String(policy?.total)} ms (${seen} value(s))`;
}
