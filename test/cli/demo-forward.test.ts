import { mkdtempSync, rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { DemoSummary } from "../../src/cli/demo-command.js";
import { connectMqtt, fromMqtt, type MqttConnection } from "manyfold-rx/mqtt";
import { connectNats } from "manyfold-rx/nats";
import { freeLoopbackPort, startMosquitto, startNatsServer, type MosquittoBroker, type NatsServer } from "manyfold-rx/testing";
import { compileCli, runCompiledCli, type CompiledCli } from "./run-cli.js";

/**
 * `manyfold demo --forward mqtt://…` and `--forward nats://…`: the demo's
 * spool is forwarded to a broker of the test's own while the demo runs; a
 * subscriber (MQTT) or the JetStream stream (NATS) holds what the summary
 * says was acknowledged, each with its message id.
 */

let cli: CompiledCli;
let broker: MosquittoBroker;
let nats: NatsServer;
let subscriber: MqttConnection;
let dataDir = "";
let natsDataDir = "";
beforeAll(async () => {
  cli = compileCli();
  dataDir = mkdtempSync(join(tmpdir(), "manyfold-demo-forward-"));
  natsDataDir = mkdtempSync(join(tmpdir(), "manyfold-demo-forward-nats-"));
  broker = await startMosquitto({ persistence: false });
  nats = await startNatsServer();
  subscriber = await connectMqtt({ url: broker.url });
});
afterAll(async () => {
  cli.dispose();
  await subscriber.close();
  await broker.stop();
  await nats.stop();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(natsDataDir, { recursive: true, force: true });
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

it("forwards the spool to a JetStream stream it creates and reports forwarded/acked/pending", async () => {
  const result = await runCompiledCli(cli.main, ["demo", "--duration", "3s", "--transport", "mock", "--data", natsDataDir, "--forward", nats.url, "--json"]);
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  expect(result.stdout).toContain(`forwarding the spool to ${nats.url} (subject manyfold.demo.ambient)`);
  const summary = JSON.parse(result.stdout.trimEnd().split("\n").at(-1) ?? "") as DemoSummary;
  const forward = summary.forward;
  expect(forward?.url).toBe(nats.url);
  expect(forward?.acked).toBeGreaterThan(0);
  expect(forward?.acked).toBeLessThanOrEqual(summary.spooled);
  expect(forward?.pending).toBe(0);
  expect(result.stdout).toMatch(/forwarded\s+\d+ to nats:\/\/127\.0\.0\.1:\d+ \(manyfold\.demo\.ambient\): acked \d+, pending 0/);
  // The stream holds every acknowledged record once, in offset order, with its message id.
  const client = await connectNats(nats.url);
  try {
    const jsm = await client.jetstreamManager();
    const info = await jsm.streams.info("MANYFOLD_DEMO");
    expect(info.config.subjects).toEqual(["manyfold.demo.ambient"]);
    const ids: string[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const message = await jsm.streams.getMessage("MANYFOLD_DEMO", { seq });
      ids.push(message?.header.get("Nats-Msg-Id") ?? "?");
    }
    const acked = forward?.acked ?? 0;
    expect(ids.length).toBeGreaterThanOrEqual(acked);
    expect(ids.slice(0, acked)).toEqual(Array.from({ length: acked }, (_, i) => `${hostname()}-demo:${i}`));
    expect(new Set(ids).size).toBe(ids.length);
  } finally {
    await client.close();
  }
}, 40_000);

it("refuses a --forward URL it cannot serve, naming the schemes it can", async () => {
  const result = await runCompiledCli(cli.main, ["demo", "--duration", "1s", "--transport", "mock", "--data", dataDir, "--forward", "ftp://x"]);
  expect(result.code).toBe(2);
  expect(result.stderr).toContain("--forward: unsupported URL");
  expect(result.stderr).toContain("mqtt://HOST:PORT");
  expect(result.stderr).toContain("nats://HOST:PORT");
});

it("stops with an error when the NATS server cannot be reached", async () => {
  const dir = mkdtempSync(join(tmpdir(), "manyfold-demo-forward-down-"));
  try {
    const down = `nats://127.0.0.1:${await freeLoopbackPort()}`;
    const result = await runCompiledCli(cli.main, ["demo", "--duration", "3s", "--transport", "mock", "--data", dir, "--forward", down]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/stopped by error/);
    expect(result.stdout).toMatch(/error\s+cannot connect to NATS/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 40_000);
