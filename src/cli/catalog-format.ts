import { PROPERTY_LAWS, legosDeclaring } from "../atom/properties.js";
import { isImplemented, type CatalogStatus, type Lego } from "../catalog/index.js";

/** Plain-text views of catalog data for `manyfold catalog`. */

const WIDTH = 80;

/** Fills `text` into lines of at most `width` columns, each starting with `indent`. */
export function wrap(text: string, indent = "  ", width = WIDTH): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter((w) => w.length > 0)) {
    if (line !== "" && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  if (line !== "") lines.push(indent + line);
  return lines;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)));
  const render = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join("  ")
      .trimEnd();
  return [render(header), ...rows.map(render)];
}

/** `list`: one row per lego with layer, role and implementing exports. */
export function formatLegoTable(legos: readonly Lego[]): string {
  const rows = legos.map((lego) => [lego.name, lego.layer, lego.role, lego.implementedBy?.join(", ") ?? ""]);
  const implemented = legos.filter(isImplemented).length;
  const noun = legos.length === 1 ? "lego" : "legos";
  return [...table(["NAME", "LAYER", "ROLE", "IMPLEMENTED BY"], rows), "", `${legos.length} ${noun}, ${implemented} implemented`, ""].join("\n");
}

/** `deps`, `dependents`: one lego per line with its layer and a ✓ when implemented. */
export function formatNameList(legos: readonly Lego[], empty: string): string {
  if (legos.length === 0) return `${empty}\n`;
  const width = Math.max(...legos.map((lego) => lego.name.length));
  const lines = legos.map((lego) => `${lego.name.padEnd(width)}  ${lego.layer.padEnd(11)}${isImplemented(lego) ? "  ✓" : ""}`.trimEnd());
  return `${lines.join("\n")}\n`;
}

function listOrDash(items: readonly string[]): string {
  return items.length === 0 ? "—" : items.join(", ");
}

function section(title: string, text: string): string[] {
  return [`${title}:`, ...wrap(text)];
}

function bullets(title: string, items: readonly string[]): string[] {
  if (items.length === 0) return [`${title}: —`];
  return [`${title}:`, ...items.flatMap((item) => wrap(item, "    ").map((line, i) => (i === 0 ? `  - ${line.slice(4)}` : line)))];
}

/** `show`: every field of one lego, plus the legos that require it. */
export function formatLego(lego: Lego, dependents: readonly Lego[]): string {
  const origin = lego.origin === "seed" ? "seed catalog" : "added by manyfold-rx";
  const lines = [
    lego.name,
    `  layer ${lego.layer} · role ${lego.role} · ${origin}`,
    `  families: ${listOrDash(lego.families)}`,
    ...(lego.group === undefined ? [] : [`  group: ${lego.group}`]),
    `  implemented by: ${lego.implementedBy === undefined ? "— (catalog only)" : lego.implementedBy.join(", ")}`,
    "",
    ...section("contract", lego.contract),
    "",
    `requires: ${listOrDash(lego.requires)}`,
    ...(lego.parts.length === 0 ? [] : [`composite of: ${lego.parts.join(" + ")}`]),
    `provides: ${listOrDash(lego.provides)}`,
    `required by: ${listOrDash(dependents.map((d) => d.name))}`,
    "",
    ...bullets("inputs", lego.inputs),
    ...bullets("outputs", lego.outputs),
    "",
    ...section("state", lego.state),
    "",
    ...section("failure semantics", lego.failureSemantics),
    "",
    ...section("composition", lego.compositionRules),
    "",
    ...bullets("operational knobs", lego.operationalKnobs),
  ];
  return `${lines.join("\n")}\n`;
}

/** `status`: implemented / catalog-only / total per layer, then overall. */
export function formatStatus(status: CatalogStatus): string {
  const row = (label: string, implemented: number, total: number): string[] => [
    label,
    String(implemented),
    String(total - implemented),
    String(total),
  ];
  const rows = [...status.layers.map((l) => row(l.layer, l.implemented, l.total)), row("all", status.implemented, status.total)];
  const header = ["LAYER", "IMPLEMENTED", "CATALOG-ONLY", "TOTAL"];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((r) => (r[column] ?? "").length)));
  const render = (cells: readonly string[]): string =>
    cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[0] ?? 0) : cell.padStart(widths[column] ?? 0))).join("  ");
  const lines = [render(header), ...rows.slice(0, -1).map(render), "-".repeat(render(header).length), render(rows.at(-1) ?? [])];
  return `${lines.join("\n")}\n\n${status.implemented}/${status.total} legos implemented\n`;
}

/** `show` for a property: the law in manyfold-rx/testing that checks it and the legos that declare it. */
export function formatPropertyLaw(property: string): string {
  const law = PROPERTY_LAWS[property];
  return [
    "",
    ...section("Law (manyfold-rx/testing)", law ?? "none yet: no law checks this property"),
    `Declared by: ${listOrDash(legosDeclaring(property))}`,
    "",
  ].join("\n");
}
