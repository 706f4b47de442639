import { APPLICATION } from "./legos/application.js";
import { ATOMS } from "./legos/atoms.js";
import { CAPABILITIES } from "./legos/capabilities.js";
import { CIRCUIT_BREAKER } from "./legos/circuit-breaker.js";
import { DISTRIBUTED } from "./legos/distributed.js";
import { DURABLE } from "./legos/durable.js";
import { HANDOFF } from "./legos/handoff.js";
import { LOCAL_FLOW } from "./legos/local-flow.js";
import { LOCAL_FRAMING } from "./legos/local-framing.js";
import { LOCAL_PROCESSING } from "./legos/local-processing.js";
import { LOCAL_RUNTIME } from "./legos/local-runtime.js";
import { OBSERVABILITY } from "./legos/observability.js";
import { POLICIES } from "./legos/policies.js";
import { PROPERTIES } from "./legos/properties.js";
import { SENSOR } from "./legos/sensor.js";
import { IMPLEMENTED_BY } from "./implemented.js";
import { isSeedEdge } from "./seed-graph.js";
import type { Lego, LegoEntry } from "./types.js";

/**
 * Every entry of every data file, as written. Kept separate from the index
 * so that the validation tests can see a duplicate name the index would
 * hide.
 * @internal
 */
export const CATALOG_ENTRIES: readonly LegoEntry[] = [
  ...ATOMS,
  ...OBSERVABILITY,
  ...POLICIES,
  ...PROPERTIES,
  ...CAPABILITIES,
  ...LOCAL_RUNTIME,
  ...LOCAL_FLOW,
  ...LOCAL_PROCESSING,
  ...LOCAL_FRAMING,
  ...CIRCUIT_BREAKER,
  ...HANDOFF,
  ...DURABLE,
  ...DISTRIBUTED,
  ...APPLICATION,
  ...SENSOR,
];

function toLego(entry: LegoEntry): Lego {
  const { parts = [], origin = "seed", ...fields } = entry;
  const implementedBy = IMPLEMENTED_BY[entry.name];
  const lego: Lego = {
    ...fields,
    edges: fields.requires.map((to) => ({ to, origin: isSeedEdge(entry.name, to) ? "seed" : "manyfold-rx" })),
    parts,
    origin,
    ...(implementedBy === undefined ? {} : { implementedBy }),
  };
  return deepFreeze(lego);
}

function deepFreeze<T extends object>(value: T): T {
  for (const field of Object.values(value)) {
    if (typeof field === "object" && field !== null && !Object.isFrozen(field)) deepFreeze(field as object);
  }
  return Object.freeze(value);
}

function buildIndex(entries: readonly LegoEntry[]): ReadonlyMap<string, Lego> {
  const index = new Map<string, Lego>();
  for (const entry of entries) if (!index.has(entry.name)) index.set(entry.name, toLego(entry));
  return index;
}

/**
 * The catalog by name, in code-unit order of names (the first entry wins a
 * duplicate name, which the validation tests forbid).
 * @internal
 */
export const CATALOG: ReadonlyMap<string, Lego> = buildIndex(
  [...CATALOG_ENTRIES].sort((a, b) => compareNames(a.name, b.name)),
);

/** Plain code-unit order, the catalog's one ordering of names. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
