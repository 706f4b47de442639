import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { DemoSummary } from "../../src/cli/demo-command.js";
import { connectMqtt, fromMqtt, type MqttConnection } from "manyfold-rx/mqtt";
import { startMosquitto, type MosquittoBroker } from "manyfold-rx/testing";
import { compileCli, runCompiledCli, type CompiledCli } from "./run-cli.js";

/**
 * `manyfold demo --forward mqtt://…`: the demo's spool is forwarded to a
 * broker of the test's own while the demo runs; a subscriber receives what
 * the summary says was acknowledged, each with its message id.
 */

let cli: CompiledCli;
let broker: MosquittoBroker;
let subscriber: MqttConnection;
let dataDir = "";
beforeAll(async () => {
  cli = compileCli();
  dataDir = mkdtempSync(join(tmpdir(), "manyfold-demo-forward-"));
  broker = await startMosquitto({ persistence: false });
  subscriber = await connectMqtt({ url: broker.url });
});
afterAll(async () => {
  cli.dispose();
  await subscriber.close();
  await broker.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

it("forwards the spool to MQTT and reports forwarded/acked/pending", async () => {
  const ids: string[] = [];
  const subscription = fromMqtt("manyfold/demo/ambient", { connection: subscriber }).subscribe((m) => ids.push(m.messageId ?? "?"));
  await new Promise((resolve) => subscriber.client.once("packetreceive", resolve));
  const result = await runCompiledCli(cli.main, ["demo", "--duration", "3s", "--transport", "mock", "--data", dataDir, "--forward", broker.url, "--json"]);
  subscription.unsubscribe();
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  expect(result.stdout).toContain(`forwarding the spool to ${broker.url}`);
  const summary = JSON.parse(result.stdout.trimEnd().split("\n").at(-1) ?? "") as DemoSummary;
  const forward = summary.forward;
  expect(forward?.url).toBe(broker.url);
  expect(forward?.acked).toBeGreaterThan(0);
  expect(forward?.acked).toBeLessThanOrEqual(summary.spooled);
  expect(forward?.pending).toBe(0);
  // Every acknowledged record reached the subscriber, in offset order, with its message id.
  expect(ids.length).toBeGreaterThanOrEqual(forward?.acked ?? Infinity);
  const offsets = ids.map((id) => Number(id.split(":").at(-1)));
  expect(offsets.slice(0, forward?.acked)).toEqual(Array.from({ length: forward?.acked ?? 0 }, (_, i) => i));
  expect(result.stdout).toMatch(/forwarded\s+\d+ to mqtt:\/\/127\.0\.0\.1:\d+ \(manyfold\.demo\.ambient\): acked \d+, pending 0/);
}, 40_000);

it("refuses a --forward URL it cannot serve", async () => {
  const result = await runCompiledCli(cli.main, ["demo", "--duration", "1s", "--transport", "mock", "--data", dataDir, "--forward", "ftp://x"]);
  expect(result.code).toBe(2);
  expect(result.stderr).toContain("--forward: unsupported URL");
});
