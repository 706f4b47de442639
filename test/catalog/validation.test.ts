import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { FAMILIES, LAYERS, ROLES, allLegos, getLego, type Lego } from "../../src/index.js";
import { CATALOG_ENTRIES } from "../../src/catalog/catalog.js";
import { IMPLEMENTED_BY } from "../../src/catalog/implemented.js";
import { SEED_COMPOSITES, SEED_EDGES, SEED_FAMILIES, SEED_NAMES, SEED_SLICE } from "./seed.js";

const legos = allLegos();
const byName = new Map(legos.map((lego) => [lego.name, lego]));

describe("catalog contents against the seed", () => {
  it("has every seed name as a lego: families, graph nodes, composites, their parts, the slice", () => {
    const missing = [...SEED_NAMES].filter((name) => !byName.has(name));
    expect(missing).toEqual([]);
    expect(SEED_NAMES.size).toBeGreaterThan(200);
  });

  it("has every edge of the seed's dependency graph", () => {
    expect(SEED_EDGES.length).toBe(101);
    const absent = SEED_EDGES.filter(([from, to]) => byName.get(from)?.requires.includes(to) !== true).map(
      ([from, to]) => `${from} --> ${to}`,
    );
    expect(absent).toEqual([]);
  });

  it("lists every family a seed name appears in, and no other seed family", () => {
    for (const [family, names] of SEED_FAMILIES) {
      for (const name of names) expect(getLego(name).families, `${name} in ${family}`).toContain(family);
    }
    for (const lego of legos) {
      for (const family of lego.families.filter((f) => f !== "Sensor IO" && f !== "Framing")) {
        expect(SEED_FAMILIES.get(family), `${lego.name} claims ${family}`).toContain(lego.name);
      }
    }
  });

  it("gives a name listed in several families one layer and all its families", () => {
    expect(getLego("Capacity").families).toEqual(["Atoms", "Flow Control"]);
    expect(getLego("Watchdog").families).toEqual(["Local Runtime", "Observability"]);
    expect(getLego("Mailbox").families).toEqual(["Local Runtime", "Communication And Handoff"]);
    expect(getLego("OverflowPolicy").layer).toBe("policy");
  });

  it("records each seed composite expansion as parts, in the seed's order, with non-name parts mapped", () => {
    expect(SEED_COMPOSITES.size).toBe(16);
    for (const [name, parts] of SEED_COMPOSITES) expect(getLego(name).parts, name).toEqual(parts);
    expect(getLego("PeripheralAdapter").parts).toContain("Peripheral");
    expect(getLego("DuplexSensorPeripheral").parts).toEqual(["PeripheralAdapter", "RouteRef", "HandleInput"]);
    expect(getLego("RateMatchedSensor").parts).toEqual(["RingBuffer", "Clock", "Graph", "Capacitor"]);
    expect(getLego("ReactiveSensorSource").parts[0]).toBe("Observable");
    expect(getLego("Observable").layer).toBe("property");
  });

  it("has parts only on the seed's composites", () => {
    const composites = legos.filter((lego) => lego.parts.length > 0).map((lego) => lego.name);
    expect(composites.sort()).toEqual([...SEED_COMPOSITES.keys()].sort());
  });

  it("keeps DeadLetterQueue a part of DurableQueue, not a requirement (it depends on DurableQueue)", () => {
    expect(getLego("DurableQueue").parts).toContain("DeadLetterQueue");
    expect(getLego("DurableQueue").requires).not.toContain("DeadLetterQueue");
    expect(getLego("DeadLetterQueue").requires).toContain("DurableQueue");
  });

  it("marks seed names origin seed and everything else origin manyfold-rx", () => {
    const added = legos.filter((lego) => lego.origin === "manyfold-rx").map((lego) => lego.name);
    expect(added).toEqual([
      "FixedLengthFramer",
      "IdleGapFramer",
      "LengthPrefixedFramer",
      "PatternFramer",
      "ReadyGate",
      "SensorLocation",
      "SensorTag",
      "SerialPortSource",
    ]);
    for (const lego of legos) expect(lego.origin, lego.name).toBe(SEED_NAMES.has(lego.name) ? "seed" : "manyfold-rx");
  });

  it("implements every lego of the seed's Local Sensor IO slice", () => {
    expect(SEED_SLICE).toHaveLength(27);
    const notImplemented = SEED_SLICE.filter((name) => getLego(name).implementedBy === undefined);
    expect(notImplemented).toEqual([]);
  });

  it("treats BoundedRingBuffer as the implementation of RingBuffer and a lego of its own", () => {
    expect(getLego("RingBuffer").implementedBy).toEqual(["BoundedRingBuffer"]);
    expect(getLego("BoundedRingBuffer").provides).toContain("RingBuffer");
  });
});

describe("catalog integrity", () => {
  it("has unique names, all PascalCase identifiers", () => {
    const names = CATALOG_ENTRIES.map((entry) => entry.name);
    const duplicates = names.filter((name, i) => names.indexOf(name) !== i);
    expect(duplicates).toEqual([]);
    for (const name of names) expect(name).toMatch(/^[A-Z][A-Za-z0-9]*$/);
    expect(legos).toHaveLength(names.length);
  });

  it("puts every lego in one of the eight layers, with a known role and known families", () => {
    expect(LAYERS).toEqual(["atom", "policy", "property", "capability", "local", "durable", "distributed", "application"]);
    for (const lego of legos) {
      expect(LAYERS, lego.name).toContain(lego.layer);
      expect(ROLES, lego.name).toContain(lego.role);
      for (const family of lego.families) expect(FAMILIES, lego.name).toContain(family);
    }
  });

  it("uses every layer and every role", () => {
    expect(new Set(legos.map((lego) => lego.layer))).toEqual(new Set(LAYERS));
    expect(new Set(legos.map((lego) => lego.role))).toEqual(new Set(ROLES));
  });

  it("has no dangling reference in requires, parts, provides or group", () => {
    const dangling = legos.flatMap((lego) =>
      [...lego.requires, ...lego.parts, ...lego.provides, ...(lego.group === undefined ? [] : [lego.group])]
        .filter((name) => !byName.has(name))
        .map((name) => `${lego.name} → ${name}`),
    );
    expect(dangling).toEqual([]);
  });

  it("has no self-reference and no repeated entry in requires, parts or provides", () => {
    for (const lego of legos) {
      for (const list of [lego.requires, lego.parts, lego.provides]) {
        expect(list, lego.name).not.toContain(lego.name);
        expect(new Set(list).size, lego.name).toBe(list.length);
      }
    }
  });

  it("has no cycle in requires", () => {
    const state = new Map<string, "visiting" | "done">();
    const cycles: string[] = [];
    const visit = (lego: Lego, path: readonly string[]): void => {
      if (state.get(lego.name) === "done") return;
      if (state.get(lego.name) === "visiting") {
        cycles.push([...path, lego.name].join(" → "));
        return;
      }
      state.set(lego.name, "visiting");
      for (const dep of lego.requires) visit(getLego(dep), [...path, lego.name]);
      state.set(lego.name, "done");
    };
    for (const lego of legos) visit(lego, []);
    expect(cycles).toEqual([]);
  });

  it("names only catalog legos in the implementedBy map", () => {
    expect(Object.keys(IMPLEMENTED_BY).filter((name) => !byName.has(name))).toEqual([]);
    for (const [name, exports] of Object.entries(IMPLEMENTED_BY)) {
      expect(exports.length, name).toBeGreaterThan(0);
      expect(getLego(name).implementedBy).toEqual(exports);
    }
    const withoutEntry = legos.filter((lego) => lego.implementedBy !== undefined && !(lego.name in IMPLEMENTED_BY));
    expect(withoutEntry).toEqual([]);
  });

  it("gives a group only to parts introduced by a composite, naming that composite", () => {
    for (const lego of legos.filter((l) => l.group !== undefined)) {
      expect(getLego(lego.group ?? "").parts, lego.name).toContain(lego.name);
    }
    expect(getLego("Capacitor").group).toBe("RateMatchedSensor");
    expect(getLego("HandleInput").group).toBe("DuplexSensorPeripheral");
  });

  it("returns deeply frozen legos", () => {
    const lego = getLego("Lease");
    expect(Object.isFrozen(lego)).toBe(true);
    expect(Object.isFrozen(lego.requires)).toBe(true);
    expect(Object.isFrozen(getLego("RetryLoop").implementedBy)).toBe(true);
    expect(() => {
      (lego.requires as string[]).push("Bytes");
    }).toThrow(TypeError);
    expect(getLego("Lease").requires).not.toContain("Bytes");
  });
});

describe("catalog and source agree", () => {
  const src = fileURLToPath(new URL("../../src", import.meta.url));
  const sources = readdirSync(src, { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".ts") && !file.startsWith("catalog"))
    .map((file) => ({ file, text: readFileSync(join(src, file), "utf8") }));
  const tagged = sources.flatMap(({ file, text }) => [...text.matchAll(/@lego (\w+)/g)].map((m) => ({ file, name: m[1] ?? "" })));
  const kinds = sources.flatMap(({ file, text }) => [...text.matchAll(/legoMeter\(\s*"(\w+)"/g)].map((m) => ({ file, name: m[1] ?? "" })));

  it("names only catalog legos in @lego tags and lego descriptor kinds", () => {
    expect(tagged.length).toBeGreaterThan(10);
    const unknown = [...tagged, ...kinds].filter(({ name }) => !byName.has(name)).map(({ file, name }) => `${file}: ${name}`);
    expect(unknown).toEqual([]);
  });

  it("marks every lego that a source file implements (@lego tag) as implemented", () => {
    const unmarked = tagged.filter(({ name }) => byName.get(name)?.implementedBy === undefined).map(({ file, name }) => `${file}: ${name}`);
    expect(unmarked).toEqual([]);
  });
});
