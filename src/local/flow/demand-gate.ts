import { interval, isObservable, Observable, type SchedulerLike, type Subscriber } from "rxjs";
import { requirePositive } from "../../atom/validate.js";
import { subscribeWithin } from "../subscribe-within.js";

/**
 * What a demand-driven flow lego stores and releases. Methods, not
 * closures, so the hot path allocates nothing per item.
 *
 * @internal shared by the flow legos; not part of the package surface.
 */
export interface GateStore<T> {
  /** Items held now. */
  readonly size: number;
  /** Stores (or drops, or errors the subscriber for) a value from the source. */
  offer(value: T): void;
  /** Cost of the item `take()` would return (1 for item-counted credit). */
  headCost(): number;
  /** The next item to release; may shed items on the way (admission). Only called when `size > 0`. */
  take(): T;
  /** After a release or a change of depth. */
  changed(): void;
  /** Everything still held when the output ends early; returns how many were lost. */
  discard(): number;
}

/** `demand` as an Observable: a number is a period in ms on the scheduler. */
export function demandOption(name: string, value: unknown, scheduler: SchedulerLike): Observable<unknown> {
  if (isObservable(value)) return value;
  if (typeof value !== "number") throw new TypeError(`${name} must be an Observable or a period in ms`);
  return interval(requirePositive(name, value), scheduler);
}

/**
 * Connects `source` → `store` → `subscriber` under credit from `demand$`:
 * each demand emission adds `grant(value)` credit (capped at `maxCredit`),
 * and items are released oldest-first while the credit covers the head
 * item's cost. Credit granted while the store is empty waits for the next
 * item (a consumer's pull is never lost), up to `maxCredit`.
 *
 * `demand$` is subscribed before the source, so a pull made at subscribe
 * (a `BehaviorSubject`) is in place before a synchronous source emits.
 *
 * Completion: after the source completes, held items keep draining on
 * demand and the output completes once the store is empty. When `demand$`
 * completes, the credit already granted is still honoured; once it cannot
 * cover the next item the output completes and what is held counts as
 * lost (`onLost`). Errors from either side go downstream at once.
 *
 * @internal shared by the flow legos; not part of the package surface.
 */
export function runGate<T>(
  subscriber: Subscriber<T>,
  source: Observable<T>,
  demand$: Observable<unknown>,
  store: GateStore<T>,
  grant: (demand: unknown) => number,
  maxCredit: number,
  onLost: (count: number) => void,
): void {
  let credit = 0;
  let sourceDone = false;
  let demandDone = false;
  let flushing = false;

  const flush = (): void => {
    if (flushing) return;
    flushing = true;
    while (store.size > 0 && !subscriber.closed) {
      const cost = store.headCost();
      if (credit < cost) break;
      credit -= cost;
      const value = store.take();
      store.changed();
      subscriber.next(value);
    }
    flushing = false;
    if (subscriber.closed) return;
    if (sourceDone && store.size === 0) subscriber.complete();
    else if (demandDone && (credit <= 0 || (store.size > 0 && credit < store.headCost()))) {
      onLost(store.discard());
      subscriber.complete();
    }
  };

  subscribeWithin(subscriber, demand$, {
    next: (value) => {
      const granted = grant(value);
      if (!(granted > 0)) return;
      credit = credit + granted > maxCredit ? maxCredit : credit + granted;
      flush();
    },
    error: (error: unknown) => {
      subscriber.error(error);
    },
    complete: () => {
      demandDone = true;
      flush();
    },
  });
  if (subscriber.closed) return;

  subscribeWithin(subscriber, source, {
    next: (value) => {
      store.offer(value);
      if (subscriber.closed) return;
      store.changed();
      if (credit > 0 || demandDone) flush();
    },
    error: (error: unknown) => {
      subscriber.error(error);
    },
    complete: () => {
      sourceDone = true;
      if (store.size === 0) subscriber.complete();
    },
  });
}
