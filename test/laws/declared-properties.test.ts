import fc from "fast-check";
import type { MonoTypeOperatorFunction } from "rxjs";
import { describe, expect, it } from "vitest";
import { DECLARED_PROPERTIES, PROPERTY_LAWS, changeFilter, declaredProperties, legoOf, thresholdFilter } from "manyfold-rx";
import { LAWS, laws, type LawReport } from "manyfold-rx/testing";

/**
 * Every exported operator lego that declares properties, with how to make
 * one and what to feed it. A lego whose descriptor declares a property gets
 * that property's law run against it: a declared property that does not
 * hold fails CI.
 */
const SUBJECTS: Record<string, { make: () => MonoTypeOperatorFunction<unknown>; inputs: fc.Arbitrary<unknown> }> = {
  changeFilter: { make: () => changeFilter<unknown>(), inputs: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constantFrom("a", "b")) },
  "changeFilter(key)": { make: () => changeFilter<unknown>((v) => String(v).length), inputs: fc.integer({ min: 0, max: 200 }) },
  thresholdFilter: { make: () => thresholdFilter<unknown>(2), inputs: fc.integer({ min: -10, max: 10 }) },
  "thresholdFilter(0.5)": { make: () => thresholdFilter<unknown>(0.5), inputs: fc.double({ min: -5, max: 5, noNaN: true }) },
};

function lawFor(property: string, subject: (typeof SUBJECTS)[string]): LawReport {
  switch (property) {
    case "Idempotent":
      return laws.idempotent(subject.make, subject.inputs);
    case "Deterministic":
      return laws.deterministic(subject.make, subject.inputs);
    case "Ordered":
      return laws.ordered(subject.make, subject.inputs);
    case "AtMostOnce":
      return laws.atMostOnce(subject.make, subject.inputs);
    case "AtLeastOnce":
      return laws.atLeastOnce(subject.make, subject.inputs);
    case "BestEffort":
      return laws.bestEffort(subject.make, subject.inputs);
    case "Observable":
      return laws.observable(subject.make());
    default:
      throw new Error(`no operator law for declared property ${property}`);
  }
}

describe("declared properties hold", () => {
  for (const [name, subject] of Object.entries(SUBJECTS)) {
    const declared = legoOf(subject.make())?.properties ?? [];
    it(`${name} declares properties`, () => {
      expect(declared.length).toBeGreaterThan(0);
    });
    for (const property of declared) {
      it(`${name} is ${property}`, () => {
        expect(Object.keys(LAWS)).toContain(property);
        const result = lawFor(property, subject);
        expect(result, JSON.stringify(result)).toMatchObject({ law: property, holds: true });
      });
    }
  }
  it("every lego in DECLARED_PROPERTIES has a subject here, and its descriptor carries exactly that list", () => {
    const kinds = new Set(Object.values(SUBJECTS).map((s) => legoOf(s.make())?.kind));
    for (const [kind, properties] of Object.entries(DECLARED_PROPERTIES)) {
      expect(kinds).toContain(kind);
      for (const p of properties) expect(Object.keys(PROPERTY_LAWS)).toContain(p);
    }
    for (const subject of Object.values(SUBJECTS)) {
      const op = subject.make();
      expect(declaredProperties(op)).toEqual(DECLARED_PROPERTIES[legoOf(op)?.kind ?? ""]);
    }
    expect(declaredProperties(null)).toEqual([]);
    expect(LAWS).toBe(PROPERTY_LAWS);
  });
  it("the descriptor keeps toEqual({ kind, name, group }) and hides properties", () => {
    const lego = legoOf(changeFilter({ group: "g" }));
    expect(lego).toEqual({ kind: "ChangeFilter", group: "g" });
    expect(lego?.properties).toEqual(["Idempotent", "Ordered", "Deterministic"]);
    expect(Object.isFrozen(lego?.properties)).toBe(true);
  });
});
