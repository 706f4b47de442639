import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DemoSummary } from "../../../src/cli/demo-command.js";
import { compileCli, runCompiledCli, type CompiledCli } from "../run-cli.js";

/** `manyfold inspect` and `manyfold demo --ui` as commands: help, usage errors, a short run. */

let cli: CompiledCli | undefined;
let dataDir = "";
beforeAll(() => {
  cli = compileCli();
  dataDir = mkdtempSync(join(tmpdir(), "manyfold-inspect-"));
});
afterAll(() => {
  cli?.dispose();
  rmSync(dataDir, { recursive: true, force: true });
});

function manyfold(...args: string[]): ReturnType<typeof runCompiledCli> {
  if (cli === undefined) throw new Error("the CLI was not compiled");
  return runCompiledCli(cli.main, args);
}

describe("manyfold inspect", () => {
  it("is listed, and its help points at demo's options and at fleet --ui", async () => {
    const [top, help, demoHelp] = await Promise.all([manyfold("--help"), manyfold("inspect", "--help"), manyfold("demo", "--help")]);
    expect(top.stdout).toMatch(/^\s+inspect\s/m);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: manyfold inspect \[demo options\]/);
    expect(help.stdout).toContain("manyfold fleet --ui");
    expect(demoHelp.stdout).toMatch(/^\s+--ui\s+serve the live inspector page/m);
  });

  it("names itself in usage errors", async () => {
    const result = await manyfold("inspect", "extra");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('run "manyfold inspect --help" for usage');
  });

  it("runs the demo with the inspector on and no status line, then stops it", async () => {
    const result = await manyfold("inspect", "--transport", "mock", "--duration", "1500ms", "--data", dataDir, "--json");
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^inspector: http:\/\/127\.0\.0\.1:\d+\/$/m);
    expect(result.stdout).not.toMatch(/^in +\d+\/s/m);
    // The debug taps the inspector adds show in the pipeline view too.
    expect(result.stdout).toMatch(/SensorDebugTap +raw serial chunks/);
    const summary = JSON.parse(result.stdout.trimEnd().split("\n").at(-1) ?? "") as DemoSummary;
    expect(summary.stoppedBy).toBe("duration");
  }, 20_000);
});
