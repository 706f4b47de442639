import { Observable, type SchedulerLike } from "rxjs";
import { derivedName, legoMeter, withLego, type MonoLegoOperator } from "../../atom/lego-descriptor.js";
import { LegoError } from "../../atom/lego-error.js";
import { optional, optionalGroup, requireNonEmptyString, requireObject, requirePositiveInteger } from "../../atom/validate.js";
import { AdmissionPolicy, type AdmissionPolicyOptions } from "../../policy/admission-policy.js";
import { isClock, systemClock, type Clock } from "../../time/clock.js";
import { schedulerOption } from "../../time/scheduler.js";
import { hotCounters } from "../hot-counters.js";
import { demandOption, runGate, type GateStore } from "./demand-gate.js";
import { Ring } from "./ring.js";

/** Options of the {@link AdmissionQueue} machine. */
export interface AdmissionQueueOptions {
  /** The policy (`maxDepth`, `maxAge`, `shed`). */
  policy: AdmissionPolicy;
  /** Where arrival times come from. @default systemClock */
  clock?: Clock;
}

/** What {@link AdmissionQueue.offer} did. */
export type AdmissionResult = "admitted" | "shed";

/**
 * The catalog's `AdmissionPolicy` applied: a FIFO that refuses a newcomer
 * when `maxDepth` items wait and, when an item's turn comes, sheds it
 * instead if it has waited longer than `maxAge` ms (stale work is not worth
 * serving). Arrival times come from the clock; no timers.
 *
 * ## Example
 * ```ts
 * const q = new AdmissionQueue<string>({ policy: AdmissionPolicy.of({ maxDepth: 100, maxAge: 500 }), clock });
 * q.offer("job");  // "admitted" (or "shed" when 100 wait)
 * q.take();        // the oldest job not older than 500 ms; older ones are shed on the way
 * ```
 * @lego AdmissionPolicy
 */
export class AdmissionQueue<T> {
  readonly policy: AdmissionPolicy;
  readonly clock: Clock;
  /** Items refused at the door (depth) plus items shed at their turn (age). */
  shed = 0;
  /** Of `shed`, those shed for age. */
  shedForAge = 0;
  private readonly values: Ring<T>;
  private readonly arrivals: Ring<number>;

  constructor(options: AdmissionQueueOptions) {
    requireObject("options", options);
    this.policy = AdmissionPolicy.from(options.policy, "policy");
    if (options.clock !== undefined && !isClock(options.clock)) throw new TypeError("clock must be a Clock (with now())");
    this.clock = options.clock ?? systemClock;
    this.values = new Ring<T>(this.policy.maxDepth);
    this.arrivals = new Ring<number>(this.policy.maxDepth);
  }

  /** Items waiting now (some may be past `maxAge`, shed at their turn). */
  get size(): number {
    return this.values.size;
  }

  /** Admits `value`, or sheds it when `maxDepth` items wait. */
  offer(value: T): AdmissionResult {
    if (this.values.size >= this.policy.maxDepth) {
      this.shed++;
      return "shed";
    }
    this.values.push(value);
    this.arrivals.push(this.clock.now());
    return "admitted";
  }

  /** Sheds the items at the head older than `maxAge`; returns how many. */
  shedStale(): number {
    if (this.policy.maxAge === Infinity) return 0;
    const now = this.clock.now();
    let n = 0;
    while (this.arrivals.size > 0 && now - (this.arrivals.peek() as number) > this.policy.maxAge) {
      this.arrivals.shift();
      this.values.shift();
      n++;
    }
    this.shed += n;
    this.shedForAge += n;
    return n;
  }

  /** The oldest admitted item (call `shedStale()` first to skip stale ones); `undefined` when empty. */
  take(): T | undefined {
    this.arrivals.shift();
    return this.values.shift();
  }

  /** Empties the queue; returns how many items were removed. */
  clear(): number {
    const n = this.values.size;
    this.values.clear();
    this.arrivals.clear();
    return n;
  }
}

/** Options of {@link admission}: an {@link AdmissionPolicy} (or its fields) and the consumer's demand. */
export interface AdmissionOptions extends Partial<AdmissionPolicyOptions> {
  /** A ready policy, instead of `maxDepth`/`maxAge`/`shed`. */
  policy?: AdmissionPolicy;
  /** Each emission pulls one item; a number is a period in ms (see `boundedQueue`). */
  demand: Observable<unknown> | number;
  /** Most unserved pulls kept while empty, a positive integer. @default 1 */
  maxOutstanding?: number;
  /** Where time is read and a numeric `demand` ticks. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /** Label shown in the pipeline view. @default `<group>.admission` when a group is given */
  name?: string;
  /** Group label. @default undefined */
  group?: string;
}

const COUNTERS = ["depth", "admitted", "released", "shed", "shedForAge"] as const;

/**
 * Load shedding at the front door (the catalog's `AdmissionPolicy`): values
 * wait for the consumer's demand in an {@link AdmissionQueue}; a newcomer
 * that finds `maxDepth` waiting is shed, and a value that waited longer
 * than `maxAge` ms is shed when its turn comes instead of being served
 * late. With `shed: "drop"` (default) shed values are counted and the
 * stream goes on; with `shed: "error"` the first one fails the stream with
 * `LegoError` `LOAD_SHED`. Completion as `boundedQueue`.
 *
 * ```text
 * source:  abc--------|
 * demand:  -----x-x---x
 *          admission({ maxDepth: 2, maxAge: 6, demand })
 * result:  -----a-b---|     (c shed for depth; nothing is older than 6 when served)
 * ```
 *
 * ## Example
 * ```ts
 * requests$.pipe(admission({ maxDepth: 200, maxAge: 2_000, demand: workerReady$, group: "edge" }));
 * ```
 * Counters on `lego`: `depth` (now), `admitted`, `released`, `shed` (all), `shedForAge`.
 * @see {@link AdmissionPolicy}, `boundedQueue`, `bulkhead`.
 * @lego AdmissionPolicy
 */
export function admission<T>(options: AdmissionOptions): MonoLegoOperator<T> {
  requireObject("options", options);
  const group = optionalGroup(options.group);
  let policy: AdmissionPolicy;
  if (options.policy !== undefined) policy = AdmissionPolicy.from(options.policy, "policy");
  else {
    const fields: AdmissionPolicyOptions = { maxDepth: options.maxDepth as number };
    if (options.maxAge !== undefined) fields.maxAge = options.maxAge;
    if (options.shed !== undefined) fields.shed = options.shed;
    policy = AdmissionPolicy.from(fields as AdmissionPolicy, "options");
  }
  const scheduler = schedulerOption(options.scheduler, group);
  const demand = demandOption("demand", options.demand, scheduler);
  const maxOutstanding = optional("maxOutstanding", options.maxOutstanding, requirePositiveInteger) ?? 1;
  const name = optional("name", options.name, requireNonEmptyString) ?? derivedName(group, "admission");
  const meter = legoMeter("AdmissionPolicy", { name, group }, COUNTERS);
  const counters = hotCounters(meter, COUNTERS);
  const one = (): number => 1;

  const operator = (source: Observable<T>): Observable<T> =>
    new Observable<T>((subscriber) => {
      const queue = new AdmissionQueue<T>({ policy, clock: scheduler });
      const shed = (count: number, why: string): void => {
        counters.shed += count;
        if (policy.shed === "error") subscriber.error(new LegoError("LOAD_SHED", `load shed: ${why}`, { group }));
      };
      const store: GateStore<T> = {
        get size() {
          return queue.size;
        },
        offer(value) {
          if (queue.offer(value) === "shed") {
            shed(1, `${policy.maxDepth} items waiting (maxDepth)`);
            return;
          }
          counters.admitted++;
          counters.depth++;
        },
        headCost() {
          // Stale items at the head are shed before the credit is spent on them.
          const stale = queue.shedStale();
          if (stale > 0) {
            counters.depth -= stale;
            counters.shedForAge += stale;
            shed(stale, `waited longer than ${policy.maxAge} ms (maxAge)`);
            if (queue.size === 0 || subscriber.closed) return Infinity;
          }
          return 1;
        },
        take() {
          counters.depth--;
          counters.released++;
          return queue.take() as T;
        },
        changed() {
          /* depth is kept in the counters */
        },
        discard() {
          const n = queue.clear();
          counters.depth -= n;
          return n;
        },
      };
      runGate(subscriber, source, demand, store, one, maxOutstanding, (lost) => {
        counters.shed += lost;
      });
      return () => {
        counters.depth -= queue.clear();
      };
    });
  return withLego(operator, meter.descriptor);
}
