/**
 * Keeps the README's generated parts true: the table of implemented legos
 * and the catalog graph come from the catalog data, and the example code is
 * the real file. `npm run docs` rewrites them; test/readme.test.ts fails
 * when the README has drifted.
 *
 * A generated part sits between `<!-- generated:NAME -->` and
 * `<!-- /generated:NAME -->`.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { allLegos, toMermaid, type Lego } from "../src/index.js";

const root = fileURLToPath(new URL("../", import.meta.url));
export const README = `${root}README.md`;

/** The seed's Local Sensor IO slice, as catalog names. */
export const SLICE = [
  "LocalSensorSource",
  "ReactiveSensorSource",
  "DuplexSensorPeripheral",
  "RateMatchedSensor",
  "SensorHealthWatchdog",
  "LocalDurableSpool",
  "JsonEventDecoder",
  "DelimitedMessageBuffer",
  "ThresholdFilter",
  "FrameAssembler",
  "DoubleBuffer",
  "XorChecksum",
  "SensorDebugTap",
  "BoundedRingBuffer",
  "ManualClock",
  "SystemClock",
];

/** The first sentence of a contract, for a one-line table cell. */
function firstSentence(text: string): string {
  const end = text.search(/\.(\s|$)/);
  const sentence = end === -1 ? text : text.slice(0, end + 1);
  return sentence.replace(/\|/g, "\\|").replace(/\s+/g, " ");
}

function legoTable(legos: readonly Lego[]): string {
  const rows = legos
    .filter((lego) => (lego.implementedBy ?? []).length > 0)
    .map((lego) => `| ${lego.name} | ${lego.layer} | ${(lego.implementedBy ?? []).map((name) => `\`${name}\``).join(", ")} | ${firstSentence(lego.contract)} |`);
  return ["| Catalog lego | Layer | Export | Contract |", "| --- | --- | --- | --- |", ...rows].join("\n");
}

function codeBlock(path: string, language = "ts"): string {
  return `\`\`\`${language}\n${readFileSync(`${root}${path}`, "utf8").trimEnd()}\n\`\`\``;
}

/** Every generated part, by name. */
export function generatedSections(): Record<string, string> {
  return {
    "lego-table": legoTable(allLegos()),
    "catalog-graph": `\`\`\`mermaid\n${toMermaid(SLICE).trimEnd()}\n\`\`\``,
    "example-pipeline": codeBlock("examples/sensor-pipeline.ts"),
    "example-marble-test": codeBlock("test/examples/sensor-pipeline.test.ts"),
    "example-testing-kit": codeBlock("test/examples/testing-kit.test.ts"),
  };
}

/** `text` with every generated part replaced by its current content. */
export function regenerate(text: string): string {
  let result = text;
  for (const [name, content] of Object.entries(generatedSections())) {
    const open = `<!-- generated:${name} -->`;
    const close = `<!-- /generated:${name} -->`;
    const start = result.indexOf(open);
    const end = result.indexOf(close);
    if (start === -1 || end < start) throw new Error(`README has no ${open} … ${close} block`);
    result = `${result.slice(0, start + open.length)}\n${content}\n${result.slice(end)}`;
  }
  return result;
}

if (import.meta.url === `file://${process.argv[1] ?? ""}`) {
  const before = readFileSync(README, "utf8");
  const after = regenerate(before);
  if (process.argv.includes("--check")) {
    if (after !== before) {
      console.error("README.md is out of date: run npm run docs");
      process.exitCode = 1;
    }
  } else {
    writeFileSync(README, after);
    console.log(after === before ? "README.md is up to date" : "README.md regenerated");
  }
}
