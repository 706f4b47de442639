import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SequenceCounter } from "../../src/index.js";
import { sequenceCounterOrNew } from "../../src/local/sequence-counter.js";

describe("SequenceCounter", () => {
  it("from the default start 0, the first next() returns 1", () => {
    const seq = new SequenceCounter();
    expect(seq.peek()).toBe(0);
    expect(seq.next()).toBe(1);
    expect(seq.next()).toBe(2);
    expect(seq.peek()).toBe(2);
  });

  it("honours start and step", () => {
    const seq = new SequenceCounter({ start: 10, step: 5 });
    expect(seq.peek()).toBe(10);
    expect(seq.upcoming()).toBe(15);
    expect(seq.next()).toBe(15);
    expect(seq.next()).toBe(20);
    expect(seq.step).toBe(5);
  });

  it("peek() and upcoming() do not advance", () => {
    const seq = new SequenceCounter();
    seq.peek();
    seq.upcoming();
    seq.upcoming();
    expect(seq.next()).toBe(1);
  });

  it("reset(value) makes the next next() return value + step; reset() goes back to 0", () => {
    const seq = new SequenceCounter({ step: 2 });
    seq.next();
    seq.reset(100);
    expect(seq.peek()).toBe(100);
    expect(seq.next()).toBe(102);
    seq.reset();
    expect(seq.next()).toBe(2);
  });

  it("hands out strictly increasing numbers start + k·step (property)", () => {
    fc.assert(
      fc.property(fc.nat({ max: 1e9 }), fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 50 }), (start, step, n) => {
        const seq = new SequenceCounter({ start, step });
        const out = Array.from({ length: n }, () => seq.next());
        expect(out).toEqual(Array.from({ length: n }, (_, k) => start + (k + 1) * step));
      }),
    );
  });

  it("has a group only when given one, and a bare counter can adopt one", () => {
    expect(new SequenceCounter().group).toBeUndefined();
    expect(new SequenceCounter({ group: "ambient" }).group).toBe("ambient");
  });

  describe("validation", () => {
    it.each([-1, 1.5, NaN, Infinity])("start %s is a RangeError naming start", (start) => {
      expect(() => new SequenceCounter({ start })).toThrow(RangeError);
      expect(() => new SequenceCounter({ start })).toThrow(/^start must be a non-negative integer/);
    });
    it.each([0, -1, 0.5, NaN])("step %s is a RangeError naming step", (step) => {
      expect(() => new SequenceCounter({ step })).toThrow(RangeError);
      expect(() => new SequenceCounter({ step })).toThrow(/^step must be a positive integer/);
    });
    it("wrong types are TypeErrors", () => {
      expect(() => new SequenceCounter({ start: "1" as never })).toThrow(new TypeError('start must be a number, got "1"'));
      expect(() => new SequenceCounter({ step: null as never })).toThrow(new TypeError("step must be a number, got null"));
      expect(() => new SequenceCounter({ group: 3 as never })).toThrow(new TypeError("group must be a string, got 3"));
    });
    it("reset() rejects values that are not non-negative integers, leaving the counter as it was", () => {
      const seq = new SequenceCounter({ start: 7 });
      expect(() => seq.reset(-1)).toThrow(/^value must be a non-negative integer/);
      expect(() => seq.reset(2.5)).toThrow(RangeError);
      expect(() => seq.reset(NaN)).toThrow(new RangeError("value must be a finite number, got NaN"));
      expect(() => seq.reset("3" as never)).toThrow(TypeError);
      expect(seq.peek()).toBe(7);
    });
  });
});

describe("sequenceCounterOrNew", () => {
  it("returns the given counter, or a fresh one from 0", () => {
    const mine = new SequenceCounter({ start: 5 });
    expect(sequenceCounterOrNew(mine)).toBe(mine);
    const fresh = sequenceCounterOrNew(undefined);
    expect(fresh).toBeInstanceOf(SequenceCounter);
    expect(fresh.next()).toBe(1);
  });

  it("rejects what is not a SequenceCounter, naming the option", () => {
    expect(() => sequenceCounterOrNew({ next: () => 1 } as never)).toThrow(new TypeError("sequence must be a SequenceCounter"));
    expect(() => sequenceCounterOrNew(5 as never, "seq")).toThrow(new TypeError("seq must be a SequenceCounter"));
  });
});
