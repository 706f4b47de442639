import { describe, expect, it } from "vitest";
import { LAYERS, allLegos, dependencyClosureOf, getLego, isLegoError, toDot, toMermaid } from "../../src/index.js";
import { SEED_EDGES } from "./seed.js";

const implemented = allLegos().filter((lego) => lego.implementedBy !== undefined);
const catalogOnly = allLegos().filter((lego) => lego.implementedBy === undefined);

/** Node names declared in a Mermaid chart (`    Name["label"]`). */
function mermaidNodes(text: string): string[] {
  return [...text.matchAll(/^ {4}(\w+)\["/gm)].map((m) => m[1] ?? "");
}

/** Node names declared in a DOT graph (`    "Name" [`). */
function dotNodes(text: string): string[] {
  return [...text.matchAll(/^ {4}"(\w+)" \[/gm)].map((m) => m[1] ?? "");
}

function closureNames(names: readonly string[]): string[] {
  return [...new Set(names.flatMap((name) => [name, ...dependencyClosureOf(name).map((lego) => lego.name)]))].sort();
}

describe("toMermaid", () => {
  const chart = toMermaid();

  it("draws every lego once, one subgraph per layer in layer order", () => {
    expect(chart.startsWith("graph TD\n")).toBe(true);
    expect(mermaidNodes(chart).sort()).toEqual(allLegos().map((lego) => lego.name).sort());
    const subgraphs = [...chart.matchAll(/^ {2}subgraph layer_(\w+)\["(\w+)"\]$/gm)].map((m) => m[2]);
    expect(subgraphs).toEqual([...LAYERS]);
    expect(chart.match(/^ {2}end$/gm)).toHaveLength(LAYERS.length);
  });

  it("puts each lego inside its layer's subgraph", () => {
    const blocks = chart.split(/^ {2}subgraph /m).slice(1);
    for (const block of blocks) {
      const layer = /^layer_(\w+)/.exec(block)?.[1];
      for (const name of mermaidNodes(block)) expect(getLego(name).layer, name).toBe(layer);
    }
  });

  it("draws every requires edge, including every seed edge, as A --> B", () => {
    for (const [from, to] of SEED_EDGES) expect(chart).toContain(`\n  ${from} --> ${to}\n`);
    const edgeCount = allLegos().reduce((sum, lego) => sum + lego.requires.length, 0);
    expect(chart.match(/ --> /g)).toHaveLength(edgeCount);
  });

  it("marks implemented legos with ✓ and the implemented class, and only them", () => {
    for (const lego of implemented) expect(chart).toContain(`    ${lego.name}["${lego.name} ✓"]`);
    for (const lego of catalogOnly) expect(chart).toContain(`    ${lego.name}["${lego.name}"]`);
    const classLine = /^ {2}class (\S+) implemented$/m.exec(chart)?.[1]?.split(",");
    expect(classLine?.sort()).toEqual(implemented.map((lego) => lego.name).sort());
    expect(chart).toContain("classDef implemented ");
  });

  it("draws a subset with its dependency closure and only the layers it uses", () => {
    const subset = toMermaid(["RetryLoop"]);
    expect(mermaidNodes(subset).sort()).toEqual(closureNames(["RetryLoop"]));
    expect([...subset.matchAll(/subgraph layer_(\w+)/g)].map((m) => m[1])).toEqual(["atom", "policy", "capability", "local"]);
    expect(subset).toContain("  RetryLoop --> Timeout\n");
    expect(subset).toContain("  Timer --> Clock\n");
    expect(subset).not.toContain("Lease");
  });

  it("draws the union of several names' closures, each lego once", () => {
    const subset = toMermaid(["Lease", "RetryLoop", "Lease"]);
    expect(mermaidNodes(subset).sort()).toEqual(closureNames(["Lease", "RetryLoop"]));
  });

  it("draws the whole catalog for an empty list", () => {
    expect(toMermaid([])).toBe(chart);
  });

  it("throws UNKNOWN_LEGO for an unknown name", () => {
    expect(() => toMermaid(["RetryLoop", "Nope"])).toThrow(/unknown lego "Nope"/);
    let thrown: unknown;
    try {
      toMermaid(["Nope"]);
    } catch (error) {
      thrown = error;
    }
    expect(isLegoError(thrown, "UNKNOWN_LEGO")).toBe(true);
  });
});

describe("toDot", () => {
  const graph = toDot();

  it("is a digraph with one cluster per layer and every lego once", () => {
    expect(graph.startsWith("digraph catalog {\n")).toBe(true);
    expect(graph.endsWith("}\n")).toBe(true);
    expect([...graph.matchAll(/subgraph cluster_(\w+) \{/g)].map((m) => m[1])).toEqual([...LAYERS]);
    expect(dotNodes(graph).sort()).toEqual(allLegos().map((lego) => lego.name).sort());
    expect(graph.split("{").length).toBe(graph.split("}").length);
  });

  it("draws every seed edge as \"A\" -> \"B\"", () => {
    for (const [from, to] of SEED_EDGES) expect(graph).toContain(`  "${from}" -> "${to}";\n`);
  });

  it("fills, double-borders and ticks implemented legos only", () => {
    for (const lego of implemented) {
      expect(graph).toContain(`"${lego.name}" [label="${lego.name} ✓", style=filled, fillcolor="#d7f5dd", peripheries=2];`);
    }
    for (const lego of catalogOnly) expect(graph).toContain(`"${lego.name}" [label="${lego.name}"];`);
  });

  it("draws a subset with its closure", () => {
    const subset = toDot(["SensorHealthWatchdog"]);
    expect(dotNodes(subset).sort()).toEqual(closureNames(["SensorHealthWatchdog"]));
    expect(subset).toContain('"SensorHealthWatchdog" -> "Watchdog";');
    expect(subset).not.toContain("cluster_distributed");
  });

  it("rejects names that are not an array", () => {
    expect(() => toDot("RetryLoop" as unknown as string[])).toThrow(TypeError);
  });
});
