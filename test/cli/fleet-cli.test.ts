import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { FleetSummary } from "../../src/cli/fleet/fleet-command.js";
import { compileCli, runCompiledCli, type CompiledCli } from "./run-cli.js";

/**
 * `manyfold fleet`, run for real: a nats-server of its own, 3 simulated
 * devices, 2 worker and 2 aggregator processes, and every scheduled fault
 * (worker SIGKILL, broker restart, device unplug, leader SIGSTOP past its
 * lease). The summary's invariants are what the fleet exists to show.
 */

const root = fileURLToPath(new URL("../..", import.meta.url));
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
  const wrong = await runCompiledCli(cli.main, ["fleet", "--nats", "mqtt://broker.invalid:9"]);
  expect(wrong.code).toBe(2);
  expect(wrong.stderr).toContain("--nats: unsupported URL");
});

it("is listed in the help; its internal node command is not", async () => {
  const help = await runCompiledCli(cli.main, ["--help"]);
  expect(help.stdout).toMatch(/^\s+fleet\s+run 3 devices/m);
  expect(help.stdout).not.toContain("fleet-node");
});

it("shows the whole fleet live in the inspector (--ui), then stops on Ctrl-C (SIGINT to the fleet alone) with every process it started gone", async () => {
  const child = spawn(process.execPath, [cli.main, "fleet", "--duration", "60s", "--transport", "mock", "--ui", "--json"], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  const ready = new Promise<string>((resolve) => {
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const url = /^inspector: (http:\/\/127\.0\.0\.1:\d+\/)$/m.exec(stdout)?.[1];
      if (url !== undefined && /leads \(token \d+\)/.test(stdout)) resolve(url);
    });
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const url = await ready;

  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
  try {
    const page = await browser.newPage({ viewport: { width: 1600, height: 1100 } });
    await page.goto(url);
    // Every process's lane, once each has reported.
    const lanes = ["device-1", "device-2", "device-3", "worker-1", "worker-2", "aggregator-1", "aggregator-2"];
    for (const lane of lanes) await page.locator(`[data-pipeline-id="${lane}"]`).waitFor({ timeout: 15_000 });
    await page.locator(`[data-stage-id="aggregator-2:3"]`).waitFor({ timeout: 15_000 });
    await page.locator(`[data-stage-id="aggregator-1:3"]`).waitFor({ timeout: 15_000 });
    // The legos that cross processes, each in the lanes it belongs to.
    const kindsOf = async (lane: string): Promise<string[]> => {
      const boxes = await page.locator(`[data-stage-id^="${lane}:"][data-kind]`).all();
      return Promise.all(boxes.map(async (box) => (await box.getAttribute("data-kind")) ?? ""));
    };
    expect(await kindsOf("device-1")).toEqual(expect.arrayContaining(["SerialPortSource", "JsonEventDecoder", "LocalDurableSpool", "Outbox"]));
    expect(await kindsOf("worker-1")).toEqual(["ConsumerGroup", "Inbox", "ReplicatedLog"]);
    expect(await kindsOf("aggregator-1")).toEqual(["ReplicatedLog", "MaterializedView", "LeaderElection", "FencingToken"]);
    // Readings from each device's Outbox to both workers' group, effects from both workers to both views.
    expect(await page.locator('[data-link*=":outbox -> worker-"]').count()).toBe(6);
    expect(await page.locator('[data-link*=":2 -> aggregator-"]').count()).toBe(4);
    await expect.poll(async () => page.locator("[data-member]").count(), { timeout: 5_000 }).toBe(7);
    // The headline count moves while the fleet runs.
    const recorded = page.locator('[data-total="recorded"]');
    const before = Number(await recorded.textContent());
    await expect.poll(async () => Number(await recorded.textContent()), { timeout: 10_000 }).toBeGreaterThan(before);
    mkdirSync(join(root, "test-artifacts"), { recursive: true });
    await page.screenshot({ path: join(root, "test-artifacts", "inspector-fleet.png"), fullPage: true });
  } finally {
    await browser.close();
  }

  child.kill("SIGINT");
  await exited;
  const summary = JSON.parse(stdout.trimEnd().split("\n").at(-1) ?? "") as FleetSummary;
  expect(summary.stoppedBy).toBe("signal");
  expect(summary.lost).toBe(0);
  expect(summary.duplicated).toBe(0);
  const pids = [...summary.processes.flatMap((p) => p.pids), ...summary.broker.pids];
  expect(pids.length).toBeGreaterThanOrEqual(5);
  expect(pids.filter(alive)).toEqual([]);
}, 90_000);
