import { Observable, Subject } from "rxjs";
import { describe, expect, it } from "vitest";
import { duplexPeripheral, fromPeripheral, ManualClock, type SensorEvent } from "../../src/index.js";
import { CallbackObservable, CallbackSubscription, HeartPeripheral, type ObserverLike, type PeripheralInfo } from "./heart-peripheral-fake.js";

const info: PeripheralInfo = {
  id: "switch-1",
  tags: [{ name: "input_variant", variant: "button", metadata: { version: "v1" } }],
  location: { x: 1, y: 2, z: 0, time: new Date(1_700_000_000_000) },
};

describe("Heart compatibility (a fake mirroring Heart's shapes)", () => {
  it("the fake's subscribe takes a function or an { on_next, on_error, on_completed } observer and returns { dispose }", () => {
    const heart = new HeartPeripheral<number>(info);
    const seen: number[] = [];
    const byFunction = heart.observe.subscribe((envelope) => seen.push(envelope.data));
    const byObserver = heart.observe.subscribe({ on_next: (envelope) => seen.push(-envelope.data), on_error: () => undefined, on_completed: () => undefined });
    heart.emit(3);
    expect(seen).toEqual([3, -3]);
    expect(byFunction).toBeInstanceOf(CallbackSubscription);
    expect("unsubscribe" in byFunction).toBe(false);
    byFunction.dispose();
    byObserver.dispose();
    expect(heart.subscribers).toBe(0);
    expect("stop" in heart || "close" in heart).toBe(false);
    expect(heart.observe).toBe(heart.observe);
  });

  it("fromPeripheral reads Heart's observe (on_next only), builds the identity from peripheral_info with location.time, and disposes on unsubscribe", () => {
    const heart = new HeartPeripheral<{ pressed: boolean }>(info);
    const clock = new ManualClock(5_000);
    const events: SensorEvent<{ pressed: boolean }>[] = [];
    const subscription = fromPeripheral(heart, { eventType: "button", scheduler: clock }).subscribe((event) => events.push(event));
    expect(heart.log).toEqual(["subscribe", "run"]);
    expect(typeof (heart.received[0] as ObserverLike<unknown>).on_next).toBe("function");
    heart.emit({ pressed: true });
    expect(events).toEqual([
      {
        eventType: "button",
        data: { pressed: true },
        observedAt: 5_000,
        sequenceNumber: 1,
        metadata: {},
        identity: {
          id: "switch-1",
          tags: [{ name: "input_variant", variant: "button", metadata: { version: "v1" } }],
          location: { x: 1, y: 2, z: 0, timestamp: 1_700_000_000_000 },
        },
      },
    ]);
    subscription.unsubscribe();
    expect(heart.log).toEqual(["subscribe", "run", "dispose"]);
    expect(heart.subscribers).toBe(0);
  });

  it("takes Heart's defaults as they are: id None, location time None", () => {
    const heart = new HeartPeripheral<number>();
    const events: SensorEvent<number>[] = [];
    fromPeripheral(heart, { eventType: "level", scheduler: new ManualClock() }).subscribe((event) => events.push(event));
    heart.emit(7);
    expect(events.map((event) => event.identity)).toEqual([{ tags: [], location: { x: 0, y: 0, z: 0 } }]);
  });

  it("emits the envelope's data without eventType, and stopOnUnsubscribe copes with a base class that has no stop/close", () => {
    const heart = new HeartPeripheral<number>(info);
    const seen: number[] = [];
    const subscription = fromPeripheral(heart, { stopOnUnsubscribe: true }).subscribe((value) => seen.push(value));
    heart.emit(1);
    heart.emit(2);
    expect(() => subscription.unsubscribe()).not.toThrow();
    expect(seen).toEqual([1, 2]);
    expect(heart.log).toEqual(["subscribe", "run", "dispose"]);
  });

  it("passes on_error and on_completed of a callback observable that calls them", () => {
    const failing = new CallbackObservable<number>((observer) => {
      observer.on_next(1);
      observer.on_error(new Error("unplugged"));
      return new CallbackSubscription(() => undefined);
    });
    const completing = new CallbackObservable<number>((observer) => {
      observer.on_next(2);
      observer.on_completed();
      return new CallbackSubscription(() => undefined);
    });
    const log: unknown[] = [];
    fromPeripheral({ observe: failing }).subscribe({ next: (v) => log.push(v), error: (e: Error) => log.push(e.message) });
    fromPeripheral({ observe: completing }).subscribe({ next: (v) => log.push(v), complete: () => log.push("done") });
    expect(log).toEqual([1, "unplugged", 2, "done"]);
  });

  it("duplexPeripheral forwards control values to Heart's handle_input and accepts a Heart callback observable as control", () => {
    const heart = new HeartPeripheral<number>(info);
    const controllers = new Set<ObserverLike<string>>();
    const control = new CallbackObservable<string>((observer) => {
      controllers.add(observer);
      return new CallbackSubscription(() => controllers.delete(observer));
    });
    const subscription = duplexPeripheral(heart, { control }).subscribe();
    for (const observer of controllers) observer.on_next("on");
    const rx = new Subject<{ value: string }>();
    const second = duplexPeripheral(heart, { control: rx }).subscribe();
    rx.next({ value: "off" });
    subscription.unsubscribe();
    second.unsubscribe();
    expect(heart.log.filter((entry) => entry.startsWith("handle_input"))).toEqual(['handle_input:"on"', 'handle_input:"off"']);
    expect(controllers.size).toBe(0);
    expect(heart.subscribers).toBe(0);
  });

  it("still releases an RxJS Subscribable by unsubscribe() and a function teardown by calling it", () => {
    let released = 0;
    const subscribable = { subscribe: () => ({ unsubscribe: () => (released += 1) }) };
    const teardownFn = { subscribe: () => () => (released += 1) };
    fromPeripheral({ observe: subscribable }).subscribe().unsubscribe();
    fromPeripheral({ observe: teardownFn as never }).subscribe().unsubscribe();
    fromPeripheral({ observe: new Observable<number>(() => () => (released += 1)) }).subscribe().unsubscribe();
    expect(released).toBe(3);
  });
});
