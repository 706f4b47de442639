import { describe, expect, it } from "vitest";
import {
  optional,
  optionalGroup,
  requireBoolean,
  requireCount,
  requireFinite,
  requireFunction,
  requireNonEmptyString,
  requireNonNegative,
  requireNonNegativeInteger,
  requireNumber,
  requireObject,
  requireOneOf,
  requirePositive,
  requirePositiveInteger,
  requireString,
} from "../../src/atom/validate.js";

describe("option validation", () => {
  it("requireNumber: TypeError for any non-number, naming the option and the value", () => {
    expect(requireNumber("n", NaN)).toBeNaN();
    expect(() => requireNumber("n", "1")).toThrow(new TypeError('n must be a number, got "1"'));
    expect(() => requireNumber("n", null)).toThrow(new TypeError("n must be a number, got null"));
    expect(() => requireNumber("n", undefined)).toThrow(new TypeError("n must be a number, got undefined"));
    expect(() => requireNumber("n", true)).toThrow(new TypeError("n must be a number, got true"));
    expect(() => requireNumber("n", {})).toThrow(new TypeError("n must be a number, got object"));
    expect(() => requireNumber("n", 1n)).toThrow(new TypeError("n must be a number, got bigint"));
  });

  it("requireFinite: RangeError for NaN and ±Infinity", () => {
    expect(requireFinite("x", -3.5)).toBe(-3.5);
    expect(() => requireFinite("x", NaN)).toThrow(new RangeError("x must be a finite number, got NaN"));
    expect(() => requireFinite("x", -Infinity)).toThrow(new RangeError("x must be a finite number, got -Infinity"));
  });

  it("requireNonNegative / requirePositive", () => {
    expect(requireNonNegative("x", 0)).toBe(0);
    expect(() => requireNonNegative("x", -0.1)).toThrow(new RangeError("x must be a finite number >= 0, got -0.1"));
    expect(requirePositive("x", 0.1)).toBe(0.1);
    expect(() => requirePositive("x", 0)).toThrow(new RangeError("x must be a finite number > 0, got 0"));
    expect(() => requirePositive("x", Infinity)).toThrow(RangeError);
  });

  it("requirePositiveInteger / requireNonNegativeInteger", () => {
    expect(requirePositiveInteger("c", 3)).toBe(3);
    expect(() => requirePositiveInteger("c", 0)).toThrow(new RangeError("c must be a positive integer, got 0"));
    expect(() => requirePositiveInteger("c", 2.5)).toThrow(RangeError);
    expect(() => requirePositiveInteger("c", Infinity)).toThrow(RangeError);
    expect(requireNonNegativeInteger("c", 0)).toBe(0);
    expect(() => requireNonNegativeInteger("c", -1)).toThrow(new RangeError("c must be a non-negative integer, got -1"));
  });

  it("requireCount allows Infinity but not fractions or zero", () => {
    expect(requireCount("n", Infinity)).toBe(Infinity);
    expect(requireCount("n", 1)).toBe(1);
    expect(() => requireCount("n", 0)).toThrow(new RangeError("n must be a positive integer or Infinity, got 0"));
    expect(() => requireCount("n", -Infinity)).toThrow(RangeError);
  });

  it("strings", () => {
    expect(requireString("s", "")).toBe("");
    expect(() => requireString("s", 1)).toThrow(new TypeError("s must be a string, got 1"));
    expect(requireNonEmptyString("s", "a")).toBe("a");
    expect(() => requireNonEmptyString("s", "")).toThrow(new RangeError("s must not be empty"));
  });

  it("booleans, functions and objects", () => {
    expect(requireBoolean("b", false)).toBe(false);
    expect(() => requireBoolean("b", 0)).toThrow(new TypeError("b must be a boolean, got 0"));
    const f = (): number => 1;
    expect(requireFunction("f", f)).toBe(f);
    expect(() => requireFunction("f", null)).toThrow(new TypeError("f must be a function, got null"));
    expect(requireObject("o", { a: 1 })).toEqual({ a: 1 });
    expect(() => requireObject("o", [])).toThrow(new TypeError("o must be an object, got array"));
    expect(() => requireObject("o", null)).toThrow(new TypeError("o must be an object, got null"));
  });

  it("requireOneOf: TypeError for a non-string, RangeError for an unknown one", () => {
    expect(requireOneOf("m", "a", ["a", "b"])).toBe("a");
    expect(() => requireOneOf("m", "c", ["a", "b"])).toThrow(new RangeError('m must be one of a | b, got "c"'));
    expect(() => requireOneOf("m", 1, ["a", "b"])).toThrow(new TypeError("m must be one of a | b, got 1"));
  });

  it("optional checks only defined values (null is checked)", () => {
    expect(optional("x", undefined, requirePositive)).toBeUndefined();
    expect(optional("x", 2, requirePositive)).toBe(2);
    expect(() => optional("x", null, requirePositive)).toThrow(TypeError);
  });

  it("optionalGroup: a non-empty string, or undefined", () => {
    expect(optionalGroup(undefined)).toBeUndefined();
    expect(optionalGroup("g")).toBe("g");
    expect(() => optionalGroup("")).toThrow(new RangeError("group must not be empty"));
    expect(() => optionalGroup(1, "labels.group")).toThrow(new TypeError("labels.group must be a string, got 1"));
  });
});
