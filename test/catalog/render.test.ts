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

  it("draws every requires edge: the seed's as A --> B, the ones added by the project dashed as A -.-> B", () => {
    for (const [from, to] of SEED_EDGES) expect(chart).toContain(`\n  ${from} --> ${to}\n`);
    const edges = allLegos().flatMap((lego) => lego.edges.map((edge) => ({ from: lego.name, ...edge })));
    const added = edges.filter((edge) => edge.origin === "manyfold-rx");
    for (const { from, to } of added) expect(chart).toContain(`\n  ${from} -.-> ${to}\n`);
    expect(chart.match(/ --> /g)).toHaveLength(new Set(SEED_EDGES.map(String)).size);
    expect(chart.match(/ -\.-> /g)).toHaveLength(added.length);
    expect(added.length).toBeGreaterThan(0);
  });

  it("draws the seed's own graph alone with { graph: 'seed' }: seed legos, seed edges, nothing dashed", () => {
    const seedChart = toMermaid([], { graph: "seed" });
    expect(seedChart).not.toContain("-.->");
    expect(seedChart.match(/ --> /g)).toHaveLength(new Set(SEED_EDGES.map(String)).size);
    expect(mermaidNodes(seedChart)).not.toContain("SerialPortSource");
    expect(mermaidNodes(seedChart).sort()).toEqual(allLegos().filter((lego) => lego.origin === "seed").map((lego) => lego.name).sort());
    const subset = toMermaid(["BoundedRingBuffer"], { graph: "seed" });
    expect(mermaidNodes(subset)).toEqual(["BoundedRingBuffer"]);
    expect(toMermaid(["BoundedRingBuffer"])).toContain("  BoundedRingBuffer -.-> Capacity\n");
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

  it("draws every seed edge as \"A\" -> \"B\" and every edge the project added dashed", () => {
    for (const [from, to] of SEED_EDGES) expect(graph).toContain(`  "${from}" -> "${to}";\n`);
    const added = allLegos().flatMap((lego) => lego.edges.filter((edge) => edge.origin === "manyfold-rx").map((edge) => [lego.name, edge.to]));
    for (const [from, to] of added) expect(graph).toContain(`  "${from}" -> "${to}" [style=dashed];\n`);
    expect(graph.match(/ \[style=dashed\];/g)).toHaveLength(added.length);
    const seedGraph = toDot(undefined, { graph: "seed" });
    expect(seedGraph).not.toContain("dashed]");
    expect(seedGraph.match(/" -> "/g)).toHaveLength(new Set(SEED_EDGES.map(String)).size);
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
