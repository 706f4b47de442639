import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Deadline, deadline, isDeadline, ManualClock, TTL, ttl } from "../../src/index.js";

describe("Deadline", () => {
  it("is ms after the clock's now, frozen", () => {
    const clock = new ManualClock(100);
    const d = deadline(clock, 50);
    expect(d.at).toBe(150);
    expect(Object.isFrozen(d)).toBe(true);
    expect(isDeadline(d)).toBe(true);
    expect(isDeadline({ at: 150 })).toBe(false);
    expect(Deadline.after(clock, 0).at).toBe(100);
  });

  it("counts down and expires exactly at `at`", () => {
    const clock = new ManualClock(0);
    const d = deadline(clock, 10);
    expect(d.remaining(clock)).toBe(10);
    expect(d.expired(clock)).toBe(false);
    clock.advance(9.5);
    expect(d.remaining(clock)).toBe(0.5);
    expect(d.expired(9.999)).toBe(false);
    clock.advance(0.5);
    expect(d.expired(clock)).toBe(true);
    expect(d.remaining(clock)).toBe(0);
    expect(d.remaining(1_000)).toBe(0);
  });

  it("picks the earliest", () => {
    const a = Deadline.at(30);
    const b = Deadline.at(10);
    const c = Deadline.at(20);
    expect(Deadline.earliest(a, b, c)).toBe(b);
    expect(a.min(c)).toBe(c);
    expect(b.min(a)).toBe(b);
    expect(() => Deadline.earliest()).toThrow(new RangeError("deadlines must not be empty"));
    expect(() => Deadline.earliest(a, { at: 1 } as never)).toThrow(new TypeError("deadlines[1] must be a Deadline"));
  });

  it("takes a safety margin", () => {
    expect(Deadline.at(100).minus(15).at).toBe(85);
    expect(() => Deadline.at(100).minus(-1)).toThrow(RangeError);
  });

  it("serialises as { at }", () => {
    expect(JSON.stringify({ d: Deadline.at(7) })).toBe('{"d":{"at":7}}');
  });

  it("earliest is the minimum of any non-empty list", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1e6, max: 1e6 }), { minLength: 1 }), (ats) => {
        expect(Deadline.earliest(...ats.map((t) => Deadline.at(t))).at).toBe(Math.min(...ats));
      }),
    );
  });

  describe("validation", () => {
    it.each([NaN, Infinity, -Infinity])("rejects at(%s)", (t) => {
      expect(() => Deadline.at(t)).toThrow(RangeError);
    });
    it("rejects a non-number time", () => {
      expect(() => Deadline.at("5" as never)).toThrow(new TypeError('t must be a number, got "5"'));
    });
    it("rejects a negative or infinite budget", () => {
      const clock = new ManualClock();
      expect(() => deadline(clock, -1)).toThrow(new RangeError("ms must be a finite number >= 0, got -1"));
      expect(() => deadline(clock, Infinity)).toThrow(RangeError);
    });
    it("rejects a clock without now()", () => {
      expect(() => deadline({} as never, 1)).toThrow(new TypeError("clock must be a Clock (with now())"));
    });
  });
});

describe("TTL", () => {
  it("gives the expiry of something written at now", () => {
    const t = ttl(30);
    expect(t.ms).toBe(30);
    expect(t.expiresAt(100)).toBe(130);
    expect(t.expired(100, 129)).toBe(false);
    expect(t.expired(100, 130)).toBe(true);
    expect(Object.isFrozen(t)).toBe(true);
    expect(t).toBeInstanceOf(TTL);
  });

  it("makes a deadline on a clock", () => {
    const clock = new ManualClock(5);
    expect(ttl(10).deadline(clock).at).toBe(15);
  });

  it("zero means expired as soon as written", () => {
    expect(ttl(0).expired(7, 7)).toBe(true);
  });

  it("serialises as its ms", () => {
    expect(JSON.stringify({ ttl: ttl(9) })).toBe('{"ttl":9}');
  });

  it.each([-1, NaN, Infinity])("rejects %s", (ms) => {
    expect(() => ttl(ms)).toThrow(RangeError);
    expect(() => ttl(ms)).toThrow(/ttl/);
  });

  it("rejects a non-number", () => {
    expect(() => new TTL(null as never)).toThrow(new TypeError("ttl must be a number, got null"));
  });
});
