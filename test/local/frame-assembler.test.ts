import fc from "fast-check";
import { Observable, take } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { beforeEach, describe, expect, it } from "vitest";
import { FrameAssembler, assembleFrames, type InvalidFrameData } from "../../src/index.js";

interface Reading {
  seq: number;
  ch: number | string;
  v?: number;
}

const r = (seq: number, ch: number | string, v = 0): Reading => ({ seq, ch, v });

describe("FrameAssembler", () => {
  it("emits a frame once it has expectedCount distinct slots, ordered by slot", () => {
    const frames = new FrameAssembler<Reading>({ expectedCount: 3, frameId: "seq", slotId: "ch" });
    expect(frames.add(r(7, 2))).toEqual([]);
    expect(frames.add(r(8, 0))).toEqual([]);
    expect(frames.add(r(7, 0))).toEqual([]);
    expect(frames.add(r(7, 1))).toEqual([{ frameId: 7, samples: [r(7, 0), r(7, 1), r(7, 2)] }]);
    expect(frames.pendingFrames).toBe(1);
    expect(frames.frames).toBe(1);
  });

  it("reads ids through functions, and orders numbers before strings", () => {
    const frames = new FrameAssembler<Reading>({ expectedCount: 3, frameId: (s) => `f${s.seq}`, slotId: (s) => s.ch });
    frames.add(r(1, "b"));
    frames.add(r(1, 10));
    expect(frames.add(r(1, 9))).toEqual([{ frameId: "f1", samples: [r(1, 9), r(1, 10), r(1, "b")] }]);
  });

  it("replaces a sample for a slot already taken and counts the duplicate", () => {
    const frames = new FrameAssembler<Reading>({ expectedCount: 2, frameId: "seq", slotId: "ch" });
    frames.add(r(1, 0, 1));
    frames.add(r(1, 0, 2));
    expect(frames.add(r(1, 1, 3))).toEqual([{ frameId: 1, samples: [r(1, 0, 2), r(1, 1, 3)] }]);
    expect(frames.duplicates).toBe(1);
  });

  it("drops samples with bad ids, reporting them", () => {
    const seen: InvalidFrameData<unknown>[] = [];
    const frames = new FrameAssembler<unknown>({ expectedCount: 1, frameId: "seq", slotId: "ch", onInvalid: (bad) => seen.push(bad) });
    expect(frames.add({ seq: NaN, ch: 0 })).toEqual([]);
    expect(frames.add({ seq: 1, ch: null })).toEqual([]);
    expect(frames.add(42)).toEqual([]);
    expect(frames.add({ seq: 1, ch: 0 })).toEqual([{ frameId: 1, samples: [{ seq: 1, ch: 0 }] }]);
    expect(seen).toEqual([
      { reason: "bad-frame-id", samples: [{ seq: NaN, ch: 0 }] },
      { reason: "bad-slot-id", frameId: 1, samples: [{ seq: 1, ch: null }] },
      { reason: "bad-frame-id", samples: [42] },
    ]);
    expect(frames.invalid).toBe(3);
  });

  it("holds at most maxPendingFrames incomplete frames, evicting the oldest", () => {
    const seen: InvalidFrameData<Reading>[] = [];
    const frames = new FrameAssembler<Reading>({ expectedCount: 2, frameId: "seq", slotId: "ch", maxPendingFrames: 2, onInvalid: (bad) => seen.push(bad) });
    frames.add(r(1, 0));
    frames.add(r(2, 0));
    frames.add(r(3, 0));
    expect(frames.pendingFrames).toBe(2);
    expect(seen).toEqual([{ reason: "evicted", frameId: 1, samples: [r(1, 0)] }]);
    expect(frames.add(r(2, 1))).toEqual([{ frameId: 2, samples: [r(2, 0), r(2, 1)] }]);
    expect(frames.evicted).toBe(1);
  });

  it("end() reports incomplete frames and empties", () => {
    const seen: InvalidFrameData<Reading>[] = [];
    const frames = new FrameAssembler<Reading>({ expectedCount: 2, frameId: "seq", slotId: "ch", onInvalid: (bad) => seen.push(bad) });
    frames.add(r(5, 1));
    frames.end();
    expect(seen).toEqual([{ reason: "incomplete", frameId: 5, samples: [r(5, 1)] }]);
    expect(frames.pendingFrames).toBe(0);
    frames.add(r(6, 1));
    frames.clear();
    frames.end();
    expect(seen).toHaveLength(1);
  });

  it("assembles every frame whatever the arrival order (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 4 }), fc.nat(), (count, frameCount, seed) => {
        const samples = Array.from({ length: frameCount }, (_, f) => Array.from({ length: count }, (_, c) => r(f, c))).flat();
        const shuffled = fc.sample(fc.shuffledSubarray(samples, { minLength: samples.length }), { seed, numRuns: 1 })[0]!;
        const frames = new FrameAssembler<Reading>({ expectedCount: count, frameId: "seq", slotId: "ch" });
        const out = shuffled.flatMap((s) => frames.add(s));
        expect(out.map((f) => f.frameId).sort()).toEqual(Array.from({ length: frameCount }, (_, f) => f));
        for (const frame of out) expect(frame.samples.map((s) => s.ch)).toEqual(Array.from({ length: count }, (_, c) => c));
      }),
    );
  });

  it.each([
    [{ expectedCount: 0, frameId: "a", slotId: "b" }, RangeError, "expectedCount"],
    [{ expectedCount: "2", frameId: "a", slotId: "b" }, TypeError, "expectedCount"],
    [{ expectedCount: 2, frameId: 3, slotId: "b" }, TypeError, "frameId"],
    [{ expectedCount: 2, frameId: "a", slotId: "" }, RangeError, "slotId"],
    [{ expectedCount: 2, frameId: "a", slotId: "b", maxPendingFrames: 0 }, RangeError, "maxPendingFrames"],
    [{ expectedCount: 2, frameId: "a", slotId: "b", onInvalid: true }, TypeError, "onInvalid"],
    [{ expectedCount: 2, frameId: "a", slotId: "b", group: 1 }, TypeError, "group"],
  ])("rejects %o", (options, errorClass, name) => {
    expect(() => new FrameAssembler(options as never)).toThrow(errorClass);
    expect(() => assembleFrames(options as never)).toThrow(name);
  });
});

describe("assembleFrames", () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  const values = { a: r(7, 1), b: r(8, 0), c: r(7, 0), d: r(8, 1) };
  const options = { expectedCount: 2, frameId: "seq", slotId: "ch" } as const;

  it("emits each frame when its last slot arrives", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold("-a-b-c-d-|", values).pipe(assembleFrames<Reading>(options))).toBe("-----x-y-|", {
        x: { frameId: 7, samples: [values.c, values.a] },
        y: { frameId: 8, samples: [values.b, values.d] },
      });
    });
  });

  it("handles empty, never, error, and reports incomplete frames at completion", () => {
    const seen: InvalidFrameData<Reading>[] = [];
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold<Reading>("|").pipe(assembleFrames<Reading>(options))).toBe("|");
      expectObservable(cold<Reading>("-a-", values).pipe(assembleFrames<Reading>(options))).toBe("---");
      expectObservable(cold("-a-#", values).pipe(assembleFrames<Reading>(options))).toBe("---#");
      expectObservable(cold("-a-|", values).pipe(assembleFrames<Reading>({ ...options, onInvalid: (bad) => seen.push(bad) }))).toBe("---|");
    });
    expect(seen).toEqual([{ reason: "incomplete", frameId: 7, samples: [values.a] }]);
  });

  it("unsubscribes from the source on early unsubscribe", () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot("-a-b-c-d-|", values);
      expectObservable(source.pipe(assembleFrames<Reading>(options)), "^-----!").toBe("-----x", {
        x: { frameId: 7, samples: [values.c, values.a] },
      });
      expectSubscriptions(source.subscriptions).toBe("^-----!");
    });
  });

  it("stops a synchronous source after unsubscribe", () => {
    let produced = 0;
    const source = new Observable<Reading>((subscriber) => {
      for (let i = 0; i < 100 && !subscriber.closed; i++) {
        produced++;
        subscriber.next(r(Math.floor(i / 2), i % 2));
      }
    });
    source.pipe(assembleFrames<Reading>(options), take(1)).subscribe();
    expect(produced).toBe(2);
  });

  it("carries a lego descriptor with counters", () => {
    const operator = assembleFrames<Reading>({ ...options, maxPendingFrames: 1, group: "imu" });
    expect(operator.lego).toEqual({ kind: "FrameAssembler", group: "imu" });
    new Observable<Reading>((s) => {
      [r(1, 0), r(1, 0), r(2, 0), r(2, 1), { seq: 3, ch: NaN }, r(4, 0)].forEach((x) => s.next(x));
      s.complete();
    })
      .pipe(operator)
      .subscribe();
    expect(operator.lego.counters).toEqual({ frames: 1, invalid: 1, duplicates: 1, evicted: 1, incomplete: 1 });
  });
});
