import { describe, expect, it } from "vitest";
import { ManualClock, Timer } from "../../../src/index.js";

describe("Timer", () => {
  it("runs once at its due time", () => {
    const clock = new ManualClock();
    const fired: number[] = [];
    const t = new Timer(() => fired.push(clock.now()), { scheduler: clock });
    t.start(10);
    expect([t.pending, t.dueAt]).toEqual([true, 10]);
    clock.advance(9);
    expect(fired).toEqual([]);
    clock.advance(5);
    expect(fired).toEqual([10]);
    expect([t.pending, t.dueAt]).toEqual([false, undefined]);
    clock.advance(100);
    expect(fired).toEqual([10]);
  });

  it("re-arming replaces the pending run; cancel means never", () => {
    const clock = new ManualClock();
    const fired: number[] = [];
    const t = new Timer(() => fired.push(clock.now()), { scheduler: clock });
    t.start(10);
    t.start(3);
    expect(clock.pending).toBe(1);
    clock.advance(20);
    expect(fired).toEqual([3]);
    t.startAt(30);
    t.cancel();
    clock.advance(20);
    expect(fired).toEqual([3]);
    expect(clock.pending).toBe(0);
  });

  it("startAt a past time runs at the next tick", () => {
    const clock = new ManualClock(50);
    const fired: number[] = [];
    const t = new Timer(() => fired.push(clock.now()), { scheduler: clock });
    t.startAt(10);
    expect(t.dueAt).toBe(50);
    clock.advance(0);
    expect(fired).toEqual([50]);
  });

  it("can be re-armed from its own action", () => {
    const clock = new ManualClock();
    let runs = 0;
    const t: Timer = new Timer(
      () => {
        if (++runs < 3) t.start(5);
      },
      { scheduler: clock },
    );
    t.start(5);
    clock.advance(100);
    expect(runs).toBe(3);
  });

  it("validates and gives a ManualClock its group", () => {
    const clock = new ManualClock();
    const t = new Timer(() => undefined, { scheduler: clock, group: "g" });
    expect(t.group).toBe("g");
    expect(clock.group).toBe("g");
    expect(() => new Timer(3 as never)).toThrow(new TypeError("action must be a function, got 3"));
    expect(() => t.start(-1)).toThrow(RangeError);
    expect(() => t.startAt(NaN)).toThrow(RangeError);
    expect(() => new Timer(() => undefined, { scheduler: {} as never })).toThrow(TypeError);
  });
});
