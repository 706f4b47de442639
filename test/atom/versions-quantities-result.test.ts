import fc from "fast-check";
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  ManualClock,
  addDuration,
  andThen,
  byPriority,
  bytes,
  bytesEqual,
  capacity,
  compareCounter,
  cost,
  duration,
  elapsed,
  epoch,
  err,
  generation,
  isBytes,
  isCapacity,
  isErr,
  isKey,
  isOk,
  isResult,
  isStaleCounter,
  isStatus,
  isToken,
  isVersion,
  key,
  mapErr,
  mapResult,
  nextCounter,
  offset,
  ok,
  priority,
  sequenceNumber,
  status,
  term,
  timestamp,
  timestampFrom,
  token,
  tryResult,
  unwrap,
  unwrapOr,
  version,
  type Epoch,
  type Result,
  type Term,
  type Version,
} from "manyfold-rx";

describe("counters", () => {
  const makers = [version, generation, epoch, term, offset, sequenceNumber];
  it.each([[-1], [1.5], [Number.NaN], [2 ** 53]])("rejects %s with a RangeError", (value) => {
    for (const make of makers) expect(() => make(value)).toThrow(RangeError);
  });
  it("rejects a non-number with a TypeError", () => {
    expect(() => version("1" as unknown as number)).toThrow(new TypeError("Version must be a number, got string"));
  });
  it("compares, and a smaller one is stale", () => {
    expect(compareCounter(epoch(1), epoch(2))).toBe(-1);
    expect(compareCounter(epoch(2), epoch(2))).toBe(0);
    expect(compareCounter(term(3), term(2))).toBe(1);
    expect(isStaleCounter(version(1), version(2))).toBe(true);
    expect(isStaleCounter(version(2), version(2))).toBe(false);
    expect(isStaleCounter(version(3), version(2))).toBe(false);
    expect(nextCounter(generation(4))).toBe(5);
    expect(() => nextCounter(version(Number.MAX_SAFE_INTEGER))).toThrow(RangeError);
    expect(isVersion(0)).toBe(true);
    expect(isVersion(-0.5)).toBe(false);
  });
  it("isStaleCounter is the strict order: exactly one of stale(a,b), stale(b,a), a=b (property)", () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), (x, y) => {
        const a = version(x);
        const b = version(y);
        expect(Number(isStaleCounter(a, b)) + Number(isStaleCounter(b, a)) + Number(a === b)).toBe(1);
        expect(compareCounter(a, b)).toBe(-compareCounter(b, a) || 0);
      }),
    );
  });
  it("brands keep an Epoch out of a Term slot", () => {
    const fence = (t: Term): number => t;
    // @ts-expect-error an Epoch is not a Term
    fence(epoch(1));
    // @ts-expect-error mixed brands do not compare
    isStaleCounter(epoch(1), term(1));
    expectTypeOf(version).returns.toEqualTypeOf<Version>();
    expectTypeOf<Epoch>().not.toEqualTypeOf<Term>();
    expect(fence(term(2))).toBe(2);
  });
});

describe("quantities", () => {
  it("validates timestamps, durations and costs", () => {
    expect(() => timestamp(-1)).toThrow(RangeError);
    expect(() => duration(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(() => cost(Number.NaN)).toThrow(RangeError);
    expect(() => duration("5" as unknown as number)).toThrow(TypeError);
    expect(timestampFrom(new ManualClock(1234))).toBe(1234);
    expect(elapsed(timestamp(10), timestamp(25))).toBe(15);
    expect(elapsed(timestamp(25), timestamp(10))).toBe(0);
    expect(addDuration(timestamp(10), duration(5))).toBe(15);
  });
  it("validates priority and capacity", () => {
    expect(priority(-3)).toBe(-3);
    expect(() => priority(1.5)).toThrow(RangeError);
    expect(() => capacity(0)).toThrow(RangeError);
    expect(capacity(8)).toBe(8);
    expect(isCapacity(0)).toBe(false);
    expect([priority(1), priority(5), priority(3)].sort(byPriority)).toEqual([5, 3, 1]);
  });
  it("validates keys, tokens and statuses", () => {
    expect(key("a/b")).toBe("a/b");
    expect(() => key("")).toThrow(RangeError);
    expect(() => key("a\nb")).toThrow(RangeError);
    expect(isKey("x".repeat(1025))).toBe(false);
    expect(token("abc.def")).toBe("abc.def");
    expect(isToken("a b")).toBe(false);
    expect(() => token("")).toThrow(RangeError);
    expect(status("stale")).toBe("stale");
    expect(() => status("fine")).toThrow(/one of ok, stale, error, pending, running, done/);
    expect(isStatus("done")).toBe(true);
  });
  it("makes Bytes as a copy", () => {
    const source = new Uint8Array([1, 2, 3]);
    const b = bytes(source);
    source[0] = 9;
    expect([...b]).toEqual([1, 2, 3]);
    expect([...bytes("hé")]).toEqual([0x68, 0xc3, 0xa9]);
    expect([...bytes([0, 255])]).toEqual([0, 255]);
    expect(() => bytes([256])).toThrow(RangeError);
    expect(() => bytes(5 as unknown as string)).toThrow(TypeError);
    expect(isBytes(b)).toBe(true);
    expect(bytesEqual(b, new Uint8Array([1, 2, 3]))).toBe(true);
    expect(bytesEqual(b, new Uint8Array([1, 2]))).toBe(false);
  });
});

describe("Result", () => {
  it("ok and err are frozen and discriminated", () => {
    const good = ok(2) as Result<number, string>;
    const bad = err("no") as Result<number, string>;
    expect(Object.isFrozen(good)).toBe(true);
    expect(Object.isFrozen(bad)).toBe(true);
    expect(isOk(good)).toBe(true);
    expect(isErr(bad)).toBe(true);
    expect(mapResult(good, (n) => n * 3)).toEqual(ok(6));
    expect(mapResult(bad, (n) => n * 3)).toBe(bad);
    expect(mapErr(bad, (e) => e.length)).toEqual(err(2));
    expect(andThen(good, (n): Result<number, string> => (n > 1 ? err("big") : ok(n)))).toEqual(err("big"));
    expect(unwrap(good)).toBe(2);
    expect(() => unwrap(bad)).toThrow("no");
    expect(() => unwrap(err(new RangeError("r")))).toThrow(RangeError);
    expect(unwrapOr(bad, 7)).toBe(7);
    expect(tryResult((): unknown => JSON.parse("{"))).toMatchObject({ ok: false });
    expect(tryResult(() => 1)).toEqual(ok(1));
    expect(isResult(ok(undefined))).toBe(true);
    expect(isResult({ ok: true })).toBe(false);
    expect(isResult(null)).toBe(false);
    if (isOk(good)) expectTypeOf(good.value).toEqualTypeOf<number>();
  });
  it("map obeys the functor laws (property)", () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer().map((n) => ok(n) as Result<number, string>), fc.string().map((e) => err(e) as Result<number, string>)), (r) => {
        expect(mapResult(r, (x) => x)).toEqual(r);
        const f = (x: number): number => x + 1;
        const g = (x: number): number => x * 2;
        expect(mapResult(mapResult(r, f), g)).toEqual(mapResult(r, (x) => g(f(x))));
      }),
    );
  });
});
