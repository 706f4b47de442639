import fc from "fast-check";
import { Observable, take } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import { IdleGapFramer, ManualClock, idleGap, type FramingChunk, type LegoOperator } from "../../../src/index.js";
import { bytesOf, cut, utf8 } from "./operator-cases.js";

const text = (m: Uint8Array): string => Buffer.from(m).toString();

describe("IdleGapFramer", () => {
  it("ends a message after interval ms without a byte", () => {
    const out: number[][] = [];
    const emit = (m: Uint8Array): void => {
      out.push([...m]);
    };
    const gaps = new IdleGapFramer({ interval: 5 });
    gaps.feed(bytesOf(1, 2), 0, emit);
    gaps.feed(bytesOf(3), 3, emit);
    expect(gaps.deadline).toBe(8);
    expect(gaps.check(7, emit)).toBe(false);
    expect(gaps.check(8, emit)).toBe(true);
    expect(out).toEqual([[1, 2, 3]]);
    expect(gaps.deadline).toBeUndefined();
    expect(gaps.check(100, emit)).toBe(false);
  });

  it("ends the held message first when a chunk comes after the gap was already over (a late timer)", () => {
    const out: string[] = [];
    const gaps = new IdleGapFramer({ interval: 5 });
    gaps.feed("ab", 0, (m) => out.push(text(m)));
    gaps.feed("cd", 5, (m) => out.push(text(m)));
    gaps.flush((m) => out.push(text(m)));
    expect(out).toEqual(["ab", "cd"]);
  });

  it("cuts a message at maxBytes and starts the next (serialport's maxBufferSize)", () => {
    const out: string[] = [];
    const gaps = new IdleGapFramer({ interval: 5, maxBytes: 3 });
    gaps.feed("ab", 0, (m) => out.push(text(m)));
    gaps.feed("cdefghi", 1, (m) => out.push(text(m)));
    expect(out).toEqual(["abc", "def", "ghi"]);
    expect(gaps.bufferSize).toBe(0);
    expect(gaps.splits).toBe(3);
    gaps.feed("j", 2, (m) => out.push(text(m)));
    expect(gaps.bufferSize).toBe(1);
  });

  it("gives the same messages for any chunking within a burst, never holding maxBytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.array(fc.nat(), { maxLength: 15 }), fc.integer({ min: 1, max: 20 }), (input, offsets, maxBytes) => {
        const messages = (chunks: Uint8Array[]): number[][] => {
          const out: number[][] = [];
          const gaps = new IdleGapFramer({ interval: 10, maxBytes });
          for (const [i, chunk] of chunks.entries()) {
            gaps.feed(chunk, i, (m) => out.push([...m]));
            expect(gaps.bufferSize).toBeLessThan(maxBytes);
          }
          gaps.check(1_000, (m) => out.push([...m]));
          return out;
        };
        const whole = messages([input]);
        expect(messages(cut(input, offsets))).toEqual(whole);
        expect(whole.flat()).toEqual([...input]);
        expect(whole.slice(0, -1).every((m) => m.length === maxBytes)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it.each([
    [{ interval: 0 }, RangeError, "interval"],
    [{ interval: Infinity }, RangeError, "interval"],
    [{ interval: "5" }, TypeError, "interval"],
    [{ interval: 5, maxBytes: 0 }, RangeError, "maxBytes"],
    [{ interval: 5, maxBufferSize: 10 }, TypeError, "maxBufferSize"],
  ])("rejects %o", (options, errorClass, name) => {
    expect(() => new IdleGapFramer(options as never)).toThrow(errorClass);
    expect(() => idleGap(options as never)).toThrow(name);
  });

  it("rejects a scheduler that is not one", () => {
    expect(() => idleGap({ interval: 5, scheduler: {} as never })).toThrow(TypeError);
  });
});

describe("idleGap", () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  it("emits interval ms after the last byte of a burst, in virtual time", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold("-a-b-------c----|", { a: "x", b: "y", c: "z" });
      expectObservable(source.pipe(idleGap({ interval: 5 }))).toBe("--------m-------(n|)", { m: utf8("xy"), n: utf8("z") });
    });
  });

  it("restarts the gap with every chunk (one timer, re-armed)", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold("a 4ms b 4ms c 4ms d 20ms |", { a: "1", b: "2", c: "3", d: "4" });
      // Chunks 5 ms apart, interval 6: one message, 6 ms after the last chunk (at 15).
      expectObservable(source.pipe(idleGap({ interval: 6 }))).toBe("21ms m 14ms |", { m: utf8("1234") });
      // Interval 5: a gap of exactly interval ends a message.
      expectObservable(source.pipe(idleGap({ interval: 5 }))).toBe("5ms a 4ms b 4ms c 4ms d 15ms |", { a: utf8("1"), b: utf8("2"), c: utf8("3"), d: utf8("4") });
    });
  });

  it("cuts at maxBytes without waiting for the gap", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold("-a---|", { a: "abcde" });
      expectObservable(source.pipe(idleGap({ interval: 10, maxBytes: 2 }))).toBe("-(xy)(z|)", { x: utf8("ab"), y: utf8("cd"), z: utf8("e") });
    });
  });

  it("completes on empty, never emits on never, and passes a source error on dropping what it held", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold<FramingChunk>("|").pipe(idleGap({ interval: 5 }))).toBe("|");
      expectObservable(cold<FramingChunk>("-").pipe(idleGap({ interval: 5 }))).toBe("-");
      expectObservable(cold<FramingChunk>("-a-#", { a: "x" }, new Error("port closed")).pipe(idleGap({ interval: 5 }))).toBe("---#", undefined, new Error("port closed"));
    });
  });

  it("unsubscribes from the source and cancels its timer on early unsubscribe", () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot<FramingChunk>("-a------b---|", { a: "x", b: "y" });
      expectObservable(source.pipe(idleGap({ interval: 3 })), "^-----!").toBe("----m-", { m: utf8("x") });
      expectSubscriptions(source.subscriptions).toBe("^-----!");
    });
  });

  it("gives each subscription its own framer", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const framed = cold<FramingChunk>("-a-|", { a: "x" }).pipe(idleGap({ interval: 1 }));
      expectObservable(framed).toBe("--m|", { m: utf8("x") });
      expectObservable(framed).toBe("--m|", { m: utf8("x") });
    });
  });

  it("stops a synchronous source after unsubscribe", () => {
    let produced = 0;
    const source = new Observable<FramingChunk>((subscriber) => {
      for (let i = 0; i < 100 && !subscriber.closed; i++) {
        produced++;
        subscriber.next("ab");
      }
      subscriber.complete();
    });
    const seen: Uint8Array[] = [];
    source.pipe(idleGap({ interval: 5, maxBytes: 2 }), take(2)).subscribe((m) => seen.push(m));
    expect(seen).toEqual([utf8("ab"), utf8("ab")]);
    expect(produced).toBe(2);
  });

  it("runs on a ManualClock, which adopts its group", () => {
    const clock = new ManualClock(0);
    const seen: string[] = [];
    const chunks = new Observable<FramingChunk>((subscriber) => {
      subscriber.next("a");
      clock.advance(3);
      subscriber.next("b");
    });
    const operator = idleGap({ interval: 5, scheduler: clock, group: "modbus" });
    const subscription = chunks.pipe(operator).subscribe((m) => seen.push(text(m)));
    clock.advance(4);
    expect(seen).toEqual([]);
    clock.advance(1);
    expect(seen).toEqual(["ab"]);
    expect(clock.group).toBe("modbus");
    expect(operator.lego).toEqual({ kind: "IdleGapFramer", group: "modbus" });
    expect(operator.lego.counters).toEqual({ messages: 1, splits: 0 });
    subscription.unsubscribe();
  });

  it("is typed as bytes or text in, Uint8Array out", () => {
    expectTypeOf(idleGap({ interval: 5 })).toEqualTypeOf<LegoOperator<FramingChunk, Uint8Array>>();
  });
});
