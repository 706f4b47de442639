import { Observable, type SchedulerAction, type SchedulerLike, type Subscription } from "rxjs";
import { derivedName, legoMeter, withLego, type LegoObservable } from "../../atom/lego-descriptor.js";
import {
  optional,
  optionalGroup,
  requireFunction,
  requireNonEmptyString,
  requireNonNegative,
  requireObject,
  requirePositive,
  requirePositiveInteger,
} from "../../atom/validate.js";
import type { Delivery, DurableQueue } from "../../ports/durable-queue.js";
import { BackoffPolicy, delayForAttempt } from "../../policy/backoff-policy.js";
import { schedulerOption } from "../../time/scheduler.js";

/** Options of {@link work}. */
export interface WorkOptions {
  /** Handlers running at once (the consumer's `concurrency`). @default 1 */
  concurrency?: number;
  /** Visibility timeout of this worker's deliveries, ms (also what each renewal asks for). @default the queue's */
  visibilityTimeout?: number;
  /**
   * While a handler runs, its delivery's visibility is renewed (`extend`)
   * every this many ms, so a slow handler is not redelivered to another
   * worker. @default half the visibility timeout (`visibilityTimeout`, else the queue's, else 30000)
   */
  extendEvery?: number;
  /**
   * The wait before the next attempt after a handler failed, by attempt:
   * the worker nacks with `delay: delayForAttempt(backoff, attempt + 1)`.
   * @default the queue's own backoff (nack without a delay)
   */
  backoff?: BackoffPolicy;
  /**
   * After unsubscribe, how long (ms) handlers already running may take to
   * finish and settle; then the worker lets go of the queue and whatever
   * is still unsettled returns to it. 0: let go at once. @default 30000
   */
  grace?: number;
  /** Where time and timers come from. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /** The worker's lego name. @default `<group>.worker` */
  name?: string;
  /** Label linking the worker (and a ManualClock scheduler without one) to its component. */
  group?: string;
}

/** What became of one delivery a worker handled. */
export type WorkOutcome<T, R> =
  | { readonly type: "acked"; readonly id: string; readonly attempt: number; readonly value: T; readonly result: R }
  | { readonly type: "nacked"; readonly id: string; readonly attempt: number; readonly value: T; readonly error: unknown }
  /** The settle was refused (`DELIVERY_SETTLED`: the visibility lapsed; `QUEUE_CLOSED`): the job is or will be delivered again. */
  | { readonly type: "abandoned"; readonly id: string; readonly attempt: number; readonly value: T; readonly error: unknown };

/** A handler: the job's value and its delivery in, a result (or a Promise of one) out; throwing fails the attempt. */
export type WorkHandler<T, R> = (value: T, delivery: Delivery<T>) => R | PromiseLike<R>;

const WORKER_COUNTERS = ["started", "acked", "nacked", "abandoned", "extended", "returned"] as const;

/** The queue's default visibility timeout, when the queue says (this package's backends do). */
function visibilityOf(queue: object): number | undefined {
  const value = (queue as { visibilityTimeout?: unknown }).visibilityTimeout;
  return typeof value === "number" && value > 0 ? value : undefined;
}

/** @internal Shared by {@link work} and {@link workerPool}. */
export function startWorker<T, R>(
  kind: "Worker" | "WorkerPool",
  queue: DurableQueue<T>,
  handler: WorkHandler<T, R>,
  options: WorkOptions,
): LegoObservable<WorkOutcome<T, R>> {
  if (typeof queue !== "object" || (queue as unknown) === null || typeof queue.consume !== "function") {
    throw new TypeError("queue must be a DurableQueue (with consume())");
  }
  requireFunction("handler", handler);
  requireObject("options", options);
  const concurrency = requirePositiveInteger("concurrency", options.concurrency ?? 1);
  const visibilityTimeout = optional("visibilityTimeout", options.visibilityTimeout, requirePositive);
  const extendEvery = requirePositive("extendEvery", options.extendEvery ?? (visibilityTimeout ?? visibilityOf(queue) ?? 30_000) / 2);
  const backoff = options.backoff === undefined ? undefined : BackoffPolicy.from(options.backoff, "backoff");
  const grace = requireNonNegative("grace", options.grace ?? 30_000);
  const group = optionalGroup(options.group);
  const scheduler = schedulerOption(options.scheduler, group);
  const name = optional("name", options.name, requireNonEmptyString) ?? derivedName(group, kind === "Worker" ? "worker" : "worker_pool");
  const meter = legoMeter(kind, { name, group }, WORKER_COUNTERS);

  const outcomes$ = new Observable<WorkOutcome<T, R>>((subscriber) => {
    let stopping = false;
    let running = 0;
    let ended = false;
    let graceTimer: Subscription | undefined;

    const letGo = (): void => {
      graceTimer?.unsubscribe();
      consumer.unsubscribe();
    };
    const maybeEnd = (): void => {
      if (running > 0) return;
      if (stopping) letGo();
      else if (ended) subscriber.complete();
    };

    const run = async (delivery: Delivery<T>): Promise<void> => {
      running++;
      meter.count("started");
      const base = { id: delivery.id, attempt: delivery.attempt, value: delivery.value };
      const renewal = scheduler.schedule(function (this: SchedulerAction<undefined>) {
        meter.count("extended");
        delivery.extend(visibilityTimeout).catch(() => undefined);
        this.schedule(undefined, extendEvery);
      }, extendEvery);
      let outcome: WorkOutcome<T, R>;
      try {
        const result = await handler(delivery.value, delivery);
        renewal.unsubscribe();
        try {
          await delivery.ack();
          meter.count("acked");
          outcome = { type: "acked", ...base, result };
        } catch (error) {
          meter.count("abandoned");
          outcome = { type: "abandoned", ...base, error };
        }
      } catch (error) {
        renewal.unsubscribe();
        try {
          await delivery.nack(backoff === undefined ? { error } : { error, delay: delayForAttempt(backoff, delivery.attempt + 1) });
          meter.count("nacked");
          outcome = { type: "nacked", ...base, error };
        } catch (refused) {
          meter.count("abandoned");
          outcome = { type: "abandoned", ...base, error: refused };
        }
      }
      running--;
      subscriber.next(outcome);
      maybeEnd();
    };

    const consumer: Subscription = queue.consume({ concurrency, ...(visibilityTimeout === undefined ? {} : { visibilityTimeout }) }).subscribe({
      next: (delivery) => {
        // After unsubscribe: not started; it returns to the queue when the worker lets go.
        if (stopping) {
          meter.count("returned");
          return;
        }
        void run(delivery);
      },
      error: (error: unknown) => {
        subscriber.error(error);
      },
      complete: () => {
        ended = true;
        maybeEnd();
      },
    });

    return () => {
      stopping = true;
      if (running === 0 || grace === 0) {
        letGo();
        return;
      }
      graceTimer = scheduler.schedule(letGo, grace);
    };
  });
  return withLego(outcomes$, meter.descriptor);
}

/**
 * Runs `handler` on the jobs of a {@link DurableQueue} (the catalog's
 * `Worker`): an Observable of outcomes, one per delivery handled. On
 * success the delivery is acked; when the handler throws (or its Promise
 * rejects) it is nacked with the error — after the worker's `backoff`, or
 * the queue's — and the queue dead-letters it after its `maxAttempts`.
 * While a handler runs, the delivery's visibility is renewed every
 * `extendEvery` ms, so a slow handler keeps its job.
 *
 * **Unsubscribing drains.** The worker takes no new job: deliveries that
 * arrive after the unsubscribe are not started. Handlers already running
 * go on for up to `grace` ms and their deliveries are acked or nacked as
 * usual (their outcomes are no longer emitted). Then — when the last one
 * settled, or when `grace` ran out — the worker lets go of the queue, and
 * every delivery still unsettled (not started, or a handler still running
 * past its grace, whose late settle is then refused) returns to the queue
 * for another worker; on this package's backends that return does not
 * count as an attempt. The outcome stream completes when the queue closes.
 *
 * Delivery is at-least-once: a handler that overruns a lapsed deadline or
 * a crash runs again, so handlers should be idempotent (an
 * `IdempotencyStore` makes the effect exactly-once).
 *
 * ```text
 * queue:     a   b(fails)   c
 * outcomes:  -acked(a)-nacked(b)-acked(c)-   …b again after its backoff: acked(b, attempt 2)
 * ```
 *
 * ## Example
 * ```ts
 * const outcomes = work(queue, async (order) => ship(order), { concurrency: 4, backoff: BackoffPolicy.fixed(5_000) });
 * const subscription = outcomes.subscribe((o) => o.type !== "acked" && log.warn(o));
 * process.on("SIGTERM", () => subscription.unsubscribe()); // finishes running jobs, returns the rest
 * ```
 * @see {@link workerPool}, {@link MemoryDurableQueue}, {@link LevelDurableQueue}
 * @lego Worker
 */
export function work<T, R>(queue: DurableQueue<T>, handler: WorkHandler<T, R>, options: WorkOptions = {}): LegoObservable<WorkOutcome<T, R>> {
  return startWorker("Worker", queue, handler, options);
}
