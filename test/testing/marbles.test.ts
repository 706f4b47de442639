import { AssertionError } from "node:assert";
import { map, throwError, timer } from "rxjs";
import { describe, expect, it } from "vitest";
import { createTestScheduler, marbles, stripErrors } from "manyfold-rx/testing";
import { LegoError } from "manyfold-rx";

describe("marbles", () => {
  it("runs a marble test in virtual time and returns the callback's value", () => {
    const result = marbles(({ cold, expectObservable }) => {
      expectObservable(cold("a-b|", { a: 1, b: 2 }).pipe(map((x) => x * 10))).toBe("a-b|", { a: 10, b: 20 });
      return "done";
    });
    expect(result).toBe("done");
  });

  it("virtualises asyncScheduler, so a 1-minute timer takes no wall time", () => {
    marbles(({ expectObservable }) => {
      expectObservable(timer(60_000)).toBe("60000ms (0|)", { 0: 0 });
    });
  });

  it("throws node's AssertionError on a mismatch (usable from any runner)", () => {
    expect(() => {
      marbles(({ cold, expectObservable }) => {
        expectObservable(cold("a|")).toBe("b|");
      });
    }).toThrow(AssertionError);
  });

  it("compares errors by name, message and code, not by stack or identity", () => {
    marbles(({ expectObservable }) => {
      expectObservable(throwError(() => new Error("boom"))).toBe("#", undefined, new Error("boom"));
    });
    expect(() => {
      marbles(({ expectObservable }) => {
        expectObservable(throwError(() => new Error("boom"))).toBe("#", undefined, new Error("bang"));
      });
    }).toThrow(AssertionError);
    expect(() => {
      marbles(({ expectObservable }) => {
        expectObservable(throwError(() => new LegoError("TIMEOUT", "late"))).toBe("#", undefined, new LegoError("ABORTED", "late"));
      });
    }).toThrow(AssertionError);
  });

  it("accepts the runner's own assertion", () => {
    const calls: unknown[] = [];
    const scheduler = createTestScheduler({
      assertDeepEqual: (actual, expected) => {
        calls.push(actual, expected);
        expect(actual).toEqual(expected);
      },
    });
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold("a|")).toBe("a|");
    });
    expect(calls).toHaveLength(2);
  });
});

describe("stripErrors", () => {
  it("turns nested errors into plain shapes and leaves other values intact", () => {
    const bytes = new Uint8Array([1, 2]);
    const error = Object.assign(new TypeError("bad"), { code: "E_BAD" });
    expect(stripErrors({ a: [error], b: bytes, c: 1 })).toEqual({
      a: [{ name: "TypeError", message: "bad", code: "E_BAD" }],
      b: bytes,
      c: 1,
    });
  });

  it("copes with cycles", () => {
    const cyclic: { self?: unknown } = {};
    cyclic.self = cyclic;
    const copy = stripErrors(cyclic) as { self: unknown };
    expect(copy.self).toBe(copy);
  });
});
