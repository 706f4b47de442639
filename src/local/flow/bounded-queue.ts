import { defer, Observable, startWith, Subject, type SchedulerLike } from "rxjs";
import { derivedName, legoMeter, withLego, type LegoObservable, type MonoLegoOperator } from "../../atom/lego-descriptor.js";
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
import { QUEUE_OVERFLOWS, type QueueOverflow } from "../../policy/concurrency-policy.js";
import { PriorityPolicy } from "../../policy/priority-policy.js";
import { schedulerOption } from "../../time/scheduler.js";
import { hotCounters } from "../hot-counters.js";
import type { InvalidItem } from "./cost.js";
import { demandOption, runGate, type GateStore } from "./demand-gate.js";
import { Ring } from "./ring.js";

/** Options of the {@link BoundedQueue} machine. */
export interface BoundedQueueOptions<T> {
  /** Most items held, a positive integer. */
  capacity: number;
  /**
   * What `offer` does when full: `drop_oldest` evicts the oldest (of the
   * lowest priority class at or below the newcomer's), `drop_newest` and
   * `error` refuse the newcomer. @default "drop_newest"
   */
  overflow?: QueueOverflow;
  /** Strict priority ordering (higher class first, FIFO within a class). @default FIFO */
  priority?: PriorityPolicy<T>;
  /** Group label. @default undefined */
  group?: string;
}

/** What {@link BoundedQueue.offer} did. */
export type QueueOfferResult = "queued" | "evicted" | "refused" | "invalid";

/**
 * The catalog's `BoundedQueue` (a `Queue` with a capacity) as a pure
 * machine: FIFO — or strict priority with a {@link PriorityPolicy} — with
 * an overflow policy and `dropped`/`rejected`/`invalid` counters. Storage is
 * one ring per priority class, grown up to `capacity`; no per-item
 * allocation.
 *
 * ## Example
 * ```ts
 * const q = new BoundedQueue<number>({ capacity: 2, overflow: "drop_oldest" });
 * q.offer(1); q.offer(2); q.offer(3); // "evicted": 1 is dropped
 * q.take(); // 2
 * ```
 * @lego BoundedQueue
 */
export class BoundedQueue<T> {
  readonly capacity: number;
  readonly overflow: QueueOverflow;
  readonly priority: PriorityPolicy<T> | undefined;
  group: string | undefined;
  /** Items evicted by `drop_oldest`. */
  dropped = 0;
  /** Newcomers refused because the queue was full. */
  rejected = 0;
  /** Items whose priority was not an integer in range (refused). */
  invalid = 0;
  /** The priority (or error) of the last invalid item. */
  lastInvalid: unknown = undefined;
  private readonly rings: Ring<T>[];
  private count = 0;

  constructor(options: BoundedQueueOptions<T>) {
    requireObject("options", options);
    this.capacity = requirePositiveInteger("capacity", options.capacity);
    this.overflow = optional("overflow", options.overflow, (n, v) => requireOneOf(n, v, QUEUE_OVERFLOWS)) ?? "drop_newest";
    this.priority = options.priority === undefined ? undefined : PriorityPolicy.from(options.priority);
    this.group = optionalGroup(options.group);
    const levels = this.priority?.levels ?? 1;
    this.rings = Array.from({ length: levels }, () => new Ring<T>(this.capacity));
  }

  /** Items held now. */
  get size(): number {
    return this.count;
  }

  /** Adds `value` (see {@link QueueOfferResult}). */
  offer(value: T): QueueOfferResult {
    let level = 0;
    if (this.priority !== undefined) {
      const p = this.levelOf(value);
      if (p < 0) return "invalid";
      level = p;
    }
    const ring = this.rings[level] as Ring<T>;
    if (this.count < this.capacity) {
      ring.push(value);
      this.count++;
      return "queued";
    }
    if (this.overflow === "drop_oldest") {
      for (let l = 0; l <= level; l++) {
        const victim = this.rings[l] as Ring<T>;
        if (victim.size > 0) {
          victim.shift();
          ring.push(value);
          this.dropped++;
          return "evicted";
        }
      }
    }
    this.rejected++;
    return "refused";
  }

  /** The next item (highest class, oldest first); `undefined` when empty. */
  take(): T | undefined {
    for (let l = this.rings.length - 1; l >= 0; l--) {
      const ring = this.rings[l] as Ring<T>;
      if (ring.size > 0) {
        this.count--;
        return ring.shift();
      }
    }
    return undefined;
  }

  /** The item `take()` would return, kept. */
  peek(): T | undefined {
    for (let l = this.rings.length - 1; l >= 0; l--) {
      const ring = this.rings[l] as Ring<T>;
      if (ring.size > 0) return ring.peek();
    }
    return undefined;
  }

  /** Empties the queue; returns how many items were removed. */
  clear(): number {
    const n = this.count;
    for (const ring of this.rings) ring.clear();
    this.count = 0;
    return n;
  }

  private levelOf(value: T): number {
    const policy = this.priority as PriorityPolicy<T>;
    let p: unknown;
    try {
      p = policy.priorityOf(value);
    } catch (error) {
      p = error;
    }
    if (typeof p === "number" && Number.isInteger(p) && p >= 0 && p < policy.levels) return p;
    this.invalid++;
    this.lastInvalid = p;
    return -1;
  }
}

/** Options of {@link boundedQueue}. */
export interface BoundedQueueOperatorOptions<T> extends BoundedQueueOptions<T> {
  /**
   * The consumer's pull: each emission asks for one item. A pull that finds
   * the queue empty is kept (up to `maxOutstanding`) and served by the next
   * item. A number is a period in ms on the scheduler (rateMatch's demand).
   */
  demand: Observable<unknown> | number;
  /** Most unserved pulls kept while the queue is empty, a positive integer. @default 1 */
  maxOutstanding?: number;
  /** Called for an item with an invalid priority (dropped, counted `invalid`). */
  onInvalid?: (item: InvalidItem<T>) => void;
  /** Where a numeric `demand` ticks. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /** Label shown in the pipeline view. @default `<group>.bounded_queue` when a group is given */
  name?: string;
}

/** {@link boundedQueue}'s operator: a lego with a `depth$` stream. */
export interface BoundedQueueOperator<T> extends MonoLegoOperator<T> {
  /** Items held now, summed over subscriptions: the current depth on subscribe, then every change. */
  readonly depth$: LegoObservable<number>;
}

const COUNTERS = ["depth", "enqueued", "released", "dropped", "rejected", "invalid"] as const;

/**
 * A bounded queue between a fast producer and a slow consumer (the
 * catalog's `BoundedQueue`/`Queue`): source values wait in a
 * {@link BoundedQueue} and are released **only on demand** — each emission
 * of `demand` pulls one. Backpressure is by composition: give it the
 * consumer's pull (a Subject the consumer calls when it is ready, see the
 * example) or a period, as `rateMatch` does. When full, `overflow` decides:
 * `drop_oldest` / `drop_newest` count `dropped` / `rejected`, `error` fails
 * with `LegoError` `QUEUE_FULL`. With a `priority` policy the highest class
 * goes first.
 *
 * Completion: held values keep draining on demand after the source
 * completes; the output completes once the queue is empty. When `demand`
 * completes, granted pulls are still served, then the output completes and
 * what is held counts as `dropped`.
 *
 * ```text
 * source:  abcd-------|
 * demand:  ----x--x--x--x
 *          boundedQueue({ capacity: 2, overflow: "drop_newest", demand })
 * result:  ----a--b---|      (c, d rejected: the queue held a, b)
 * ```
 *
 * ## Example
 * ```ts
 * // a slow async consumer pulls the next item when it is done with one
 * const pull = new BehaviorSubject<void>(undefined); // the first pull
 * fast$.pipe(
 *   boundedQueue({ capacity: 100, overflow: "drop_oldest", demand: pull }),
 *   concatMap((item) => from(store(item)).pipe(finalize(() => pull.next()))),
 * );
 * ```
 * Counters on `lego`: `depth` (now), `enqueued`, `released`, `dropped`,
 * `rejected`, `invalid`.
 * @see {@link BoundedQueue} the machine, `rateMatch` (latest-only), `creditFlow` (credit in units).
 * @lego BoundedQueue
 */
export function boundedQueue<T>(options: BoundedQueueOperatorOptions<T>): BoundedQueueOperator<T> {
  requireObject("options", options);
  const group = optionalGroup(options.group);
  const machineOptions: BoundedQueueOptions<T> = { capacity: options.capacity };
  if (options.overflow !== undefined) machineOptions.overflow = options.overflow;
  if (options.priority !== undefined) machineOptions.priority = options.priority;
  if (group !== undefined) machineOptions.group = group;
  const probe = new BoundedQueue<T>(machineOptions); // validates now, not at subscribe
  const scheduler = schedulerOption(options.scheduler, group);
  const demand = demandOption("demand", options.demand, scheduler);
  const maxOutstanding = optional("maxOutstanding", options.maxOutstanding, requirePositiveInteger) ?? 1;
  const onInvalid = optional("onInvalid", options.onInvalid, (n, v) => requireFunction(n, v as (item: InvalidItem<T>) => void));
  const name = optional("name", options.name, requireNonEmptyString) ?? derivedName(group, "bounded_queue");
  const meter = legoMeter("BoundedQueue", { name, group }, COUNTERS);
  const counters = hotCounters(meter, COUNTERS);
  const depthChanges = new Subject<number>();
  const depth$ = withLego(
    defer(() => depthChanges.pipe(startWith(counters.depth))),
    meter.descriptor,
  );
  const overflow = probe.overflow;
  const one = (): number => 1;

  const operator = (source: Observable<T>): Observable<T> =>
    new Observable<T>((subscriber) => {
      const queue = new BoundedQueue<T>(machineOptions);
      const store: GateStore<T> = {
        get size() {
          return queue.size;
        },
        offer(value) {
          const result = queue.offer(value);
          if (result === "queued") {
            counters.enqueued++;
            counters.depth++;
          } else if (result === "evicted") {
            counters.enqueued++;
            counters.dropped++;
          } else if (result === "invalid") {
            counters.invalid++;
            onInvalid?.({ reason: "bad-priority", value, detail: queue.lastInvalid });
          } else if (overflow === "error") {
            counters.rejected++;
            subscriber.error(new LegoError("QUEUE_FULL", `bounded queue is full (capacity ${queue.capacity})`, { group }));
          } else counters.rejected++;
        },
        headCost: one,
        take() {
          counters.depth--;
          counters.released++;
          return queue.take() as T;
        },
        changed() {
          if (depthChanges.observed) depthChanges.next(counters.depth);
        },
        discard() {
          const n = queue.clear();
          counters.depth -= n;
          return n;
        },
      };
      runGate(subscriber, source, demand, store, one, maxOutstanding, (lost) => {
        counters.dropped += lost;
      });
      return () => {
        const n = queue.clear();
        if (n > 0) {
          counters.depth -= n;
          store.changed();
        }
      };
    });
  const op = withLego(operator, meter.descriptor);
  Object.defineProperty(op, "depth$", { value: depth$, enumerable: false, writable: false });
  return op as BoundedQueueOperator<T>;
}
