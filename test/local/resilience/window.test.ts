import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CountWindow, ManualClock, slidingWindow, TimeWindow } from "../../../src/index.js";

describe("CountWindow", () => {
  it("keeps the last `size` records with per-category counts", () => {
    const w = new CountWindow({ size: 3 });
    w.record(0);
    w.record(1);
    w.record(1);
    expect([w.count(0), w.count(1), w.total()]).toEqual([1, 2, 3]);
    w.record(0); // the first 0 falls out
    expect([w.count(0), w.count(1), w.total()]).toEqual([1, 2, 3]);
    w.record(0); // a 1 falls out
    expect([w.count(0), w.count(1)]).toEqual([2, 1]);
  });

  it("resets", () => {
    const w = new CountWindow({ size: 2 });
    w.record(1);
    w.reset();
    expect([w.count(1), w.total()]).toEqual([0, 0]);
  });

  it("snapshots oldest first and restores", () => {
    const w = new CountWindow({ size: 3, categories: 3 });
    for (const c of [2, 0, 1, 1]) w.record(c);
    const snap = w.snapshot();
    expect(snap).toEqual({ by: "count", size: 3, records: [0, 1, 1] });
    const v = new CountWindow({ size: 3, categories: 3 });
    v.restore(snap);
    expect([v.count(0), v.count(1), v.count(2)]).toEqual([1, 2, 0]);
    v.record(2);
    expect(v.snapshot()).toEqual({ by: "count", size: 3, records: [1, 1, 2] });
  });

  it("matches a naive last-N count for any sequence (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 100 }), (size, records) => {
        const w = new CountWindow({ size, categories: 3 });
        for (const r of records) w.record(r);
        const last = records.slice(-size);
        for (const c of [0, 1, 2]) expect(w.count(c)).toBe(last.filter((r) => r === c).length);
        expect(w.total()).toBe(last.length);
      }),
    );
  });

  it("validates", () => {
    expect(() => new CountWindow({ size: 0 })).toThrow(new RangeError("size must be a positive integer, got 0"));
    expect(() => new CountWindow({ size: 2, categories: 256 })).toThrow(new RangeError("categories must be at most 255, got 256"));
    const w = new CountWindow({ size: 2 });
    expect(() => w.record(2)).toThrow(new RangeError("category must be an integer in 0 … 1, got 2"));
    expect(() => w.record(0.5)).toThrow(RangeError);
    expect(() => w.restore({ by: "count", size: 3, records: [] })).toThrow(new RangeError("snapshot must be of a count window of size 2"));
    expect(() => w.restore({ by: "count", size: 2, records: [0, 5] })).toThrow(RangeError);
  });
});

describe("TimeWindow", () => {
  it("drops records one bucket at a time", () => {
    const w = new TimeWindow({ size: 100, buckets: 10 });
    w.record(1, 0);
    w.record(1, 55);
    expect(w.count(1, 99)).toBe(2);
    expect(w.count(1, 100)).toBe(1); // bucket [0, 10) left
    expect(w.count(1, 149)).toBe(1);
    expect(w.count(1, 150)).toBe(0);
    expect(w.total(150)).toBe(0);
  });

  it("reads its clock when not given now", () => {
    const clock = new ManualClock();
    const w = new TimeWindow({ size: 10, buckets: 2, clock });
    w.record(0);
    clock.advance(9);
    expect(w.count(0)).toBe(1);
    clock.advance(1);
    expect(w.count(0)).toBe(0);
  });

  it("ignores a record older than the window, counts a late one still inside", () => {
    const w = new TimeWindow({ size: 100, buckets: 10 });
    w.record(0, 500);
    w.record(1, 300); // older than the window at 500
    w.record(1, 450); // inside
    expect([w.count(0, 500), w.count(1, 500)]).toEqual([1, 1]);
  });

  it("survives a long idle spell and negative times", () => {
    const w = new TimeWindow({ size: 100, buckets: 4 });
    w.record(1, -30);
    expect(w.count(1, -1)).toBe(1);
    w.record(0, 1e9);
    expect([w.count(0, 1e9), w.count(1, 1e9)]).toEqual([1, 0]);
  });

  it("snapshots live buckets and restores them", () => {
    const w = new TimeWindow({ size: 100, buckets: 10 });
    w.record(1, 5);
    w.record(0, 42);
    w.record(1, 47);
    const snap = w.snapshot(50);
    expect(snap).toEqual({
      by: "time",
      size: 100,
      buckets: 10,
      entries: [
        { index: 0, counts: [0, 1] },
        { index: 4, counts: [1, 1] },
      ],
    });
    const v = new TimeWindow({ size: 100, buckets: 10 });
    v.restore(JSON.parse(JSON.stringify(snap)) as typeof snap);
    expect([v.count(0, 50), v.count(1, 50)]).toEqual([1, 2]);
    expect(v.count(1, 100)).toBe(1);
    expect(() => v.restore({ by: "time", size: 100, buckets: 5, entries: [] })).toThrow(RangeError);
    expect(() => v.restore({ by: "time", size: 100, buckets: 10, entries: [{ index: 1, counts: [1] }] })).toThrow(RangeError);
    expect(() => v.restore({ by: "time", size: 100, buckets: 10, entries: [{ index: 1, counts: [1, -1] }] })).toThrow(RangeError);
  });

  it("matches a naive count over whole buckets for any in-order sequence (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 1 })), { maxLength: 60 }),
        (buckets, steps) => {
          const size = buckets * 10;
          const w = new TimeWindow({ size, buckets });
          const log: [number, number][] = [];
          let now = 0;
          for (const [dt, c] of steps) {
            now += dt;
            w.record(c, now);
            log.push([now, c]);
          }
          // the window at `now` holds the buckets floor(now/10) − buckets + 1 … floor(now/10)
          const first = (Math.floor(now / 10) - buckets + 1) * 10;
          for (const c of [0, 1]) expect(w.count(c, now)).toBe(log.filter(([t, k]) => k === c && t >= first).length);
        },
      ),
    );
  });

  it("validates", () => {
    expect(() => new TimeWindow({ size: 0 })).toThrow(new RangeError("size must be a finite number > 0, got 0"));
    expect(() => new TimeWindow({ size: 10, buckets: 0 })).toThrow(/buckets/);
    expect(() => new TimeWindow({ size: 10, clock: {} as never })).toThrow(new TypeError("clock must be a Clock (with now())"));
  });
});

describe("slidingWindow", () => {
  it("builds either window from a spec", () => {
    const clock = new ManualClock();
    const c = slidingWindow({ by: "count", size: 4 });
    expect(c).toBeInstanceOf(CountWindow);
    expect(c.size).toBe(4);
    const t = slidingWindow({ by: "time", size: 1_000, buckets: 5 }, { clock, group: "g" });
    expect(t).toBeInstanceOf(TimeWindow);
    expect(t.snapshot(0)).toMatchObject({ buckets: 5 });
    expect(t.group).toBe("g");
    expect(() => slidingWindow({ by: "sliding" } as never)).toThrow(new RangeError('window.by must be one of count | time, got "sliding"'));
    expect(() => slidingWindow(null as never)).toThrow(TypeError);
  });
});
