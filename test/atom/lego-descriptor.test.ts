import { map } from "rxjs";
import { describe, expect, it } from "vitest";
import { legoMeter, legoOf, withLego } from "../../src/index.js";
import { derivedName } from "../../src/atom/lego-descriptor.js";

describe("legoMeter", () => {
  it("describes kind, name and group, leaving out absent labels", () => {
    expect(legoMeter("Watchdog", {}).descriptor).toEqual({ kind: "Watchdog" });
    expect(Object.keys(legoMeter("Watchdog", { name: undefined, group: undefined }).descriptor)).toEqual(["kind"]);
    expect(legoMeter("RateMatchedSensor", { name: "a.b", group: "a" }).descriptor).toEqual({
      kind: "RateMatchedSensor",
      name: "a.b",
      group: "a",
    });
  });

  it("starts every declared counter at 0; counters are non-enumerable", () => {
    const { descriptor } = legoMeter("ChangeFilter", {}, ["passed", "suppressed"]);
    expect(descriptor.counters).toEqual({ passed: 0, suppressed: 0 });
    expect(Object.keys(descriptor)).toEqual(["kind"]);
    expect(descriptor).toEqual({ kind: "ChangeFilter" });
  });

  it("counts by 1 or by a given amount, live on the descriptor", () => {
    const meter = legoMeter("X", {}, ["dropped"]);
    const counters = meter.descriptor.counters;
    meter.count("dropped");
    meter.count("dropped", 4);
    meter.count("late");
    expect(counters).toEqual({ dropped: 5, late: 1 });
  });

  it("freezes the descriptor", () => {
    const { descriptor } = legoMeter("X", { group: "g" });
    expect(Object.isFrozen(descriptor)).toBe(true);
    expect(() => {
      (descriptor as { kind: string }).kind = "Y";
    }).toThrow(TypeError);
  });
});

describe("withLego / legoOf", () => {
  it("attaches a read-only, non-enumerable lego property and returns the same target", () => {
    const { descriptor } = legoMeter("X", {});
    const op = map((v: number) => v);
    const tagged = withLego(op, descriptor);
    expect(tagged).toBe(op);
    expect(tagged.lego).toBe(descriptor);
    expect(Object.keys(tagged)).not.toContain("lego");
    expect(() => {
      (tagged as { lego: unknown }).lego = null;
    }).toThrow(TypeError);
  });

  it("legoOf finds a descriptor, or undefined", () => {
    const { descriptor } = legoMeter("X", {});
    expect(legoOf(withLego(() => 1, descriptor))).toBe(descriptor);
    expect(legoOf({ lego: descriptor })).toBe(descriptor);
    expect(legoOf({ lego: { kind: 5 } })).toBeUndefined();
    expect(legoOf({ lego: null })).toBeUndefined();
    expect(legoOf({})).toBeUndefined();
    expect(legoOf(null)).toBeUndefined();
    expect(legoOf("lego")).toBeUndefined();
  });
});

describe("derivedName", () => {
  it("is <group>.<suffix>, or undefined without a group", () => {
    expect(derivedName("ambient", "rate_matched_sensor")).toBe("ambient.rate_matched_sensor");
    expect(derivedName(undefined, "rate_matched_sensor")).toBeUndefined();
  });
});
