import { describe, expect, it } from "vitest";
import { isLegoError, LegoError, messageOf } from "../../src/index.js";

describe("LegoError", () => {
  it("carries a stable code, message, group and cause", () => {
    const cause = new Error("disk full");
    const error = new LegoError("SPOOL_WRITE_FAILED", "append failed", { cause, group: "ambient" });
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(LegoError);
    expect(error.name).toBe("LegoError");
    expect(error.code).toBe("SPOOL_WRITE_FAILED");
    expect(error.message).toBe("append failed");
    expect(error.group).toBe("ambient");
    expect(error.cause).toBe(cause);
    expect(String(error)).toBe("LegoError: append failed");
  });

  it("has no cause property when none was given, and no group", () => {
    const error = new LegoError("TIMEOUT", "late");
    expect("cause" in error).toBe(false);
    expect(error.group).toBeUndefined();
  });

  it("keeps a falsy cause", () => {
    expect(new LegoError("ABORTED", "x", { cause: 0 }).cause).toBe(0);
  });
});

describe("isLegoError", () => {
  it("recognises LegoErrors, optionally of one code", () => {
    const error = new LegoError("TIMEOUT", "late");
    expect(isLegoError(error)).toBe(true);
    expect(isLegoError(error, "TIMEOUT")).toBe(true);
    expect(isLegoError(error, "ABORTED")).toBe(false);
  });

  it("rejects look-alikes and other values", () => {
    expect(isLegoError(Object.assign(new Error("late"), { code: "TIMEOUT", name: "LegoError" }))).toBe(false);
    expect(isLegoError({ code: "TIMEOUT" }, "TIMEOUT")).toBe(false);
    expect(isLegoError(undefined)).toBe(false);
  });
});

describe("messageOf", () => {
  it("is an Error's message, else String(value)", () => {
    expect(messageOf(new TypeError("bad"))).toBe("bad");
    expect(messageOf("plain")).toBe("plain");
    expect(messageOf(42)).toBe("42");
    expect(messageOf(null)).toBe("null");
    expect(messageOf(undefined)).toBe("undefined");
  });
});
