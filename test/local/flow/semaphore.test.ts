import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Semaphore } from "../../../src/index.js";

describe("Semaphore", () => {
  it("grants permits, queues waiters up to maxWaiters, hands a released permit to the oldest waiter", () => {
    const s = new Semaphore<string>({ permits: 2, maxWaiters: 2 });
    expect(s.acquire("a")).toBe("acquired");
    expect(s.tryAcquire()).toBe(true);
    expect(s.tryAcquire()).toBe(false);
    expect(s.acquire("b")).toBe("queued");
    expect(s.acquire("c")).toBe("queued");
    expect(s.acquire("d")).toBe("full");
    expect([s.inUse, s.available, s.waiting]).toEqual([2, 0, 2]);
    expect(s.release()).toBe("b");
    expect([s.inUse, s.waiting]).toEqual([2, 1]);
    expect(s.cancel("c")).toBe(true);
    expect(s.cancel("c")).toBe(false);
    expect(s.release()).toBeUndefined();
    expect(s.release()).toBeUndefined();
    expect([s.inUse, s.available]).toEqual([0, 2]);
    expect(() => s.release()).toThrow(RangeError);
  });

  it("evictOldest and clearWaiters empty the line", () => {
    const s = new Semaphore<number>({ permits: 1, maxWaiters: 3 });
    s.acquire(0);
    s.acquire(1);
    s.acquire(2);
    s.acquire(3);
    expect(s.evictOldest()).toBe(1);
    expect(s.clearWaiters()).toBe(2);
    expect(s.evictOldest()).toBeUndefined();
  });

  it("validates its options", () => {
    expect(() => new Semaphore({ permits: 0 })).toThrow(RangeError);
    expect(() => new Semaphore({ permits: 1.5 })).toThrow(/permits/);
    expect(() => new Semaphore({ permits: 1, maxWaiters: -1 })).toThrow(/maxWaiters/);
  });

  it("property: never more than permits held nor maxWaiters waiting; waiters served FIFO", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 0, max: 5 }),
        fc.array(fc.boolean(), { maxLength: 200 }),
        (permits, maxWaiters, ops) => {
          const s = new Semaphore<number>({ permits, maxWaiters });
          const line: number[] = [];
          let held = 0;
          ops.forEach((acquire, i) => {
            if (acquire) {
              const r = s.acquire(i);
              if (r === "acquired") held++;
              if (r === "queued") line.push(i);
            } else if (held > 0) {
              const next = s.release();
              if (line.length > 0) expect(next).toBe(line.shift());
              else {
                expect(next).toBeUndefined();
                held--;
              }
            }
            expect(s.inUse).toBe(held);
            expect(s.inUse).toBeLessThanOrEqual(permits);
            expect(s.waiting).toBe(line.length);
            expect(s.waiting).toBeLessThanOrEqual(maxWaiters);
          });
        },
      ),
    );
  });
});
