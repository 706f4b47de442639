import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { filter, firstValueFrom, lastValueFrom, map, range } from "rxjs";
import { MemoryLevel } from "memory-level";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BackoffPolicy, LocalDurableSpool, Outbox } from "../../../src/index.js";
import { connectNats, jetStreamTransport, type NatsClient } from "manyfold-rx/nats";
import { startNatsServer, type NatsServer } from "manyfold-rx/testing";

/**
 * The Outbox (generic, from durable/handoff) forwarding a LocalDurableSpool to
 * a JetStream stream through the PubAck transport. Message id =
 * `${producerId}:${offset}` = `Nats-Msg-Id`, so what a crash or an outage makes
 * the Outbox publish twice is dropped by the stream within its
 * duplicate_window (2 min here; a republish later than that would be stored
 * twice and is left to an Inbox on the receiving side).
 */
let server: NatsServer;
let client: NatsClient;
const DUPLICATE_WINDOW_NS = 120_000_000_000;

beforeAll(async () => {
  server = await startNatsServer();
  client = await connectNats({ servers: server.url, reconnectTimeWait: 50 });
});
afterAll(async () => {
  await client.close();
  await server.stop();
});

/** Every message of a stream: its Nats-Msg-Id and its value. */
async function streamContents(stream: string): Promise<{ id: string; n: number }[]> {
  const jsm = await client.jetstreamManager();
  const info = await jsm.streams.info(stream);
  const out: { id: string; n: number }[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const m = await jsm.streams.getMessage(stream, { seq });
    if (m !== null) out.push({ id: m.header.get("Nats-Msg-Id"), n: m.json<{ n: number }>().n });
  }
  return out;
}

function expectExactlyOnce(contents: { id: string; n: number }[], count: number, producer: string): void {
  expect(contents).toHaveLength(count);
  expect(new Set(contents.map((c) => c.id)).size).toBe(count);
  expect(contents.map((c) => c.n).sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, i) => i));
  for (const c of contents) expect(c.id).toBe(`${producer}:${c.n}`);
}

describe("Outbox over JetStream", () => {
  it("survives a broker outage (server SIGKILLed and restarted on the same port): nothing lost, nothing duplicated", async () => {
    const jsm = await client.jetstreamManager();
    await jsm.streams.add({ name: "OUTAGE", subjects: ["outage.>"], duplicate_window: DUPLICATE_WINDOW_NS });
    const COUNT = 2000;
    const spool = await LocalDurableSpool.open<{ n: number }>({ db: new MemoryLevel({ valueEncoding: "view" }), name: "o" });
    await lastValueFrom(range(0, COUNT).pipe(map((n) => ({ n })), spool.record()));
    const outbox = await Outbox.open<{ n: number }>({
      spool,
      transport: jetStreamTransport({ client, ackTimeout: 500, stream: "OUTAGE" }),
      subject: "outage.readings",
      checkpoints: spool.checkpoints,
      name: "uplink",
      producerId: "gw",
      maxInFlight: 32,
      backoff: BackoffPolicy.fixed(50),
    });
    const run = outbox.run();
    const halfway = firstValueFrom(run.pipe(filter((f) => f.offset >= COUNT / 4)));
    const all = firstValueFrom(run.pipe(filter((f) => f.offset === COUNT - 1)));
    await halfway;
    await server.kill("SIGKILL");
    await new Promise((resolve) => setTimeout(resolve, 300)); // publishes fail meanwhile
    await server.restart();
    await all;
    expectExactlyOnce(await streamContents("OUTAGE"), COUNT, "gw");
    expect(outbox.lego.counters.retries).toBeGreaterThan(0);
    await outbox.close();
    await spool.close();
  }, 60_000);

  it("survives a producer crash (child SIGKILLed and restarted): nothing lost, nothing duplicated", async () => {
    const jsm = await client.jetstreamManager();
    await jsm.streams.add({ name: "OUT", subjects: ["out.>"], duplicate_window: DUPLICATE_WINDOW_NS });
    const dir = mkdtempSync(join(tmpdir(), "manyfold-outbox-"));
    const COUNT = 3000;
    const script = fileURLToPath(new URL("./fixtures/outbox-producer.ts", import.meta.url));
    const start = (): { child: ChildProcess; confirmed: number[] } => {
      const child = spawn(process.execPath, ["--import", "tsx", script, server.url, dir, String(COUNT)], { stdio: ["ignore", "pipe", "inherit"] });
      const confirmed: number[] = [];
      let partial = "";
      child.stdout.on("data", (chunk: Buffer) => {
        const lines = (partial + chunk.toString("utf8")).split("\n");
        partial = lines.pop() ?? "";
        for (const line of lines) if (/^\d+$/.test(line)) confirmed.push(Number(line));
      });
      return { child, confirmed };
    };
    try {
      const first = start();
      // wait until part of the spool was forwarded, then kill the producer mid-flight
      for (let i = 0; i < 400 && first.confirmed.length < COUNT / 3; i++) await new Promise((r) => setTimeout(r, 25));
      expect(first.confirmed.length).toBeGreaterThan(0);
      first.child.kill("SIGKILL");
      await new Promise((resolve) => first.child.once("exit", resolve));
      const storedAtCrash = (await jsm.streams.info("OUT")).state.messages;
      expect(storedAtCrash).toBeLessThan(COUNT);
      const second = start();
      for (let i = 0; i < 800 && !second.confirmed.includes(COUNT - 1); i++) await new Promise((r) => setTimeout(r, 25));
      second.child.kill("SIGKILL");
      await new Promise((resolve) => second.child.once("exit", resolve));
      expect(second.confirmed).toContain(COUNT - 1);
      // the restart resumed from the checkpoint, before what the first run had stored: the stream dropped the repeats
      expect(Math.min(...second.confirmed)).toBeLessThanOrEqual(storedAtCrash);
      expectExactlyOnce(await streamContents("OUT"), COUNT, "producer-1");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

