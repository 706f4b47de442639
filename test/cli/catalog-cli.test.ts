import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  LAYERS,
  allLegos,
  catalogStatus,
  dependenciesOf,
  dependencyClosureOf,
  dependentsOf,
  getLego,
  legosByLayer,
  legosByRole,
  toDot,
  toMermaid,
  type Lego,
} from "../../src/index.js";
import { compileCli, runCompiledCli, type CliResult, type CompiledCli } from "./run-cli.js";

/** Each test spawns the real CLI (compiled once for the file); they run concurrently. */

let cli: CompiledCli | undefined;
beforeAll(() => {
  cli = compileCli();
});
afterAll(() => {
  cli?.dispose();
});

function runManyfold(...args: string[]): Promise<CliResult> {
  if (cli === undefined) throw new Error("the CLI was not compiled");
  return runCompiledCli(cli.main, args);
}

const namesOf = (legos: readonly Lego[]): string[] => legos.map((lego) => lego.name);

/** The first column of a text listing, without the header and the summary line. */
function listedNames(stdout: string): string[] {
  return stdout
    .split("\n")
    .slice(1)
    .filter((line) => /^[A-Z]\w*\s/.test(line))
    .map((line) => line.split(/\s+/)[0] ?? "");
}

/** The names of a deps/dependents listing (one lego per line). */
function lineNames(stdout: string): string[] {
  return stdout
    .trimEnd()
    .split("\n")
    .map((line) => line.split(/\s+/)[0] ?? "");
}

describe.concurrent("manyfold catalog status", () => {
  it("prints implemented, catalog-only and total per layer and overall", async () => {
    const { code, stdout, stderr } = await runManyfold("catalog", "status");
    expect(code).toBe(0);
    expect(stderr).toBe("");
    const status = catalogStatus();
    for (const { layer, implemented, total } of status.layers) {
      expect(stdout).toMatch(new RegExp(`^${layer}\\s+${implemented}\\s+${total - implemented}\\s+${total}$`, "m"));
    }
    expect(stdout).toMatch(new RegExp(`^all\\s+${status.implemented}\\s+${status.total - status.implemented}\\s+${status.total}$`, "m"));
    expect(stdout).toContain(`${status.implemented}/${status.total} legos implemented`);
  });

  it("prints the same counts as JSON with --json", async () => {
    const { code, stdout } = await runManyfold("catalog", "status", "--json");
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual(catalogStatus());
  });
});

describe.concurrent("manyfold catalog list", () => {
  it("lists every lego sorted by name with a count", async () => {
    const { code, stdout } = await runManyfold("catalog", "list");
    expect(code).toBe(0);
    expect(stdout.split("\n")[0]).toMatch(/^NAME\s+LAYER\s+ROLE\s+IMPLEMENTED BY$/);
    expect(listedNames(stdout)).toEqual(namesOf(allLegos()));
    expect(stdout).toContain(`${allLegos().length} legos, ${catalogStatus().implemented} implemented`);
    expect(stdout).toMatch(/^RetryLoop\s+local\s+recovery\s+retryWithBackoff, retryLoop, retryRunner$/m);
  });

  it("filters by --layer and --role, in both option forms", async () => {
    const [byLayer, byRole, both] = await Promise.all([
      runManyfold("catalog", "list", "--layer", "durable"),
      runManyfold("catalog", "list", "--role=flow"),
      runManyfold("catalog", "list", "--layer=local", "--role", "flow"),
    ]);
    expect(listedNames(byLayer.stdout)).toEqual(namesOf(legosByLayer("durable")));
    expect(listedNames(byRole.stdout)).toEqual(namesOf(legosByRole("flow")));
    expect(listedNames(both.stdout)).toEqual(namesOf(legosByLayer("local").filter((lego) => lego.role === "flow")));
  });

  it("lists only implemented or only catalog-only legos", async () => {
    const [implemented, catalogOnly] = await Promise.all([
      runManyfold("catalog", "list", "--implemented"),
      runManyfold("catalog", "list", "--catalog-only"),
    ]);
    expect(listedNames(implemented.stdout)).toEqual(namesOf(allLegos().filter((lego) => lego.implementedBy !== undefined)));
    expect(listedNames(catalogOnly.stdout)).toEqual(namesOf(allLegos().filter((lego) => lego.implementedBy === undefined)));
  });

  it("prints full lego objects with --json", async () => {
    const { code, stdout } = await runManyfold("catalog", "list", "--json", "--layer", "application");
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual(legosByLayer("application"));
  });

  it("exits 2 on an unknown layer or role, naming the allowed values", async () => {
    const [layer, role] = await Promise.all([
      runManyfold("catalog", "list", "--layer", "network"),
      runManyfold("catalog", "list", "--role", "magic"),
    ]);
    expect(layer.code).toBe(2);
    expect(layer.stdout).toBe("");
    expect(layer.stderr).toContain(`unknown layer "network" (expected one of: ${LAYERS.join(", ")})`);
    expect(role.code).toBe(2);
    expect(role.stderr).toContain('unknown role "magic"');
  });

  it("exits 2 on an unknown flag, a missing value, a repeated option or conflicting flags", async () => {
    const results = await Promise.all([
      runManyfold("catalog", "list", "--bogus"),
      runManyfold("catalog", "list", "--layer"),
      runManyfold("catalog", "list", "--layer", "atom", "--layer", "local"),
      runManyfold("catalog", "list", "--implemented", "--catalog-only"),
      runManyfold("catalog", "list", "-x"),
      runManyfold("catalog", "list", "--json=yes"),
      runManyfold("catalog", "list", "extra"),
    ]);
    for (const result of results) {
      expect(result.code).toBe(2);
      expect(result.stdout).toBe("");
    }
    expect(results[0].stderr).toContain('manyfold: unknown option --bogus for "manyfold catalog list"');
    expect(results[0].stderr).toContain('run "manyfold catalog list --help" for usage');
    expect(results[1].stderr).toContain("option --layer needs a value");
    expect(results[2].stderr).toContain("option --layer is given more than once");
    expect(results[3].stderr).toContain("--implemented and --catalog-only exclude each other");
    expect(results[4].stderr).toContain("unknown option -x");
    expect(results[5].stderr).toContain("option --json takes no value");
    expect(results[6].stderr).toContain('takes no arguments, got "extra"');
  });
});

describe.concurrent("manyfold catalog show", () => {
  it("prints every field of a lego and what requires it", async () => {
    const { code, stdout } = await runManyfold("catalog", "show", "Lease");
    expect(code).toBe(0);
    const lease = getLego("Lease");
    expect(stdout.split("\n")[0]).toBe("Lease");
    expect(stdout).toContain("layer distributed · role coordination · seed catalog");
    expect(stdout).toContain(`requires: ${lease.requires.join(", ")}`);
    expect(stdout).toContain(`composite of: ${lease.parts.join(" + ")}`);
    expect(stdout).toContain(`required by: ${namesOf(dependentsOf("Lease")).join(", ")}`);
    expect(stdout).toContain("implemented by: lease, LeaseMachine");
    expect(stdout.replace(/\s+/g, " ")).toContain(lease.contract);
    expect(stdout.replace(/\s+/g, " ")).toContain(lease.failureSemantics);
    for (const knob of lease.operationalKnobs) expect(stdout).toContain(`  - ${knob}`);
  });

  it("says when a lego is catalog only", async () => {
    const { stdout } = await runManyfold("catalog", "show", "Consensus");
    expect(stdout).toContain("implemented by: — (catalog only)");
  });

  it("names the implementing exports of an implemented lego", async () => {
    const { stdout } = await runManyfold("catalog", "show", "RateMatchedSensor");
    expect(stdout).toContain("implemented by: rateMatch");
  });

  it("prints the lego object with --json", async () => {
    const { code, stdout } = await runManyfold("catalog", "show", "--json", "DurableQueue");
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual(getLego("DurableQueue"));
  });

  it("exits 2 on an unknown name, suggesting close names", async () => {
    const { code, stdout, stderr } = await runManyfold("catalog", "show", "Leese");
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toBe('manyfold: unknown lego "Leese"; did you mean "Lease"?\nrun "manyfold catalog list" to see every name\n');
  });

  it("exits 2 without a name or with two", async () => {
    const [none, two] = await Promise.all([runManyfold("catalog", "show"), runManyfold("catalog", "show", "Lease", "Quorum")]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('"manyfold catalog show" needs a lego NAME');
    expect(two.code).toBe(2);
    expect(two.stderr).toContain("takes one NAME, got 2");
  });
});

describe.concurrent("manyfold catalog deps and dependents", () => {
  it("lists direct requirements, sorted", async () => {
    const { code, stdout } = await runManyfold("catalog", "deps", "RetryLoop");
    expect(code).toBe(0);
    expect(lineNames(stdout)).toEqual(namesOf(dependenciesOf("RetryLoop")));
    expect(stdout).toMatch(/^RetryPolicy\s+policy\s+✓$/m);
  });

  it("follows only the seed's edges with --seed", async () => {
    const [all, seed, dependents] = await Promise.all([
      runManyfold("catalog", "deps", "BoundedRingBuffer"),
      runManyfold("catalog", "deps", "BoundedRingBuffer", "--seed"),
      runManyfold("catalog", "dependents", "Capacity", "--seed", "--json"),
    ]);
    expect(lineNames(all.stdout)).toEqual(["Buffer", "Capacity", "OverflowPolicy"]);
    expect(seed.stdout).toBe("BoundedRingBuffer requires nothing\n");
    expect((JSON.parse(dependents.stdout) as { name: string }[]).map((lego) => lego.name)).not.toContain("BoundedRingBuffer");
  });

  it("lists the closure dependency-first with --closure", async () => {
    const [text, json] = await Promise.all([
      runManyfold("catalog", "deps", "LocalDurableSpool", "--closure"),
      runManyfold("catalog", "deps", "--closure", "--json", "LocalDurableSpool"),
    ]);
    expect(lineNames(text.stdout)).toEqual(namesOf(dependencyClosureOf("LocalDurableSpool")));
    expect(JSON.parse(json.stdout)).toEqual(dependencyClosureOf("LocalDurableSpool"));
  });

  it("says when a lego requires nothing", async () => {
    const { code, stdout } = await runManyfold("catalog", "deps", "Bytes");
    expect(code).toBe(0);
    expect(stdout).toBe("Bytes requires nothing\n");
  });

  it("lists dependents, as text and JSON", async () => {
    const [text, json, none] = await Promise.all([
      runManyfold("catalog", "dependents", "Clock"),
      runManyfold("catalog", "dependents", "Clock", "--json"),
      runManyfold("catalog", "dependents", "KillSwitch"),
    ]);
    expect(lineNames(text.stdout)).toEqual(namesOf(dependentsOf("Clock")));
    expect(JSON.parse(json.stdout)).toEqual(dependentsOf("Clock"));
    expect(none.stdout).toBe("no lego requires KillSwitch\n");
  });

  it("exits 2 on unknown names and flags", async () => {
    const [deps, dependents, flag] = await Promise.all([
      runManyfold("catalog", "deps", "retryloop"),
      runManyfold("catalog", "dependents", "Clok"),
      runManyfold("catalog", "dependents", "Clock", "--closure"),
    ]);
    expect(deps.code).toBe(2);
    expect(deps.stderr).toContain('did you mean "RetryLoop"?');
    expect(dependents.code).toBe(2);
    expect(dependents.stderr).toContain('"Clock"');
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("unknown option --closure");
  });
});

describe.concurrent("manyfold catalog graph", () => {
  it("prints the whole catalog as Mermaid by default", async () => {
    const { code, stdout } = await runManyfold("catalog", "graph");
    expect(code).toBe(0);
    expect(stdout).toBe(toMermaid());
  });

  it("prints a subset with its closure, as DOT or Mermaid", async () => {
    const [dot, mermaid] = await Promise.all([
      runManyfold("catalog", "graph", "RetryLoop", "Lease", "--format", "dot"),
      runManyfold("catalog", "graph", "--format=mermaid", "SensorHealthWatchdog"),
    ]);
    expect(dot.stdout).toBe(toDot(["RetryLoop", "Lease"]));
    expect(mermaid.stdout).toBe(toMermaid(["SensorHealthWatchdog"]));
  });

  it("draws the seed's own graph alone with --seed (no dashed, project-added edges)", async () => {
    const [mermaid, dot] = await Promise.all([
      runManyfold("catalog", "graph", "--seed"),
      runManyfold("catalog", "graph", "BoundedRingBuffer", "--format", "dot", "--seed"),
    ]);
    expect(mermaid.code).toBe(0);
    expect(mermaid.stdout).toBe(toMermaid([], { graph: "seed" }));
    expect(mermaid.stdout).not.toContain("-.->");
    expect(dot.stdout).toBe(toDot(["BoundedRingBuffer"], { graph: "seed" }));
    expect(dot.stdout).not.toContain('"BoundedRingBuffer" -> ');
  });

  it("wraps the text in JSON with --json", async () => {
    const { stdout } = await runManyfold("catalog", "graph", "RetryLoop", "--format", "dot", "--json");
    expect(JSON.parse(stdout)).toEqual({ format: "dot", graph: "all", names: ["RetryLoop"], text: toDot(["RetryLoop"]) });
  });

  it("exits 2 on an unknown format or name", async () => {
    const [format, name] = await Promise.all([
      runManyfold("catalog", "graph", "--format", "svg"),
      runManyfold("catalog", "graph", "RetryLoop", "Nope"),
    ]);
    expect(format.code).toBe(2);
    expect(format.stderr).toContain('unknown format "svg" (expected one of: mermaid, dot)');
    expect(name.code).toBe(2);
    expect(name.stderr).toContain('unknown lego "Nope"');
    expect(name.stdout).toBe("");
  });
});

describe.concurrent("manyfold dispatch and help", () => {
  it("prints help with --help at every level and exits 0", async () => {
    const [top, catalog, list, short] = await Promise.all([
      runManyfold("--help"),
      runManyfold("catalog", "--help"),
      runManyfold("catalog", "list", "--help"),
      runManyfold("catalog", "graph", "-h"),
    ]);
    expect(top.code).toBe(0);
    expect(top.stdout).toContain("Usage: manyfold <command> [options]");
    expect(top.stdout).toMatch(/^ {2}catalog\s+browse the lego catalog/m);
    expect(catalog.code).toBe(0);
    for (const sub of ["list", "show", "deps", "dependents", "graph", "status"]) expect(catalog.stdout).toMatch(new RegExp(`^  ${sub} `, "m"));
    expect(catalog.stdout).toContain("--json");
    expect(list.stdout).toContain("Usage: manyfold catalog list [--layer LAYER] [--role ROLE]");
    expect(short.code).toBe(0);
    expect(short.stdout).toContain("Usage: manyfold catalog graph");
  });

  it("exits 2 on a missing or unknown command", async () => {
    const [none, unknown, catalogNone, catalogUnknown] = await Promise.all([
      runManyfold(),
      runManyfold("catalogue"),
      runManyfold("catalog"),
      runManyfold("catalog", "lst"),
    ]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("manyfold: missing command");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "catalogue" (expected one of: demo, fleet, inspect, catalog, spool)');
    expect(catalogNone.code).toBe(2);
    expect(catalogNone.stderr).toContain('"manyfold catalog" needs a command');
    expect(catalogUnknown.code).toBe(2);
    expect(catalogUnknown.stderr).toContain('unknown catalog command "lst" (expected one of: list, show, deps, dependents, graph, status)');
    for (const result of [none, unknown, catalogNone, catalogUnknown]) expect(result.stdout).toBe("");
  });
});
