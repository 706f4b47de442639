import { Observable, type SchedulerLike } from "rxjs";
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
import { QUEUE_OVERFLOWS, type QueueOverflow } from "../../policy/concurrency-policy.js";
import { FairnessPolicy, weightOf } from "../../policy/fairness-policy.js";
import { schedulerOption } from "../../time/scheduler.js";
import { hotCounters } from "../hot-counters.js";
import type { InvalidItem } from "./cost.js";
import { demandOption, runGate, type GateStore } from "./demand-gate.js";
import { Ring } from "./ring.js";
import type { QueueOfferResult } from "./bounded-queue.js";

/** A key a fair queue shares capacity by: a tenant, a sensor, a flow. */
export type FairKey = string | number;

/** Options of the {@link WeightedFairQueue} machine. */
export interface WeightedFairQueueOptions {
  /** Most items held per key, a positive integer. */
  perKey: number;
  /** Most keys with items held at once, a positive integer (a newcomer's key beyond it is refused). @default 1024 */
  maxKeys?: number;
  /** What a full key does with one more item (`error` refuses it like `drop_newest`). @default "drop_newest" */
  overflow?: QueueOverflow;
  /** Shares per key. @default FairnessPolicy.equal() */
  fairness?: FairnessPolicy;
  /** Group label. @default undefined */
  group?: string;
}

interface Lane<T> {
  readonly key: FairKey;
  readonly weight: number;
  readonly ring: Ring<T>;
  deficit: number;
}

/**
 * The catalog's `FairnessPolicy` applied: a weighted fair queue (deficit
 * round robin with unit cost) across keys, each key bounded to `perKey`
 * items. While several keys have work waiting, each gets releases in
 * proportion to its weight, so one heavy key cannot starve the others; a
 * key's lane is forgotten when it empties, so `maxKeys` bounds memory.
 *
 * ## Example
 * ```ts
 * const q = new WeightedFairQueue<string>({ perKey: 10, fairness: FairnessPolicy.weighted({ weights: { a: 2 } }) });
 * for (const v of ["a1", "a2", "a3", "a4"]) q.offer("a", v);
 * q.offer("b", "b1"); q.offer("b", "b2");
 * [q.take(), q.take(), q.take(), q.take()]; // a1 a2 b1 a3 — a gets two turns per b's one
 * ```
 * @see `fairQueue` the operator.
 * @lego FairnessPolicy
 */
export class WeightedFairQueue<T> {
  readonly perKey: number;
  readonly maxKeys: number;
  readonly overflow: QueueOverflow;
  readonly fairness: FairnessPolicy;
  group: string | undefined;
  /** Items evicted by `drop_oldest`. */
  dropped = 0;
  /** Items refused: their key was full, or a new key found `maxKeys` lanes. */
  rejected = 0;
  private readonly lanes = new Map<FairKey, Lane<T>>();
  /** Lanes with items, in round-robin order. */
  private readonly active: Lane<T>[] = [];
  private cursor = 0;
  private inTurn = false;
  private count = 0;

  constructor(options: WeightedFairQueueOptions) {
    requireObject("options", options);
    this.perKey = requirePositiveInteger("perKey", options.perKey);
    this.maxKeys = optional("maxKeys", options.maxKeys, requirePositiveInteger) ?? 1024;
    this.overflow = optional("overflow", options.overflow, (n, v) => requireOneOf(n, v, QUEUE_OVERFLOWS)) ?? "drop_newest";
    this.fairness = options.fairness === undefined ? FairnessPolicy.equal() : FairnessPolicy.from(options.fairness);
    this.group = optionalGroup(options.group);
  }

  /** Items held now, over all keys. */
  get size(): number {
    return this.count;
  }

  /** Keys with items held now. */
  get keys(): number {
    return this.active.length;
  }

  /** Items held for `key`. */
  depthOf(key: FairKey): number {
    return this.lanes.get(key)?.ring.size ?? 0;
  }

  /** Adds `value` under `key`. */
  offer(key: FairKey, value: T): QueueOfferResult {
    let lane = this.lanes.get(key);
    if (lane === undefined) {
      if (this.active.length >= this.maxKeys) {
        this.rejected++;
        return "refused";
      }
      lane = { key, weight: weightOf(this.fairness, String(key)), ring: new Ring<T>(this.perKey), deficit: 0 };
      this.lanes.set(key, lane);
      this.active.push(lane);
    }
    if (lane.ring.size < this.perKey) {
      lane.ring.push(value);
      this.count++;
      return "queued";
    }
    if (this.overflow === "drop_oldest") {
      lane.ring.shift();
      lane.ring.push(value);
      this.dropped++;
      return "evicted";
    }
    this.rejected++;
    return "refused";
  }

  /** The next item in weighted round-robin order; `undefined` when empty. */
  take(): T | undefined {
    if (this.count === 0) return undefined;
    for (;;) {
      const lane = this.active[this.cursor] as Lane<T>;
      if (!this.inTurn) {
        lane.deficit += lane.weight;
        this.inTurn = true;
      }
      if (lane.deficit >= 1) {
        lane.deficit -= 1;
        const item = lane.ring.shift() as T;
        this.count--;
        if (lane.ring.size === 0) this.retire();
        return item;
      }
      this.inTurn = false;
      this.cursor = this.cursor + 1 >= this.active.length ? 0 : this.cursor + 1;
    }
  }

  /** Empties every lane; returns how many items were removed. */
  clear(): number {
    const n = this.count;
    this.lanes.clear();
    this.active.length = 0;
    this.cursor = 0;
    this.inTurn = false;
    this.count = 0;
    return n;
  }

  private retire(): void {
    const lane = this.active[this.cursor] as Lane<T>;
    this.lanes.delete(lane.key);
    this.active.splice(this.cursor, 1);
    this.inTurn = false;
    if (this.cursor >= this.active.length) this.cursor = 0;
  }
}

/** Options of {@link fairQueue}. */
export interface FairQueueOptions<T> extends WeightedFairQueueOptions {
  /** The key of each value; a throw or a non-string/number result is invalid data (dropped, counted). */
  key: (value: T) => FairKey;
  /** Each emission pulls one item; a number is a period in ms (see `boundedQueue`). */
  demand: Observable<unknown> | number;
  /** Most unserved pulls kept while empty, a positive integer. @default 1 */
  maxOutstanding?: number;
  /** Called for a value whose key is invalid. */
  onInvalid?: (item: InvalidItem<T>) => void;
  /** Where a numeric `demand` ticks. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /** Label shown in the pipeline view. @default `<group>.fair_queue` when a group is given */
  name?: string;
}

const COUNTERS = ["depth", "keys", "enqueued", "released", "dropped", "rejected", "invalid"] as const;

/**
 * A weighted fair queue across keys (tenants, sensors), released on demand:
 * each `demand` emission pulls one value, chosen by weighted round robin
 * over the keys that have values waiting, so a flood from one key does not
 * delay the others by more than their turn. Each key holds at most
 * `perKey` values (`overflow` as in `boundedQueue`; `error` fails with
 * `QUEUE_FULL`), at most `maxKeys` keys at once. Completion as `boundedQueue`.
 *
 * ```text
 * source:  (a1 a2 a3 b1)----------|
 * demand:  --x--x--x--x
 *          fairQueue({ key: v => v[0], perKey: 4, demand })
 * result:  --a1-b1-a2-a3|
 * ```
 *
 * ## Example
 * ```ts
 * readings$.pipe(
 *   fairQueue({ key: (r) => r.sensorId, perKey: 50, demand: 10, fairness: FairnessPolicy.weighted({ weights: { critical: 4 } }) }),
 * );
 * ```
 * Counters on `lego`: `depth`, `keys` (now), `enqueued`, `released`, `dropped`, `rejected`, `invalid`.
 * @see {@link WeightedFairQueue}, {@link FairnessPolicy}, `boundedQueue`.
 * @lego FairnessPolicy
 */
export function fairQueue<T>(options: FairQueueOptions<T>): MonoLegoOperator<T> {
  requireObject("options", options);
  const group = optionalGroup(options.group);
  const keyOf = requireFunction("key", options.key);
  const machineOptions: WeightedFairQueueOptions = { perKey: options.perKey };
  if (options.maxKeys !== undefined) machineOptions.maxKeys = options.maxKeys;
  if (options.overflow !== undefined) machineOptions.overflow = options.overflow;
  if (options.fairness !== undefined) machineOptions.fairness = options.fairness;
  if (group !== undefined) machineOptions.group = group;
  const overflow = new WeightedFairQueue<T>(machineOptions).overflow; // validates now
  const scheduler = schedulerOption(options.scheduler, group);
  const demand = demandOption("demand", options.demand, scheduler);
  const maxOutstanding = optional("maxOutstanding", options.maxOutstanding, requirePositiveInteger) ?? 1;
  const onInvalid = optional("onInvalid", options.onInvalid, (n, v) => requireFunction(n, v as (item: InvalidItem<T>) => void));
  const name = optional("name", options.name, requireNonEmptyString) ?? derivedName(group, "fair_queue");
  const meter = legoMeter("FairnessPolicy", { name, group }, COUNTERS);
  const counters = hotCounters(meter, COUNTERS);
  const one = (): number => 1;

  const operator = (source: Observable<T>): Observable<T> =>
    new Observable<T>((subscriber) => {
      const queue = new WeightedFairQueue<T>(machineOptions);
      let keys = 0;
      const syncKeys = (): void => {
        counters.keys += queue.keys - keys;
        keys = queue.keys;
      };
      const store: GateStore<T> = {
        get size() {
          return queue.size;
        },
        offer(value) {
          let key: unknown;
          try {
            key = keyOf(value);
          } catch (error) {
            key = error;
          }
          if (typeof key !== "string" && typeof key !== "number") {
            counters.invalid++;
            onInvalid?.({ reason: "bad-key", value, detail: key });
            return;
          }
          const result = queue.offer(key, value);
          if (result === "queued") {
            counters.enqueued++;
            counters.depth++;
          } else if (result === "evicted") {
            counters.enqueued++;
            counters.dropped++;
          } else if (overflow === "error") {
            counters.rejected++;
            subscriber.error(new LegoError("QUEUE_FULL", `fair queue is full for key ${String(key)}`, { group }));
          } else counters.rejected++;
        },
        headCost: one,
        take() {
          counters.depth--;
          counters.released++;
          return queue.take() as T;
        },
        changed: syncKeys,
        discard() {
          const n = queue.clear();
          counters.depth -= n;
          syncKeys();
          return n;
        },
      };
      runGate(subscriber, source, demand, store, one, maxOutstanding, (lost) => {
        counters.dropped += lost;
      });
      return () => {
        counters.depth -= queue.clear();
        syncKeys();
      };
    });
  return withLego(operator, meter.descriptor);
}
