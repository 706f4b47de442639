/**
 * The shape of a catalog entry: the component schema of seed-catalog.md
 * (`name, role, layer, contract, requires, provides, inputs, outputs, state,
 * failureSemantics, compositionRules, operationalKnobs, group?`) plus where
 * the entry comes from, the seed families that list it, its composite parts
 * and, when this library implements it, the exports that do.
 */

/**
 * The eight dependency categories of the seed catalog. They are not a stack:
 * a lego may require one from any layer, and the layer says what kind of
 * concept it is, not how hard it is to build.
 */
export const LAYERS = Object.freeze([
  "atom",
  "policy",
  "property",
  "capability",
  "local",
  "durable",
  "distributed",
  "application",
] as const);

export type Layer = (typeof LAYERS)[number];

/** A lego's primary purpose; `legosByRole` filters on it. */
export const ROLES = Object.freeze([
  "control",
  "coordination",
  "data",
  "execution",
  "flow",
  "handoff",
  "identity",
  "ingestion",
  "integrity",
  "observability",
  "persistence",
  "processing",
  "recovery",
  "replication",
  "routing",
  "security",
  "time",
] as const);

export type Role = (typeof ROLES)[number];

/**
 * The "Lowered Families" headings of the seed catalog, plus `Sensor IO` for
 * the legos of the seed's Local Sensor IO slice that no family lists, and
 * `Framing` for the framers this project adds (length-prefixed, idle gap,
 * fixed length, pattern, ready gate).
 */
export const FAMILIES = Object.freeze([
  "Atoms",
  "Policies",
  "Properties",
  "Capabilities",
  "Local Runtime",
  "Durable State",
  "Communication And Handoff",
  "Flow Control",
  "Membership And Coordination",
  "Routing, Partitioning, And Replication",
  "Workflow And Control Plane",
  "Observability",
  "Sensor IO",
  "Framing",
] as const);

export type Family = (typeof FAMILIES)[number];

/** `seed` for names in seed-catalog.md, `manyfold-rx` for legos this project adds. */
export type LegoOrigin = "seed" | "manyfold-rx";

/**
 * One edge of the dependency graph as a lego records it: `to` is required,
 * and `origin` says whether the seed's own graph has the edge (`"seed"`) or
 * this project added it (`"manyfold-rx"`).
 */
export interface LegoEdge {
  readonly to: string;
  readonly origin: LegoOrigin;
}

/**
 * Which edges a graph query or renderer follows: `"all"` (the seed's and the
 * project's) or `"seed"` (the seed's own graph alone: seed legos and seed edges).
 */
export type CatalogGraph = "all" | "seed";

/** Options of the graph queries and renderers. */
export interface CatalogGraphOptions {
  /** `"seed"` follows only the seed's own edges (and, for whole-graph views, only seed legos). @default "all" */
  readonly graph?: CatalogGraph;
}

/** One lego of the catalog, as the queries return it (deeply frozen). */
export interface Lego {
  /** Conceptual component name, PascalCase, unique in the catalog. */
  readonly name: string;
  /** Primary purpose. */
  readonly role: Role;
  /** Dependency category (one of {@link LAYERS}). */
  readonly layer: Layer;
  /** Seed families that list this name; several for shared names, none for composite-only parts. */
  readonly families: readonly Family[];
  /** What callers can rely on. */
  readonly contract: string;
  /** Lower-level legos it needs (names; the dependency graph's edges, the seed's and the project's). */
  readonly requires: readonly string[];
  /** `requires` with each edge's origin, in the same order. */
  readonly edges: readonly LegoEdge[];
  /** Capability, property or lego names it offers to whoever uses it. */
  readonly provides: readonly string[];
  /** Data, signals, policies or events it consumes. */
  readonly inputs: readonly string[];
  /** Data, signals, state or events it emits. */
  readonly outputs: readonly string[];
  /** What it remembers. */
  readonly state: string;
  /** Behaviour across crash, retry, timeout, duplicate, partition or stale ownership. */
  readonly failureSemantics: string;
  /** Legos it commonly connects to, and how. */
  readonly compositionRules: string;
  /** Limits, timeouts, retries, durability, consistency, retention, priority and fairness settings. */
  readonly operationalKnobs: readonly string[];
  /** For legos a seed composite expansion introduces: the composite that assembles them. */
  readonly group?: string;
  /** The seed's composite expansion of this lego (names), `[]` when it is not a composite. */
  readonly parts: readonly string[];
  /** Where the name comes from. */
  readonly origin: LegoOrigin;
  /** The package-root value exports that implement this lego, when this library implements it. */
  readonly implementedBy?: readonly string[];
}

/**
 * A catalog entry as written in the data files: `parts` defaults to `[]`,
 * `origin` to `"seed"`, and `implementedBy` comes from `implemented.ts`.
 */
export type LegoEntry = Omit<Lego, "parts" | "origin" | "implementedBy" | "edges"> & {
  readonly parts?: readonly string[];
  readonly origin?: LegoOrigin;
};
