import { from, isObservable, Observable, type ObservableInput, type Subscription } from "rxjs";
import { derivedName, legoMeter, withLego, type LegoOperator } from "../../atom/lego-descriptor.js";
import { LegoError } from "../../atom/lego-error.js";
import { optional, optionalGroup, requireFunction, requireNonEmptyString, requireObject } from "../../atom/validate.js";
import { ConcurrencyPolicy, type QueueOverflow } from "../../policy/concurrency-policy.js";
import { hotCounters } from "../hot-counters.js";
import { subscribeWithin } from "../subscribe-within.js";
import { Ring } from "./ring.js";
import { Semaphore } from "./semaphore.js";

/** Options of {@link bulkhead}: a {@link ConcurrencyPolicy} (or its fields). */
export interface BulkheadOptions {
  /** Most `work` calls running at once, a positive integer. Required unless `policy` is given. */
  limit?: number;
  /** Most values waiting for a slot, an integer >= 0. @default 0 */
  queue?: number;
  /**
   * What one more value does when `queue` is full: `drop_newest` drops it
   * (counted `rejected`), `drop_oldest` evicts the longest-waiting value
   * (counted `dropped`), `error` fails with `LegoError` `QUEUE_FULL`.
   * @default "drop_newest"
   */
  overflow?: QueueOverflow;
  /** A ready {@link ConcurrencyPolicy}, instead of `limit`/`queue`/`overflow`. */
  policy?: ConcurrencyPolicy;
  /** Label shown in the pipeline view. @default `<group>.bulkhead` when a group is given */
  name?: string;
  /** Group label. @default undefined */
  group?: string;
}

const COUNTERS = ["running", "queued", "started", "completed", "rejected", "dropped"] as const;

interface Pending<T> {
  value: T;
  index: number;
}

function isPromiseLike<R>(input: ObservableInput<R>): input is PromiseLike<R> {
  return !isObservable(input) && typeof (input as { then?: unknown }).then === "function";
}

/**
 * Runs `work` for each value with at most `limit` running at once, like
 * `mergeMap(work, limit)` — but the values waiting for a slot sit in a
 * **bounded, visible** queue (`queue`, counters) with an overflow policy,
 * instead of `mergeMap`'s hidden unbounded buffer. A {@link Semaphore}
 * holds the permits. Results are merged in completion order.
 *
 * Unsubscribing cancels running work (each inner subscription is torn down)
 * and empties the queue. An error from `work` or the source goes downstream
 * at once. The output completes when the source has completed and every
 * started and queued value is done.
 *
 * ```text
 * source:  abc-------|
 *          bulkhead(v => timer(3).pipe(map(() => v.toUpperCase())), { limit: 1, queue: 1 })
 * result:  ---A--B---|      (c is rejected: the queue holds one)
 * ```
 *
 * ## Example
 * ```ts
 * // at most 4 requests in flight, 100 waiting, fail loudly beyond that
 * ids$.pipe(bulkhead((id) => fetchJson(`/item/${id}`), { limit: 4, queue: 100, overflow: "error", group: "api" }));
 * ```
 * Counters on `lego`: `running`, `queued` (now), `started`, `completed`,
 * `rejected`, `dropped`.
 * @see {@link Semaphore}, {@link ConcurrencyPolicy}
 * @lego Semaphore
 */
export function bulkhead<T, R>(work: (value: T, index: number) => ObservableInput<R>, options: BulkheadOptions): LegoOperator<T, R> {
  requireFunction("work", work);
  requireObject("options", options);
  const group = optionalGroup(options.group);
  let policy: ConcurrencyPolicy;
  if (options.policy !== undefined) policy = ConcurrencyPolicy.from(options.policy, "policy");
  else {
    const fields: { limit: number; queue?: number; overflow?: QueueOverflow } = { limit: options.limit as number };
    if (options.queue !== undefined) fields.queue = options.queue;
    if (options.overflow !== undefined) fields.overflow = options.overflow;
    policy = ConcurrencyPolicy.from(fields, "options");
  }
  const name = optional("name", options.name, requireNonEmptyString) ?? derivedName(group, "bulkhead");
  const meter = legoMeter("Semaphore", { name, group }, COUNTERS);
  const counters = hotCounters(meter, COUNTERS);
  const { limit, queue, overflow } = policy;

  const operator = (source: Observable<T>): Observable<R> =>
    new Observable<R>((subscriber) => {
      const semaphore = new Semaphore<Pending<T>>({ permits: limit, maxWaiters: queue });
      if (group !== undefined) semaphore.group = group;
      let index = 0;
      let sourceDone = false;
      let active = 0;
      // Values handed a permit by a finished call, started in a loop (not by
      // recursion) so a long queue of synchronous work cannot grow the stack.
      const ready = new Ring<Pending<T>>(limit);
      let starting = false;

      const finishIfDone = (): void => {
        if (sourceDone && active === 0 && ready.size === 0 && semaphore.waiting === 0) subscriber.complete();
      };
      const runReady = (): void => {
        if (starting) return;
        starting = true;
        while (ready.size > 0 && !subscriber.closed) {
          const next = ready.shift() as Pending<T>;
          start(next.value, next.index);
        }
        starting = false;
        finishIfDone();
      };
      const finishOne = (): void => {
        counters.running--;
        counters.completed++;
        active--;
        const next = semaphore.release();
        if (next !== undefined) {
          counters.queued--;
          ready.push(next);
          runReady();
        } else finishIfDone();
      };
      // Promise results skip the Observable wrapping `from()` would add: one
      // pair of handlers per subscription, no allocation per call.
      const onResolved = (result: R): void => {
        if (subscriber.closed) return;
        subscriber.next(result);
        // next() may have unsubscribed us (take(n) downstream); the teardown has then settled the counters.
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
        if (!subscriber.closed) finishOne();
      };
      const onRejected = (error: unknown): void => {
        subscriber.error(error);
      };
      const start = (value: T, i: number): void => {
        counters.started++;
        counters.running++;
        active++;
        let input: ObservableInput<R>;
        try {
          input = work(value, i);
        } catch (error) {
          subscriber.error(error);
          return;
        }
        if (isPromiseLike(input)) {
          input.then(onResolved, onRejected);
          return;
        }
        let done = false;
        // Assigned once `subscribe` returns; a call that finishes synchronously never needs it.
        let inner: Subscription | undefined;
        // eslint-disable-next-line prefer-const
        inner = from(input).subscribe({
          next: (result) => {
            subscriber.next(result);
          },
          error: (error: unknown) => {
            done = true;
            subscriber.error(error);
          },
          complete: () => {
            if (done) return;
            done = true;
            if (inner !== undefined) subscriber.remove(inner);
            finishOne();
          },
        });
        if (inner.closed) return;
        if (subscriber.closed) inner.unsubscribe();
        else subscriber.add(inner);
      };

      subscribeWithin(subscriber, source, {
        next: (value) => {
          const i = index++;
          if (semaphore.tryAcquire()) {
            start(value, i);
            return;
          }
          const pending = { value, index: i };
          const result = semaphore.acquire(pending);
          if (result === "queued") counters.queued++;
          else if (overflow === "drop_newest") counters.rejected++;
          else if (overflow === "drop_oldest") {
            if (semaphore.evictOldest() === undefined) {
              counters.rejected++;
            } else {
              counters.dropped++;
              semaphore.acquire(pending);
            }
          } else {
            counters.rejected++;
            subscriber.error(new LegoError("QUEUE_FULL", `bulkhead queue is full (limit ${limit}, queue ${queue})`, { group }));
          }
        },
        error: (error: unknown) => {
          subscriber.error(error);
        },
        complete: () => {
          sourceDone = true;
          finishIfDone();
        },
      });

      return () => {
        counters.queued -= semaphore.clearWaiters();
        counters.running -= active;
        active = 0;
      };
    });
  return withLego(operator, meter.descriptor);
}
