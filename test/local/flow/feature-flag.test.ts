import { describe, expect, expectTypeOf, it } from "vitest";
import { FeatureFlag, featureFlag } from "../../../src/index.js";

describe("featureFlag", () => {
  it("value$ emits the current value on subscribe and each change, not repeats", () => {
    const flag = featureFlag("blue", { group: "ui" });
    const seen: string[] = [];
    flag.value$.subscribe((v) => seen.push(v));
    expect(flag.set("blue")).toBe(false);
    expect(flag.set("green")).toBe(true);
    flag.set("green");
    flag.set("red");
    expect(seen).toEqual(["blue", "green", "red"]);
    expect(flag.value).toBe("red");
    expect(flag.lego).toEqual({ kind: "FeatureFlag", name: "ui.feature_flag", group: "ui" });
    expect(flag.lego.counters.changes).toBe(2);
    expect(flag.value$.lego).toBe(flag.lego);
  });

  it("a late subscriber gets the current value; a custom equals; close ends value$", () => {
    const flag = new FeatureFlag({ pct: 10 }, { equals: (a, b) => a.pct === b.pct });
    flag.set({ pct: 10 });
    flag.set({ pct: 20 });
    const seen: number[] = [];
    let completed = false;
    flag.value$.subscribe({ next: (v) => seen.push(v.pct), complete: () => (completed = true) });
    flag.close();
    expect(flag.set({ pct: 30 })).toBe(false);
    expect(seen).toEqual([20]);
    expect(completed).toBe(true);
    expect(flag.value.pct).toBe(20);
  });

  it("validates and types", () => {
    expect(() => featureFlag(true, { equals: 1 as never })).toThrow(TypeError);
    expect(() => featureFlag(true, { group: "" })).toThrow(RangeError);
    expectTypeOf(featureFlag(true)).toEqualTypeOf<FeatureFlag<boolean>>();
  });
});
