import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BoundedRingBuffer, OVERFLOW_POLICIES, type OverflowPolicy } from "../../src/index.js";

function filled(capacity: number, overflow: OverflowPolicy, items: number[]): BoundedRingBuffer<number> {
  const ring = new BoundedRingBuffer<number>({ capacity, overflow });
  for (const item of items) ring.push(item);
  return ring;
}

describe("BoundedRingBuffer", () => {
  describe("construction", () => {
    it("defaults to drop_oldest, with counters at 0", () => {
      const ring = new BoundedRingBuffer<number>({ capacity: 3 });
      expect(ring.capacity).toBe(3);
      expect(ring.overflow).toBe("drop_oldest");
      expect(ring.size).toBe(0);
      expect(ring.isFull).toBe(false);
      expect(ring.dropped).toBe(0);
      expect(ring.rejected).toBe(0);
      expect(ring.group).toBeUndefined();
    });

    it("keeps its group", () => {
      expect(new BoundedRingBuffer({ capacity: 1, group: "ambient" }).group).toBe("ambient");
    });

    it.each([0, -1, 1.5, NaN, Infinity])("capacity %s is a RangeError naming capacity", (capacity) => {
      expect(() => new BoundedRingBuffer({ capacity })).toThrow(RangeError);
      expect(() => new BoundedRingBuffer({ capacity })).toThrow(/^capacity must be a positive integer/);
    });

    it("wrong types are TypeErrors naming the option", () => {
      expect(() => new BoundedRingBuffer({ capacity: "2" as never })).toThrow(new TypeError('capacity must be a number, got "2"'));
      expect(() => new BoundedRingBuffer({ capacity: 2, overflow: 1 as never })).toThrow(TypeError);
      expect(() => new BoundedRingBuffer({ capacity: 2, overflow: null as never })).toThrow(/^overflow must be one of/);
      expect(() => new BoundedRingBuffer(undefined as never)).toThrow(new TypeError("options must be an object"));
    });

    it("an unknown overflow policy is a RangeError", () => {
      expect(() => new BoundedRingBuffer({ capacity: 2, overflow: "lifo" as never })).toThrow(
        new RangeError('overflow must be one of drop_oldest | drop_newest | reject | latest, got "lifo"'),
      );
    });
  });

  describe("FIFO behaviour", () => {
    it("pops oldest first; pop and peek on empty return undefined", () => {
      const ring = filled(3, "drop_oldest", [1, 2]);
      expect(ring.peek()).toBe(1);
      expect(ring.pop()).toBe(1);
      expect(ring.pop()).toBe(2);
      expect(ring.pop()).toBeUndefined();
      expect(ring.peek()).toBeUndefined();
      expect(ring.size).toBe(0);
    });

    it("iterates oldest first across the wrap-around, without consuming", () => {
      const ring = filled(3, "drop_oldest", [1, 2, 3]);
      ring.pop();
      ring.push(4);
      expect([...ring]).toEqual([2, 3, 4]);
      expect(ring.size).toBe(3);
      expect(ring.isFull).toBe(true);
    });

    it("drain() returns everything oldest first and empties the buffer", () => {
      const ring = filled(3, "drop_oldest", [1, 2, 3, 4, 5]);
      expect(ring.drain()).toEqual([3, 4, 5]);
      expect(ring.size).toBe(0);
      expect(ring.drain()).toEqual([]);
    });

    it("clear() empties without counting drops", () => {
      const ring = filled(2, "drop_oldest", [1, 2]);
      ring.clear();
      expect(ring.size).toBe(0);
      expect(ring.dropped).toBe(0);
      ring.push(9);
      expect([...ring]).toEqual([9]);
    });
  });

  describe("overflow policies", () => {
    it("drop_oldest evicts the oldest, stores the new item and counts dropped", () => {
      const ring = filled(2, "drop_oldest", [1, 2]);
      expect(ring.push(3)).toBe(true);
      expect([...ring]).toEqual([2, 3]);
      expect(ring.dropped).toBe(1);
      expect(ring.rejected).toBe(0);
    });

    it("drop_newest keeps what is stored, refuses the new item and counts dropped", () => {
      const ring = filled(2, "drop_newest", [1, 2]);
      expect(ring.push(3)).toBe(false);
      expect([...ring]).toEqual([1, 2]);
      expect(ring.dropped).toBe(1);
      expect(ring.rejected).toBe(0);
    });

    it("reject refuses the new item and counts rejected, not dropped", () => {
      const ring = filled(2, "reject", [1, 2]);
      expect(ring.push(3)).toBe(false);
      expect([...ring]).toEqual([1, 2]);
      expect(ring.rejected).toBe(1);
      expect(ring.dropped).toBe(0);
    });

    it("latest keeps only the newest item and counts every replaced item as dropped", () => {
      const ring = new BoundedRingBuffer<number>({ capacity: 3, overflow: "latest" });
      expect(ring.push(1)).toBe(true);
      expect(ring.push(2)).toBe(true);
      expect(ring.push(3)).toBe(true);
      expect([...ring]).toEqual([3]);
      expect(ring.size).toBe(1);
      expect(ring.dropped).toBe(2);
      expect(ring.pop()).toBe(3);
      ring.push(4);
      expect(ring.dropped).toBe(2);
    });

    it("below capacity every policy but latest just stores", () => {
      for (const overflow of ["drop_oldest", "drop_newest", "reject"] as const) {
        const ring = filled(3, overflow, [1, 2, 3]);
        expect([...ring]).toEqual([1, 2, 3]);
        expect(ring.dropped + ring.rejected).toBe(0);
      }
    });
  });

  describe("properties, under every overflow mode", () => {
    type Op = { kind: "push"; item: number } | { kind: "pop" } | { kind: "drain" } | { kind: "clear" };
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 6, arbitrary: fc.integer().map((item) => ({ kind: "push" as const, item })) },
      { weight: 2, arbitrary: fc.constant({ kind: "pop" as const }) },
      { weight: 1, arbitrary: fc.constant({ kind: "drain" as const }) },
      { weight: 1, arbitrary: fc.constant({ kind: "clear" as const }) },
    );

    /** The obvious array model of each policy. */
    function modelPush(model: number[], capacity: number, overflow: OverflowPolicy, item: number): { stored: boolean; dropped: number; rejected: number } {
      if (overflow === "latest") {
        const dropped = model.length;
        model.splice(0, model.length, item);
        return { stored: true, dropped, rejected: 0 };
      }
      if (model.length < capacity) {
        model.push(item);
        return { stored: true, dropped: 0, rejected: 0 };
      }
      if (overflow === "drop_newest") return { stored: false, dropped: 1, rejected: 0 };
      if (overflow === "reject") return { stored: false, dropped: 0, rejected: 1 };
      model.shift();
      model.push(item);
      return { stored: true, dropped: 1, rejected: 0 };
    }

    it("matches the array model, keeps size ≤ capacity, and accounts for every pushed item", () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 6 }), fc.constantFrom(...OVERFLOW_POLICIES), fc.array(op, { maxLength: 80 }), (capacity, overflow, ops) => {
          const ring = new BoundedRingBuffer<number>({ capacity, overflow });
          const model: number[] = [];
          let dropped = 0;
          let rejected = 0;
          let pushed = 0;
          let taken = 0;
          let cleared = 0;
          for (const o of ops) {
            if (o.kind === "push") {
              pushed++;
              const expected = modelPush(model, capacity, overflow, o.item);
              expect(ring.push(o.item)).toBe(expected.stored);
              dropped += expected.dropped;
              rejected += expected.rejected;
            } else if (o.kind === "pop") {
              const expected = model.shift();
              if (expected !== undefined) taken++;
              expect(ring.pop()).toBe(expected);
            } else if (o.kind === "drain") {
              taken += model.length;
              expect(ring.drain()).toEqual(model.splice(0));
            } else {
              cleared += model.length;
              model.splice(0);
              ring.clear();
            }
            expect([...ring]).toEqual(model);
            expect(ring.size).toBe(model.length);
            expect(ring.size).toBeLessThanOrEqual(overflow === "latest" ? 1 : capacity);
            expect(ring.isFull).toBe(model.length === capacity);
            expect(ring.peek()).toBe(model[0]);
            expect(ring.dropped).toBe(dropped);
            expect(ring.rejected).toBe(rejected);
            // conservation: every pushed item is stored, taken out, lost or cleared
            expect(ring.size + taken + ring.dropped + ring.rejected + cleared).toBe(pushed);
          }
        }),
      );
    });

    it("only reject ever counts rejected, only latest/drop_* ever count dropped", () => {
      fc.assert(
        fc.property(fc.constantFrom(...OVERFLOW_POLICIES), fc.array(fc.integer(), { maxLength: 30 }), (overflow, items) => {
          const ring = filled(2, overflow, items);
          if (overflow !== "reject") expect(ring.rejected).toBe(0);
          if (overflow === "reject") expect(ring.dropped).toBe(0);
        }),
      );
    });

    it("drop_oldest keeps the last `capacity` items pushed", () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 8 }), fc.array(fc.integer(), { maxLength: 40 }), (capacity, items) => {
          expect(filled(capacity, "drop_oldest", items).drain()).toEqual(items.slice(-capacity));
        }),
      );
    });

    it("drop_newest and reject keep the first `capacity` items pushed", () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 8 }), fc.array(fc.integer(), { maxLength: 40 }), (capacity, items) => {
          expect(filled(capacity, "drop_newest", items).drain()).toEqual(items.slice(0, capacity));
          expect(filled(capacity, "reject", items).drain()).toEqual(items.slice(0, capacity));
        }),
      );
    });

    it("latest keeps the last item pushed and counts all others it replaced", () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 8 }), fc.array(fc.integer(), { minLength: 1, maxLength: 40 }), (capacity, items) => {
          const ring = filled(capacity, "latest", items);
          expect(ring.dropped).toBe(items.length - 1);
          expect(ring.drain()).toEqual(items.slice(-1));
        }),
      );
    });
  });
});
