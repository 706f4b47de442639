import { BehaviorSubject, EMPTY, Observable, Subject, of, take, type Subscribable } from "rxjs";
import { describe, expect, expectTypeOf, it } from "vitest";
import { fakePeripheral, marbles, type MarbleHelpers } from "manyfold-rx/testing";
import { duplexPeripheral, SensorDebugTap, type LegoObservable, type SensorEvent, type SensorSample } from "../../src/index.js";

const assertDeepEqual = (actual: unknown, expected: unknown): void => {
  expect(actual).toEqual(expected);
};
const run = <R>(callback: (helpers: MarbleHelpers) => R): R => marbles(callback, { assertDeepEqual });

describe("duplexPeripheral — marbles", () => {
  it("emits what fromPeripheral would and forwards control values while subscribed", () => {
    run(({ cold, hot, expectObservable, expectSubscriptions, flush }) => {
      const observe = cold("-a--b-|", { a: { data: 1 }, b: { data: 2 } });
      const control = hot("--x-y--z", { x: "on", y: { value: 5 }, z: "late" });
      const peripheral = fakePeripheral<number>({ observe });
      expectObservable(duplexPeripheral(peripheral, { control })).toBe("-a--b-|", { a: 1, b: 2 });
      expectSubscriptions(control.subscriptions).toBe("^-----!");
      flush();
      expect(peripheral.inputs).toEqual(["on", 5]);
    });
  });

  it("empty: completes at once and releases control", () => {
    run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const control = hot("-x-");
      expectObservable(duplexPeripheral(fakePeripheral({ observe: cold("|") }), { control })).toBe("|");
      expectSubscriptions(control.subscriptions).toBe("(^!)");
    });
  });

  it("never: keeps forwarding control values", () => {
    run(({ cold, hot, expectObservable, flush }) => {
      const peripheral = fakePeripheral<never, string>({ observe: cold("-") });
      const control = hot("-x-y-", { x: "1", y: "2" });
      expectObservable(duplexPeripheral(peripheral, { control })).toBe("-");
      flush();
      expect(peripheral.inputs).toEqual(["1", "2"]);
    });
  });

  it("error: the peripheral's error goes downstream and control is released", () => {
    run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const control = hot("-x-x-x-");
      const observe = cold("---#", {}, new Error("gone"));
      expectObservable(duplexPeripheral(fakePeripheral({ observe }), { control })).toBe("---#", {}, new Error("gone"));
      expectSubscriptions(control.subscriptions).toBe("^--!");
    });
  });

  it("early unsubscribe releases both observe and control", () => {
    run(({ cold, hot, expectObservable, expectSubscriptions, flush }) => {
      const observe = cold("-a-a-a-a|", { a: 1 });
      const control = hot("--x--x--x", { x: "x" });
      const peripheral = fakePeripheral<number, string>({ observe });
      expectObservable(duplexPeripheral(peripheral, { control }), "^---!").toBe("-a-a-", { a: 1 });
      expectSubscriptions(observe.subscriptions).toBe("^---!");
      expectSubscriptions(control.subscriptions).toBe("^---!");
      flush();
      expect(peripheral.inputs).toEqual(["x"]);
    });
  });

  it("control error errors the output; control completion does not", () => {
    run(({ cold, hot, expectObservable }) => {
      const failing = hot("--#", {}, new Error("control lost"));
      expectObservable(duplexPeripheral(fakePeripheral({ observe: cold("-a-a-a|", { a: 1 }) }), { control: failing })).toBe(
        "-a#",
        { a: 1 },
        new Error("control lost"),
      );
      const ending = hot("--|");
      expectObservable(duplexPeripheral(fakePeripheral({ observe: cold("-a-a-a|", { a: 1 }) }), { control: ending })).toBe(
        "-a-a-a|",
        { a: 1 },
      );
    });
  });
});

describe("duplexPeripheral — inputs and lifecycle", () => {
  it("subscribes observe, then runs, then subscribes control", () => {
    const order: string[] = [];
    const peripheral = {
      observe: new Observable<number>(() => {
        order.push("observe");
      }),
      run: () => order.push("run"),
      handleInput: (v: string) => order.push(`input ${v}`),
    };
    duplexPeripheral(peripheral, { control: of("a", "b") }).subscribe();
    expect(order).toEqual(["observe", "run", "input a", "input b"]);
  });

  it("loses no item of a hot peripheral emitting inside run(), and delivers a BehaviorSubject's current value", () => {
    const peripheral = fakePeripheral<number, number>({ items: [1, 2] });
    const seen: number[] = [];
    duplexPeripheral(peripheral, { control: new BehaviorSubject({ value: 21 }) }).subscribe((v) => seen.push(v));
    expect(seen).toEqual([1, 2]);
    expect(peripheral.inputs).toEqual([21]);
  });

  it("forwards a value's .value only when it has one (null and primitives as they are)", () => {
    const peripheral = fakePeripheral<never>();
    const control = new Subject<unknown>();
    duplexPeripheral(peripheral, { control }).subscribe();
    const noValue = { other: 1 };
    for (const v of [3, null, { value: undefined }, { value: { nested: true } }, noValue]) control.next(v);
    expect(peripheral.inputs).toEqual([3, null, undefined, { nested: true }, noValue]);
  });

  it("uses handle_input when there is no handleInput", () => {
    const peripheral = fakePeripheral<never, string>({ inputMethod: "handle_input" });
    duplexPeripheral(peripheral, { control: of("go") }).subscribe();
    expect(peripheral.inputs).toEqual(["go"]);
  });

  it("prefers handleInput over handle_input", () => {
    const calls: string[] = [];
    const peripheral = {
      observe: new Subject<number>(),
      handleInput: (v: string) => calls.push(`camel ${v}`),
      handle_input: (v: string) => calls.push(`snake ${v}`),
    };
    duplexPeripheral(peripheral, { control: of("x") }).subscribe();
    expect(calls).toEqual(["camel x"]);
  });

  it("calls the input method on the peripheral (this is kept)", () => {
    class Lamp {
      readonly observe = new Subject<number>();
      level = 0;
      handleInput(v: number): void {
        this.level = v;
      }
    }
    const lamp = new Lamp();
    duplexPeripheral(lamp, { control: of(7) }).subscribe();
    expect(lamp.level).toBe(7);
  });

  it("an input method that throws errors the output and releases everything", () => {
    const peripheral = fakePeripheral<number, string>();
    const boom = new Error("rejected");
    peripheral.handleInput = () => {
      throw boom;
    };
    const control = new Subject<string>();
    let error: unknown;
    duplexPeripheral(peripheral, { control }).subscribe({ error: (e: unknown) => (error = e) });
    control.next("x");
    expect(error).toBe(boom);
    expect(control.observed).toBe(false);
    expect(peripheral.subscribers).toBe(0);
  });

  it("run() throwing: the error goes downstream, observe is released and control never subscribed", () => {
    const peripheral = fakePeripheral<number, string>();
    peripheral.failRunWith(new Error("no power"));
    const control = new Subject<string>();
    let error: unknown;
    duplexPeripheral(peripheral, { control }).subscribe({ error: (e: unknown) => (error = e) });
    expect(error).toEqual(new Error("no power"));
    expect(peripheral.subscribers).toBe(0);
    expect(control.observed).toBe(false);
  });

  it("stops forwarding after unsubscribe, and stopOnUnsubscribe stops and closes", () => {
    const peripheral = fakePeripheral<number, string>();
    const control = new Subject<string>();
    const subscription = duplexPeripheral(peripheral, { control, stopOnUnsubscribe: true }).subscribe();
    control.next("a");
    subscription.unsubscribe();
    control.next("b");
    expect(peripheral.inputs).toEqual(["a"]);
    expect(peripheral.calls).toMatchObject({ stop: 1, close: 1 });
  });

  it("stops a synchronous source after unsubscribe", () => {
    let pulled = 0;
    const observe = new Observable<number>((subscriber) => {
      for (let i = 0; i < 1_000 && !subscriber.closed; i++) {
        pulled++;
        subscriber.next(i);
      }
    });
    const inputs: number[] = [];
    duplexPeripheral({ observe, handleInput: (v: number) => inputs.push(v) }, { control: of(1) })
      .pipe(take(3))
      .subscribe();
    expect(pulled).toBe(3);
    // The output ended inside subscribe, before control could be subscribed.
    expect(inputs).toEqual([]);
  });

  it("a peripheral whose observe completes synchronously on subscribe is neither run nor sent input", () => {
    let runs = 0;
    const control = new BehaviorSubject("x");
    const inputs: string[] = [];
    let completed = false;
    duplexPeripheral({ observe: EMPTY, run: () => runs++, handleInput: (v: string) => inputs.push(v) }, { control }).subscribe({
      complete: () => (completed = true),
    });
    expect([completed, runs, inputs, control.observed]).toEqual([true, 0, [], false]);
  });

  it("accepts a non-RxJS Subscribable control", () => {
    const subject = new Subject<string>();
    const control: Subscribable<string> = { subscribe: (observer) => subject.subscribe(observer) };
    const peripheral = fakePeripheral<never, string>();
    const subscription = duplexPeripheral(peripheral, { control }).subscribe();
    subject.next("hi");
    subscription.unsubscribe();
    expect(peripheral.inputs).toEqual(["hi"]);
    expect(subject.observed).toBe(false);
  });

  it("wraps events like fromPeripheral (identity, numbering)", () => {
    const peripheral = fakePeripheral<number, string>({ items: [4], peripheralInfo: { id: "fan" } });
    const events: SensorEvent<number>[] = [];
    duplexPeripheral(peripheral, { control: of("x"), eventType: "rpm", group: "hvac" }).subscribe((e) => events.push(e));
    expect(events.map((e) => [e.eventType, e.data, e.identity.id, e.identity.group, e.sequenceNumber])).toEqual([
      ["rpm", 4, "fan", "hvac", 1],
    ]);
  });

  it("publishes emitted values to a debug tap, under its own kind by default", () => {
    const tap = new SensorDebugTap();
    duplexPeripheral(fakePeripheral<number, string>({ items: [1, 2] }), { control: of("x"), debugTap: tap }).subscribe();
    expect(tap.snapshot().map((e) => [e.streamName, e.payload])).toEqual([
      ["DuplexSensorPeripheral", 1],
      ["DuplexSensorPeripheral", 2],
    ]);
  });

  it("carries a DuplexSensorPeripheral descriptor counting inputs", () => {
    const peripheral = fakePeripheral<number, string>({ items: [1] });
    const source = duplexPeripheral(peripheral, { control: of("a", "b"), name: "fan", group: "hvac" });
    expect(source.lego).toEqual({ kind: "DuplexSensorPeripheral", name: "fan", group: "hvac" });
    source.subscribe();
    expect(source.lego.counters).toEqual({ received: 1, emitted: 1, invalid: 0, inputs: 2 });
  });
});

describe("duplexPeripheral — validation at construction", () => {
  const control = of(1);
  const cases: [string, () => unknown, ErrorConstructor, RegExp][] = [
    [
      "peripheral without an input method",
      () => duplexPeripheral(fakePeripheral({ inputMethod: "none" }), { control }),
      TypeError,
      /handleInput or handle_input/,
    ],
    ["handleInput not a function", () => duplexPeripheral({ observe: of(1), handleInput: 3 } as never, { control }), TypeError, /handleInput/],
    ["control missing", () => duplexPeripheral(fakePeripheral(), {} as never), TypeError, /control/],
    ["control not subscribable", () => duplexPeripheral(fakePeripheral(), { control: 5 as never }), TypeError, /control/],
    ["options missing", () => duplexPeripheral(fakePeripheral(), undefined as never), TypeError, /options/],
    ["peripheral not an object", () => duplexPeripheral("p" as never, { control }), TypeError, /peripheral/],
    ["adapter options checked too", () => duplexPeripheral(fakePeripheral(), { control, eventType: "" }), RangeError, /eventType/],
  ];
  it.each(cases)("%s", (_label, make, kind, message) => {
    expect(make).toThrow(kind);
    expect(make).toThrow(message);
  });

  it("subscribes to nothing at construction", () => {
    const peripheral = fakePeripheral();
    const subject = new Subject<number>();
    duplexPeripheral(peripheral, { control: subject });
    expect(peripheral.calls.subscribe).toBe(0);
    expect(subject.observed).toBe(false);
  });
});

describe("duplexPeripheral — types", () => {
  it("infers the output like fromPeripheral", () => {
    const peripheral = fakePeripheral<number, string>();
    const control = of("x");
    expectTypeOf(duplexPeripheral(peripheral, { control })).toEqualTypeOf<LegoObservable<number>>();
    expectTypeOf(duplexPeripheral(peripheral, { control, eventType: "e" })).toEqualTypeOf<LegoObservable<SensorEvent<number>>>();
    expectTypeOf(duplexPeripheral(peripheral, { control, wrapSample: true })).toEqualTypeOf<LegoObservable<SensorSample<number>>>();
  });
});
