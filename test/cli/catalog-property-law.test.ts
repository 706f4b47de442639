import { describe, expect, it } from "vitest";
import { formatPropertyLaw } from "../../src/cli/catalog-format.js";
import { legosDeclaring } from "manyfold-rx";

describe("catalog show for a property", () => {
  it("prints the law that checks it and the legos that declare it", () => {
    const text = formatPropertyLaw("Idempotent");
    expect(text).toContain("Law (manyfold-rx/testing):");
    expect(text).toContain("laws.idempotent(op, inputs)");
    expect(text).toContain("Declared by: ChangeFilter, ThresholdFilter");
  });
  it("says when no law checks a property yet, and lists no declarers", () => {
    const text = formatPropertyLaw("Encrypted");
    expect(text).toContain("none yet");
    expect(text).toContain("Declared by: —");
    expect(legosDeclaring("Encrypted")).toEqual([]);
  });
});
