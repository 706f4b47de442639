import { Observable } from "rxjs";
import { derivedName, legoMeter, withLego, type MonoLegoOperator } from "../../atom/lego-descriptor.js";
import { LegoError } from "../../atom/lego-error.js";
import {
  optional,
  optionalGroup,
  requireFunction,
  requireNonEmptyString,
  requireObject,
  requireOneOf,
  requirePositive,
  requirePositiveInteger,
} from "../../atom/validate.js";
import { QUEUE_OVERFLOWS, type QueueOverflow } from "../../policy/concurrency-policy.js";
import { hotCounters } from "../hot-counters.js";
import { Cost, type InvalidItem } from "./cost.js";
import { runGate, type GateStore } from "./demand-gate.js";
import { Ring } from "./ring.js";

/** Options of {@link creditFlow}. */
export interface CreditFlowOptions<T> {
  /** Most items held while credit is short, a positive integer. */
  capacity: number;
  /** What one more item does when full (`error`: `LegoError` `QUEUE_FULL`). @default "error" */
  overflow?: QueueOverflow;
  /** The credit each item spends (the catalog's `Cost`). @default 1 per item */
  cost?: Cost<T>;
  /** Most unspent credit banked; grants beyond it are capped. @default Infinity */
  maxCredit?: number;
  /** Called for an item whose cost is not a finite number >= 0 or exceeds `maxCredit` (dropped, counted `invalid`). */
  onInvalid?: (item: InvalidItem<T>) => void;
  /** Label shown in the pipeline view. @default `<group>.flow_control` when a group is given */
  name?: string;
  /** Group label. @default undefined */
  group?: string;
}

const COUNTERS = ["held", "credit", "granted", "released", "dropped", "rejected", "invalid"] as const;

/**
 * Credit-based flow control (the catalog's `FlowControl`, Manyfold's credit
 * model): the consumer grants credit on `credits$` (each emission a number
 * of units), and items pass only while the granted credit covers their
 * cost; the rest wait in a bounded buffer (`capacity`, `overflow`) until
 * more credit comes. Unspent credit is banked (up to `maxCredit`), so a
 * grant made before items exist is honoured later. A grant that is not a
 * finite number > 0 is ignored.
 *
 * Completion: after the source completes, held items still pass as credit
 * arrives; the output completes when none is held. When `credits$`
 * completes, the banked credit is still spent, then the output completes
 * and what is held counts as `dropped`.
 *
 * ```text
 * source:  abcde----------|
 * credits: --2----1--5-
 *          creditFlow(credits, { capacity: 4 })
 * result:  --(ab)-c--(de)-|
 * ```
 *
 * ## Example
 * ```ts
 * // the receiver announces its window in bytes
 * frames$.pipe(creditFlow(windowUpdates$, { capacity: 64, cost: Cost.bytes, group: "link" }));
 * ```
 * Counters on `lego`: `held`, `credit` (now), `granted` (total), `released`,
 * `dropped`, `rejected`, `invalid`.
 * @see `boundedQueue` (one item per pull), `rateMatch`.
 * @lego FlowControl
 */
export function creditFlow<T>(credits$: Observable<number>, options: CreditFlowOptions<T>): MonoLegoOperator<T> {
  if (!(credits$ instanceof Observable)) throw new TypeError("credits$ must be an Observable");
  requireObject("options", options);
  const group = optionalGroup(options.group);
  const capacity = requirePositiveInteger("capacity", options.capacity);
  const overflow = optional("overflow", options.overflow, (n, v) => requireOneOf(n, v, QUEUE_OVERFLOWS)) ?? "error";
  const costOf = optional("cost", options.cost, (n, v) => requireFunction(n, v as Cost<T>));
  const maxCredit = options.maxCredit === Infinity ? Infinity : (optional("maxCredit", options.maxCredit, requirePositive) ?? Infinity);
  const onInvalid = optional("onInvalid", options.onInvalid, (n, v) => requireFunction(n, v as (item: InvalidItem<T>) => void));
  const name = optional("name", options.name, requireNonEmptyString) ?? derivedName(group, "flow_control");
  const meter = legoMeter("FlowControl", { name, group }, COUNTERS);
  const counters = hotCounters(meter, COUNTERS);
  const unit = (): number => 1;

  const operator = (source: Observable<T>): Observable<T> =>
    new Observable<T>((subscriber) => {
      const values = new Ring<T>(capacity);
      const costs = costOf === undefined ? undefined : new Ring<number>(capacity);
      let index = 0;
      let credit = 0;
      const store: GateStore<T> = {
        get size() {
          return values.size;
        },
        offer(value) {
          let cost = 1;
          if (costOf !== undefined) {
            let computed: unknown;
            try {
              computed = costOf(value, index++);
            } catch (error) {
              computed = error;
            }
            if (!Cost.isValid(computed) || computed > maxCredit) {
              counters.invalid++;
              onInvalid?.({ reason: Cost.isValid(computed) ? "over-budget" : "bad-cost", value, detail: computed });
              return;
            }
            cost = computed;
          }
          if (values.size >= capacity) {
            if (overflow === "drop_oldest") {
              values.shift();
              costs?.shift();
              counters.dropped++;
              counters.held--;
            } else {
              counters.rejected++;
              if (overflow === "error") {
                subscriber.error(new LegoError("QUEUE_FULL", `credit flow buffer is full (capacity ${capacity})`, { group }));
              }
              return;
            }
          }
          values.push(value);
          costs?.push(cost);
          counters.held++;
        },
        headCost: costs === undefined ? unit : () => costs.peek() as number,
        take() {
          counters.held--;
          counters.released++;
          const cost = costs === undefined ? 1 : (costs.shift() as number);
          credit -= cost;
          counters.credit -= cost;
          return values.shift() as T;
        },
        changed() {
          /* counters are kept as items move */
        },
        discard() {
          const n = values.size;
          values.clear();
          costs?.clear();
          counters.held -= n;
          return n;
        },
      };
      const grant = (value: unknown): number => {
        if (typeof value !== "number" || !(value > 0) || value === Infinity) return 0;
        const granted = credit + value > maxCredit ? maxCredit - credit : value;
        credit += granted;
        counters.credit += granted;
        counters.granted += granted;
        return value;
      };
      runGate(subscriber, source, credits$, store, grant, maxCredit, (lost) => {
        counters.dropped += lost;
      });
      return () => {
        counters.held -= values.size;
        counters.credit -= credit;
        values.clear();
        costs?.clear();
      };
    });
  return withLego(operator, meter.descriptor);
}
