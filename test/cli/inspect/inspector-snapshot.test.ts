import { map, of, tap } from "rxjs";
import { describe, expect, it } from "vitest";
import { legoMeter, withLego } from "../../../src/atom/lego-descriptor.js";
import { envelopesOf, pipelineOf, summarisePayload } from "../../../src/cli/inspect/inspector-snapshot.js";
import { PipelineGraph } from "../../../src/local/graph.js";
import { SensorDebugTap } from "../../../src/sensor/sensor-debug-tap.js";
import { ManualClock } from "../../../src/time/manual-clock.js";

function lego(kind: string, labels: { name?: string; group?: string } = {}) {
  const meter = legoMeter(kind, labels, ["seen"]);
  return { part: withLego(tap<number>(() => meter.count("seen")), meter.descriptor), meter };
}

describe("pipelineOf", () => {
  it("turns a graph with a branch into a lane: ids, kinds, labels, counters and after edges", () => {
    const source = withLego(of(1), legoMeter("SerialPortSource", { group: "ambient" }, ["opens"]).descriptor);
    const frame = lego("DelimitedMessageBuffer", { group: "ambient" });
    const decode = lego("JsonEventDecoder", { name: "ambient.decoder", group: "ambient" });
    const health = lego("SensorHealthWatchdog");
    const graph = new PipelineGraph([source, frame.part, decode.part, map((x: number) => x)], {
      name: "ambient sensor pipeline",
      branches: [{ from: 2, parts: [health.part] }],
    });
    frame.meter.count("seen");

    const lane = pipelineOf(graph, { id: "demo", node: "host-a · pid 1" });

    expect(lane).toMatchObject({ id: "demo", title: "ambient sensor pipeline", node: "host-a · pid 1" });
    expect(lane.stages.map((s) => [s.id, s.kind, s.after])).toEqual([
      ["demo:0", "SerialPortSource", []],
      ["demo:1", "DelimitedMessageBuffer", ["demo:0"]],
      ["demo:2", "JsonEventDecoder", ["demo:1"]],
      ["demo:3", "operator", ["demo:2"]],
      ["demo:4", "SensorHealthWatchdog", ["demo:2"]],
    ]);
    expect(lane.stages[0]).toEqual({ id: "demo:0", kind: "SerialPortSource", group: "ambient", counters: { opens: 0 }, after: [] });
    expect(lane.stages[2]).toMatchObject({ name: "ambient.decoder", group: "ambient" });
    expect(lane.stages[1]?.counters).toEqual({ seen: 1 });
    expect(lane.stages[3]?.counters).toEqual({});
    // A snapshot is a copy: later counts show in the next snapshot, not in this one.
    frame.meter.count("seen");
    expect(lane.stages[1]?.counters).toEqual({ seen: 1 });
    expect(pipelineOf(graph, { id: "demo" }).stages[1]?.counters).toEqual({ seen: 2 });
    // Plain JSON: what the server sends is what the page gets.
    expect(JSON.parse(JSON.stringify(lane))).toEqual(lane);
  });

  it("takes a title over the graph's name and leaves node out when not given", () => {
    const lane = pipelineOf(new PipelineGraph([lego("A").part]), { id: "p", title: "custom" });
    expect(lane.title).toBe("custom");
    expect("node" in lane).toBe(false);
  });

  it("rejects what is not a graph or an id", () => {
    const graph = new PipelineGraph([lego("A").part]);
    expect(() => pipelineOf(null as unknown as PipelineGraph, { id: "p" })).toThrow(TypeError);
    expect(() => pipelineOf(graph, { id: "" })).toThrow(/labels\.id/);
    expect(() => pipelineOf(graph, { id: 3 as unknown as string })).toThrow(TypeError);
    expect(() => pipelineOf(graph, { id: "p", node: 1 as unknown as string })).toThrow(/labels\.node/);
  });
});

describe("envelopesOf", () => {
  it("keeps the last max envelopes, oldest first, with the tap's fields", () => {
    const clock = new ManualClock(1_000);
    const tap = new SensorDebugTap({ clock, historySize: 100 });
    for (let i = 0; i < 60; i++) {
      tap.publish({ stage: i % 2 === 0 ? "raw" : "logical", streamName: "ambient.serial", sourceId: "uart0", payload: { i } });
      clock.advance(10);
    }
    const envelopes = envelopesOf(tap);
    expect(envelopes).toHaveLength(50);
    expect(envelopes[0]).toEqual({ at: 1_100, stage: "raw", stream: "ambient.serial", source: "uart0", payload: '{"i":10}' });
    expect(envelopes.at(-1)).toEqual({ at: 1_590, stage: "logical", stream: "ambient.serial", source: "uart0", payload: '{"i":59}' });
    expect(envelopesOf(tap, 3).map((e) => e.payload)).toEqual(['{"i":57}', '{"i":58}', '{"i":59}']);
  });

  it("summarises payloads to at most 200 characters of JSON", () => {
    const tap = new SensorDebugTap();
    tap.publish({ stage: "logical", streamName: "s", sourceId: "x", payload: { text: "y".repeat(500) } });
    const [long] = envelopesOf(tap);
    expect(long?.payload).toHaveLength(200);
    expect(long?.payload.startsWith('{"text":"yyy')).toBe(true);
    expect(long?.payload.endsWith("…")).toBe(true);
    expect(summarisePayload("x".repeat(198))).toHaveLength(200);
    expect(summarisePayload("x".repeat(198)).endsWith('"')).toBe(true);
  });

  it("reads bytes as text, Buffers included, at the top and inside objects", () => {
    const line = '{"t":21.5}\n';
    expect(JSON.parse(summarisePayload(Buffer.from(line)))).toBe(line);
    expect(JSON.parse(summarisePayload(new TextEncoder().encode(line)))).toBe(line);
    expect(JSON.parse(summarisePayload({ raw: Buffer.from("ab"), n: 1n }))).toEqual({ raw: "ab", n: "1" });
  });

  it("still gives a line for payloads JSON cannot write", () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(summarisePayload(circular)).toBe("[object Object]");
    expect(summarisePayload(undefined)).toBe("undefined");
  });

  it("rejects a bad tap or max", () => {
    const tap = new SensorDebugTap();
    expect(() => envelopesOf(null as unknown as SensorDebugTap)).toThrow(TypeError);
    expect(() => envelopesOf(tap, 0)).toThrow(/max/);
    expect(() => envelopesOf(tap, 1.5)).toThrow(RangeError);
  });
});
