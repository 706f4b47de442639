import { spawn } from "node:child_process";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { FleetSummary } from "../../src/cli/fleet/fleet-command.js";
import { compileCli, runCompiledCli, type CompiledCli } from "./run-cli.js";

/**
 * `manyfold fleet`, run for real: a nats-server of its own, 3 simulated
 * devices, 2 worker and 2 aggregator processes, and every scheduled fault
 * (worker SIGKILL, broker restart, device unplug, leader SIGSTOP past its
 * lease). The summary's invariants are what the fleet exists to show.
 */

let cli: CompiledCli;
beforeAll(() => {
  cli = compileCli();
});
afterAll(() => {
  cli.dispose();
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

it("survives every fault with nothing lost and nothing folded twice, and leaves no process behind", async () => {
  const result = await runCompiledCli(cli.main, ["fleet", "--duration", "15s", "--transport", "mock", "--json"], 100_000);
  expect(result.stderr).toBe("");
  const summary = JSON.parse(result.stdout.trimEnd().split("\n").at(-1) ?? "") as FleetSummary;
  expect(summary.stoppedBy).toBe("duration");
  expect(result.code).toBe(0);
  // Three independent records agree: spools, folded log, the leader's fenced summary.
  expect(summary.recorded).toBeGreaterThan(100);
  expect(summary.forwarded).toBe(summary.recorded);
  expect(summary.folded).toBe(summary.recorded);
  expect(summary.summarised).toBe(summary.recorded);
  expect(summary.summaryExact).toBe(true);
  expect(summary.lost).toBe(0);
  expect(summary.duplicated).toBe(0);
  for (const device of Object.values(summary.devices)) {
    expect(device.recorded).toBeGreaterThan(0);
    expect(device.folded).toBe(device.recorded);
    expect(device.sumMatches).toBe(true);
  }
  // Every fault happened and was seen to heal.
  expect(summary.faults.map((fault) => fault.text.replace(/ \(.*$|: .*$| holding.*$/, ""))).toEqual([
    "FAULT worker-1 SIGKILLed",
    "FAULT NATS server restarting",
    "FAULT device-2 unplugged",
    expect.stringMatching(/^FAULT aggregator-\d/),
  ]);
  expect(summary.broker.restarts).toBe(1);
  expect(result.stdout).toMatch(/worker-1 restarted/);
  expect(result.stdout).toMatch(/device-2 plugged back in/);
  // The paused leader was replaced, and its late write refused by the store.
  const story = result.stdout.split("\n").filter((line) => !/recorded \d+\s+forwarded/.test(line)).join("\n");
  expect(summary.leaderChanges, story).toBeGreaterThanOrEqual(1);
  expect(summary.fencedRejected, story).toBeGreaterThanOrEqual(1);
  // Five node processes were started (worker-1 twice) and none outlived the run.
  const pids = [...summary.processes.flatMap((p) => p.pids), ...summary.broker.pids];
  expect(pids).toHaveLength(7); // 4 nodes, worker-1 restarted once, the broker started and restarted
  expect(pids.filter(alive)).toEqual([]);
}, 120_000);

it("refuses a run too short for its faults, and a URL that is not NATS", async () => {
  const short = await runCompiledCli(cli.main, ["fleet", "--duration", "5s"]);
  expect(short.code).toBe(2);
  expect(short.stderr).toContain("--duration must be at least 10s");
  const wrong = await runCompiledCli(cli.main, ["fleet", "--nats", "mqtt://127.0.0.1:1883"]);
  expect(wrong.code).toBe(2);
  expect(wrong.stderr).toContain("--nats: unsupported URL");
});

it("is listed in the help; its internal node command is not", async () => {
  const help = await runCompiledCli(cli.main, ["--help"]);
  expect(help.stdout).toMatch(/^\s+fleet\s+run 3 devices/m);
  expect(help.stdout).not.toContain("fleet-node");
});

it("stops on Ctrl-C (SIGINT to the fleet alone) with every process it started gone", async () => {
  const child = spawn(process.execPath, [cli.main, "fleet", "--duration", "60s", "--transport", "mock", "--json"], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  const elected = new Promise<void>((resolve) => {
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      if (/leads \(token \d+\)/.test(stdout)) resolve();
    });
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  await elected;
  child.kill("SIGINT");
  await exited;
  const summary = JSON.parse(stdout.trimEnd().split("\n").at(-1) ?? "") as FleetSummary;
  expect(summary.stoppedBy).toBe("signal");
  expect(summary.lost).toBe(0);
  expect(summary.duplicated).toBe(0);
  const pids = [...summary.processes.flatMap((p) => p.pids), ...summary.broker.pids];
  expect(pids).toHaveLength(5);
  expect(pids.filter(alive)).toEqual([]);
}, 60_000);
