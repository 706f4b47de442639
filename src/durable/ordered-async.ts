import { Observable, type Subscription } from "rxjs";
import { LegoError } from "../atom/lego-error.js";

/** Returned by a step to emit nothing for a value. */
export const SKIP: unique symbol = Symbol("skip");

/** Options of {@link orderedAsync}. */
export interface OrderedAsyncOptions {
  /** Values waiting for the step at most; one more errors with `QUEUE_FULL`. */
  readonly maxPending: number;
  /** Who is waiting, for the error message (e.g. "inbox"). */
  readonly what: string;
  readonly group: string | undefined;
  /** Told when a value found the queue full. */
  readonly onRejected: () => void;
}

/**
 * Runs an async `step` on each value one at a time, in arrival order, and
 * emits its results (except {@link SKIP}): `concatMap` with a bounded
 * queue. The source's completion or error passes after the values before
 * it; unsubscribing drops the queue (a step in progress finishes, its
 * result is not emitted). A step must not throw.
 */
export function orderedAsync<T, R>(source: Observable<T>, step: (value: T) => Promise<R | typeof SKIP>, options: OrderedAsyncOptions): Observable<R> {
  return new Observable<R>((subscriber) => {
    const queue: T[] = [];
    const state: { running: boolean; stopped: boolean; cut: boolean; ending: { error: unknown } | "complete" | undefined } = {
      running: false,
      stopped: false,
      cut: false,
      ending: undefined,
    };
    let upstream: Subscription | undefined = undefined;
    const live = (): boolean => !state.stopped;

    const finish = (): void => {
      const { ending } = state;
      if (state.running || queue.length > 0 || ending === undefined || state.stopped) return;
      state.stopped = true;
      if (ending === "complete") subscriber.complete();
      else subscriber.error(ending.error);
    };
    const pump = async (): Promise<void> => {
      if (state.running) return;
      state.running = true;
      for (let next = queue.shift(); next !== undefined && live(); next = queue.shift()) {
        const result = await step(next);
        if (live() && result !== SKIP) subscriber.next(result);
      }
      state.running = false;
      finish();
    };

    upstream = source.subscribe({
      next: (value) => {
        if (state.stopped || state.ending !== undefined) return;
        if (queue.length >= options.maxPending) {
          options.onRejected();
          state.ending = {
            error: new LegoError("QUEUE_FULL", `${options.what}: ${options.maxPending} values already wait (maxPending)`, { group: options.group }),
          };
          queue.length = 0;
          state.cut = true;
          upstream?.unsubscribe();
          finish();
          return;
        }
        queue.push(value);
        void pump();
      },
      error: (error: unknown) => {
        state.ending ??= { error };
        finish();
      },
      complete: () => {
        state.ending ??= "complete";
        finish();
      },
    });
    const subscription = upstream;
    if (state.cut) subscription.unsubscribe();
    return () => {
      state.stopped = true;
      queue.length = 0;
      subscription.unsubscribe();
    };
  });
}
