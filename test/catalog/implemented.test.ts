import { describe, expect, it } from "vitest";
import { allLegos } from "../../src/index.js";

/**
 * Every name a lego's `implementedBy` lists must be a real value export of
 * the package root. The names come from src/catalog/implemented.ts.
 */
describe("implementedBy", () => {
  it("names only value exports of the package root", async () => {
    const root = (await import("../../src/index.js")) as Record<string, unknown>;
    const missing = allLegos().flatMap((lego) =>
      (lego.implementedBy ?? []).filter((name) => root[name] === undefined).map((name) => `${lego.name}: ${name}`),
    );
    expect(missing, `implementedBy names that src/index.ts does not export:\n${missing.join("\n")}`).toEqual([]);
  });

  it("names functions, classes or frozen data, never type-only names", async () => {
    const root = (await import("../../src/index.js")) as Record<string, unknown>;
    for (const lego of allLegos()) {
      for (const name of lego.implementedBy ?? []) {
        const value = root[name];
        if (value === undefined) continue;
        expect(["function", "object"], `${lego.name}: ${name}`).toContain(typeof value);
      }
    }
  });
});
