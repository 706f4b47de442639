import { debounceTime, delay, interval, of, Subject, take, timer } from "rxjs";
import { describe, expect, it } from "vitest";
import { isClock, ManualClock } from "../../src/index.js";

describe("ManualClock", () => {
  it("runs a timer only when time is advanced past its due time", () => {
    const clock = new ManualClock();
    const seen: number[] = [];
    timer(100, clock).subscribe(() => seen.push(clock.now()));
    clock.advance(99);
    expect(seen).toEqual([]);
    expect(clock.advance(1)).toBe(100);
    expect(seen).toEqual([100]);
  });

  describe("construction", () => {
    it("starts at 0 by default, or at the given time", () => {
      expect(new ManualClock().now()).toBe(0);
      expect(new ManualClock(1_700_000_000_000).now()).toBe(1_700_000_000_000);
      expect(new ManualClock(-5).now()).toBe(-5);
    });

    it("rejects a non-finite start", () => {
      expect(() => new ManualClock(NaN)).toThrow(new RangeError("start must be a finite number, got NaN"));
      expect(() => new ManualClock(Infinity)).toThrow(RangeError);
      expect(() => new ManualClock("0" as never)).toThrow(new TypeError('start must be a number, got "0"'));
    });

    it("has no group unless given one", () => {
      expect(new ManualClock().group).toBeUndefined();
      expect(new ManualClock(0, { group: "ambient" }).group).toBe("ambient");
      expect(() => new ManualClock(0, { group: "" })).toThrow(new RangeError("group must not be empty"));
      expect(() => new ManualClock(0, { group: 1 as never })).toThrow(TypeError);
    });

    it("is a Clock", () => {
      expect(isClock(new ManualClock())).toBe(true);
    });
  });

  describe("advance(ms)", () => {
    it("returns the new time and accumulates", () => {
      const clock = new ManualClock(10);
      expect(clock.advance(5)).toBe(15);
      expect(clock.advance(0)).toBe(15);
      expect(clock.advance(2.5)).toBe(17.5);
      expect(clock.now()).toBe(17.5);
    });

    it("rejects negative and non-finite amounts, naming ms", () => {
      const clock = new ManualClock();
      expect(() => clock.advance(-1)).toThrow(new RangeError("ms must be a finite number >= 0, got -1"));
      expect(() => clock.advance(NaN)).toThrow(RangeError);
      expect(() => clock.advance(Infinity)).toThrow(RangeError);
      expect(() => clock.advance("1" as never)).toThrow(new TypeError('ms must be a number, got "1"'));
      expect(clock.now()).toBe(0);
    });

    it("runs work scheduled with delay 0 at the next advance, advance(0) included, not at once", () => {
      const clock = new ManualClock();
      const ran: number[] = [];
      clock.schedule(() => ran.push(clock.now()));
      expect(ran).toEqual([]);
      expect(clock.pending).toBe(1);
      clock.advance(0);
      expect(ran).toEqual([0]);
      expect(clock.pending).toBe(0);
    });

    it("runs due actions in due-time order, whatever the scheduling order", () => {
      const clock = new ManualClock();
      const ran: string[] = [];
      clock.schedule(() => ran.push("c"), 30);
      clock.schedule(() => ran.push("a"), 10);
      clock.schedule(() => ran.push("b"), 20);
      clock.advance(100);
      expect(ran).toEqual(["a", "b", "c"]);
    });

    it("runs actions due at the same time in the order they were scheduled", () => {
      const clock = new ManualClock();
      const ran: string[] = [];
      clock.schedule(() => ran.push("first"), 10);
      clock.schedule(() => ran.push("zero"), 0);
      clock.schedule(() => ran.push("second"), 10);
      clock.advance(5);
      clock.schedule(() => ran.push("third"), 5);
      clock.advance(5);
      expect(ran).toEqual(["zero", "first", "second", "third"]);
    });

    it("reads each action's due time from now() while it runs, then the target", () => {
      const clock = new ManualClock(100);
      const seen: number[] = [];
      clock.schedule(() => seen.push(clock.now()), 7);
      clock.schedule(() => seen.push(clock.now()), 3);
      expect(clock.advance(50)).toBe(150);
      expect(seen).toEqual([103, 107]);
    });

    it("runs work scheduled by a running action when it falls due within the same advance", () => {
      const clock = new ManualClock();
      const seen: number[] = [];
      clock.schedule(() => {
        seen.push(clock.now());
        clock.schedule(() => seen.push(clock.now()), 5);
        clock.schedule(() => seen.push(clock.now()), 50);
      }, 10);
      clock.advance(20);
      expect(seen).toEqual([10, 15]);
      expect(clock.pending).toBe(1);
      clock.advance(40);
      expect(seen).toEqual([10, 15, 60]);
    });

    it("reschedules a recursive action relative to its own due time (interval)", () => {
      const clock = new ManualClock();
      const seen: number[] = [];
      interval(10, clock)
        .pipe(take(4))
        .subscribe(() => seen.push(clock.now()));
      clock.advance(35);
      expect(seen).toEqual([10, 20, 30]);
      clock.advance(100);
      expect(seen).toEqual([10, 20, 30, 40]);
      expect(clock.pending).toBe(0);
    });

    it("cannot be called from inside a scheduled action", () => {
      const clock = new ManualClock();
      let error: unknown;
      clock.schedule(() => {
        try {
          clock.advance(1);
        } catch (e) {
          error = e;
        }
      });
      clock.advance(0);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(/inside a scheduled action/);
      // and the clock still works afterwards
      expect(clock.advance(1)).toBe(1);
    });

    it("lets an action's exception out of advance, stopping at that action's time", () => {
      const clock = new ManualClock();
      const ran: number[] = [];
      clock.schedule(() => {
        throw new Error("boom");
      }, 10);
      clock.schedule(() => ran.push(clock.now()), 20);
      expect(() => clock.advance(30)).toThrow("boom");
      expect(clock.now()).toBe(10);
      expect(clock.pending).toBe(1);
      clock.advance(20);
      expect(ran).toEqual([20]);
    });
  });

  describe("set(ms)", () => {
    it("moves forward to ms, running what falls due", () => {
      const clock = new ManualClock();
      const seen: number[] = [];
      clock.schedule(() => seen.push(clock.now()), 10);
      clock.schedule(() => seen.push(clock.now()), 30);
      expect(clock.set(20)).toBe(20);
      expect(seen).toEqual([10]);
      expect(clock.now()).toBe(20);
    });

    it("allows set(now()), which runs delay-0 work", () => {
      const clock = new ManualClock(5);
      const seen: number[] = [];
      clock.schedule(() => seen.push(clock.now()));
      expect(clock.set(clock.now())).toBe(5);
      expect(seen).toEqual([5]);
    });

    it("rejects going backwards and non-finite times", () => {
      const clock = new ManualClock(100);
      expect(() => clock.set(99)).toThrow(RangeError);
      expect(() => clock.set(99)).toThrow(/^ms must not move the clock backwards/);
      expect(() => clock.set(NaN)).toThrow(new RangeError("ms must be a finite number, got NaN"));
      expect(() => clock.set("200" as never)).toThrow(TypeError);
      expect(clock.now()).toBe(100);
    });
  });

  describe("cancellation", () => {
    it("does not run an action unsubscribed before it falls due", () => {
      const clock = new ManualClock();
      const ran: string[] = [];
      const a = clock.schedule(() => ran.push("a"), 10);
      clock.schedule(() => ran.push("b"), 10);
      a.unsubscribe();
      expect(clock.pending).toBe(1);
      clock.advance(10);
      expect(ran).toEqual(["b"]);
    });

    it("ignores schedule() on a closed action", () => {
      const clock = new ManualClock();
      let runs = 0;
      const action = clock.schedule(function () {
        runs++;
      }, 5);
      action.unsubscribe();
      clock.advance(10);
      expect(runs).toBe(0);
      expect(clock.pending).toBe(0);
    });

    it("leaves nothing pending when an RxJS timer is unsubscribed", () => {
      const clock = new ManualClock();
      const sub = timer(100, clock).subscribe();
      expect(clock.pending).toBe(1);
      sub.unsubscribe();
      expect(clock.pending).toBe(0);
    });

    it("rejects a negative or non-finite delay", () => {
      const clock = new ManualClock();
      expect(() => clock.schedule(() => undefined, -1)).toThrow(RangeError);
      expect(() => clock.schedule(() => undefined, NaN)).toThrow(/^delay/);
    });
  });

  describe("as an RxJS scheduler", () => {
    it("drives delay()", () => {
      const clock = new ManualClock();
      const seen: [string, number][] = [];
      of("a", "b")
        .pipe(delay(50, clock))
        .subscribe((v) => seen.push([v, clock.now()]));
      clock.advance(49);
      expect(seen).toEqual([]);
      clock.advance(1);
      expect(seen).toEqual([
        ["a", 50],
        ["b", 50],
      ]);
    });

    it("drives debounceTime()", () => {
      const clock = new ManualClock();
      const source = new Subject<number>();
      const seen: [number, number][] = [];
      source.pipe(debounceTime(10, clock)).subscribe((v) => seen.push([v, clock.now()]));
      source.next(1);
      clock.advance(5);
      source.next(2);
      clock.advance(9);
      expect(seen).toEqual([]);
      clock.advance(1);
      expect(seen).toEqual([[2, 15]]);
    });

    it("passes state to the work and lets it reschedule itself", () => {
      const clock = new ManualClock();
      const seen: [number, number][] = [];
      clock.schedule<number>(
        function (count) {
          seen.push([count, clock.now()]);
          if (count < 3) this.schedule(count + 1, 10);
        },
        0,
        1,
      );
      clock.advance(100);
      expect(seen).toEqual([
        [1, 0],
        [2, 10],
        [3, 20],
      ]);
    });
  });
});
