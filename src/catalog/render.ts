import { compareNames } from "./catalog.js";
import { allLegos, dependencyClosureOf, getLego, graphOption, isImplemented, requiresIn } from "./queries.js";
import { LAYERS, type CatalogGraph, type CatalogGraphOptions, type Layer, type Lego, type LegoOrigin } from "./types.js";

/**
 * Renderers of the dependency graph. Both draw `A → B` for "A requires B"
 * (the seed's convention), one subgraph per layer in layer order, and mark
 * the legos this library implements (a ✓ in the label plus a distinct
 * style). Edges this project added beyond the seed's graph are drawn
 * dashed; `{ graph: "seed" }` draws the seed's own graph alone (seed legos
 * and seed edges).
 */

/** The mark appended to the label of an implemented lego. */
const IMPLEMENTED_MARK = " ✓";

interface GraphView {
  readonly byLayer: readonly { readonly layer: Layer; readonly legos: readonly Lego[] }[];
  readonly edges: readonly (readonly [from: string, to: string, origin: LegoOrigin])[];
}

/**
 * The legos to draw: all of them when `names` is omitted or empty, else each
 * named lego with its dependency closure. Unknown names throw as `getLego` does.
 */
function viewOf(names: readonly string[] | undefined, graph: CatalogGraph): GraphView {
  const legos =
    names === undefined || names.length === 0
      ? allLegos().filter((lego) => graph === "all" || lego.origin === "seed")
      : subsetWithClosure(names, graph);
  const included = new Set(legos.map((lego) => lego.name));
  const byLayer = LAYERS.map((layer) => ({ layer, legos: legos.filter((lego) => lego.layer === layer) })).filter(
    (group) => group.legos.length > 0,
  );
  const edges = legos.flatMap((lego) =>
    [...requiresIn(lego, graph)]
      .filter((dep) => included.has(dep))
      .sort(compareNames)
      .map((dep) => [lego.name, dep, lego.edges.find((edge) => edge.to === dep)?.origin ?? "manyfold-rx"] as const),
  );
  return { byLayer, edges };
}

function subsetWithClosure(names: readonly string[], graph: CatalogGraph): Lego[] {
  const given: unknown = names;
  if (!Array.isArray(given)) throw new TypeError("names must be an array of lego names");
  const members = new Map<string, Lego>();
  for (const name of names) {
    members.set(name, getLego(name));
    for (const dep of dependencyClosureOf(name, { graph })) members.set(dep.name, dep);
  }
  return [...members.values()].sort((a, b) => compareNames(a.name, b.name));
}

function label(lego: Lego): string {
  return isImplemented(lego) ? `${lego.name}${IMPLEMENTED_MARK}` : lego.name;
}

/**
 * The dependency graph as a Mermaid flowchart: `graph TD`, one subgraph per
 * layer, implemented legos labelled with ✓ and styled with class
 * `implemented`; seed edges are solid (`-->`), edges this project added
 * dashed (`-.->`).
 *
 * ## Example
 * ```ts
 * toMermaid(["RetryLoop"]); // RetryLoop, its dependencies and theirs
 * toMermaid([], { graph: "seed" }); // the seed's own graph alone
 * ```
 * @param names legos to draw with their dependency closure; all legos when omitted or empty.
 */
export function toMermaid(names?: readonly string[], options?: CatalogGraphOptions): string {
  const view = viewOf(names, graphOption(options));
  const lines = ["graph TD"];
  for (const { layer, legos } of view.byLayer) {
    lines.push(`  subgraph layer_${layer}["${layer}"]`);
    for (const lego of legos) lines.push(`    ${lego.name}["${label(lego)}"]`);
    lines.push("  end");
  }
  for (const [from, to, origin] of view.edges) lines.push(`  ${from} ${origin === "seed" ? "-->" : "-.->"} ${to}`);
  const implemented = view.byLayer.flatMap((group) => group.legos.filter(isImplemented).map((lego) => lego.name));
  lines.push("  classDef implemented fill:#d7f5dd,stroke:#1b7f3b,stroke-width:2px");
  if (implemented.length > 0) lines.push(`  class ${implemented.join(",")} implemented`);
  return `${lines.join("\n")}\n`;
}

/**
 * The dependency graph in Graphviz DOT: one `cluster_<layer>` subgraph per
 * layer; implemented legos are filled green, double-bordered and labelled
 * with ✓; edges this project added beyond the seed's graph are dashed.
 *
 * @param names legos to draw with their dependency closure; all legos when omitted or empty.
 */
export function toDot(names?: readonly string[], options?: CatalogGraphOptions): string {
  const view = viewOf(names, graphOption(options));
  const lines = [
    "digraph catalog {",
    "  // A -> B: A requires B (solid: the seed's graph; dashed: added by manyfold-rx). Implemented legos: green fill, double border, ✓.",
    "  rankdir=LR;",
    '  node [shape=box, fontname="Helvetica"];',
  ];
  for (const { layer, legos } of view.byLayer) {
    lines.push(`  subgraph cluster_${layer} {`, `    label="${layer}";`);
    for (const lego of legos) {
      const attributes = isImplemented(lego)
        ? `label="${label(lego)}", style=filled, fillcolor="#d7f5dd", peripheries=2`
        : `label="${label(lego)}"`;
      lines.push(`    "${lego.name}" [${attributes}];`);
    }
    lines.push("  }");
  }
  for (const [from, to, origin] of view.edges) lines.push(`  "${from}" -> "${to}"${origin === "seed" ? "" : " [style=dashed]"};`);
  lines.push("}");
  return `${lines.join("\n")}\n`;
}
