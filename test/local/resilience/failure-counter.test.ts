import { describe, expect, it } from "vitest";
import { CountWindow, FailureCounter, ManualClock, TimeWindow, ThresholdPolicy, thresholdTripped } from "../../../src/index.js";

describe("FailureCounter", () => {
  it("counts successes and failures over a count window", () => {
    const counter = new FailureCounter({ window: { by: "count", size: 3 } });
    counter.failure();
    counter.success();
    counter.failure();
    expect(counter.counts()).toEqual({ calls: 3, failures: 2, successes: 1 });
    counter.success(); // the first failure falls out
    expect(counter.counts()).toEqual({ calls: 3, failures: 1, successes: 2 });
    expect([counter.failures(), counter.successes(), counter.calls()]).toEqual([1, 2, 3]);
  });

  it("defaults to the last 100 calls", () => {
    const counter = new FailureCounter();
    expect(counter.window).toBeInstanceOf(CountWindow);
    expect(counter.window.size).toBe(100);
    counter.failure();
    for (let i = 0; i < 99; i++) counter.success();
    expect(counter.counts()).toEqual({ calls: 100, failures: 1, successes: 99 });
    counter.success();
    expect(counter.failures()).toBe(0);
  });

  it("counts over a time window on its clock", () => {
    const clock = new ManualClock();
    const counter = new FailureCounter({ clock, window: { by: "time", size: 10_000 } });
    expect(counter.window).toBeInstanceOf(TimeWindow);
    counter.failure();
    clock.advance(9_999);
    expect(counter.failures()).toBe(1);
    clock.advance(1);
    expect(counter.failures()).toBe(0);
  });

  it("feeds a ThresholdPolicy", () => {
    const counter = new FailureCounter({ window: { by: "count", size: 10 } });
    const policy = ThresholdPolicy.ratio(0.5, { minimumCalls: 2 });
    counter.failure();
    expect(thresholdTripped(policy, counter.failures(), counter.calls())).toBe(false);
    counter.success();
    expect(thresholdTripped(policy, counter.failures(), counter.calls())).toBe(true);
  });

  it("accepts a window it is given and gives it its group", () => {
    const window = new CountWindow({ size: 2 });
    const counter = new FailureCounter({ window, group: "billing" });
    expect(counter.window).toBe(window);
    expect(window.group).toBe("billing");
    expect(() => new FailureCounter({ window: new CountWindow({ size: 2, categories: 1 }) })).toThrow(RangeError);
  });

  it("resets, snapshots and restores", () => {
    const counter = new FailureCounter({ window: { by: "count", size: 5 } });
    counter.failure();
    counter.success();
    const snap = counter.snapshot();
    counter.reset();
    expect(counter.calls()).toBe(0);
    counter.restore(snap);
    expect(counter.counts()).toEqual({ calls: 2, failures: 1, successes: 1 });
  });

  it("validates", () => {
    expect(() => new FailureCounter(null as never)).toThrow(TypeError);
    expect(() => new FailureCounter({ clock: 5 as never })).toThrow(new TypeError("clock must be a Clock (with now())"));
    expect(() => new FailureCounter({ window: { by: "count", size: -1 } })).toThrow(RangeError);
  });
});
