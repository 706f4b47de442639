import { Observable, Subject, type SchedulerLike, type Subscription } from "rxjs";
import { derivedName, legoMeter, withLego, type MonoLegoOperator } from "../../atom/lego-descriptor.js";
import { LegoError } from "../../atom/lego-error.js";
import {
  optional,
  optionalGroup,
  requireFunction,
  requireNonEmptyString,
  requireObject,
  requireOneOf,
  requirePositiveInteger,
} from "../../atom/validate.js";
import { RatePolicy } from "../../policy/rate-policy.js";
import { schedulerOption } from "../../time/scheduler.js";
import { hotCounters } from "../hot-counters.js";
import { subscribeWithin } from "../subscribe-within.js";
import { Cost, type InvalidItem } from "./cost.js";
import { Ring } from "./ring.js";
import { TokenBucket } from "./token-bucket.js";

/** What {@link rateLimit} does with an item that finds too few tokens. */
export type RateOverflow = "delay" | "drop" | "error";
/** What a full delay queue does with one more item: fail with `QUEUE_FULL`, or drop it (counted). */
export type DelayQueueOverflow = "error" | "drop_newest";

const OVERFLOWS: readonly RateOverflow[] = ["delay", "drop", "error"];
const QUEUE_OVERFLOWS: readonly DelayQueueOverflow[] = ["error", "drop_newest"];

/** Options of {@link rateLimit}. Give `rate` (with `per`, `burst`) or a `policy`. */
export interface RateLimitOptions<T> {
  /** Units allowed per `per` ms, > 0; `Infinity` passes everything (counted). Required unless `policy` or `bucket` is given. */
  rate?: number;
  /** The interval `rate` counts over, in ms. @default 1000 */
  per?: number;
  /** Most units passing at once (bucket capacity). @default rate */
  burst?: number;
  /** A ready {@link RatePolicy}, instead of `rate`/`per`/`burst`. */
  policy?: RatePolicy;
  /**
   * A bucket shared by every subscription (and by other limiters), for a
   * limit on a group rather than on one stream. Its clock should be the
   * scheduler. @default a new bucket per subscription, on the scheduler
   */
  bucket?: TokenBucket;
  /** The cost of each item (the catalog's `Cost`). @default every item costs 1 */
  cost?: Cost<T>;
  /**
   * `delay`: lossless — items wait in order in a bounded queue until their
   * tokens are there; `drop`: items without tokens are dropped (counted);
   * `error`: the first item without tokens fails the stream with
   * `LegoError` `RATE_LIMITED`. @default "delay"
   */
  overflow?: RateOverflow;
  /** Most items waiting under `delay`, a positive integer. @default 1024 */
  maxQueued?: number;
  /** What one more item does when the delay queue is full. @default "error" (`LegoError` `QUEUE_FULL`) */
  queueOverflow?: DelayQueueOverflow;
  /** Called for an item whose cost is not a finite number >= 0 or exceeds `burst` (it is dropped, counted `invalid`). */
  onInvalid?: (item: InvalidItem<T>) => void;
  /** Where waits happen and time is read. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /** Label shown in the pipeline view. @default `<group>.rate_limiter` when a group is given */
  name?: string;
  /** Group label. @default undefined */
  group?: string;
}

/** A snapshot of one subscription of a {@link rateLimit}, on `status$`. */
export interface RateLimitStatus {
  /** Tokens in the bucket now. */
  readonly tokens: number;
  /** Items waiting in the delay queue. */
  readonly queued: number;
  /** Scheduler time of the snapshot. */
  readonly at: number;
}

/** {@link rateLimit}'s operator: a lego with a `status$` stream. */
export interface RateLimitOperator<T> extends MonoLegoOperator<T> {
  /**
   * Snapshots after each change (a release, a queued, dropped or refused
   * item) of any subscription. Computed only while someone listens.
   */
  readonly status$: Observable<RateLimitStatus>;
}

const COUNTERS = ["released", "delayed", "dropped", "limited", "invalid", "queued"] as const;

/**
 * Limits a stream to a {@link RatePolicy} by charging each item its
 * {@link Cost} against a {@link TokenBucket} (the catalog's `RateLimiter`).
 * With `overflow: "delay"` (the default) it is **lossless and keeps order**:
 * an item without tokens waits in a bounded queue (`maxQueued`) until they
 * have refilled, on the scheduler — unlike `throttle`/`audit`/`sample`,
 * which drop. `"drop"` drops and counts; `"error"` fails with `RATE_LIMITED`.
 * Over any window of `t` ms, the cost released is at most
 * `burst + rate × t / per`.
 *
 * Completion waits until the queue has drained; a source error goes
 * downstream at once (queued items are discarded). Unsubscribing cancels the
 * pending wait.
 *
 * ```text
 * source:  abcd-------|
 *          rateLimit({ rate: 1, per: 3, burst: 2 })
 * result:  ab-c--d----|
 * ```
 *
 * ## Example
 * ```ts
 * // at most 10 requests per second, bursts of 5, nothing lost
 * requests$.pipe(rateLimit({ rate: 10, per: 1000, burst: 5, group: "api" }));
 * // bytes per second instead of items
 * chunks$.pipe(rateLimit({ rate: 64_000, cost: Cost.bytes, overflow: "drop" }));
 * ```
 * Counters on `lego`: `released`, `delayed` (items that had to wait),
 * `dropped`, `limited` (RATE_LIMITED errors), `invalid`, `queued` (now waiting).
 * @see {@link TokenBucket} the engine, {@link RatePolicy} its configuration.
 * @lego RateLimiter
 */
export function rateLimit<T>(options: RateLimitOptions<T>): RateLimitOperator<T> {
  requireObject("options", options);
  const group = optionalGroup(options.group);
  const scheduler = schedulerOption(options.scheduler, group);
  const sharedBucket = options.bucket;
  if (sharedBucket !== undefined && !(sharedBucket instanceof TokenBucket)) throw new TypeError("bucket must be a TokenBucket");
  let policy: RatePolicy;
  if (options.policy !== undefined) policy = RatePolicy.from(options.policy, "policy");
  else if (options.rate !== undefined) {
    const fields: { rate: number; per?: number; burst?: number } = { rate: options.rate };
    if (options.per !== undefined) fields.per = options.per;
    if (options.burst !== undefined) fields.burst = options.burst;
    policy = RatePolicy.from(fields, "options");
  } else if (sharedBucket !== undefined) policy = sharedBucket.policy;
  else throw new TypeError("rate must be a number (or give policy or bucket)");
  if (sharedBucket !== undefined && sharedBucket.group === undefined) sharedBucket.group = group;
  const costOf = optional("cost", options.cost, (n, v) => requireFunction(n, v as Cost<T>));
  const overflow = optional("overflow", options.overflow, (n, v) => requireOneOf(n, v, OVERFLOWS)) ?? "delay";
  const maxQueued = optional("maxQueued", options.maxQueued, requirePositiveInteger) ?? 1024;
  const queueOverflow = optional("queueOverflow", options.queueOverflow, (n, v) => requireOneOf(n, v, QUEUE_OVERFLOWS)) ?? "error";
  const onInvalid = optional("onInvalid", options.onInvalid, (n, v) => requireFunction(n, v as (item: InvalidItem<T>) => void));
  const name = optional("name", options.name, requireNonEmptyString) ?? derivedName(group, "rate_limiter");
  const meter = legoMeter("RateLimiter", { name, group }, COUNTERS);
  const counters = hotCounters(meter, COUNTERS);
  const status = new Subject<RateLimitStatus>();
  const unlimited = sharedBucket === undefined && policy.rate === Infinity;
  const burst = policy.burst;

  const unlimitedOperator = (source: Observable<T>): Observable<T> =>
    new Observable<T>((subscriber) => {
      let index = 0;
      subscribeWithin(subscriber, source, {
        next: (value) => {
          if (costOf !== undefined) {
            const cost = safeCost(costOf, value, index++);
            if (!Cost.isValid(cost)) {
              counters.invalid++;
              onInvalid?.({ reason: "bad-cost", value, detail: cost });
              return;
            }
          }
          counters.released++;
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

  const operator = (source: Observable<T>): Observable<T> =>
    new Observable<T>((subscriber) => {
      const bucket = sharedBucket ?? new TokenBucket({ rate: policy.rate, per: policy.per, burst, clock: scheduler });
      const values = new Ring<T>(maxQueued);
      const costs = costOf === undefined ? undefined : new Ring<number>(maxQueued);
      let index = 0;
      let timer: Subscription | undefined;
      let sourceDone = false;

      const report = (): void => {
        if (status.observed) status.next({ tokens: bucket.tokens, queued: values.size, at: scheduler.now() });
      };
      const drain = (): void => {
        timer = undefined;
        while (values.size > 0 && !subscriber.closed) {
          const cost = costs === undefined ? 1 : (costs.peek() as number);
          if (!bucket.tryTake(cost)) {
            timer = scheduler.schedule(drain, bucket.timeUntil(cost));
            return;
          }
          const value = values.shift() as T;
          costs?.shift();
          counters.queued--;
          counters.released++;
          subscriber.next(value);
          report();
        }
        if (sourceDone && values.size === 0) subscriber.complete();
      };

      subscribeWithin(subscriber, source, {
        next: (value) => {
          let cost = 1;
          if (costOf !== undefined) {
            const computed = safeCost(costOf, value, index++);
            if (!Cost.isValid(computed) || computed > burst) {
              counters.invalid++;
              onInvalid?.({ reason: Cost.isValid(computed) ? "over-budget" : "bad-cost", value, detail: computed });
              return;
            }
            cost = computed;
          }
          if (values.size === 0 && bucket.tryTake(cost)) {
            counters.released++;
            subscriber.next(value);
            report();
            return;
          }
          if (overflow === "drop") {
            counters.dropped++;
            report();
          } else if (overflow === "error") {
            counters.limited++;
            subscriber.error(
              new LegoError("RATE_LIMITED", `rate limit of ${policy.rate} per ${policy.per} ms exceeded`, { group }),
            );
          } else if (values.size >= maxQueued) {
            if (queueOverflow === "drop_newest") {
              counters.dropped++;
              report();
            } else {
              subscriber.error(new LegoError("QUEUE_FULL", `rate limiter queue is full (maxQueued ${maxQueued})`, { group }));
            }
          } else {
            values.push(value);
            costs?.push(cost);
            counters.delayed++;
            counters.queued++;
            report();
            timer ??= scheduler.schedule(drain, bucket.timeUntil(values.size === 1 ? cost : 0));
          }
        },
        error: (error: unknown) => {
          subscriber.error(error);
        },
        complete: () => {
          sourceDone = true;
          if (values.size === 0) subscriber.complete();
        },
      });

      return () => {
        timer?.unsubscribe();
        counters.queued -= values.size;
        values.clear();
        costs?.clear();
      };
    });
  const limiter = withLego(unlimited ? unlimitedOperator : operator, meter.descriptor);
  Object.defineProperty(limiter, "status$", { value: status.asObservable(), enumerable: false, writable: false });
  return limiter as RateLimitOperator<T>;
}

function safeCost<T>(costOf: Cost<T>, value: T, index: number): unknown {
  try {
    return costOf(value, index);
  } catch (error) {
    return error;
  }
}
