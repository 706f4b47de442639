import fc from "fast-check";
import { Observable, Subject, take, type OperatorFunction } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import {
  FailureDetector,
  failureDetector,
  ManualClock,
  phi,
  type FailureDetectorState,
  type LegoOperator,
} from "../../src/index.js";

/** The probability the phi stands for: P(next heartbeat comes before timeDiff). */
const cdf = (p: number): number => 1 - 10 ** -p;

describe("phi (the logistic approximation, Akka's table)", () => {
  it.each([
    [0, 0.5, 0.001],
    [6, 0.7257, 0.001],
    [15, 0.9332, 0.001],
    [20, 0.97725, 0.001],
    [25, 0.99379, 0.001],
    [35, 0.99977, 0.001],
    [40, 0.99997, 0.0001],
  ])("cdf(phi(%d, mean 0, sd 10)) ≈ %d", (timeDiff, expected, tolerance) => {
    expect(Math.abs(cdf(phi(timeDiff, 0, 10)) - expected)).toBeLessThanOrEqual(tolerance);
  });

  it("is 0.3 at the mean, finite far below it and Infinity far above it", () => {
    expect(phi(1000, 1000, 100)).toBeCloseTo(Math.log10(2), 10);
    expect(phi(-1e6, 0, 1)).toBe(0);
    expect(phi(1e6, 0, 1)).toBe(Infinity);
  });

  it("property: monotonic (never decreasing) in the elapsed time", () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1e4, max: 1e5, noNaN: true }),
        fc.double({ min: 0, max: 1e4, noNaN: true }),
        fc.double({ min: 0, max: 1e4, noNaN: true }),
        fc.double({ min: 1, max: 1e3, noNaN: true }),
        (t, dt, mean, sd) => phi(t + dt, mean, sd) >= phi(t, mean, sd),
      ),
    );
  });
});

describe("FailureDetector (pure)", () => {
  it("phi is 0 and the node available before any heartbeat", () => {
    const fd = new FailureDetector();
    expect(fd.phi(1e9)).toBe(0);
    expect(fd.isAvailable(1e9)).toBe(true);
    expect(fd.suspectAt()).toBeUndefined();
    expect(fd.lastHeartbeat).toBeUndefined();
  });

  it("after one heartbeat, phi follows the first estimate (Akka: 0.3 ± 0.2 at 1 s, 4.5 ± 0.3 at 2 s)", () => {
    const fd = new FailureDetector({ firstHeartbeatEstimate: 1000 });
    fd.heartbeat(0);
    expect(fd.mean).toBe(1000);
    expect(fd.stdDeviation).toBe(250);
    expect(fd.phi(1000)).toBeCloseTo(0.3, 1);
    expect(Math.abs(fd.phi(2000) - 4.5)).toBeLessThanOrEqual(0.3);
    expect(fd.phi(3000)).toBeGreaterThan(8);
  });

  it.each([
    // intervals, now after last beat, available?
    [[1000, 1000, 1000, 1000], 1000, true],
    [[1000, 1000, 1000, 1000], 1200, true],
    [[1000, 1000, 1000, 1000], 1500, true],
    [[1000, 1000, 1000, 1000], 2000, false],
    [[100, 100, 100, 100, 100], 300, true],
    [[100, 100, 100, 100, 100], 3000, false],
  ])("regular intervals %j: %d ms after the last beat, available = %s", (intervals, after, available) => {
    const fd = new FailureDetector();
    let now = 0;
    fd.heartbeat(now);
    for (const interval of intervals) fd.heartbeat((now += interval));
    expect(fd.isAvailable(now + after)).toBe(available);
  });

  it("acceptableHeartbeatPause moves the suspicion later by that much", () => {
    const plain = new FailureDetector();
    const tolerant = new FailureDetector({ acceptableHeartbeatPause: 3000 });
    for (const fd of [plain, tolerant]) for (let t = 0; t <= 5000; t += 1000) fd.heartbeat(t);
    expect((tolerant.suspectAt() as number) - (plain.suspectAt() as number)).toBeCloseTo(3000, 6);
  });

  it("minStdDeviation floors the deviation of a very regular sender", () => {
    const fd = new FailureDetector({ minStdDeviation: 100, firstHeartbeatEstimate: 100 });
    for (let t = 0; t <= 100 * 50; t += 100) fd.heartbeat(t);
    expect(fd.stdDeviation).toBeLessThan(100);
    const last = fd.lastHeartbeat as number;
    expect(fd.phi(last + 150)).toBeCloseTo(phi(150, fd.mean, 100), 12);
  });

  it("does not add the interval of a heartbeat that arrives while suspected", () => {
    const fd = new FailureDetector();
    for (let t = 0; t <= 4000; t += 1000) fd.heartbeat(t);
    const size = fd.sampleSize;
    fd.heartbeat(60_000);
    expect(fd.sampleSize).toBe(size);
    expect(fd.lastHeartbeat).toBe(60_000);
    expect(fd.isAvailable(60_500)).toBe(true);
  });

  it("keeps at most maxSampleSize intervals, dropping the oldest", () => {
    const fd = new FailureDetector({ maxSampleSize: 3, firstHeartbeatEstimate: 100, minStdDeviation: 1 });
    let now = 0;
    fd.heartbeat(now);
    for (const interval of [100, 110, 120, 130]) fd.heartbeat((now += interval));
    expect(fd.sampleSize).toBe(3);
    expect(fd.mean).toBeCloseTo(120, 10);
    expect(fd.stdDeviation).toBeCloseTo(Math.sqrt(200 / 3), 8);
  });

  it("suspectAt is exactly where phi reaches the threshold", () => {
    const fd = new FailureDetector({ threshold: 8 });
    for (let t = 0; t <= 10_000; t += 1000) fd.heartbeat(t);
    const at = fd.suspectAt() as number;
    expect(fd.phi(at)).toBeGreaterThanOrEqual(8);
    expect(fd.phi(at - 1e-6)).toBeLessThan(8);
    expect(fd.isAvailable(at)).toBe(false);
  });

  it("property: suspectAt is the first suspected time, for any heartbeat history", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 0, maxLength: 30 }),
        fc.double({ min: 0.5, max: 20, noNaN: true }),
        fc.integer({ min: 1, max: 500 }),
        (intervals, threshold, minStdDeviation) => {
          const fd = new FailureDetector({ threshold, minStdDeviation });
          let now = 0;
          fd.heartbeat(now);
          for (const interval of intervals) fd.heartbeat((now += interval));
          const at = fd.suspectAt() as number;
          return at > now && fd.phi(at) >= threshold && fd.phi(at - (at - now) * 1e-9) < threshold;
        },
      ),
    );
  });

  it("property: phi never decreases while no heartbeat comes", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 5000 }), { maxLength: 20 }),
        fc.array(fc.integer({ min: 0, max: 100_000 }), { minLength: 2, maxLength: 10 }),
        (intervals, probes) => {
          const fd = new FailureDetector();
          let now = 0;
          fd.heartbeat(now);
          for (const interval of intervals) fd.heartbeat((now += interval));
          const phis = [...probes].sort((a, b) => a - b).map((p) => fd.phi(now + p));
          return phis.every((p, i) => i === 0 || p >= (phis[i - 1] as number));
        },
      ),
    );
  });

  it("property: mean and deviation equal the naive ones over the last maxSampleSize intervals", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 1000 }), { maxLength: 40 }), fc.integer({ min: 2, max: 10 }), (intervals, size) => {
        const fd = new FailureDetector({ maxSampleSize: size, threshold: 1e9, firstHeartbeatEstimate: 400 });
        let now = 0;
        fd.heartbeat(now);
        for (const interval of intervals) fd.heartbeat((now += interval));
        const window = [300, 500, ...intervals].slice(-size);
        const mean = window.reduce((a, b) => a + b, 0) / window.length;
        const sd = Math.sqrt(window.reduce((a, b) => a + (b - mean) ** 2, 0) / window.length);
        return Math.abs(fd.mean - mean) < 1e-6 && Math.abs(fd.stdDeviation - sd) < 1e-4;
      }),
    );
  });

  it("reads its clock when not given now, and reset forgets", () => {
    const clock = new ManualClock(100);
    const fd = new FailureDetector({ clock });
    fd.heartbeat();
    clock.advance(1000);
    expect(fd.phi()).toBeCloseTo(0.3, 1);
    fd.reset();
    expect(fd.phi()).toBe(0);
    expect(fd.sampleSize).toBe(0);
    expect(() => new FailureDetector().phi()).toThrow(TypeError);
  });

  it("validates its options", () => {
    expect(() => new FailureDetector({ threshold: 0 })).toThrow(/^threshold/);
    expect(() => new FailureDetector({ maxSampleSize: 1.5 })).toThrow(/^maxSampleSize/);
    expect(() => new FailureDetector({ minStdDeviation: -1 })).toThrow(/^minStdDeviation/);
    expect(() => new FailureDetector({ acceptableHeartbeatPause: -1 })).toThrow(/^acceptableHeartbeatPause/);
    expect(() => new FailureDetector({ firstHeartbeatEstimate: "1" as never })).toThrow(TypeError);
    expect(() => new FailureDetector({ clock: {} as never })).toThrow(TypeError);
  });
});

describe("failureDetector (operator)", () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });
  const options = { firstHeartbeatEstimate: 10, minStdDeviation: 1 };
  const first = { available: true, phi: phi(0, 10, 2.5), at: 0, lastHeartbeat: 0 };

  it("reports available at the first heartbeat and nothing more while beats are regular", () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold("a---------a---------a---------a---|");
      expectObservable(source.pipe(failureDetector(options))).toBe("a---------------------------------|", { a: first });
      expectSubscriptions(source.subscriptions).toBe("^---------------------------------!");
    });
  });

  it("empty: completes without a report; never: reports nothing", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold("|").pipe(failureDetector(options))).toBe("|");
      expectObservable(cold("-").pipe(failureDetector(options))).toBe("-");
    });
  });

  it("error: passes it on and cancels the pending suspicion timer", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold("a--#").pipe(failureDetector(options))).toBe("a--#", { a: first });
    });
  });

  it("early unsubscribe stops the source and the timer", () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold("a---------a--------------------------");
      expectObservable(source.pipe(failureDetector(options)), "------!").toBe("a-----", { a: first });
      expectSubscriptions(source.subscriptions).toBe("^-----!");
    });
  });

  it("stops a synchronous source after unsubscribe", () => {
    const emitted: number[] = [];
    const source = new Observable<number>((subscriber) => {
      for (let i = 0; i < 10 && !subscriber.closed; i++) {
        emitted.push(i);
        subscriber.next(i);
      }
    });
    source.pipe(failureDetector({ scheduler: new ManualClock() }), take(1)).subscribe();
    expect(emitted).toEqual([0]);
  });

  it("suspects exactly at the machine's suspectAt, and trusts again at the next heartbeat", () => {
    const clock = new ManualClock();
    const beats = new Subject<void>();
    const op = failureDetector<unknown>({ ...options, scheduler: clock });
    const states: FailureDetectorState[] = [];
    beats.pipe(op).subscribe((s) => states.push(s));
    const twin = new FailureDetector(options);
    for (let i = 0; i < 5; i++) {
      beats.next();
      twin.heartbeat(clock.now());
      clock.advance(10);
    }
    const at = twin.suspectAt() as number;
    clock.advance(at - clock.now() - 0.001);
    expect(states.map((s) => s.available)).toEqual([true]);
    clock.advance(0.001);
    expect(states).toHaveLength(2);
    expect(states[1]).toMatchObject({ available: false, lastHeartbeat: 40 });
    expect(states[1]?.at).toBeCloseTo(at, 9);
    expect(states[1]?.phi).toBeGreaterThanOrEqual(8);
    clock.advance(100);
    expect(states).toHaveLength(2);
    beats.next();
    expect(states[2]).toMatchObject({ available: true, at: clock.now(), lastHeartbeat: clock.now() });
    expect(op.lego.counters).toEqual({ heartbeats: 6, suspicions: 1 });
  });

  it("has the documented type, descriptor and call-time validation", () => {
    expectTypeOf(failureDetector<number>()).toEqualTypeOf<LegoOperator<number, FailureDetectorState>>();
    expectTypeOf(failureDetector<number>()).toExtend<OperatorFunction<number, FailureDetectorState>>();
    expect(failureDetector({ group: "nodes", name: "b" }).lego).toEqual({ kind: "FailureDetector", name: "b", group: "nodes" });
    expect(() => failureDetector({ threshold: -1 })).toThrow(/^threshold/);
    expect(() => failureDetector({ scheduler: 5 as never })).toThrow(/^scheduler/);
  });
});
