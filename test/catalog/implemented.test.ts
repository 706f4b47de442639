import { describe, expect, it } from "vitest";
import { allLegos } from "../../src/index.js";
import { ENGINE_ENTRY_POINTS } from "../../src/catalog/implemented.js";

/**
 * Every name a lego's `implementedBy` lists must be a real value export of
 * the package root, or of an engine entry point when prefixed with it
 * (`manyfold-rx/nats:NatsEventLog`). The names come from
 * src/catalog/implemented.ts.
 */
async function exportsOf(name: string): Promise<{ module: Record<string, unknown>; symbol: string }> {
  const colon = name.indexOf(":");
  if (colon === -1) return { module: (await import("../../src/index.js")), symbol: name };
  const entry = name.slice(0, colon);
  const source = ENGINE_ENTRY_POINTS[entry];
  if (source === undefined) throw new Error(`unknown entry point ${entry} in ${name}`);
  const module = (await import(`../../${source.replace(/\.ts$/, ".js")}`)) as Record<string, unknown>;
  return { module, symbol: name.slice(colon + 1) };
}

describe("implementedBy", () => {
  it("names only value exports of the package root (or of a named engine entry point)", async () => {
    const missing: string[] = [];
    for (const lego of allLegos()) {
      for (const name of lego.implementedBy ?? []) {
        const { module, symbol } = await exportsOf(name);
        if (module[symbol] === undefined) missing.push(`${lego.name}: ${name}`);
      }
    }
    expect(missing, `implementedBy names that the entry points do not export:\n${missing.join("\n")}`).toEqual([]);
  });

  it("names functions, classes or frozen data, never type-only names", async () => {
    for (const lego of allLegos()) {
      for (const name of lego.implementedBy ?? []) {
        const { module, symbol } = await exportsOf(name);
        const value = module[symbol];
        if (value === undefined) continue;
        expect(["function", "object"], `${lego.name}: ${name}`).toContain(typeof value);
      }
    }
  });

  it("every engine entry point is a package.json export", async () => {
    const pkg = (await import("../../package.json", { with: { type: "json" } })).default as { exports: Record<string, unknown> };
    for (const entry of Object.keys(ENGINE_ENTRY_POINTS)) expect(Object.keys(pkg.exports)).toContain(entry.replace(/^manyfold-rx/, "."));
  });
});
