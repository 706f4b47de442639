import { Observable, Subject, take, type Subscribable } from "rxjs";
import fc from "fast-check";
import { describe, expect, expectTypeOf, it } from "vitest";
import { marbles, type MarbleHelpers } from "manyfold-rx/testing";
import {
  ManualClock,
  reactiveSensorSource,
  SensorDebugTap,
  SequenceCounter,
  sensorReading,
  type InvalidSourceItem,
  type ReactiveSensorSource,
  type SensorIdentity,
  type SensorSample,
} from "../../src/index.js";

const assertDeepEqual = (actual: unknown, expected: unknown): void => {
  expect(actual).toEqual(expected);
};
const run = <R>(callback: (helpers: MarbleHelpers) => R): R => marbles(callback, { assertDeepEqual });

const sample = <T>(value: T, t: number, sequenceNumber: number, sourceTimestamp = t): SensorSample<T> => ({
  value,
  sourceTimestamp,
  ingestTimestamp: t,
  sequenceNumber,
});

describe("reactiveSensorSource — marbles", () => {
  it("passes values through map", () => {
    run(({ cold, expectObservable }) => {
      const source = cold("-a-b|", { a: 1, b: 2 });
      expectObservable(reactiveSensorSource(source, { map: (v: number) => v * 2 })).toBe("-a-b|", { a: 2, b: 4 });
    });
  });

  it("wrapSample: stamps samples from the scheduler and numbers them from 1", () => {
    run(({ cold, expectObservable }) => {
      const source = cold("-a--b|", { a: 20.5, b: 21 });
      expectObservable(reactiveSensorSource(source, { wrapSample: true })).toBe("-a--b|", {
        a: sample(20.5, 1, 1),
        b: sample(21, 4, 2),
      });
    });
  });

  it("empty", () => {
    run(({ cold, expectObservable }) => {
      expectObservable(reactiveSensorSource(cold("|"), { wrapSample: true })).toBe("|");
    });
  });

  it("never", () => {
    run(({ cold, expectObservable }) => {
      expectObservable(reactiveSensorSource(cold("-"), { wrapSample: true })).toBe("-");
    });
  });

  it("error passes through", () => {
    run(({ cold, expectObservable }) => {
      const source = cold("-a#", { a: 1 }, new Error("sensor fault"));
      expectObservable(reactiveSensorSource(source, { wrapSample: true })).toBe("-a#", { a: sample(1, 1, 1) }, new Error("sensor fault"));
    });
  });

  it("early unsubscribe", () => {
    run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold("-a-a-a-a|", { a: 1 });
      expectObservable(reactiveSensorSource(source), "^--!").toBe("-a-", { a: 1 });
      expectSubscriptions(source.subscriptions).toBe("^--!");
    });
  });

  it("resubscription numbers afresh with its own counter, continues with a shared one", () => {
    run(({ cold, expectObservable }) => {
      const source = cold("-a|", { a: 5 });
      const own = reactiveSensorSource(source, { wrapSample: true });
      expectObservable(own).toBe("-a|", { a: sample(5, 1, 1) });
      expectObservable(own, "--^").toBe("---a|", { a: sample(5, 3, 1) });
      const sequence = new SequenceCounter();
      const shared = reactiveSensorSource(source, { wrapSample: true, sequence });
      expectObservable(shared).toBe("-a|", { a: sample(5, 1, 1) });
      expectObservable(shared, "--^").toBe("---a|", { a: sample(5, 3, 2) });
    });
  });
});

describe("reactiveSensorSource — behaviour", () => {
  it("stops a synchronous source after unsubscribe", () => {
    let pulled = 0;
    const source = new Observable<number>((subscriber) => {
      for (let i = 0; i < 1_000 && !subscriber.closed; i++) {
        pulled++;
        subscriber.next(i);
      }
      subscriber.complete();
    });
    const seen: SensorSample<number>[] = [];
    reactiveSensorSource(source, { wrapSample: true, scheduler: new ManualClock() })
      .pipe(take(2))
      .subscribe((s) => seen.push(s));
    expect(seen.map((s) => s.sequenceNumber)).toEqual([1, 2]);
    expect(pulled).toBe(2);
  });

  it("keeps a sensorReading's sourceTimestamp and stamps ingest from the scheduler", () => {
    const clock = new ManualClock(1_000);
    const seen: SensorSample<number>[] = [];
    const source = new Subject<{ v: number; at: number }>();
    reactiveSensorSource(source, { map: (r) => sensorReading(r.v, r.at), wrapSample: true, scheduler: clock }).subscribe((s) =>
      seen.push(s),
    );
    source.next({ v: 1, at: 990 });
    clock.advance(5);
    source.next({ v: 2, at: 1_003 });
    expect(seen).toEqual([sample(1, 1_000, 1, 990), sample(2, 1_005, 2, 1_003)]);
  });

  it("drops, counts and reports an invalid sample; the number is not consumed and the stream goes on", () => {
    const invalid: InvalidSourceItem[] = [];
    const source = reactiveSensorSource(new Observable<number>((s) => [1, Number.POSITIVE_INFINITY, 3].forEach((v) => s.next(v))), {
      wrapSample: true,
      scheduler: new ManualClock(),
      onInvalid: (i) => invalid.push(i),
    });
    const seen: SensorSample<number>[] = [];
    source.subscribe((s) => seen.push(s));
    expect(seen.map((s) => [s.value, s.sequenceNumber])).toEqual([
      [1, 1],
      [3, 2],
    ]);
    expect(invalid.map((i) => [i.reason, i.item])).toEqual([["invalid-sample", Number.POSITIVE_INFINITY]]);
    expect(invalid[0]?.error).toBeInstanceOf(RangeError);
    expect(source.lego.counters).toEqual({ received: 3, emitted: 2, invalid: 1 });
  });

  it("map throwing errors the stream (RxJS map semantics) and releases the source", () => {
    const source = new Subject<number>();
    let error: unknown;
    reactiveSensorSource(source, {
      map: () => {
        throw new Error("bad");
      },
    }).subscribe({ error: (e: unknown) => (error = e) });
    source.next(1);
    expect(error).toEqual(new Error("bad"));
    expect(source.observed).toBe(false);
  });

  it("exposes its identity, in its group", () => {
    const source = reactiveSensorSource(new Subject<number>(), { identity: { id: "bme280" }, group: "ambient" });
    expect(source.identity).toEqual({ id: "bme280", tags: [], location: { x: 0, y: 0, z: 0 }, group: "ambient" });
    expect(reactiveSensorSource(new Subject<number>()).identity).toEqual({ tags: [], location: { x: 0, y: 0, z: 0 } });
  });

  it("gives its group to a counter and a ManualClock that have none", () => {
    const sequence = new SequenceCounter();
    const clock = new ManualClock();
    reactiveSensorSource(new Subject<number>(), { sequence, scheduler: clock, group: "ambient" });
    expect([sequence.group, clock.group]).toEqual(["ambient", "ambient"]);
  });

  it("carries a ReactiveSensorSource descriptor", () => {
    const source = reactiveSensorSource(new Subject<number>(), { name: "humidity", group: "ambient" });
    expect(source.lego).toEqual({ kind: "ReactiveSensorSource", name: "humidity", group: "ambient" });
    expect(source.lego.counters).toEqual({ received: 0, emitted: 0, invalid: 0 });
  });

  it("publishes each emitted sample to a debug tap; identity and group fill the defaults", () => {
    const clock = new ManualClock(3);
    const tap = new SensorDebugTap({ clock });
    const seen: SensorSample<number>[] = [];
    const source = reactiveSensorSource(new Observable<number>((s) => [1, Number.NaN, 2].forEach((v) => s.next(v))), {
      wrapSample: true,
      scheduler: clock,
      identity: { id: "bme280" },
      group: "ambient",
      debugTap: { tap, stage: "logical" },
    });
    source.subscribe((s) => seen.push(s));
    expect(tap.snapshot().map((e) => [e.stage, e.streamName, e.sourceId, e.group, e.timestamp])).toEqual([
      ["logical", "ReactiveSensorSource", "bme280", "ambient", 3],
      ["logical", "ReactiveSensorSource", "bme280", "ambient", 3],
    ]);
    expect(tap.snapshot().map((e) => e.payload)).toEqual(seen);
    expect(source.identity.id).toBe("bme280");
  });

  it("accepts a non-RxJS Subscribable", () => {
    const subject = new Subject<number>();
    const subscribable: Subscribable<number> = { subscribe: (o) => subject.subscribe(o) };
    const seen: number[] = [];
    reactiveSensorSource(subscribable).subscribe((v) => seen.push(v));
    subject.next(3);
    expect(seen).toEqual([3]);
  });

  it("property: sequence numbers are consecutive over the valid values, whatever the invalid ones", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant(Number.NaN))), (values) => {
        const seen: SensorSample<number>[] = [];
        const source = new Observable<number>((s) => {
          values.forEach((v) => s.next(v));
          s.complete();
        });
        reactiveSensorSource(source, { wrapSample: true, scheduler: new ManualClock() }).subscribe((s) => seen.push(s));
        const valid = values.filter((v) => !Number.isNaN(v));
        expect(seen.map((s) => s.value)).toEqual(valid);
        expect(seen.map((s) => s.sequenceNumber)).toEqual(valid.map((_, i) => i + 1));
      }),
    );
  });
});

describe("reactiveSensorSource — validation at construction", () => {
  const source = new Subject<number>();
  const cases: [string, () => unknown, ErrorConstructor, RegExp][] = [
    ["source not subscribable", () => reactiveSensorSource(3 as never), TypeError, /source/],
    ["options not an object", () => reactiveSensorSource(source, "x" as never), TypeError, /options/],
    ["map not a function", () => reactiveSensorSource(source, { map: 1 as never }), TypeError, /map/],
    ["wrapSample not a boolean", () => reactiveSensorSource(source, { wrapSample: 1 as never }), TypeError, /wrapSample/],
    ["scheduler not a scheduler", () => reactiveSensorSource(source, { scheduler: { now: () => 0 } as never }), TypeError, /scheduler/],
    ["sequence not a counter", () => reactiveSensorSource(source, { sequence: 1 as never }), TypeError, /sequence/],
    ["identity malformed", () => reactiveSensorSource(source, { identity: { tags: "x" as never } }), TypeError, /identity\.tags/],
    ["onInvalid not a function", () => reactiveSensorSource(source, { onInvalid: 1 as never }), TypeError, /onInvalid/],
    ["debugTap not a tap", () => reactiveSensorSource(source, { debugTap: "tap" as never }), TypeError, /debugTap/],
    ["debugTap.sourceId not a string", () => reactiveSensorSource(source, { debugTap: { tap: new SensorDebugTap(), sourceId: 1 as never } }), TypeError, /debugTap\.sourceId/],
    ["name empty", () => reactiveSensorSource(source, { name: "" }), RangeError, /name/],
    ["group not a string", () => reactiveSensorSource(source, { group: 1 as never }), TypeError, /group/],
  ];
  it.each(cases)("%s", (_label, make, kind, message) => {
    expect(make).toThrow(kind);
    expect(make).toThrow(message);
  });
});

describe("reactiveSensorSource — types", () => {
  it("infers values or samples", () => {
    const source = new Subject<number>();
    expectTypeOf(reactiveSensorSource(source)).toEqualTypeOf<ReactiveSensorSource<number>>();
    expectTypeOf(reactiveSensorSource(source, { map: (v) => `${v}` })).toEqualTypeOf<ReactiveSensorSource<string>>();
    expectTypeOf(reactiveSensorSource(source, { wrapSample: true })).toEqualTypeOf<ReactiveSensorSource<SensorSample<number>>>();
    expectTypeOf(reactiveSensorSource(source, { wrapSample: true }).identity).toEqualTypeOf<SensorIdentity>();
  });
});
