import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DemoSummary } from "../../src/cli/demo-command.js";
import { compileCli, runCompiledCli, type CompiledCli } from "./run-cli.js";

/**
 * The main job, end to end: `manyfold demo --duration 5s` runs the whole
 * pipeline as a child process on the simulated UART sensor (socat when
 * installed — CI installs it), and a second process replays what it stored.
 */

let cli: CompiledCli | undefined;
let dataDir = "";
beforeAll(() => {
  cli = compileCli();
  dataDir = mkdtempSync(join(tmpdir(), "manyfold-demo-"));
});
afterAll(() => {
  cli?.dispose();
  rmSync(dataDir, { recursive: true, force: true });
});

function manyfold(...args: string[]): ReturnType<typeof runCompiledCli> {
  if (cli === undefined) throw new Error("the CLI was not compiled");
  return runCompiledCli(cli.main, args);
}

function lastJsonLine(stdout: string): DemoSummary {
  const line = stdout.trimEnd().split("\n").at(-1) ?? "";
  return JSON.parse(line) as DemoSummary;
}

describe("manyfold demo", () => {
  let summary: DemoSummary;
  let stdout = "";

  it("runs 5 s on the simulator and exits 0", async () => {
    const result = await manyfold("demo", "--duration", "5s", "--data", dataDir, "--json", "--graph");
    stdout = result.stdout;
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    summary = lastJsonLine(stdout);
    expect(summary.stoppedBy).toBe("duration");
  }, 30_000);

  it("spooled samples, caught the injected garbage and reconnected once", () => {
    expect(summary.spooled).toBeGreaterThan(0);
    expect(summary.invalid).toBeGreaterThan(0);
    expect(summary.reconnects).toBe(1);
    // Every stage hands on at most what it received.
    expect(summary.decoded).toBeLessThanOrEqual(summary.framed);
    expect(summary.passedThreshold).toBeLessThanOrEqual(summary.decoded);
    expect(summary.spooled).toBeLessThanOrEqual(summary.matched);
    expect(summary.spool.nextOffset - summary.spool.firstOffset).toBe(summary.spooled);
  });

  it("went stale during the silent spell and recovered", () => {
    const path = summary.transitions.map((t) => `${t.from ?? "start"}->${t.to}`);
    expect(path[0]).toBe("start->stale");
    expect(path).toContain("stale->ok");
    expect(path).toContain("ok->stale");
    expect(path.lastIndexOf("stale->ok")).toBeGreaterThan(path.indexOf("ok->stale"));
    expect(summary.health).toBe("ok");
  });

  it("says which transport it used, shows the pipeline view and shuts down cleanly", () => {
    expect(stdout).toMatch(/simulated UART sensor on (a real pseudo-terminal \(socat\)|the in-process mock binding)/);
    for (const kind of ["SerialPortSource", "DelimitedMessageBuffer", "JsonEventDecoder", "ThresholdFilter", "RateMatchedSensor", "LocalDurableSpool", "SensorHealthWatchdog"]) {
      expect(stdout).toContain(kind);
    }
    expect(stdout).toContain("graph LR");
    expect(stdout).toMatch(/shutdown: port closed, spool flushed and closed/);
  });

  it("a second run replays the first run's data", async () => {
    const result = await manyfold("spool", "replay", dataDir, "--json");
    expect(result.code).toBe(0);
    const records = result.stdout
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as { offset: number; value: { event_type: string } });
    expect(records).toHaveLength(summary.spooled);
    expect(records.map((r) => r.offset)).toEqual(records.map((_, i) => summary.spool.firstOffset + i));
    expect(records.every((r) => r.value.event_type === "ambient.reading")).toBe(true);
  });

  it("stops cleanly on Ctrl-C (SIGINT): port closed, spool flushed, exit 0 — on the mock transport", async () => {
    if (cli === undefined) throw new Error("the CLI was not compiled");
    const signalDir = mkdtempSync(join(tmpdir(), "manyfold-demo-sigint-"));
    try {
      const child = spawn(process.execPath, [cli.main, "demo", "--transport", "mock", "--data", signalDir, "--json"], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      let sent = false;
      child.stdout.setEncoding("utf8").on("data", (text: string) => {
        out += text;
        // The first status line means the pipeline is running.
        if (!sent && /^in\s+\d+\/s/m.test(out)) {
          sent = true;
          child.kill("SIGINT");
        }
      });
      const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
      expect(code).toBe(0);
      expect(out).toContain("in-process mock binding");
      const result = lastJsonLine(out);
      expect(result.stoppedBy).toBe("signal");
      expect(result.transport).toBe("mock");
      expect(out).toMatch(/shutdown: port closed, spool flushed and closed/);
      expect(result.spool.nextOffset - result.spool.firstOffset).toBe(result.spooled);
    } finally {
      rmSync(signalDir, { recursive: true, force: true });
    }
  }, 30_000);

  it("--duration 6s stops while the device is unplugged: lasts 6 s, not 8, and confirms the shutdown (mock transport)", async () => {
    const unpluggedDir = mkdtempSync(join(tmpdir(), "manyfold-demo-6s-"));
    try {
      const result = await manyfold("demo", "--duration", "6s", "--transport", "mock", "--data", unpluggedDir, "--json");
      expect(result.code).toBe(0);
      const run = lastJsonLine(result.stdout);
      expect(run.stoppedBy).toBe("duration");
      expect(run.durationMs).toBeGreaterThanOrEqual(6_000);
      expect(run.durationMs).toBeLessThan(7_000); // was 8.1 s: a 2 s wait for a close that never comes
      expect(result.stdout).toMatch(/shutdown: port closed/);
      expect(result.stdout).not.toContain("not confirmed");
    } finally {
      rmSync(unpluggedDir, { recursive: true, force: true });
    }
  }, 30_000);

  it("rejects a bad duration with exit code 2", async () => {
    const result = await manyfold("demo", "--duration", "soon");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--duration must be a positive duration");
  });
});
