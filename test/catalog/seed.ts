import { readFileSync } from "node:fs";

/**
 * Reads the seed catalog (a verbatim copy of ../shared/seed-catalog.md in
 * fixtures/) so the tests check the typed catalog against the seed's own
 * text rather than a hand-made list.
 */
const text = readFileSync(new URL("./fixtures/seed-catalog.md", import.meta.url), "utf8");

function sectionOf(heading: string): string {
  const start = text.indexOf(`\n${heading}\n`);
  if (start === -1) throw new Error(`seed has no section ${heading}`);
  const rest = text.slice(start + heading.length + 2);
  const level = /^#+/.exec(heading)?.[0] ?? "##";
  const end = rest.search(new RegExp(`\\n#{1,${level.length}} `));
  return end === -1 ? rest : rest.slice(0, end);
}

function backticked(source: string): string[] {
  return [...source.matchAll(/`([A-Za-z][A-Za-z0-9]*)`/g)].map((m) => m[1] ?? "");
}

/** `### Family` → its backticked names. */
export const SEED_FAMILIES: ReadonlyMap<string, readonly string[]> = new Map(
  sectionOf("## Lowered Families")
    .split(/^### /m)
    .slice(1)
    .map((block) => {
      const newline = block.indexOf("\n");
      return [block.slice(0, newline).trim(), backticked(block.slice(newline))] as const;
    }),
);

/** Every `A --> B` edge of the Core Dependency Graph. */
export const SEED_EDGES: readonly (readonly [string, string])[] = [
  ...sectionOf("## Core Dependency Graph").matchAll(/^\s+(\w+) --> (\w+)\s*$/gm),
].map((m) => [m[1] ?? "", m[2] ?? ""] as const);

/** Non-name parts of the expansions and the legos DESIGN.md maps them to. */
const PART_NAMES: Readonly<Record<string, readonly string[]>> = {
  "Peripheral.observe": ["Peripheral"],
  "control RouteRef": ["RouteRef"],
  handle_input: ["HandleInput"],
  "Graph capacitor behavior": ["Graph", "Capacitor"],
};

/** `- \`X = A + B\`.` → X → [A, B] (mapped names, seed order). */
export const SEED_COMPOSITES: ReadonlyMap<string, readonly string[]> = new Map(
  [...sectionOf("## Composite Expansions").matchAll(/^- `(\w+) = ([^`]+)`/gm)].map((m) => [
    m[1] ?? "",
    (m[2] ?? "").split(" + ").flatMap((part) => PART_NAMES[part.trim()] ?? [part.trim()]),
  ]),
);

/** The names the Local Sensor IO Implementation Slice lists. */
export const SEED_SLICE: readonly string[] = backticked(
  sectionOf("## Local Sensor IO Implementation Slice").split("\n\n").slice(0, 2).join("\n"),
);

/** Every name the seed introduces: families, graph nodes, composites and their parts, the slice. */
export const SEED_NAMES: ReadonlySet<string> = new Set([
  ...[...SEED_FAMILIES.values()].flat(),
  ...SEED_EDGES.flat(),
  ...SEED_COMPOSITES.keys(),
  ...[...SEED_COMPOSITES.values()].flat(),
  ...SEED_SLICE,
]);
