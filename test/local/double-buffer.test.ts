import fc from "fast-check";
import { Observable, take } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { beforeEach, describe, expect, it } from "vitest";
import { DoubleBuffer, doubleBuffer } from "../../src/index.js";

describe("DoubleBuffer", () => {
  it("finalises the active buffer when full and flips to the other", () => {
    const db = new DoubleBuffer<number>({ size: 2 });
    expect(db.push(1)).toBeUndefined();
    expect(db.push(2)).toEqual({ bufferId: 0, samples: [1, 2] });
    expect(db.activeBufferId).toBe(1);
    expect(db.push(3)).toBeUndefined();
    expect(db.push(4)).toEqual({ bufferId: 1, samples: [3, 4] });
    expect(db.push(5)).toBeUndefined();
    expect(db.activeCount).toBe(1);
  });

  it("pops queued packets oldest first, then undefined", () => {
    const db = new DoubleBuffer<string>({ size: 1 });
    db.push("a");
    db.push("b");
    expect(db.queued).toBe(2);
    expect(db.pop()).toEqual({ bufferId: 0, samples: ["a"] });
    expect(db.pop()).toEqual({ bufferId: 1, samples: ["b"] });
    expect(db.pop()).toBeUndefined();
  });

  it("flush() finalises a non-empty active buffer and nothing otherwise", () => {
    const db = new DoubleBuffer<number>({ size: 3 });
    expect(db.flush()).toBeUndefined();
    db.push(1);
    expect(db.flush()).toEqual({ bufferId: 0, samples: [1] });
    expect(db.flush()).toBeUndefined();
    expect(db.activeBufferId).toBe(1);
    expect(db.pop()).toEqual({ bufferId: 0, samples: [1] });
  });

  it("keeps every finalised packet in order until popped, even when its buffer id was reused", () => {
    const db = new DoubleBuffer<number>({ size: 2 });
    [1, 2, 3, 4].forEach((n) => db.push(n));
    db.push(5);
    db.flush();
    expect(db.queued).toBe(3);
    expect([db.pop(), db.pop(), db.pop(), db.pop()]).toEqual([
      { bufferId: 0, samples: [1, 2] },
      { bufferId: 1, samples: [3, 4] },
      { bufferId: 0, samples: [5] },
      undefined,
    ]);
    expect(db.dropped).toBe(0);
  });

  it.each([
    ["drop_oldest", [[3], [4]], 2, 0],
    ["drop_newest", [[1], [2]], 2, 0],
    ["reject", [[1], [2]], 0, 2],
    ["latest", [[4]], 3, 0],
  ] as const)("bounds the waiting packets by maxQueued (%s)", (overflow, samples, dropped, rejected) => {
    const db = new DoubleBuffer<number>({ size: 1, maxQueued: 2, overflow });
    const returned = [1, 2, 3, 4].map((n) => db.push(n)?.samples);
    expect(returned).toEqual([[1], [2], [3], [4]]);
    const popped: (readonly number[])[] = [];
    for (let p = db.pop(); p !== undefined; p = db.pop()) popped.push(p.samples);
    expect(popped).toEqual(samples);
    expect([db.dropped, db.rejected]).toEqual([dropped, rejected]);
  });

  it("defaults to maxQueued 16 with drop_oldest", () => {
    const db = new DoubleBuffer<number>({ size: 1 });
    expect([db.maxQueued, db.overflow]).toEqual([16, "drop_oldest"]);
    for (let n = 1; n <= 17; n++) db.push(n);
    expect([db.queued, db.dropped, db.pop()?.samples]).toEqual([16, 1, [2]]);
  });

  it("hands out frozen packets that later pushes cannot change", () => {
    const db = new DoubleBuffer<number>({ size: 2 });
    db.push(1);
    const packet = db.push(2)!;
    db.push(3);
    db.push(4);
    expect(packet.samples).toEqual([1, 2]);
    expect(Object.isFrozen(packet) && Object.isFrozen(packet.samples)).toBe(true);
  });

  it("loses no sample and keeps order when popped as it goes (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer()), fc.integer({ min: 1, max: 10 }), (values, size) => {
        const db = new DoubleBuffer<number>({ size });
        const out: number[] = [];
        const ids: number[] = [];
        for (const v of values) {
          if (db.push(v)) {
            const packet = db.pop()!;
            out.push(...packet.samples);
            ids.push(packet.bufferId);
          }
        }
        const last = db.flush();
        if (last) out.push(...db.pop()!.samples);
        expect(out).toEqual(values);
        ids.forEach((id, i) => expect(id).toBe(i % 2));
      }),
    );
  });

  it.each([
    [{ size: 0 }, RangeError],
    [{ size: 1.5 }, RangeError],
    [{ size: "2" }, TypeError],
    [{ size: 2, group: "" }, RangeError],
    [{ size: 2, maxQueued: 0 }, RangeError],
    [{ size: 2, maxQueued: "2" }, TypeError],
    [{ size: 2, overflow: "block" }, RangeError],
    [null, TypeError],
  ])("rejects %o", (options, errorClass) => {
    expect(() => new DoubleBuffer(options as never)).toThrow(errorClass);
    expect(() => doubleBuffer(options as never)).toThrow(errorClass);
  });

  it("names the option that is wrong", () => {
    expect(() => doubleBuffer(-1)).toThrow("size must be a positive integer");
  });
});

describe("doubleBuffer", () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  it("emits a packet each time a buffer fills, and the partial one at completion", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold("-a-b-c-d-e-|").pipe(doubleBuffer(2))).toBe("---x---y---(z|)", {
        x: { bufferId: 0, samples: ["a", "b"] },
        y: { bufferId: 1, samples: ["c", "d"] },
        z: { bufferId: 0, samples: ["e"] },
      });
    });
  });

  it("handles empty, never and error (dropping the partial buffer)", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold("|").pipe(doubleBuffer(2))).toBe("|");
      expectObservable(cold("-a-").pipe(doubleBuffer(2))).toBe("---");
      expectObservable(cold("-a-#").pipe(doubleBuffer(2))).toBe("---#");
    });
  });

  it("unsubscribes from the source on early unsubscribe, and restarts on resubscription", () => {
    testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const source = hot("-a-b-c-d-|");
      expectObservable(source.pipe(doubleBuffer({ size: 2 })), "^----!").toBe("---x-", { x: { bufferId: 0, samples: ["a", "b"] } });
      expectSubscriptions(source.subscriptions).toBe("^----!");
      const again = cold("-a-b|").pipe(doubleBuffer(2));
      expectObservable(again).toBe("---x|", { x: { bufferId: 0, samples: ["a", "b"] } });
      expectObservable(again).toBe("---x|", { x: { bufferId: 0, samples: ["a", "b"] } });
    });
  });

  it("stops a synchronous source after unsubscribe", () => {
    let produced = 0;
    const source = new Observable<number>((subscriber) => {
      for (let i = 0; i < 100 && !subscriber.closed; i++) {
        produced++;
        subscriber.next(i);
      }
    });
    source.pipe(doubleBuffer(3), take(1)).subscribe();
    expect(produced).toBe(3);
  });

  it("carries a lego descriptor with counters", () => {
    const operator = doubleBuffer<number>({ size: 2, group: "audio", name: "audio.frames" });
    expect(operator.lego).toEqual({ kind: "DoubleBuffer", name: "audio.frames", group: "audio" });
    new Observable<number>((s) => {
      [1, 2, 3].forEach((n) => s.next(n));
      s.complete();
    })
      .pipe(operator)
      .subscribe();
    expect(operator.lego.counters).toEqual({ packets: 2, samples: 3 });
  });
});
