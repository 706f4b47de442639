import { firstValueFrom, Observable, Subject, takeUntil, type MonoTypeOperatorFunction } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import {
  CancellationPolicy,
  fromAbortSignal,
  isLegoError,
  LegoError,
  ManualClock,
  takeUntilAborted,
  withAbortSignal,
  type LegoObservable,
  type MonoLegoOperator,
} from "../../../src/index.js";

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe("fromAbortSignal", () => {
  it("emits the reason once when the signal aborts, then completes", () => {
    const controller = new AbortController();
    const log: unknown[] = [];
    fromAbortSignal(controller.signal).subscribe({ next: (r) => log.push(r), complete: () => log.push("done") });
    expect(log).toEqual([]);
    controller.abort("stop");
    controller.abort("again");
    expect(log).toEqual(["stop", "done"]);
  });

  it("emits at once for an already aborted signal", () => {
    const log: unknown[] = [];
    fromAbortSignal(AbortSignal.abort("gone")).subscribe({ next: (r) => log.push(r), complete: () => log.push("done") });
    expect(log).toEqual(["gone", "done"]);
  });

  it("removes its listener on unsubscribe", () => {
    const controller = new AbortController();
    const log: unknown[] = [];
    fromAbortSignal(controller.signal).subscribe((r) => log.push(r)).unsubscribe();
    controller.abort("late");
    expect(log).toEqual([]);
  });

  it("works with takeUntil", () => {
    const controller = new AbortController();
    const source = new Subject<number>();
    const log: unknown[] = [];
    source.pipe(takeUntil(fromAbortSignal(controller.signal))).subscribe({ next: (v) => log.push(v), complete: () => log.push("done") });
    source.next(1);
    controller.abort();
    source.next(2);
    expect(log).toEqual([1, "done"]);
    expect(source.observed).toBe(false);
  });

  it("rejects a non-signal", () => {
    expect(() => fromAbortSignal({} as never)).toThrow(new TypeError("signal must be an AbortSignal"));
  });
});

describe("takeUntilAborted", () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  it("unsubscribes the source and completes when the signal aborts", () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const controller = new AbortController();
      const source = cold("-a-b-c-d-");
      const op = takeUntilAborted<string>(controller.signal);
      testScheduler.schedule(() => controller.abort(), 4);
      expectObservable(source.pipe(op)).toBe("-a-b|");
      expectSubscriptions(source.subscriptions).toBe("^---!");
      testScheduler.flush();
      expect(op.lego.counters.aborted).toBe(1);
    });
  });

  it("errors with ABORTED (cause: the reason) when asked to", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const controller = new AbortController();
      testScheduler.schedule(() => controller.abort("shutdown"), 2);
      expectObservable(cold("-a-b-").pipe(takeUntilAborted(controller.signal, { aborted: "error", group: "g" }))).toBe(
        "-a#",
        undefined,
        new LegoError("ABORTED", "aborted by its signal", { cause: "shutdown", group: "g" }),
      );
    });
  });

  it("never subscribes the source when the signal already aborted", () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold("-a-|");
      expectObservable(source.pipe(takeUntilAborted(AbortSignal.abort()))).toBe("|");
      expectSubscriptions(source.subscriptions).toBe([]);
    });
  });

  it("standard: empty, never, error, early unsubscribe", () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const signal = new AbortController().signal;
      expectObservable(cold("|").pipe(takeUntilAborted(signal))).toBe("|");
      expectObservable(cold("-").pipe(takeUntilAborted(signal))).toBe("-");
      expectObservable(cold("--#").pipe(takeUntilAborted(signal))).toBe("--#");
      const source = cold("-a-b-c-|");
      expectObservable(source.pipe(takeUntilAborted(signal)), "^--!").toBe("-a-");
      expectSubscriptions(source.subscriptions).toBe("^--!");
    });
  });

  it("standard: stops a synchronous source after unsubscribe", () => {
    let emitted = 0;
    const source = new Observable<number>((subscriber) => {
      for (let i = 0; i < 100 && !subscriber.closed; i++) {
        emitted++;
        subscriber.next(i);
      }
      subscriber.complete();
    });
    const controller = new AbortController();
    const seen: number[] = [];
    source.pipe(takeUntilAborted(controller.signal)).subscribe((v) => {
      seen.push(v);
      if (seen.length === 3) controller.abort();
    });
    expect(seen).toEqual([0, 1, 2]);
    expect(emitted).toBe(3);
  });

  it("validates", () => {
    expect(() => takeUntilAborted(null as never)).toThrow(TypeError);
    expect(() => takeUntilAborted(new AbortController().signal, { aborted: "ignore" as never })).toThrow(RangeError);
  });
});

describe("withAbortSignal", () => {
  it("emits the Promise's value and completes", async () => {
    await expect(firstValueFrom(withAbortSignal(() => Promise.resolve(4)))).resolves.toBe(4);
    await expect(firstValueFrom(withAbortSignal(() => Promise.reject(new Error("no"))))).rejects.toThrow("no");
    await expect(firstValueFrom(withAbortSignal(() => 5))).resolves.toBe(5);
  });

  it("aborts the work's signal when the subscriber leaves, with an ABORTED reason", () => {
    let signal: AbortSignal | undefined;
    const work$ = withAbortSignal((s) => {
      signal = s;
      return new Promise<number>(() => undefined);
    });
    const subscription = work$.subscribe();
    expect(signal?.aborted).toBe(false);
    subscription.unsubscribe();
    expect(signal?.aborted).toBe(true);
    expect(isLegoError(signal?.reason, "ABORTED")).toBe(true);
    expect(work$.lego.counters).toEqual({ started: 1, aborted: 1, detached: 0 });
  });

  it("does not abort once the work settled", async () => {
    let signal: AbortSignal | undefined;
    const values: number[] = [];
    const subscription = withAbortSignal((s) => {
      signal = s;
      return Promise.resolve(1);
    }).subscribe((v) => values.push(v));
    await Promise.resolve();
    await Promise.resolve();
    subscription.unsubscribe();
    expect(values).toEqual([1]);
    expect(signal?.aborted).toBe(false);
  });

  it("each subscription runs the work with a fresh signal", () => {
    const signals: AbortSignal[] = [];
    const work$ = withAbortSignal((s) => {
      signals.push(s);
      return new Promise<number>(() => undefined);
    });
    work$.subscribe().unsubscribe();
    work$.subscribe();
    expect(signals).toHaveLength(2);
    expect(signals.map((s) => s.aborted)).toEqual([true, false]);
  });

  it("cascade with a grace period aborts only if the work has not settled by then", async () => {
    const clock = new ManualClock();
    const slow = deferred<number>();
    const quick = deferred<number>();
    const signals: AbortSignal[] = [];
    const make = (d: ReturnType<typeof deferred<number>>) =>
      withAbortSignal(
        (s) => {
          signals.push(s);
          return d.promise;
        },
        { cancellation: CancellationPolicy.cascade(10), scheduler: clock },
      );
    make(slow).subscribe().unsubscribe();
    make(quick).subscribe().unsubscribe();
    quick.resolve(1);
    await quick.promise;
    await Promise.resolve();
    clock.advance(9);
    expect(signals.map((s) => s.aborted)).toEqual([false, false]);
    clock.advance(1);
    expect(signals.map((s) => s.aborted)).toEqual([true, false]);
  });

  it("detach never aborts; the late result is dropped", async () => {
    const d = deferred<number>();
    let signal: AbortSignal | undefined;
    const values: number[] = [];
    const work$ = withAbortSignal(
      (s) => {
        signal = s;
        return d.promise;
      },
      { cancellation: CancellationPolicy.detach() },
    );
    work$.subscribe((v) => values.push(v)).unsubscribe();
    d.resolve(3);
    await d.promise;
    expect(signal?.aborted).toBe(false);
    expect(values).toEqual([]);
    expect(work$.lego.counters.detached).toBe(1);
  });

  it("forwards an Observable work and unsubscribes it", () => {
    const inner = new Subject<number>();
    const values: number[] = [];
    const subscription = withAbortSignal(() => inner).subscribe((v) => values.push(v));
    inner.next(1);
    subscription.unsubscribe();
    inner.next(2);
    expect(values).toEqual([1]);
    expect(inner.observed).toBe(false);
  });

  it("a synchronous throw errors the stream", () => {
    const errors: unknown[] = [];
    withAbortSignal(() => {
      throw new Error("sync");
    }).subscribe({ error: (e: unknown) => errors.push(e) });
    expect(errors).toEqual([new Error("sync")]);
  });

  it("validates and pins its types", () => {
    expect(() => withAbortSignal(3 as never)).toThrow(new TypeError("work must be a function, got 3"));
    expect(() => withAbortSignal(() => 1, { cancellation: { propagation: "x" } as never })).toThrow(RangeError);
    expectTypeOf(withAbortSignal(() => Promise.resolve("x"))).toEqualTypeOf<LegoObservable<string>>();
    expectTypeOf(takeUntilAborted<number>(new AbortController().signal)).toEqualTypeOf<MonoLegoOperator<number>>();
    expectTypeOf(takeUntilAborted<number>(new AbortController().signal)).toExtend<MonoTypeOperatorFunction<number>>();
  });
});
