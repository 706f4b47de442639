import { LegoError } from "../atom/lego-error.js";
import { requireOneOf, requireString } from "../atom/validate.js";
import { CATALOG, compareNames } from "./catalog.js";
import { LAYERS, ROLES, type CatalogGraph, type CatalogGraphOptions, type Layer, type Lego, type Role } from "./types.js";

const GRAPHS: readonly CatalogGraph[] = ["all", "seed"];

/** The `graph` option, validated. @internal */
export function graphOption(options: CatalogGraphOptions | undefined): CatalogGraph {
  if (options === undefined) return "all";
  if (typeof options !== "object" || (options as unknown) === null) throw new TypeError("options must be an object");
  return options.graph === undefined ? "all" : requireOneOf("graph", options.graph, GRAPHS);
}

/** The names `lego` requires in `graph`: every edge, or only the seed's. @internal */
export function requiresIn(lego: Lego, graph: CatalogGraph): readonly string[] {
  return graph === "all" ? lego.requires : lego.edges.filter((edge) => edge.origin === "seed").map((edge) => edge.to);
}

/**
 * Graph queries over the catalog. Every query returns frozen `Lego` objects
 * sorted by name in plain code-unit order, except the dependency closure,
 * which is in dependency-first order.
 */

/** Every lego of the catalog, sorted by name. */
export function allLegos(): Lego[] {
  return [...CATALOG.values()];
}

/**
 * The lego called `name` (exact, case-sensitive).
 *
 * @throws TypeError when `name` is not a string.
 * @throws LegoError `UNKNOWN_LEGO` when no lego has that name; the message
 * suggests the closest names (see {@link suggestLegoNames}).
 */
export function getLego(name: string): Lego {
  requireString("name", name);
  const lego = CATALOG.get(name);
  if (lego === undefined) throw new LegoError("UNKNOWN_LEGO", unknownLegoMessage(name));
  return lego;
}

/**
 * The legos `name` requires directly, sorted by name; with
 * `{ graph: "seed" }` only along the seed's own edges.
 */
export function dependenciesOf(name: string, options?: CatalogGraphOptions): Lego[] {
  const graph = graphOption(options);
  return sortedLegos(requiresIn(getLego(name), graph));
}

/**
 * Everything `name` requires, directly or transitively, dependency-first:
 * Kahn's algorithm over the closure, taking the smallest available name at
 * each step. The lego itself is not included; no name appears twice.
 * With `{ graph: "seed" }` only the seed's own edges are followed.
 */
export function dependencyClosureOf(name: string, options?: CatalogGraphOptions): Lego[] {
  const graph = graphOption(options);
  const closure = transitiveRequires(getLego(name), graph);
  closure.delete(name);
  return topologicalOrder(closure, graph).map((member) => getLego(member));
}

/**
 * The legos that require `name` directly, sorted by name; with
 * `{ graph: "seed" }` only along the seed's own edges.
 */
export function dependentsOf(name: string, options?: CatalogGraphOptions): Lego[] {
  const graph = graphOption(options);
  getLego(name);
  return allLegos().filter((lego) => requiresIn(lego, graph).includes(name));
}

/**
 * The legos of one layer, sorted by name.
 * @throws RangeError when `layer` is not one of {@link LAYERS}.
 */
export function legosByLayer(layer: Layer): Lego[] {
  requireOneOf("layer", layer, LAYERS);
  return allLegos().filter((lego) => lego.layer === layer);
}

/**
 * The legos with one role, sorted by name.
 * @throws RangeError when `role` is not one of {@link ROLES}.
 */
export function legosByRole(role: Role): Lego[] {
  requireOneOf("role", role, ROLES);
  return allLegos().filter((lego) => lego.role === role);
}

/**
 * The parts of a composite lego (the seed's "Composite Expansions"), sorted
 * by name; `[]` for a lego that is not a composite. `Lego.parts` keeps the
 * seed's order.
 */
export function compositeOf(name: string): Lego[] {
  return sortedLegos(getLego(name).parts);
}

/** Implemented and total lego counts of one layer. */
export interface LayerStatus {
  readonly layer: Layer;
  readonly implemented: number;
  readonly total: number;
}

/** How much of the catalog this library implements, per layer and overall. */
export interface CatalogStatus {
  readonly layers: readonly LayerStatus[];
  readonly implemented: number;
  readonly total: number;
}

/** Implemented versus catalog-only counts, per layer (in {@link LAYERS} order) and overall. */
export function catalogStatus(): CatalogStatus {
  const legos = allLegos();
  const layers = LAYERS.map((layer) => {
    const inLayer = legos.filter((lego) => lego.layer === layer);
    return { layer, implemented: inLayer.filter(isImplemented).length, total: inLayer.length };
  });
  return {
    layers,
    implemented: legos.filter(isImplemented).length,
    total: legos.length,
  };
}

/** True when this library implements `lego` (it names exports in `implementedBy`). */
export function isImplemented(lego: Lego): boolean {
  return lego.implementedBy !== undefined && lego.implementedBy.length > 0;
}

/**
 * Catalog names close to `name`, best first: a case-insensitive match, then
 * names within a small edit distance (transpositions count once), then names
 * containing `name`. At most `limit` names.
 */
export function suggestLegoNames(name: string, limit = 3): string[] {
  const wanted = name.toLowerCase();
  const maxDistance = Math.max(1, Math.floor(wanted.length / 3));
  const ranked: { name: string; rank: number }[] = [];
  for (const candidate of CATALOG.keys()) {
    const lower = candidate.toLowerCase();
    if (lower === wanted) {
      ranked.push({ name: candidate, rank: 0 });
      continue;
    }
    const distance = editDistance(wanted, lower);
    if (distance <= maxDistance) ranked.push({ name: candidate, rank: distance });
    else if (wanted.length >= 3 && lower.includes(wanted)) {
      // Prefer a match that starts a PascalCase word ("Ring" → RingBuffer before OrderingPolicy).
      const wordPenalty = startsAWord(candidate, wanted) ? 0 : 1000;
      ranked.push({ name: candidate, rank: maxDistance + 1 + wordPenalty + lower.length - wanted.length });
    }
  }
  ranked.sort((a, b) => a.rank - b.rank || compareNames(a.name, b.name));
  return ranked.slice(0, limit).map((entry) => entry.name);
}

/** True when `part` occurs in `name` (case-insensitively) starting at a capital letter. */
function startsAWord(name: string, part: string): boolean {
  const lower = name.toLowerCase();
  for (let at = lower.indexOf(part); at !== -1; at = lower.indexOf(part, at + 1)) {
    const first = name.charAt(at);
    if (first !== first.toLowerCase()) return true;
  }
  return false;
}

function unknownLegoMessage(name: string): string {
  const suggestions = suggestLegoNames(name);
  const shown = JSON.stringify(name);
  if (suggestions.length === 0) return `unknown lego ${shown}; no catalog name is close to it`;
  return `unknown lego ${shown}; did you mean ${suggestions.map((s) => JSON.stringify(s)).join(", ")}?`;
}

function sortedLegos(names: readonly string[]): Lego[] {
  return [...new Set(names)].sort(compareNames).map((name) => getLego(name));
}

function transitiveRequires(start: Lego, graph: CatalogGraph): Set<string> {
  const seen = new Set<string>();
  const pending = [...requiresIn(start, graph)];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (seen.has(next)) continue;
    seen.add(next);
    pending.push(...requiresIn(getLego(next), graph));
  }
  return seen;
}

/** Kahn's algorithm restricted to `members`, smallest available name first. */
function topologicalOrder(members: ReadonlySet<string>, graph: CatalogGraph): string[] {
  const waitingOn = new Map<string, number>();
  for (const member of members) {
    waitingOn.set(member, requiresIn(getLego(member), graph).filter((dep) => members.has(dep)).length);
  }
  const order: string[] = [];
  while (waitingOn.size > 0) {
    let next: string | undefined;
    for (const [member, count] of waitingOn) {
      if (count === 0 && (next === undefined || member < next)) next = member;
    }
    if (next === undefined) throw new Error(`dependency cycle among ${[...waitingOn.keys()].sort(compareNames).join(", ")}`);
    waitingOn.delete(next);
    order.push(next);
    for (const [member, count] of waitingOn) {
      if (requiresIn(getLego(member), graph).includes(next)) waitingOn.set(member, count - 1);
    }
  }
  return order;
}

/** Optimal string alignment distance: insert, delete, substitute, swap neighbours. */
function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  const at = (i: number, j: number): number => d[i * cols + j] ?? 0;
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      d[i * cols + j] = best;
    }
  }
  return at(a.length, b.length);
}
