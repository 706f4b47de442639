import { map, of, tap, toArray, type MonoTypeOperatorFunction } from "rxjs";
import { describe, expect, it } from "vitest";
import { legoMeter, withLego } from "../../src/atom/lego-descriptor.js";
import { PipelineGraph, pipeline } from "../../src/local/graph.js";

function countingLego(kind: string, labels: { name?: string; group?: string }): MonoTypeOperatorFunction<number> {
  const meter = legoMeter(kind, labels, ["seen"]);
  return withLego(tap<number>(() => meter.count("seen")), meter.descriptor);
}

describe("pipeline / PipelineGraph", () => {
  it("pipes the source through the operators like source.pipe", async () => {
    const out = pipeline(of(1, 2, 3), map((x: number) => x * 2), map((x: number) => x + 1));
    expect(await new Promise((resolve) => out.pipe(toArray()).subscribe(resolve))).toEqual([3, 5, 7]);
  });

  it("describes each stage with kind, labels and live counters", () => {
    const source = withLego(of(1, 2, 3), legoMeter("SerialPortSource", { group: "ambient" }).descriptor);
    const out = pipeline(source, countingLego("ChangeFilter", { name: "ambient.change" }), map((x: number) => x), {
      name: "ambient",
    });
    expect(out.graph.stages().map((s) => s.counters)).toEqual([{}, { seen: 0 }, {}]);
    out.subscribe();
    const stages = out.graph.stages();
    expect(stages.map((s) => s.kind)).toEqual(["SerialPortSource", "ChangeFilter", "operator"]);
    expect(stages[1]).toMatchObject({ name: "ambient.change", counters: { seen: 3 } });
    expect(stages[0]).toMatchObject({ group: "ambient" });
  });

  it("renders text with one line per stage", () => {
    const graph = new PipelineGraph([countingLego("Watchdog", { group: "g" }), map((x: number) => x)], {
      name: "demo",
      group: "g",
    });
    expect(graph.toText()).toBe(["demo (group g)", "   1. Watchdog  g  seen=0", "   2. operator  -"].join("\n"));
  });

  it("draws side branches from the stage they read", () => {
    const graph = new PipelineGraph([countingLego("A", {}), countingLego("B", {}), countingLego("C", {})], {
      branches: [{ from: 1, parts: [countingLego("H", {}), countingLego("I", {})] }],
    });
    expect(graph.stages().map((s) => [s.kind, s.after])).toEqual([
      ["A", undefined],
      ["B", 0],
      ["C", 1],
      ["H", 1],
      ["I", 3],
    ]);
    expect(graph.toText()).toContain("4. H     -  seen=0  (reads 2)");
    expect(graph.toMermaid().split("\n").filter((l) => l.includes("-->"))).toEqual([
      "  s0 --> s1",
      "  s1 --> s2",
      "  s1 --> s3",
      "  s3 --> s4",
    ]);
  });

  it("rejects a branch from a stage that does not exist", () => {
    expect(() => new PipelineGraph([1], { branches: [{ from: 1, parts: [] }] })).toThrow(RangeError);
    expect(() => new PipelineGraph([1], { branches: [{ from: 1, parts: [] }] })).toThrow(/branches\[0\]\.from/);
  });

  it("renders a Mermaid flowchart with chained nodes and escaped quotes", () => {
    const graph = new PipelineGraph([countingLego("A", { name: 'say "hi"' }), countingLego("B", { group: "g" })]);
    expect(graph.toMermaid()).toBe(
      ['graph LR', '  s0["A<br/>say #quot;hi#quot;<br/>seen=0"]', '  s1["B<br/>group: g<br/>seen=0"]', "  s0 --> s1"].join("\n"),
    );
  });
});
