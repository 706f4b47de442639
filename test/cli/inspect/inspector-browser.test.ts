import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoPipeline } from "../../../src/cli/demo-pipeline.js";
import type { InspectorSnapshot } from "../../../src/cli/inspect/inspector-snapshot.js";
import { LocalDurableSpool } from "../../../src/durable/local-durable-spool.js";
import { sensorEventCodec } from "../../../src/sensor/sensor-codecs.js";
import { SensorDebugTap } from "../../../src/sensor/sensor-debug-tap.js";
import type { SensorEvent } from "../../../src/sensor/sensor-event.js";
import type { DemoSummary } from "../../../src/cli/demo-command.js";
import { compileCli, runCompiledCli, type CompiledCli } from "../run-cli.js";

/**
 * The inspector in a real browser: `manyfold demo --ui` runs as a child
 * process on the simulated sensor, headless Chromium (Debian's `chromium`,
 * driven by playwright-core) opens the address it prints, and the test
 * checks the picture: a box for every lego of the pipeline, a counter that
 * moves in place, and the page noticing when the process goes away. It
 * saves a screenshot to test-artifacts/inspector-demo.png. Before that,
 * `manyfold inspect` as a command: help, usage errors, a short run.
 */

const root = fileURLToPath(new URL("../../..", import.meta.url));
const CHROMIUM = "/usr/bin/chromium";
const SCREENSHOT = join(root, "test-artifacts", "inspector-demo.png");

let cli: CompiledCli | undefined;
let child: ChildProcess | undefined;
let browser: Browser | undefined;
let dataDir = "";
let stdout = "";
let exited: Promise<number | null> = Promise.resolve(null);

beforeAll(() => {
  cli = compileCli();
  dataDir = mkdtempSync(join(tmpdir(), "manyfold-inspector-"));
});
afterAll(async () => {
  await browser?.close();
  if (child !== undefined && child.exitCode === null) child.kill("SIGKILL");
  cli?.dispose();
  rmSync(dataDir, { recursive: true, force: true });
});

function manyfold(...args: string[]): ReturnType<typeof runCompiledCli> {
  if (cli === undefined) throw new Error("the CLI was not compiled");
  return runCompiledCli(cli.main, args);
}

/** The lego kinds of the demo pipeline as `--ui` builds it (with its debug tap), from its own graph. */
async function demoKinds(): Promise<string[]> {
  const spool = await LocalDurableSpool.open<SensorEvent>({ location: join(dataDir, "graph-only"), name: "ambient", codec: sensorEventCodec(), group: "ambient" });
  try {
    const pipeline = demoPipeline({ port: { path: "/dev/null", baudRate: 9600 }, spool, debugTap: new SensorDebugTap() });
    return pipeline.graph.stages().map((stage) => stage.kind);
  } finally {
    await spool.close();
  }
}

/** Starts `manyfold demo --ui` and resolves with the inspector address it prints. */
function startDemo(): Promise<string> {
  if (cli === undefined) throw new Error("the CLI was not compiled");
  const process_ = spawn(process.execPath, [cli.main, "demo", "--ui", "--transport", "mock", "--duration", "40s", "--data", join(dataDir, "spool")], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child = process_;
  exited = new Promise((resolveExit) => process_.once("exit", (code) => resolveExit(code)));
  let stderr = "";
  process_.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`no inspector address within 15 s; stdout: ${stdout}; stderr: ${stderr}`)), 15_000);
    process_.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /^inspector: (http:\/\/127\.0\.0\.1:\d+\/)$/m.exec(stdout);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolveUrl(match[1]);
      }
    });
    process_.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`demo exited (${code}) before printing the inspector address; stdout: ${stdout}; stderr: ${stderr}`));
    });
  });
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
    const result = await manyfold("inspect", "--transport", "mock", "--duration", "1500ms", "--data", join(dataDir, "inspect"), "--json");
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

describe("the inspector page in headless Chromium", () => {
  let page: Page;
  let url = "";

  it("opens on the address demo --ui prints", async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: install the Debian package chromium (npm test does this when run as root)`).toBe(true);
    url = await startDemo();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(url);
    await page.waitForSelector("svg#graph [data-stage-id]", { timeout: 10_000 });
    await page.locator("#conn", { hasText: /^live$/ }).waitFor({ timeout: 10_000 });
    expect(errors).toEqual([]);
  }, 40_000);

  it("draws a box for every lego of the running pipeline", async () => {
    const kinds = await demoKinds();
    expect(kinds.length).toBeGreaterThanOrEqual(9);
    const snapshot = (await (await fetch(new URL("snapshot.json", url))).json()) as InspectorSnapshot;
    const stageIds = snapshot.pipelines.flatMap((p) => p.stages.map((s) => s.id));
    expect(stageIds).toHaveLength(kinds.length);

    const boxes = page.locator("svg#graph [data-stage-id]");
    const drawn: { id: string | null; kind: string | null; text: string | null }[] = [];
    for (let i = 0; i < (await boxes.count()); i++) {
      const box = boxes.nth(i);
      drawn.push({ id: await box.getAttribute("data-stage-id"), kind: await box.getAttribute("data-kind"), text: await box.textContent() });
    }
    expect(drawn.map((box) => box.id).sort()).toEqual([...stageIds].sort());
    expect(drawn.map((box) => box.kind).sort()).toEqual([...kinds].sort());
    for (const box of drawn) expect(box.text).toContain(box.kind ?? "(no kind)");
    // One arrow per `after` edge: the picture is a graph, not a list.
    const edges = snapshot.pipelines.flatMap((p) => p.stages.flatMap((s) => s.after)).length;
    expect(await page.locator("svg#graph path.edge").count()).toBe(edges);
  });

  it("updates a counter in place while the pipeline runs", async () => {
    const counter = page.locator('[data-kind="SerialPortSource"] [data-counter="bytesIn"]');
    const handle = await counter.elementHandle({ timeout: 5_000 });
    const first = await handle.textContent();
    // The same element, re-read: the page updates text in place rather than redrawing the picture.
    // Typed by hand: this package's TypeScript has no DOM types.
    type Text = { readonly textContent: string | null };
    await page.waitForFunction(([element, before]: readonly [Text, string | null]) => element.textContent !== before, [handle, first] as const, { timeout: 10_000 });
    const second = await handle.textContent();
    expect(second).not.toBe(first);
    expect(Number(second?.replace(/,/g, ""))).toBeGreaterThan(Number(first?.replace(/,/g, "")));
  }, 20_000);

  it("shows the side panels and saves a screenshot", async () => {
    await page.waitForSelector("#envelopes table", { timeout: 10_000 });
    await page.waitForSelector("#events li.ev", { timeout: 10_000 });
    expect(await page.locator("#health li").count()).toBeGreaterThanOrEqual(1);
    expect(await page.locator("#queues [data-queue]").count()).toBeGreaterThanOrEqual(1);
    expect(await page.locator("#totals [data-total]").count()).toBeGreaterThanOrEqual(1);
    mkdirSync(join(root, "test-artifacts"), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(existsSync(SCREENSHOT)).toBe(true);
    console.log(`inspector screenshot: ${relative(root, SCREENSHOT)}`);
  }, 20_000);

  it("hears the process stop, then says it is disconnected and retrying", async () => {
    child?.kill("SIGINT");
    expect(await exited).toBe(0);
    expect(stdout).toMatch(/stopped by signal/);
    await page.locator("#conn", { hasText: /^disconnected — retrying$/ }).waitFor({ timeout: 10_000 });
    expect(await page.locator("#state").textContent()).toBe("stopped");
  }, 20_000);
});
