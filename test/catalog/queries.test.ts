import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  LAYERS,
  ROLES,
  allLegos,
  catalogStatus,
  compositeOf,
  dependenciesOf,
  dependencyClosureOf,
  dependentsOf,
  getLego,
  isLegoError,
  legosByLayer,
  legosByRole,
  suggestLegoNames,
  type Layer,
  type Lego,
  type Role,
} from "../../src/index.js";
import { SEED_EDGES } from "./seed.js";

const legos = allLegos();
const names = legos.map((lego) => lego.name);
const namesOf = (list: readonly Lego[]): string[] => list.map((lego) => lego.name);
const codeUnitSorted = (list: readonly string[]): string[] => [...list].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

/** The transitive requirements of `name`, by breadth-first search (independent of the implementation). */
function reachable(name: string): Set<string> {
  const seen = new Set<string>();
  const queue = [...getLego(name).requires];
  while (queue.length > 0) {
    const next = queue.shift()!;
    if (!seen.has(next)) {
      seen.add(next);
      queue.push(...getLego(next).requires);
    }
  }
  return seen;
}

function errorOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

describe("allLegos", () => {
  it("returns every lego once, in plain code-unit order", () => {
    expect(names).toEqual(codeUnitSorted(names));
    expect(new Set(names).size).toBe(names.length);
    expect(names.length).toBe(221);
  });

  it("returns a fresh array each call", () => {
    const first = allLegos();
    first.pop();
    expect(allLegos()).toHaveLength(221);
  });
});

describe("getLego", () => {
  it("returns the lego with that exact name", () => {
    const lease = getLego("Lease");
    expect(lease.name).toBe("Lease");
    expect(lease.layer).toBe("distributed");
    expect(lease.requires).toEqual(["Deadline", "Renew", "Release", "FencingToken", "VersionedRegister"]);
  });

  it("throws LegoError UNKNOWN_LEGO suggesting the case-insensitive match first", () => {
    const error = errorOf(() => getLego("retryloop"));
    expect(isLegoError(error, "UNKNOWN_LEGO")).toBe(true);
    expect((error as Error).message).toBe('unknown lego "retryloop"; did you mean "RetryLoop"?');
  });

  it("suggests names within a small edit distance for typos", () => {
    expect((errorOf(() => getLego("Leese")) as Error).message).toContain('"Lease"');
    expect((errorOf(() => getLego("SequnceCounter")) as Error).message).toContain('"SequenceCounter"');
    expect((errorOf(() => getLego("Akc")) as Error).message).toContain('"Ack"');
  });

  it("says so when no name is close", () => {
    expect((errorOf(() => getLego("Zebra crossing")) as Error).message).toBe(
      'unknown lego "Zebra crossing"; no catalog name is close to it',
    );
  });

  it("rejects a non-string name with a TypeError", () => {
    expect(() => getLego(42 as unknown as string)).toThrow(TypeError);
  });
});

describe("suggestLegoNames", () => {
  it("ranks the case-insensitive match before other close names", () => {
    expect(suggestLegoNames("QUEUE")[0]).toBe("Queue");
    expect(suggestLegoNames("ringbuffer")).toEqual(["RingBuffer", "BoundedRingBuffer"]);
  });

  it("falls back to names that contain the query", () => {
    expect(suggestLegoNames("Spool")).toEqual(["LocalDurableSpool"]);
    expect(suggestLegoNames("Ring")).toEqual(["RingBuffer", "BoundedRingBuffer", "ConsistentHashRing"]);
    expect(suggestLegoNames("Peripheral", 5)).toEqual(["Peripheral", "PeripheralAdapter", "DuplexSensorPeripheral"]);
  });

  it("returns at most limit names, and nothing for an unrelated query", () => {
    expect(suggestLegoNames("Queue", 2)).toHaveLength(2);
    expect(suggestLegoNames("qwertyuiop")).toEqual([]);
    expect(suggestLegoNames("Nope")).toEqual([]);
  });

  it("always suggests an existing name first for any mangled case of it", () => {
    fc.assert(
      fc.property(fc.constantFrom(...names), fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }), (name, upper) => {
        const mangled = Array.from({ length: name.length }, (_, i) => (upper[i] === true ? name.charAt(i).toUpperCase() : name.charAt(i).toLowerCase())).join("");
        const suggested = suggestLegoNames(mangled)[0];
        expect(suggested?.toLowerCase()).toBe(name.toLowerCase());
      }),
    );
  });
});

describe("dependenciesOf and dependentsOf", () => {
  it("returns direct requirements sorted by name", () => {
    expect(namesOf(dependenciesOf("RetryLoop"))).toEqual(["BackoffPolicy", "Cancellation", "RetryPolicy", "Timeout"]);
    expect(dependenciesOf("Bytes")).toEqual([]);
  });

  it("returns direct dependents sorted by name", () => {
    expect(namesOf(dependentsOf("DurableQueue"))).toEqual(["DeadLetterQueue", "RetryQueue", "WorkQueue"]);
    expect(namesOf(dependentsOf("PeripheralAdapter"))).toEqual(["DuplexSensorPeripheral"]);
    expect(dependentsOf("KillSwitch")).toEqual([]);
  });

  it("are inverse relations over the whole catalog", () => {
    for (const lego of legos) {
      for (const dep of dependenciesOf(lego.name)) expect(namesOf(dependentsOf(dep.name)), `${lego.name} → ${dep.name}`).toContain(lego.name);
      const dependents = namesOf(dependentsOf(lego.name));
      expect(dependents).toEqual(codeUnitSorted(dependents));
      expect(dependents).toEqual(names.filter((name) => getLego(name).requires.includes(lego.name)));
    }
  });

  it("throw UNKNOWN_LEGO for an unknown name", () => {
    expect(isLegoError(errorOf(() => dependenciesOf("Nope")), "UNKNOWN_LEGO")).toBe(true);
    expect(isLegoError(errorOf(() => dependentsOf("Nope")), "UNKNOWN_LEGO")).toBe(true);
  });
});

describe("dependencyClosureOf", () => {
  it("orders RetryLoop's closure dependency-first, smallest available name first", () => {
    expect(namesOf(dependencyClosureOf("RetryLoop"))).toEqual([
      "Cancel",
      "CancellationPolicy",
      "Cancellation",
      "Duration",
      "BackoffPolicy",
      "Error",
      "RetryPolicy",
      "TimeoutPolicy",
      "Timestamp",
      "Clock",
      "Timer",
      "Timeout",
    ]);
  });

  it("is empty for a lego that requires nothing", () => {
    expect(dependencyClosureOf("Bytes")).toEqual([]);
  });

  it("holds the transitive requirements exactly once, never the lego itself", () => {
    for (const lego of legos) {
      const closure = namesOf(dependencyClosureOf(lego.name));
      expect(new Set(closure).size, lego.name).toBe(closure.length);
      expect(closure, lego.name).not.toContain(lego.name);
      expect(new Set(closure), lego.name).toEqual(reachable(lego.name));
    }
  });

  it("is Kahn's order: each step takes the smallest name whose requirements are all placed", () => {
    for (const lego of legos) {
      const closure = namesOf(dependencyClosureOf(lego.name));
      const members = new Set(closure);
      const placed = new Set<string>();
      for (const name of closure) {
        const available = [...members].filter(
          (m) => !placed.has(m) && getLego(m).requires.filter((d) => members.has(d)).every((d) => placed.has(d)),
        );
        expect(name, `${lego.name}: step ${placed.size}`).toBe(codeUnitSorted(available)[0]);
        placed.add(name);
      }
    }
  });
});

describe("legosByLayer and legosByRole", () => {
  it.each(LAYERS)("returns exactly the %s legos, sorted", (layer) => {
    const inLayer = namesOf(legosByLayer(layer));
    expect(inLayer.length).toBeGreaterThan(0);
    expect(inLayer).toEqual(names.filter((name) => getLego(name).layer === layer));
  });

  it("partitions the catalog by layer and by role", () => {
    expect(LAYERS.flatMap((layer) => legosByLayer(layer)).length).toBe(legos.length);
    expect(ROLES.flatMap((role) => legosByRole(role)).length).toBe(legos.length);
    expect(namesOf(legosByRole("time"))).toEqual(names.filter((name) => getLego(name).role === "time"));
  });

  it("places the sensor data types in atom and the sensor sources in application", () => {
    for (const name of ["SensorSample", "SensorEvent", "HealthStatus", "SensorIdentity", "SensorTag", "SensorLocation"]) {
      expect(getLego(name).layer, name).toBe("atom");
    }
    expect(namesOf(legosByLayer("application"))).toEqual(
      expect.arrayContaining(["LocalSensorSource", "PeripheralAdapter", "RateMatchedSensor", "SensorHealthWatchdog", "SerialPortSource"]),
    );
  });

  it("rejects an unknown layer or role with RangeError and a non-string with TypeError", () => {
    expect(() => legosByLayer("network" as Layer)).toThrow(RangeError);
    expect(() => legosByLayer("network" as Layer)).toThrow(/layer must be one of atom \| policy/);
    expect(() => legosByRole("magic" as Role)).toThrow(RangeError);
    expect(() => legosByLayer(3 as unknown as Layer)).toThrow(TypeError);
  });
});

describe("compositeOf", () => {
  it("returns a composite's parts sorted by name", () => {
    expect(namesOf(compositeOf("DurableQueue"))).toEqual([
      "AckTracker",
      "CheckpointStore",
      "DeadLetterQueue",
      "EventLog",
      "RetryLoop",
      "VisibilityDeadline",
    ]);
    expect(namesOf(compositeOf("CircuitBreaker"))).toEqual(["FailureCounter", "StateTransition", "ThresholdPolicy", "Timer", "Window"]);
    expect(namesOf(compositeOf("DuplexSensorPeripheral"))).toEqual(["HandleInput", "PeripheralAdapter", "RouteRef"]);
  });

  it("returns [] for a lego that is not a composite, and throws for an unknown one", () => {
    expect(compositeOf("Bytes")).toEqual([]);
    expect(compositeOf("DeadLetterQueue")).toEqual([]);
    expect(isLegoError(errorOf(() => compositeOf("Nope")), "UNKNOWN_LEGO")).toBe(true);
  });
});

describe("catalogStatus", () => {
  it("counts implemented legos per layer and overall", () => {
    const status = catalogStatus();
    expect(status.layers.map((l) => l.layer)).toEqual([...LAYERS]);
    expect(status.total).toBe(legos.length);
    expect(status.implemented).toBe(legos.filter((lego) => lego.implementedBy !== undefined).length);
    for (const { layer, implemented, total } of status.layers) {
      const inLayer = legosByLayer(layer);
      expect(total).toBe(inLayer.length);
      expect(implemented).toBe(inLayer.filter((lego) => lego.implementedBy !== undefined).length);
    }
    expect(status.layers.reduce((sum, l) => sum + l.implemented, 0)).toBe(status.implemented);
  });
});

/** The composite parts the seed does not list as graph edges (issue 18): parts, never requires. */
const PART_ONLY: Readonly<Record<string, readonly string[]>> = {
  ReplicatedLog: ["Consensus", "EventLog"],
  Workflow: ["EventLog", "DurableQueue", "CheckpointStore", "IdempotencyStore", "RetryLoop"],
  RateLimiter: ["Clock", "RatePolicy", "Cost"],
  CircuitBreaker: ["FailureCounter", "Window", "ThresholdPolicy", "Timer", "StateTransition"],
  ReactiveSensorSource: ["Observable"],
  PeripheralAdapter: ["Peripheral"],
  DuplexSensorPeripheral: ["RouteRef", "HandleInput"],
  RateMatchedSensor: ["Capacitor"],
};

describe("edge origins and the seed's own graph", () => {
  const seedKeys = new Set(SEED_EDGES.map(([from, to]) => `${from}>${to}`));

  it("keeps the 20 composite parts the seed's graph lacks in parts, not requires", () => {
    expect(Object.values(PART_ONLY).flat()).toHaveLength(20);
    for (const [name, parts] of Object.entries(PART_ONLY)) {
      for (const part of parts) {
        expect(getLego(name).parts, `${name} part ${part}`).toContain(part);
        expect(getLego(name).requires, `${name} requires ${part}`).not.toContain(part);
      }
    }
  });

  it("gives every edge its origin: seed exactly for the seed graph's edges, manyfold-rx for the others", () => {
    let seedEdges = 0;
    for (const lego of legos) {
      expect(lego.edges.map((edge) => edge.to), lego.name).toEqual(lego.requires);
      for (const edge of lego.edges) {
        const inSeed = seedKeys.has(`${lego.name}>${edge.to}`);
        expect(edge.origin, `${lego.name} → ${edge.to}`).toBe(inSeed ? "seed" : "manyfold-rx");
        if (inSeed) seedEdges++;
      }
    }
    expect(seedEdges).toBe(seedKeys.size);
    expect(getLego("SerialPortSource").edges).toContainEqual({ to: "RetryPolicy", origin: "manyfold-rx" });
    expect(getLego("RetryLoop").edges).toContainEqual({ to: "RetryPolicy", origin: "seed" });
  });

  it("answers the queries on the seed's graph alone with { graph: 'seed' }", () => {
    // BoundedRingBuffer → Buffer, Capacity, OverflowPolicy are the project's; the seed has RingBuffer → Capacity.
    expect(namesOf(dependenciesOf("BoundedRingBuffer"))).toEqual(["Buffer", "Capacity", "OverflowPolicy"]);
    expect(dependenciesOf("BoundedRingBuffer", { graph: "seed" })).toEqual([]);
    expect(namesOf(dependenciesOf("RetryLoop", { graph: "seed" }))).toEqual(namesOf(dependenciesOf("RetryLoop")));
    expect(namesOf(dependentsOf("Capacity", { graph: "seed" }))).not.toContain("BoundedRingBuffer");
    expect(namesOf(dependentsOf("Capacity"))).toContain("BoundedRingBuffer");
    for (const lego of legos) {
      const seedDeps = namesOf(dependenciesOf(lego.name, { graph: "seed" }));
      expect(seedDeps, lego.name).toEqual(codeUnitSorted([...new Set(SEED_EDGES.filter(([from]) => from === lego.name).map(([, to]) => to))]));
      const closure = namesOf(dependencyClosureOf(lego.name, { graph: "seed" }));
      for (const dep of closure) expect(namesOf(dependencyClosureOf(lego.name)), `${lego.name} closure`).toContain(dep);
    }
  });

  it("rejects a bad graph option", () => {
    expect(() => dependenciesOf("RetryLoop", { graph: "mine" as never })).toThrow(RangeError);
    expect(() => dependenciesOf("RetryLoop", null as never)).toThrow(TypeError);
  });
});
