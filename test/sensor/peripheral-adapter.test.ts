import { EMPTY, Observable, Subject, take, type Subscribable } from "rxjs";
import { describe, expect, expectTypeOf, it } from "vitest";
import { fakePeripheral, marbles, type MarbleHelpers } from "manyfold-rx/testing";
import {
  fromPeripheral,
  ManualClock,
  SensorDebugTap,
  SequenceCounter,
  sensorIdentity,
  type InvalidSourceItem,
  type LegoObservable,
  type PeripheralEnvelope,
  type SensorEvent,
  type SensorSample,
} from "../../src/index.js";

const assertDeepEqual = (actual: unknown, expected: unknown): void => {
  expect(actual).toEqual(expected);
};
const run = <R>(callback: (helpers: MarbleHelpers) => R): R => marbles(callback, { assertDeepEqual });

const origin = { x: 0, y: 0, z: 0 };
const identity = (id?: string, group?: string) => ({
  ...(id === undefined ? {} : { id }),
  tags: [],
  location: origin,
  ...(group === undefined ? {} : { group }),
});

describe("fromPeripheral — marbles", () => {
  it("emits the envelopes' data and bare items as they are, keeping timing and completion", () => {
    run(({ cold, expectObservable }) => {
      const observe = cold("-a-b--c|", { a: { data: 1, peripheral_info: { id: "p" } }, b: 2, c: { data: 3 } });
      expectObservable(fromPeripheral(fakePeripheral({ observe }))).toBe("-a-b--c|", { a: 1, b: 2, c: 3 });
    });
  });

  it("empty: completes at once", () => {
    run(({ cold, expectObservable }) => {
      expectObservable(fromPeripheral(fakePeripheral({ observe: cold("|") }))).toBe("|");
    });
  });

  it("never: emits nothing and never completes", () => {
    run(({ cold, expectObservable }) => {
      expectObservable(fromPeripheral(fakePeripheral({ observe: cold("-") }))).toBe("-");
    });
  });

  it("error: passes the peripheral's error downstream as it is", () => {
    run(({ cold, expectObservable }) => {
      const observe = cold("-a-#", { a: 1 }, new Error("unplugged"));
      expectObservable(fromPeripheral(fakePeripheral({ observe }))).toBe("-a-#", { a: 1 }, new Error("unplugged"));
    });
  });

  it("early unsubscribe releases observe", () => {
    run(({ cold, expectObservable, expectSubscriptions }) => {
      const observe = cold("-a-b-c-d|", { a: 1, b: 2, c: 3, d: 4 });
      expectObservable(fromPeripheral(fakePeripheral({ observe })), "^----!").toBe("-a-b-", { a: 1, b: 2 });
      expectSubscriptions(observe.subscriptions).toBe("^----!");
    });
  });

  it("numbers events from the scheduler's time and a fresh counter on each subscription", () => {
    run(({ cold, expectObservable }) => {
      const observe = cold("-a--b|", { a: 10, b: 20 });
      const events = fromPeripheral(fakePeripheral({ observe }), { eventType: "level" });
      const event = (data: number, observedAt: number, sequenceNumber: number) => ({
        eventType: "level",
        data,
        observedAt,
        identity: identity(),
        sequenceNumber,
        metadata: {},
      });
      expectObservable(events).toBe("-a--b|", { a: event(10, 1, 1), b: event(20, 4, 2) });
      expectObservable(events, "---^").toBe("----a--b|", { a: event(10, 4, 1), b: event(20, 7, 2) });
    });
  });
});

describe("fromPeripheral — subscription and lifecycle", () => {
  it("stops a synchronous source after unsubscribe", () => {
    let pulled = 0;
    const observe = new Observable<number>((subscriber) => {
      for (let i = 1; i <= 1_000 && !subscriber.closed; i++) {
        pulled++;
        subscriber.next(i);
      }
      subscriber.complete();
    });
    const seen: number[] = [];
    fromPeripheral({ observe }).pipe(take(2)).subscribe((v) => seen.push(v));
    expect(seen).toEqual([1, 2]);
    expect(pulled).toBe(2);
  });

  it("loses no item of a hot peripheral that emits synchronously inside run()", () => {
    const peripheral = fakePeripheral({ items: [1, 2, 3], peripheralInfo: { id: "hot-1" } });
    const seen: SensorEvent<number>[] = [];
    fromPeripheral(peripheral, { eventType: "tick", scheduler: new ManualClock(5) }).subscribe((v) => seen.push(v));
    expect(peripheral.calls.run).toBe(1);
    expect(seen.map((e) => [e.data, e.sequenceNumber, e.identity.id, e.observedAt])).toEqual([
      [1, 1, "hot-1", 5],
      [2, 2, "hot-1", 5],
      [3, 3, "hot-1", 5],
    ]);
  });

  it("subscribes to observe before calling run()", () => {
    const order: string[] = [];
    const observe = new Observable<number>(() => {
      order.push("subscribe");
    });
    fromPeripheral({ observe, run: () => order.push("run") }).subscribe();
    expect(order).toEqual(["subscribe", "run"]);
  });

  it("does not call run() with runOnSubscribe: false", () => {
    const peripheral = fakePeripheral({ items: [1] });
    const seen: unknown[] = [];
    fromPeripheral(peripheral, { runOnSubscribe: false }).subscribe((v) => seen.push(v));
    expect(peripheral.calls.run).toBe(0);
    peripheral.run();
    expect(seen).toEqual([1]);
  });

  it("run() throwing: the error goes downstream and observe is released", () => {
    const peripheral = fakePeripheral({ items: [1] });
    const boom = new Error("no device");
    peripheral.failRunWith(boom);
    let error: unknown;
    fromPeripheral(peripheral).subscribe({ error: (e: unknown) => (error = e) });
    expect(error).toBe(boom);
    expect(peripheral.calls.subscribe).toBe(1);
    expect(peripheral.calls.unsubscribe).toBe(1);
    expect(peripheral.subscribers).toBe(0);
  });

  it("run() returning a rejected Promise: the error goes downstream and observe is released", async () => {
    const peripheral = fakePeripheral<number>();
    const boom = new Error("async start failed");
    const failing = { ...peripheral, run: () => Promise.reject(boom) };
    const error = await new Promise<unknown>((resolve) => {
      fromPeripheral(failing).subscribe({ error: resolve });
    });
    expect(error).toBe(boom);
    expect(peripheral.subscribers).toBe(0);
  });

  it("observe failing on subscribe: the error goes downstream and run() is not called", () => {
    const peripheral = fakePeripheral();
    const boom = new Error("port busy");
    peripheral.failObserveWith(boom);
    let error: unknown;
    fromPeripheral(peripheral).subscribe({ error: (e: unknown) => (error = e) });
    expect(error).toBe(boom);
    expect(peripheral.calls.run).toBe(0);
  });

  it("observe completing synchronously on subscribe: completes and run() is not called", () => {
    let runs = 0;
    let completed = false;
    fromPeripheral({ observe: EMPTY, run: () => runs++ }).subscribe({ complete: () => (completed = true) });
    expect([completed, runs]).toEqual([true, 0]);
  });

  it("stopOnUnsubscribe: unsubscribing releases observe, then calls stop() then close()", () => {
    const order: string[] = [];
    const peripheral = {
      observe: new Observable<number>(() => () => order.push("unsubscribe")),
      stop: () => order.push("stop"),
      close: () => order.push("close"),
    };
    fromPeripheral(peripheral, { stopOnUnsubscribe: true }).subscribe().unsubscribe();
    expect(order).toEqual(["unsubscribe", "stop", "close"]);
  });

  it("stopOnUnsubscribe also stops and closes on completion and on error", () => {
    const completing = fakePeripheral({ items: [1], completeOnRun: true });
    fromPeripheral(completing, { stopOnUnsubscribe: true }).subscribe();
    expect(completing.calls).toMatchObject({ stop: 1, close: 1 });
    const failing = fakePeripheral();
    failing.failRunWith(new Error("x"));
    fromPeripheral(failing, { stopOnUnsubscribe: true }).subscribe({ error: () => undefined });
    expect(failing.calls).toMatchObject({ stop: 1, close: 1 });
  });

  it("stopOnUnsubscribe calls close() even when stop() throws", () => {
    let closed = 0;
    const peripheral = {
      observe: new Subject<number>(),
      stop: () => {
        throw new Error("stuck");
      },
      close: () => closed++,
    };
    const subscription = fromPeripheral(peripheral, { stopOnUnsubscribe: true }).subscribe();
    expect(() => subscription.unsubscribe()).toThrow();
    expect(closed).toBe(1);
  });

  it("leaves the peripheral running after unsubscribe by default", () => {
    const peripheral = fakePeripheral();
    fromPeripheral(peripheral).subscribe().unsubscribe();
    expect(peripheral.calls).toEqual({ run: 1, stop: 0, close: 0, subscribe: 1, unsubscribe: 1 });
  });

  it("runs the peripheral again on resubscription, numbering afresh unless given a counter", () => {
    const peripheral = fakePeripheral({ items: ["x"] });
    const numbers: (number | undefined)[] = [];
    const events = fromPeripheral(peripheral, { eventType: "e" });
    events.subscribe((e) => numbers.push(e.sequenceNumber)).unsubscribe();
    events.subscribe((e) => numbers.push(e.sequenceNumber)).unsubscribe();
    const sequence = new SequenceCounter();
    const shared = fromPeripheral(peripheral, { eventType: "e", sequence });
    shared.subscribe((e) => numbers.push(e.sequenceNumber)).unsubscribe();
    shared.subscribe((e) => numbers.push(e.sequenceNumber)).unsubscribe();
    expect(numbers).toEqual([1, 1, 1, 2]);
    expect(peripheral.calls.run).toBe(4);
  });

  it("accepts a non-RxJS Subscribable as observe", () => {
    const subject = new Subject<number>();
    const subscribable: Subscribable<number> = { subscribe: (observer) => subject.subscribe(observer) };
    const seen: number[] = [];
    const subscription = fromPeripheral({ observe: subscribable }).subscribe((v) => seen.push(v));
    subject.next(7);
    subscription.unsubscribe();
    subject.next(8);
    expect(seen).toEqual([7]);
    expect(subject.observed).toBe(false);
  });
});

describe("fromPeripheral — payload pipeline", () => {
  it("map receives the unwrapped data and the original item", () => {
    const calls: unknown[] = [];
    const envelope = { data: 2, peripheral_info: { id: "a" } };
    const observe = new Observable<PeripheralEnvelope<number> | number>((s) => {
      s.next(envelope);
      s.next(3);
    });
    const seen: number[] = [];
    fromPeripheral({ observe }, {
      map: (data, item) => {
        calls.push([data, item]);
        return data * 10;
      },
    }).subscribe((v) => seen.push(v));
    expect(calls).toEqual([
      [2, envelope],
      [3, 3],
    ]);
    expect(seen).toEqual([20, 30]);
  });

  it("treats any item with a data key as an envelope, even data: undefined", () => {
    const seen: unknown[] = [];
    fromPeripheral({ observe: new Observable<unknown>((s) => s.next({ data: undefined, other: 1 })) }).subscribe((v) => seen.push(v));
    expect(seen).toEqual([undefined]);
  });

  it("map throwing errors the stream, as RxJS map does", () => {
    const peripheral = fakePeripheral({ items: [1, 2] });
    const seen: unknown[] = [];
    let error: unknown;
    fromPeripheral(peripheral, {
      map: (v) => {
        if (v === 2) throw new Error("bad map");
        return v;
      },
    }).subscribe({ next: (v) => seen.push(v), error: (e: unknown) => (error = e) });
    expect(seen).toEqual([1]);
    expect(error).toEqual(new Error("bad map"));
    expect(peripheral.subscribers).toBe(0);
  });

  it("event identity: envelope info (camelCase wins), else options.identity, all in the adapter's group", () => {
    const observe = new Observable<unknown>((s) => {
      s.next({ data: 1, peripheral_info: { id: "snake", tags: [{ name: "kind", variant: "t" }] } });
      s.next({ data: 2, peripheralInfo: { id: "camel", group: "own" }, peripheral_info: { id: "snake" } });
      s.next({ data: 3, peripheral_info: null });
      s.next(4);
    });
    const events: SensorEvent[] = [];
    fromPeripheral({ observe }, { eventType: "e", identity: { id: "fallback" }, group: "ambient" }).subscribe((e) => events.push(e));
    expect(events.map((e) => e.identity)).toEqual([
      { id: "snake", tags: [{ name: "kind", variant: "t", metadata: {} }], location: origin, group: "ambient" },
      identity("camel", "own"),
      identity("fallback", "ambient"),
      identity("fallback", "ambient"),
    ]);
  });

  it("without options.identity, events carry an empty identity in the group", () => {
    const events: SensorEvent[] = [];
    fromPeripheral(fakePeripheral({ items: [1] }), { eventType: "e", group: "g" }).subscribe((e) => events.push(e));
    expect(events[0]?.identity).toEqual(identity(undefined, "g"));
  });

  it("wrapSample: samples stamped from the scheduler and numbered", () => {
    run(({ cold, expectObservable }) => {
      const observe = cold("--a-b|", { a: { data: 1.5 }, b: { data: 2.5 } });
      const sample = (value: number, t: number, sequenceNumber: number) => ({
        value,
        sourceTimestamp: t,
        ingestTimestamp: t,
        sequenceNumber,
      });
      expectObservable(fromPeripheral(fakePeripheral({ observe }), { wrapSample: true })).toBe("--a-b|", {
        a: sample(1.5, 2, 1),
        b: sample(2.5, 4, 2),
      });
    });
  });

  it("wrapSample honours sensorReading's sourceTimestamp returned by map", async () => {
    const { sensorReading } = await import("../../src/index.js");
    const samples: SensorSample<number>[] = [];
    fromPeripheral(fakePeripheral({ items: [{ v: 4, at: 90 }] }), {
      map: (d) => sensorReading(d.v, d.at),
      wrapSample: true,
      scheduler: new ManualClock(100),
    }).subscribe((s) => samples.push(s as unknown as SensorSample<number>));
    expect(samples).toEqual([{ value: 4, sourceTimestamp: 90, ingestTimestamp: 100, sequenceNumber: 1 }]);
  });

  it("eventType and wrapSample: the event takes the next number, the sample the one after", () => {
    const samples: SensorSample<SensorEvent<number>>[] = [];
    const sequence = new SequenceCounter({ start: 10 });
    fromPeripheral(fakePeripheral({ items: [1, 2] }), { eventType: "e", wrapSample: true, sequence }).subscribe((s) =>
      samples.push(s),
    );
    expect(samples.map((s) => [s.value.data, s.value.sequenceNumber, s.sequenceNumber])).toEqual([
      [1, 11, 12],
      [2, 13, 14],
    ]);
    expect(sequence.peek()).toBe(14);
  });

  it("respects the counter's step", () => {
    const samples: SensorSample<SensorEvent<number>>[] = [];
    const sequence = new SequenceCounter({ step: 5 });
    fromPeripheral(fakePeripheral({ items: [1] }), { eventType: "e", wrapSample: true, sequence }).subscribe((s) => samples.push(s));
    expect([samples[0]?.value.sequenceNumber, samples[0]?.sequenceNumber, sequence.peek()]).toEqual([5, 10, 10]);
  });

  it("drops, counts and reports an invalid sample without consuming a number", () => {
    const invalid: InvalidSourceItem[] = [];
    const sequence = new SequenceCounter();
    const source = fromPeripheral(fakePeripheral({ items: [1, Number.NaN, 3] }), {
      wrapSample: true,
      sequence,
      onInvalid: (i) => invalid.push(i),
    });
    const samples: SensorSample<number>[] = [];
    source.subscribe((s) => samples.push(s));
    expect(samples.map((s) => [s.value, s.sequenceNumber])).toEqual([
      [1, 1],
      [3, 2],
    ]);
    expect(invalid).toHaveLength(1);
    expect(invalid[0]?.reason).toBe("invalid-sample");
    expect(invalid[0]?.item).toBeNaN();
    expect(invalid[0]?.error).toBeInstanceOf(RangeError);
    expect(source.lego.counters).toEqual({ received: 3, emitted: 2, invalid: 1 });
  });

  it("drops an envelope whose peripheral info is malformed (invalid-identity), naming the field", () => {
    const invalid: InvalidSourceItem[] = [];
    const bad = { data: 1, peripheral_info: { id: "x", location: { x: Number.NaN, y: 0, z: 0 } } };
    const observe = new Observable<unknown>((s) => {
      s.next(bad);
      s.next({ data: 2, peripheral_info: { id: "ok" } });
    });
    const events: SensorEvent[] = [];
    fromPeripheral({ observe }, { eventType: "e", onInvalid: (i) => invalid.push(i) }).subscribe((e) => events.push(e));
    expect(events.map((e) => [e.data, e.sequenceNumber])).toEqual([[2, 1]]);
    expect(invalid.map((i) => [i.reason, i.item])).toEqual([["invalid-identity", bad]]);
    expect(String(invalid[0]?.error)).toContain("peripheral_info.location.x");
  });
});

describe("fromPeripheral — descriptor and groups", () => {
  it("carries a PeripheralAdapter descriptor with live counters", () => {
    const peripheral = fakePeripheral({ items: [1, 2] });
    const source = fromPeripheral(peripheral, { name: "thermo", group: "ambient" });
    expect(source.lego).toEqual({ kind: "PeripheralAdapter", name: "thermo", group: "ambient" });
    expect(source.lego.counters).toEqual({ received: 0, emitted: 0, invalid: 0 });
    source.subscribe();
    expect(source.lego.counters).toEqual({ received: 2, emitted: 2, invalid: 0 });
    expect(fromPeripheral(peripheral).lego).toEqual({ kind: "PeripheralAdapter" });
  });

  it("gives its group to a sequence counter and a ManualClock that have none, not to ones that have one", () => {
    const sequence = new SequenceCounter();
    const clock = new ManualClock();
    fromPeripheral(fakePeripheral(), { sequence, scheduler: clock, group: "ambient" });
    expect([sequence.group, clock.group]).toEqual(["ambient", "ambient"]);
    const own = new SequenceCounter({ group: "mine" });
    fromPeripheral(fakePeripheral(), { sequence: own, group: "ambient" });
    expect(own.group).toBe("mine");
  });

  it("accepts an already-built identity", () => {
    const events: SensorEvent[] = [];
    const id = sensorIdentity({ id: "built", group: "g1" });
    fromPeripheral(fakePeripheral({ items: [1] }), { eventType: "e", identity: id, group: "g2" }).subscribe((e) => events.push(e));
    expect(events[0]?.identity).toBe(id);
  });
});

describe("fromPeripheral — debug tap", () => {
  it("publishes each emitted value with the adapter's defaults (raw stage, name, identity id, group)", () => {
    const clock = new ManualClock(7);
    const tap = new SensorDebugTap({ clock });
    const events: SensorEvent[] = [];
    fromPeripheral(fakePeripheral({ items: [1, Number.NaN, 2] }), {
      wrapSample: true,
      identity: { id: "thermo-1" },
      name: "thermo",
      group: "ambient",
      debugTap: tap,
    }).subscribe((e) => events.push(e as unknown as SensorEvent));
    const envelopes = tap.snapshot();
    expect(envelopes.map((e) => [e.stage, e.streamName, e.sourceId, e.group, e.timestamp])).toEqual([
      ["raw", "thermo", "thermo-1", "ambient", 7],
      ["raw", "thermo", "thermo-1", "ambient", 7],
    ]);
    // exactly what was emitted (the invalid NaN is not published)
    expect(envelopes.map((e) => e.payload)).toEqual(events);
  });

  it("takes stage, streamName and sourceId from the option; falls back to the kind and the tap's group", () => {
    const tap = new SensorDebugTap({ group: "debug" });
    fromPeripheral(fakePeripheral({ items: ["x"] }), { debugTap: { tap, stage: "view" } }).subscribe();
    fromPeripheral(fakePeripheral({ items: ["y"] }), { debugTap: { tap, streamName: "s", sourceId: "id", group: "g" } }).subscribe();
    expect(tap.snapshot().map((e) => [e.stage, e.streamName, e.sourceId, e.group, e.payload])).toEqual([
      ["view", "PeripheralAdapter", "PeripheralAdapter", "debug", "x"],
      ["raw", "s", "id", "g", "y"],
    ]);
  });
});

describe("fromPeripheral — validation at construction", () => {
  const ok = fakePeripheral();
  const cases: [string, () => unknown, ErrorConstructor, RegExp][] = [
    ["peripheral not an object", () => fromPeripheral(null as never), TypeError, /peripheral must be an object/],
    ["observe missing", () => fromPeripheral({} as never), TypeError, /peripheral\.observe/],
    ["observe not subscribable", () => fromPeripheral({ observe: 3 } as never), TypeError, /peripheral\.observe/],
    ["run not a function", () => fromPeripheral({ observe: ok.observe, run: 1 } as never), TypeError, /peripheral\.run/],
    ["stop not a function", () => fromPeripheral({ observe: ok.observe, stop: "x" } as never), TypeError, /peripheral\.stop/],
    ["close not a function", () => fromPeripheral({ observe: ok.observe, close: {} } as never), TypeError, /peripheral\.close/],
    ["options not an object", () => fromPeripheral(ok, 5 as never), TypeError, /options/],
    ["map not a function", () => fromPeripheral(ok, { map: 1 as never }), TypeError, /map/],
    ["eventType not a string", () => fromPeripheral(ok, { eventType: 1 as never }), TypeError, /eventType/],
    ["eventType empty", () => fromPeripheral(ok, { eventType: "" }), RangeError, /eventType/],
    ["wrapSample not a boolean", () => fromPeripheral(ok, { wrapSample: "yes" as never }), TypeError, /wrapSample/],
    ["runOnSubscribe not a boolean", () => fromPeripheral(ok, { runOnSubscribe: 1 as never }), TypeError, /runOnSubscribe/],
    ["stopOnUnsubscribe not a boolean", () => fromPeripheral(ok, { stopOnUnsubscribe: 0 as never }), TypeError, /stopOnUnsubscribe/],
    ["sequence not a SequenceCounter", () => fromPeripheral(ok, { sequence: {} as never }), TypeError, /sequence/],
    ["scheduler not a scheduler", () => fromPeripheral(ok, { scheduler: {} as never }), TypeError, /scheduler/],
    ["group empty", () => fromPeripheral(ok, { group: "" }), RangeError, /group/],
    ["name not a string", () => fromPeripheral(ok, { name: 3 as never }), TypeError, /name/],
    ["identity malformed", () => fromPeripheral(ok, { identity: { id: "" } }), RangeError, /identity\.id/],
    ["onInvalid not a function", () => fromPeripheral(ok, { onInvalid: true as never }), TypeError, /onInvalid/],
    ["debugTap not a tap", () => fromPeripheral(ok, { debugTap: 1 as never }), TypeError, /debugTap/],
    ["debugTap.tap not a tap", () => fromPeripheral(ok, { debugTap: { tap: {} } as never }), TypeError, /debugTap\.tap/],
    ["debugTap.stage unknown", () => fromPeripheral(ok, { debugTap: { tap: new SensorDebugTap(), stage: "wire" as never } }), RangeError, /debugTap\.stage/],
    ["debugTap.streamName empty", () => fromPeripheral(ok, { debugTap: { tap: new SensorDebugTap(), streamName: "" } }), RangeError, /debugTap\.streamName/],
  ];
  it.each(cases)("%s", (_label, make, kind, message) => {
    expect(make).toThrow(kind);
    expect(make).toThrow(message);
  });

  it("does not subscribe or run anything at construction", () => {
    const peripheral = fakePeripheral();
    fromPeripheral(peripheral, { eventType: "e" });
    expect(peripheral.calls).toEqual({ run: 0, stop: 0, close: 0, subscribe: 0, unsubscribe: 0 });
  });
});

describe("fromPeripheral — types", () => {
  it("infers the output from the options", () => {
    const peripheral = fakePeripheral<number>();
    expectTypeOf(fromPeripheral(peripheral)).toEqualTypeOf<LegoObservable<number>>();
    expectTypeOf(fromPeripheral(peripheral, { map: (d) => String(d) })).toEqualTypeOf<LegoObservable<string>>();
    expectTypeOf(fromPeripheral(peripheral, { eventType: "e" })).toEqualTypeOf<LegoObservable<SensorEvent<number>>>();
    expectTypeOf(fromPeripheral(peripheral, { wrapSample: true })).toEqualTypeOf<LegoObservable<SensorSample<number>>>();
    expectTypeOf(fromPeripheral(peripheral, { eventType: "e", wrapSample: true })).toEqualTypeOf<
      LegoObservable<SensorSample<SensorEvent<number>>>
    >();
  });
});
