import { Observable, Subject, take } from "rxjs";
import fc from "fast-check";
import { describe, expect, expectTypeOf, it } from "vitest";
import { marbles, type MarbleHelpers } from "manyfold-rx/testing";
import {
  BackoffPolicy,
  isLegoError,
  localSensorSource,
  ManualClock,
  RetryPolicy,
  SequenceCounter,
  sensorHealth,
  sensorReading,
  type HealthStatus,
  type InvalidSourceItem,
  type LocalSensorSource,
  type SensorSample,
} from "../../src/index.js";

const assertDeepEqual = (actual: unknown, expected: unknown): void => {
  expect(actual).toEqual(expected);
};
const run = <R>(callback: (helpers: MarbleHelpers) => R): R => marbles(callback, { assertDeepEqual });

const sample = <T>(value: T, t: number, sequenceNumber: number, extra: object = {}): SensorSample<T> => ({
  value,
  sourceTimestamp: t,
  ingestTimestamp: t,
  sequenceNumber,
  ...extra,
});

/** A read that returns 1, 2, 3, … */
function counting(): () => number {
  let n = 0;
  return () => ++n;
}

/** A read that follows a script: a number is returned, an Error thrown. */
function scripted(script: readonly (number | Error)[]): () => number {
  let i = 0;
  return () => {
    const step = script[Math.min(i++, script.length - 1)];
    if (step instanceof Error) throw step;
    return step ?? 0;
  };
}

/** Lets pending Promise callbacks run (one macrotask turn, no wall-clock wait on timers). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("localSensorSource — marbles (sync reads)", () => {
  it("every: reads at subscribe (t = 0), then every `every` ms", () => {
    run(({ expectObservable }) => {
      const source = localSensorSource(counting(), { every: 3 });
      expectObservable(source, "^-------!").toBe("a--b--c-", { a: sample(1, 0, 1), b: sample(2, 3, 2), c: sample(3, 6, 3) });
    });
  });

  it("trigger: reads on each emission and completes with the trigger", () => {
    run(({ hot, expectObservable }) => {
      const trigger = hot("--x---x--|");
      expectObservable(localSensorSource(counting(), { trigger })).toBe("--a---b--|", { a: sample(1, 2, 1), b: sample(2, 6, 2) });
    });
  });

  it("trigger with string quality and status labels (the seed's quality: str)", () => {
    run(({ hot, expectObservable }) => {
      const trigger = hot("--x--|");
      const source = localSensorSource(counting(), { trigger, quality: "good", status: "ok" });
      expectObservable(source).toBe("--a--|", { a: sample(1, 2, 1, { quality: "good", status: "ok" }) });
    });
  });

  it("empty trigger: completes without reading", () => {
    run(({ cold, expectObservable }) => {
      let reads = 0;
      expectObservable(localSensorSource(() => ++reads, { trigger: cold("|") })).toBe("|");
      expect(reads).toBe(0);
    });
  });

  it("never trigger: emits nothing", () => {
    run(({ cold, expectObservable }) => {
      expectObservable(localSensorSource(counting(), { trigger: cold("-") })).toBe("-");
    });
  });

  it("trigger error goes downstream", () => {
    run(({ cold, expectObservable }) => {
      const trigger = cold("-x-#", undefined, new Error("bus fault"));
      expectObservable(localSensorSource(counting(), { trigger })).toBe("-a-#", { a: sample(1, 1, 1) }, new Error("bus fault"));
    });
  });

  it("onReadError 'error' (default): a failed read errors the stream with the read's error", () => {
    run(({ expectObservable }) => {
      const read = scripted([1, new Error("i2c nack")]);
      expectObservable(localSensorSource(read, { every: 5 })).toBe("a----#", { a: sample(1, 0, 1) }, new Error("i2c nack"));
    });
  });

  it("retries with backoff on the scheduler; ticks during the read and its retries are ignored", () => {
    run(({ expectObservable, flush }) => {
      const read = scripted([new Error("busy"), new Error("busy"), 7, 8]);
      const source = localSensorSource(read, { every: 3, retry: RetryPolicy.attempts(3), backoff: BackoffPolicy.fixed(2) });
      // attempts at 0, 2, 4 → sample at 4; the tick at 3 is ignored; the tick at 6 reads again.
      expectObservable(source, "^------!").toBe("----a-b", { a: sample(7, 4, 1), b: sample(8, 6, 2) });
      flush();
      expect(source.lego.counters).toMatchObject({ reads: 4, retries: 2, ignored: 1, emitted: 2 });
    });
  });

  it("errors after the retry policy is exhausted, with the last error as it is", () => {
    run(({ expectObservable }) => {
      const read = scripted([new Error("a"), new Error("b")]);
      const source = localSensorSource(read, { every: 10, retry: RetryPolicy.attempts(2), backoff: BackoffPolicy.fixed(3) });
      expectObservable(source).toBe("---#", undefined, new Error("b"));
    });
  });

  it("onReadError 'skip': reports the failure and keeps polling without consuming a number", () => {
    run(({ expectObservable, flush }) => {
      const failures: unknown[] = [];
      const read = scripted([1, new Error("glitch"), 3]);
      const source = localSensorSource(read, { every: 2, onReadError: "skip", onError: (e) => failures.push(e) });
      const skipped: unknown[] = [];
      source.errors$.subscribe((e) => skipped.push(e));
      expectObservable(source, "^-----!").toBe("a---b-", { a: sample(1, 0, 1), b: sample(3, 4, 2) });
      flush();
      expect(failures).toEqual([new Error("glitch")]);
      expect(skipped).toEqual([new Error("glitch")]);
      expect(source.lego.counters).toMatchObject({ skipped: 1, emitted: 2 });
    });
  });

  it("early unsubscribe stops polling", () => {
    run(({ expectObservable, flush }) => {
      let reads = 0;
      expectObservable(localSensorSource(() => ++reads, { every: 2 }), "^--!").toBe("a-b", {
        a: sample(1, 0, 1),
        b: sample(2, 2, 2),
      });
      flush();
      expect(reads).toBe(2);
    });
  });

  it("early unsubscribe cancels a pending retry wait", () => {
    run(({ expectObservable, flush }) => {
      let reads = 0;
      const read = (): number => {
        reads++;
        throw new Error("x");
      };
      const source = localSensorSource(read, { every: 100, retry: RetryPolicy.forever(), backoff: BackoffPolicy.fixed(5) });
      expectObservable(source, "^-------!").toBe("--------");
      flush();
      expect(reads).toBe(2); // at 0 and 5; the wait until 10 was cancelled at 8
    });
  });

  it("resubscription numbers afresh with its own counter, continues with a shared one", () => {
    run(({ hot, expectObservable }) => {
      const trigger = hot("-x--x-");
      const own = localSensorSource(() => 0, { trigger });
      expectObservable(own).toBe("-a--b-", { a: sample(0, 1, 1), b: sample(0, 4, 2) });
      expectObservable(own, "---^").toBe("----a-", { a: sample(0, 4, 1) });
      const sequence = new SequenceCounter();
      const shared = localSensorSource(() => 0, { trigger, sequence });
      expectObservable(shared, "^-!").toBe("-a-", { a: sample(0, 1, 1) });
      expectObservable(shared, "---^").toBe("----a-", { a: sample(0, 4, 2) });
    });
  });
});

describe("localSensorSource — samples", () => {
  it("stops a synchronous source after unsubscribe", () => {
    let ticks = 0;
    const trigger = new Observable<number>((subscriber) => {
      for (let i = 0; i < 1_000 && !subscriber.closed; i++) {
        ticks++;
        subscriber.next(i);
      }
      subscriber.complete();
    });
    let reads = 0;
    const seen: SensorSample<number>[] = [];
    localSensorSource(() => ++reads, { trigger, scheduler: new ManualClock() })
      .pipe(take(2))
      .subscribe((s) => seen.push(s));
    expect(seen.map((s) => s.value)).toEqual([1, 2]);
    expect([ticks, reads]).toEqual([2, 2]);
  });

  it("delivers the first sample synchronously at subscribe with a sync read", () => {
    const clock = new ManualClock(50);
    const seen: SensorSample<number>[] = [];
    localSensorSource(() => 1, { every: 10, scheduler: clock }).subscribe((s) => seen.push(s));
    expect(seen).toEqual([sample(1, 50, 1)]);
    clock.advance(10);
    expect(seen.map((s) => s.ingestTimestamp)).toEqual([50, 60]);
  });

  it("keeps sensorReading's sourceTimestamp; ingestTimestamp is the scheduler's time", () => {
    const clock = new ManualClock(1_000);
    const seen: SensorSample<number>[] = [];
    localSensorSource(() => sensorReading(21.5, 995), { every: 10, scheduler: clock }).subscribe((s) => seen.push(s));
    expect(seen).toEqual([{ value: 21.5, sourceTimestamp: 995, ingestTimestamp: 1_000, sequenceNumber: 1 }]);
  });

  it("copies quality and status into every sample", () => {
    const seen: SensorSample<number>[] = [];
    localSensorSource(() => 3, { every: 10, scheduler: new ManualClock(), quality: "good", status: "ok" }).subscribe((s) => seen.push(s));
    expect(seen).toEqual([sample(3, 0, 1, { quality: "good", status: "ok" })]);
  });

  it("drops, counts and reports an invalid value without consuming a number", () => {
    const clock = new ManualClock();
    const invalid: InvalidSourceItem[] = [];
    const source = localSensorSource(scripted([1, Number.NaN, 3]), { every: 1, scheduler: clock, onInvalid: (i) => invalid.push(i) });
    const seen: SensorSample<number>[] = [];
    source.subscribe((s) => seen.push(s));
    clock.advance(2);
    expect(seen.map((s) => [s.value, s.sequenceNumber])).toEqual([
      [1, 1],
      [3, 2],
    ]);
    expect(invalid.map((i) => i.reason)).toEqual(["invalid-sample"]);
    expect(invalid[0]?.item).toBeNaN();
    expect(source.lego.counters).toMatchObject({ invalid: 1, emitted: 2 });
  });

  it("numbers with the counter's step from its current value", () => {
    const sequence = new SequenceCounter({ start: 100, step: 10 });
    const seen: number[] = [];
    const clock = new ManualClock();
    localSensorSource(() => 0, { every: 1, scheduler: clock, sequence }).subscribe((s) => seen.push(s.sequenceNumber));
    clock.advance(1);
    expect(seen).toEqual([110, 120]);
    expect(sequence.peek()).toBe(120);
  });

  it("passes the attempt number to read", () => {
    const attempts: number[] = [];
    const clock = new ManualClock();
    localSensorSource(
      ({ attempt }) => {
        attempts.push(attempt);
        if (attempt < 3) throw new Error("retry me");
        return attempt;
      },
      { every: 100, scheduler: clock, retry: RetryPolicy.attempts(3), backoff: BackoffPolicy.none() },
    ).subscribe();
    expect(attempts).toEqual([1, 2, 3]);
  });

  it("completes once the trigger completed and the read in flight is done", () => {
    const clock = new ManualClock();
    const trigger = new Subject<void>();
    const events: string[] = [];
    localSensorSource(scripted([new Error("x"), 5]), {
      trigger,
      scheduler: clock,
      retry: RetryPolicy.attempts(2),
      backoff: BackoffPolicy.fixed(10),
    }).subscribe({ next: (s) => events.push(`sample ${s.value}`), complete: () => events.push("complete") });
    trigger.next();
    trigger.complete();
    expect(events).toEqual([]);
    clock.advance(10);
    expect(events).toEqual(["sample 5", "complete"]);
  });

  it("errors$ lets sensorHealth count skipped failures while the samples go on", () => {
    const clock = new ManualClock();
    const source = localSensorSource(scripted([1, new Error("crc"), 3, new Error("crc"), 5]), {
      every: 10,
      scheduler: clock,
      onReadError: "skip",
    });
    const health: HealthStatus[] = [];
    source.pipe(sensorHealth({ staleAfter: 100, errors: source.errors$, scheduler: clock })).subscribe((h) => health.push(h));
    clock.advance(40);
    const errors = health.filter((h) => h.status === "error");
    expect(errors.map((h) => [h.observedAt, h.errorCount, h.message])).toEqual([
      [10, 1, "crc"],
      [30, 2, "crc"],
    ]);
    expect(health.at(-1)?.status).not.toBe("stale");
    expect(source.lego.counters).toMatchObject({ skipped: 2, emitted: 3 });
  });

  it("property: in skip mode every tick yields a sample or a reported failure, samples numbered consecutively", () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 1, maxLength: 40 }), (fails) => {
        const clock = new ManualClock();
        let i = 0;
        const read = (): number => {
          if (fails[i++] === true) throw new Error("fail");
          return i;
        };
        const source = localSensorSource(read, { every: 1, scheduler: clock, onReadError: "skip" });
        const seen: SensorSample<number>[] = [];
        let skipped = 0;
        source.errors$.subscribe(() => skipped++);
        const subscription = source.subscribe((s) => seen.push(s));
        clock.advance(fails.length - 1);
        subscription.unsubscribe();
        expect(seen.length + skipped).toBe(fails.length);
        expect(skipped).toBe(fails.filter(Boolean).length);
        expect(seen.map((s) => s.sequenceNumber)).toEqual(seen.map((_, k) => k + 1));
      }),
    );
  });
});

describe("localSensorSource — Promise reads (ManualClock, async)", () => {
  it("emits when the Promise resolves, stamped at that time; ticks while it is pending are ignored", async () => {
    const clock = new ManualClock();
    const pending: ((v: number) => void)[] = [];
    const source = localSensorSource(() => new Promise<number>((resolve) => pending.push(resolve)), { every: 10, scheduler: clock });
    const seen: SensorSample<number>[] = [];
    source.subscribe((s) => seen.push(s));
    expect(pending).toHaveLength(1); // first read at subscribe
    clock.advance(25); // ticks at 10 and 20 arrive while the read is in flight
    expect(pending).toHaveLength(1);
    pending[0]?.(21);
    await settle();
    expect(seen).toEqual([sample(21, 25, 1)]);
    clock.advance(5); // tick at 30 reads again
    expect(pending).toHaveLength(2);
    expect(source.lego.counters).toMatchObject({ reads: 2, ignored: 2, emitted: 1 });
  });

  it("retries a rejected read after the backoff, on the clock", async () => {
    const clock = new ManualClock();
    let reads = 0;
    const seen: SensorSample<number>[] = [];
    localSensorSource(() => (++reads === 1 ? Promise.reject(new Error("timeout")) : Promise.resolve(42)), {
      every: 1_000,
      scheduler: clock,
      retry: RetryPolicy.attempts(2),
      backoff: BackoffPolicy.fixed(50),
    }).subscribe((s) => seen.push(s));
    await settle();
    expect(reads).toBe(1);
    clock.advance(50);
    expect(reads).toBe(2);
    await settle();
    expect(seen).toEqual([sample(42, 50, 1)]);
  });

  it("a rejected read in 'error' mode errors the stream", async () => {
    const error = await new Promise<unknown>((resolve) => {
      localSensorSource(() => Promise.reject(new Error("gone")), { every: 10, scheduler: new ManualClock() }).subscribe({ error: resolve });
    });
    expect(error).toEqual(new Error("gone"));
  });

  it("a read that outlives `timeout` fails with TIMEOUT and, in skip mode, is reported on errors$", async () => {
    const clock = new ManualClock();
    const source = localSensorSource(() => new Promise<number>(() => undefined), {
      every: 100,
      timeout: 30,
      scheduler: clock,
      onReadError: "skip",
    });
    const errors: unknown[] = [];
    source.errors$.subscribe((e) => errors.push(e));
    source.subscribe();
    clock.advance(30);
    expect(errors).toHaveLength(1);
    expect(isLegoError(errors[0], "TIMEOUT")).toBe(true);
    await settle();
  });

  it("ignores a Promise that resolves after unsubscribe", async () => {
    let resolve: ((v: number) => void) | undefined;
    const seen: unknown[] = [];
    const subscription = localSensorSource(() => new Promise<number>((r) => (resolve = r)), {
      every: 10,
      scheduler: new ManualClock(),
    }).subscribe((s) => seen.push(s));
    subscription.unsubscribe();
    resolve?.(1);
    await settle();
    expect(seen).toEqual([]);
  });
});

describe("localSensorSource — descriptor and groups", () => {
  it("carries a LocalSensorSource descriptor with counters", () => {
    const source = localSensorSource(() => 1, { every: 10, name: "thermo", group: "ambient" });
    expect(source.lego).toEqual({ kind: "LocalSensorSource", name: "thermo", group: "ambient" });
    expect(source.lego.counters).toEqual({ reads: 0, retries: 0, skipped: 0, ignored: 0, invalid: 0, emitted: 0 });
  });

  it("gives its group to a SequenceCounter and a ManualClock passed without one", () => {
    const sequence = new SequenceCounter();
    const clock = new ManualClock();
    localSensorSource(() => 1, { every: 10, sequence, scheduler: clock, group: "ambient" });
    expect([sequence.group, clock.group]).toEqual(["ambient", "ambient"]);
    const own = new SequenceCounter({ group: "mine" });
    localSensorSource(() => 1, { every: 10, sequence: own, group: "ambient" });
    expect(own.group).toBe("mine");
  });

  it("reads nothing at construction", () => {
    let reads = 0;
    localSensorSource(() => ++reads, { every: 10 });
    expect(reads).toBe(0);
  });
});

describe("localSensorSource — validation at construction", () => {
  const read = (): number => 1;
  const cases: [string, () => unknown, ErrorConstructor, RegExp][] = [
    ["read not a function", () => localSensorSource(1 as never, { every: 1 }), TypeError, /read/],
    ["options missing", () => localSensorSource(read, undefined as never), TypeError, /options/],
    ["neither every nor trigger", () => localSensorSource(read, {}), TypeError, /exactly one of every or trigger/],
    ["both every and trigger", () => localSensorSource(read, { every: 1, trigger: new Subject() }), TypeError, /exactly one/],
    ["every zero", () => localSensorSource(read, { every: 0 }), RangeError, /every/],
    ["every negative", () => localSensorSource(read, { every: -5 }), RangeError, /every/],
    ["every NaN", () => localSensorSource(read, { every: Number.NaN }), RangeError, /every/],
    ["every Infinity", () => localSensorSource(read, { every: Number.POSITIVE_INFINITY }), RangeError, /every/],
    ["every a string", () => localSensorSource(read, { every: "10" as never }), TypeError, /every/],
    ["trigger not subscribable", () => localSensorSource(read, { trigger: 5 as never }), TypeError, /trigger/],
    ["retry not a policy", () => localSensorSource(read, { every: 1, retry: "3" as never }), TypeError, /retry/],
    ["retry maxAttempts 0", () => localSensorSource(read, { every: 1, retry: { maxAttempts: 0, retryOn: () => true } }), RangeError, /retry\.maxAttempts/],
    ["backoff not a policy", () => localSensorSource(read, { every: 1, backoff: 1 as never }), TypeError, /backoff/],
    ["timeout zero", () => localSensorSource(read, { every: 1, timeout: 0 }), RangeError, /timeout/],
    ["onReadError unknown", () => localSensorSource(read, { every: 1, onReadError: "ignore" as never }), RangeError, /onReadError/],
    ["onReadError not a string", () => localSensorSource(read, { every: 1, onReadError: true as never }), TypeError, /onReadError/],
    ["onError not a function", () => localSensorSource(read, { every: 1, onError: 1 as never }), TypeError, /onError/],
    ["onInvalid not a function", () => localSensorSource(read, { every: 1, onInvalid: {} as never }), TypeError, /onInvalid/],
    ["quality a number", () => localSensorSource(read, { every: 1, quality: 0.9 as never }), TypeError, /quality must be a string/],
    ["status not a string", () => localSensorSource(read, { every: 1, status: 1 as never }), TypeError, /status/],
    ["sequence not a counter", () => localSensorSource(read, { every: 1, sequence: 0 as never }), TypeError, /sequence/],
    ["scheduler not a scheduler", () => localSensorSource(read, { every: 1, scheduler: 1 as never }), TypeError, /scheduler/],
    ["group empty", () => localSensorSource(read, { every: 1, group: "" }), RangeError, /group/],
    ["name not a string", () => localSensorSource(read, { every: 1, name: 2 as never }), TypeError, /name/],
  ];
  it.each(cases)("%s", (_label, make, kind, message) => {
    expect(make).toThrow(kind);
    expect(make).toThrow(message);
  });
});

describe("localSensorSource — types", () => {
  it("infers the sample's value type from read", () => {
    expectTypeOf(localSensorSource(() => 1, { every: 1 })).toEqualTypeOf<LocalSensorSource<number>>();
    expectTypeOf(localSensorSource(() => Promise.resolve("x"), { every: 1 })).toEqualTypeOf<LocalSensorSource<string>>();
    expectTypeOf(localSensorSource(() => sensorReading(true, 1), { every: 1 })).toEqualTypeOf<LocalSensorSource<boolean>>();
    expectTypeOf(localSensorSource(() => Promise.resolve(sensorReading(1, 1)), { every: 1 })).toEqualTypeOf<LocalSensorSource<number>>();
  });
});
