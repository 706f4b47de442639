import { Observable, take } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { beforeEach, describe, expect, it } from "vitest";
import { ManualClock, SensorDebugTap, debugTap, type DebugEnvelope } from "../../src/index.js";

describe("SensorDebugTap", () => {
  it("publishes and keeps envelopes stamped with its clock", () => {
    const clock = new ManualClock(10);
    const tap = new SensorDebugTap({ clock });
    const envelope = tap.publish({ stage: "raw", streamName: "uart0", sourceId: "u0", payload: "x" });
    expect(envelope).toEqual({ stage: "raw", streamName: "uart0", sourceId: "u0", timestamp: 10, payload: "x", upstreamIds: [] });
    clock.advance(5);
    tap.publish({ stage: "logical", streamName: "temp", sourceId: "t", payload: 21, upstreamIds: ["u0"] });
    expect(tap.snapshot()).toEqual([
      envelope,
      { stage: "logical", streamName: "temp", sourceId: "t", timestamp: 15, payload: 21, upstreamIds: ["u0"] },
    ]);
    expect(Object.isFrozen(envelope)).toBe(true);
  });

  it("keeps only the last historySize envelopes, oldest first", () => {
    const tap = new SensorDebugTap({ historySize: 2, clock: new ManualClock() });
    for (const payload of [1, 2, 3]) tap.publish({ stage: "view", streamName: "s", sourceId: "a", payload });
    expect(tap.snapshot().map((e) => e.payload)).toEqual([2, 3]);
    expect([tap.size, tap.dropped, tap.published]).toEqual([2, 1, 3]);
    tap.clear();
    expect(tap.snapshot()).toEqual([]);
  });

  it("defaults to 512 envelopes", () => {
    expect(new SensorDebugTap().historySize).toBe(512);
  });

  it("filters snapshots by stage, stream and source", () => {
    const tap = new SensorDebugTap({ clock: new ManualClock() });
    tap.publish({ stage: "raw", streamName: "a", sourceId: "1", payload: 1 });
    tap.publish({ stage: "frame", streamName: "a", sourceId: "2", payload: 2 });
    tap.publish({ stage: "frame", streamName: "b", sourceId: "2", payload: 3 });
    expect(tap.snapshot({ stage: "frame" }).map((e) => e.payload)).toEqual([2, 3]);
    expect(tap.snapshot({ stage: "frame", streamName: "a" }).map((e) => e.payload)).toEqual([2]);
    expect(tap.snapshot({ sourceId: "1" }).map((e) => e.payload)).toEqual([1]);
  });

  it("labels envelopes with the publication's group, else the tap's", () => {
    const tap = new SensorDebugTap({ group: "uart", clock: new ManualClock() });
    expect(tap.publish({ stage: "raw", streamName: "s", sourceId: "a", payload: 1 }).group).toBe("uart");
    expect(tap.publish({ stage: "raw", streamName: "s", sourceId: "a", payload: 1, group: "imu" }).group).toBe("imu");
    expect("group" in new SensorDebugTap().publish({ stage: "raw", streamName: "s", sourceId: "a", payload: 1 })).toBe(false);
  });

  it("gives its group to a ManualClock that has none", () => {
    const clock = new ManualClock();
    new SensorDebugTap({ group: "ambient", clock });
    expect(clock.group).toBe("ambient");
  });

  it("tells listeners about each envelope until they stop, and survives a listener that throws", () => {
    const tap = new SensorDebugTap({ clock: new ManualClock() });
    const seen: DebugEnvelope[] = [];
    const stop = tap.listen((e) => seen.push(e));
    tap.listen(() => {
      throw new Error("broken listener");
    });
    const first = tap.publish({ stage: "raw", streamName: "s", sourceId: "a", payload: 1 });
    stop();
    tap.publish({ stage: "raw", streamName: "s", sourceId: "a", payload: 2 });
    expect(seen).toEqual([first]);
    expect(tap.listenerErrors).toBe(2);
  });

  it.each([
    [{ stage: "cooked", streamName: "s", sourceId: "a" }, RangeError, "stage"],
    [{ stage: 1, streamName: "s", sourceId: "a" }, TypeError, "stage"],
    [{ stage: "raw", streamName: "", sourceId: "a" }, RangeError, "streamName"],
    [{ stage: "raw", streamName: "s", sourceId: 5 }, TypeError, "sourceId"],
    [{ stage: "raw", streamName: "s", sourceId: "a", upstreamIds: "a" }, TypeError, "upstreamIds"],
    [{ stage: "raw", streamName: "s", sourceId: "a", upstreamIds: ["a", 2] }, TypeError, "upstreamIds[1]"],
  ])("rejects the publication %o", (publication, errorClass, name) => {
    const tap = new SensorDebugTap();
    expect(() => tap.publish({ payload: 1, ...publication } as never)).toThrow(errorClass);
    expect(() => tap.publish({ payload: 1, ...publication } as never)).toThrow(name);
    expect(() => debugTap(tap, publication as never)).toThrow(name);
  });

  it.each([
    [{ historySize: 0 }, RangeError, "historySize"],
    [{ historySize: "5" }, TypeError, "historySize"],
    [{ clock: 5 }, TypeError, "clock"],
    [{ group: "" }, RangeError, "group"],
  ])("rejects the options %o", (options, errorClass, name) => {
    expect(() => new SensorDebugTap(options as never)).toThrow(errorClass);
    expect(() => new SensorDebugTap(options as never)).toThrow(name);
  });

  it("debugTap requires a tap", () => {
    expect(() => debugTap({} as never, { stage: "raw", streamName: "s", sourceId: "a" })).toThrow(/tap must be a SensorDebugTap/);
  });
});

describe("debugTap", () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  it("passes values on unchanged and publishes each at the tap's time", () => {
    testScheduler.run(({ cold, expectObservable, flush }) => {
      const tap = new SensorDebugTap({ clock: testScheduler });
      const source = cold("-a-b-|");
      expectObservable(source.pipe(debugTap(tap, { stage: "raw", streamName: "uart0", sourceId: "u0", upstreamIds: ["port"] }))).toBe("-a-b-|");
      flush();
      expect(tap.snapshot()).toEqual([
        { stage: "raw", streamName: "uart0", sourceId: "u0", timestamp: 1, payload: "a", upstreamIds: ["port"] },
        { stage: "raw", streamName: "uart0", sourceId: "u0", timestamp: 3, payload: "b", upstreamIds: ["port"] },
      ]);
    });
  });

  it("passes empty, never and errors through", () => {
    const tap = new SensorDebugTap();
    const options = { stage: "view", streamName: "s", sourceId: "a" } as const;
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold("|").pipe(debugTap(tap, options))).toBe("|");
      expectObservable(cold("-").pipe(debugTap(tap, options))).toBe("-");
      expectObservable(cold("-a-#").pipe(debugTap(tap, options))).toBe("-a-#");
    });
    expect(tap.published).toBe(1);
  });

  it("unsubscribes from the source on early unsubscribe", () => {
    const tap = new SensorDebugTap();
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot("-a-b-c-|");
      expectObservable(source.pipe(debugTap(tap, { stage: "raw", streamName: "s", sourceId: "a" })), "^--!").toBe("-a-");
      expectSubscriptions(source.subscriptions).toBe("^--!");
    });
    expect(tap.published).toBe(1);
  });

  it("stops a synchronous source after unsubscribe", () => {
    let produced = 0;
    const source = new Observable<number>((subscriber) => {
      for (let i = 0; i < 100 && !subscriber.closed; i++) {
        produced++;
        subscriber.next(i);
      }
    });
    const tap = new SensorDebugTap();
    source.pipe(debugTap(tap, { stage: "raw", streamName: "s", sourceId: "a" }), take(2)).subscribe();
    expect(produced).toBe(2);
  });

  it("carries a lego descriptor labelled with its group, else the tap's", () => {
    const tap = new SensorDebugTap({ group: "uart" });
    const own = debugTap(tap, { stage: "raw", streamName: "s", sourceId: "a", group: "imu", name: "imu.tap" });
    expect(own.lego).toEqual({ kind: "SensorDebugTap", name: "imu.tap", group: "imu" });
    expect(debugTap(tap, { stage: "raw", streamName: "s", sourceId: "a" }).lego).toEqual({ kind: "SensorDebugTap", group: "uart" });
    new Observable<number>((s) => {
      s.next(1);
      s.complete();
    })
      .pipe(own)
      .subscribe();
    expect(tap.snapshot()[0]?.group).toBe("imu");
    expect(own.lego.counters).toEqual({ published: 1 });
  });
});
