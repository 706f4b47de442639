import { asyncScheduler } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { describe, expect, it } from "vitest";
import { isClock, ManualClock, systemClock } from "../../src/index.js";
import { isScheduler, schedulerOption } from "../../src/time/scheduler.js";

describe("systemClock", () => {
  it("reads the wall clock in ms", () => {
    const before = Date.now();
    const now = systemClock.now();
    const after = Date.now();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(after);
  });

  it("is frozen", () => {
    expect(Object.isFrozen(systemClock)).toBe(true);
  });
});

describe("isClock", () => {
  it("accepts anything with a callable now(), schedulers included", () => {
    expect(isClock(systemClock)).toBe(true);
    expect(isClock({ now: () => 1 })).toBe(true);
    expect(isClock(asyncScheduler)).toBe(true);
    expect(isClock(new ManualClock())).toBe(true);
  });

  it("rejects the rest", () => {
    expect(isClock(null)).toBe(false);
    expect(isClock(undefined)).toBe(false);
    expect(isClock({ now: 1 })).toBe(false);
    expect(isClock(() => 1)).toBe(false);
    expect(isClock("now")).toBe(false);
  });
});

describe("schedulerOption", () => {
  it("defaults to asyncScheduler", () => {
    expect(schedulerOption(undefined, undefined)).toBe(asyncScheduler);
    expect(schedulerOption(undefined, "ambient")).toBe(asyncScheduler);
  });

  it("returns a given scheduler", () => {
    const test = new TestScheduler(() => undefined);
    expect(schedulerOption(test, "ambient")).toBe(test);
  });

  it("gives its group to a ManualClock without one, never replacing a group", () => {
    const bare = new ManualClock();
    expect(schedulerOption(bare, "ambient")).toBe(bare);
    expect(bare.group).toBe("ambient");
    schedulerOption(bare, "other");
    expect(bare.group).toBe("ambient");
    const none = new ManualClock();
    schedulerOption(none, undefined);
    expect(none.group).toBeUndefined();
  });

  it("rejects what is not a scheduler, naming the option", () => {
    expect(() => schedulerOption({ now: () => 0 }, undefined)).toThrow(
      new TypeError("scheduler must be a SchedulerLike (with now() and schedule())"),
    );
    expect(() => schedulerOption(null, undefined, "clock")).toThrow(/^clock must be a SchedulerLike/);
  });

  it("isScheduler needs now() and schedule()", () => {
    expect(isScheduler(asyncScheduler)).toBe(true);
    expect(isScheduler(new ManualClock())).toBe(true);
    expect(isScheduler(systemClock)).toBe(false);
    expect(isScheduler(undefined)).toBe(false);
  });
});
