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

  it("renders a Mermaid flowchart with chained nodes and escaped quotes", () => {
    const graph = new PipelineGraph([countingLego("A", { name: 'say "hi"' }), countingLego("B", { group: "g" })]);
    expect(graph.toMermaid()).toBe(
      ['graph LR', '  s0["A<br/>say #quot;hi#quot;<br/>seen=0"]', '  s1["B<br/>group: g<br/>seen=0"]', "  s0 --> s1"].join("\n"),
    );
  });
});
