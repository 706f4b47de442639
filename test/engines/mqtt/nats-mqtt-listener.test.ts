/**
 * A sensor that speaks only MQTT (our legos: connectMqtt, toMqtt, and the
 * Outbox over MqttTransport) publishing into nats-server's MQTT listener,
 * and a JetStream stream on `sensors.>` capturing what it sends: MQTT topic
 * `sensors/<device>/reading` arrives as subject `sensors.<device>.reading`.
 * nats-server 2.9 speaks MQTT 3.1.1 only, so the message id rides in the
 * payload envelope (mqtt-envelope.ts) and is stored in the stream as is.
 *
 * A PUBACK from the listener means the server took the message, not that
 * the stream stored it (the stream stores asynchronously), so each check
 * first publishes a QoS 0 marker on the same connection and waits for it in
 * the stream: what was published before it on that connection is stored by
 * then, and the contents can be compared exactly.
 */
import { isLegoError, messageOf } from "../../../src/atom/lego-error.js";
import { MemoryLevel } from "memory-level";
import { filter, firstValueFrom, from, lastValueFrom, map, range, toArray } from "rxjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalDurableSpool, Outbox } from "../../../src/index.js";
import { connectMqtt, MqttTransport, toMqtt, unwrapEnvelope, wrapEnvelope, type MqttConnection } from "manyfold-rx/mqtt";
import { connectNats, type NatsClient } from "manyfold-rx/nats";
import { startNatsServer, type NatsServer } from "manyfold-rx/testing";

interface Reading {
  device: string;
  seq: number;
  celsius: number;
}

interface Stored {
  readonly seq: number;
  readonly subject: string;
  readonly data: Uint8Array;
  /** The `Nmqtt-Pub` header nats-server adds to what its MQTT listener took in: the QoS. */
  readonly mqttPub: string;
}

const STREAM = "SENSORS";
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

let server: NatsServer;
let client: NatsClient;
const connections: MqttConnection[] = [];

beforeAll(async () => {
  server = await startNatsServer({ mqtt: true });
  client = await connectNats({ servers: server.url });
  const jsm = await client.jetstreamManager();
  await jsm.streams.add({ name: STREAM, subjects: ["sensors.>"] });
});
afterAll(async () => {
  await Promise.all(connections.map((c) => c.close()));
  await client.close();
  await server.stop();
});

async function sensor(clientId: string): Promise<MqttConnection> {
  const url = server.mqttUrl;
  if (url === undefined) throw new Error("the server has no MQTT listener");
  const connection = await connectMqtt({ url, clientId, protocolVersion: 4 });
  connections.push(connection);
  return connection;
}

/** The stream's messages on subjects under `prefix`, in stream order. */
async function stored(prefix: string): Promise<Stored[]> {
  const jsm = await client.jetstreamManager();
  const info = await jsm.streams.info(STREAM);
  const out: Stored[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const m = await jsm.streams.getMessage(STREAM, { seq });
    if (m !== null && m.subject.startsWith(prefix)) out.push({ seq: m.seq, subject: m.subject, data: m.data, mqttPub: m.header.get("Nmqtt-Pub") });
  }
  return out;
}

/** Publishes a QoS 0 marker on `connection` and waits (≤ 5 s) until the stream holds it. */
async function settle(connection: MqttConnection, device: string): Promise<void> {
  const marker = `marker-${Math.random().toString(36).slice(2)}`;
  await lastValueFrom(from([marker]).pipe(toMqtt(`sensors/${device}/marker`, { connection, qos: 0 })));
  const jsm = await client.jetstreamManager();
  for (let waited = 0; waited < 5000; waited += 20) {
    const last = await jsm.streams.getMessage(STREAM, { last_by_subj: `sensors.${device}.marker` }).catch(() => null);
    if (last !== null && decoder.decode(last.data) === marker) return;
    await pause(20);
  }
  throw new Error(`marker ${marker} did not reach the stream within 5 s`);
}

describe("startNatsServer({ mqtt: true })", () => {
  it("validates the option", async () => {
    await expect(startNatsServer({ mqtt: "yes" as unknown as boolean })).rejects.toThrow(TypeError);
    await expect(startNatsServer({ mqtt: true, jetstream: false })).rejects.toThrow(/mqtt.*JetStream/);
  });

  it("has no MQTT URL unless asked; with one, the listener comes back on the same port after a restart", async () => {
    const plain = await startNatsServer({ jetstream: false });
    expect(plain.mqttUrl).toBeUndefined();
    await plain.stop();
    const other = await startNatsServer({ mqtt: true });
    try {
      const url = other.mqttUrl;
      expect(url).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
      await other.kill("SIGKILL");
      await other.restart();
      expect(other.mqttUrl).toBe(url);
      const connection = await connectMqtt({ url: url ?? "", protocolVersion: 4 });
      expect(connection.connected).toBe(true);
      await connection.close();
    } finally {
      await other.stop();
    }
  });
});

describe("a sensor speaking MQTT into nats-server, JetStream capturing it", () => {
  it("refuses MQTT 5 (nats-server 2.9 speaks 3.1.1 only): connectMqtt rejects once, clearly, and does not retry", async () => {
    const url = server.mqttUrl ?? "";
    const states: string[] = [];
    const errors: string[] = [];
    const refused = connectMqtt({ url, protocolVersion: 5, backoff: { initialDelay: 20, multiplier: 1, maxDelay: 20 } });
    const error = await refused.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isLegoError(error, "ENGINE_FEATURE_UNAVAILABLE")).toBe(true);
    expect(messageOf(error)).toMatch(/protocol version/i);
    expect(messageOf(error)).toContain("protocolVersion: 4");
    // The same refusal on a connection watched from the start: one attempt, then closed for good.
    const connection = await connectMqtt({ url, protocolVersion: 5, waitForConnect: false, backoff: { initialDelay: 20, multiplier: 1, maxDelay: 20 } });
    connection.client.on("error", (e) => errors.push(e.message));
    const watching = connection.status$.subscribe((s) => states.push(s.state));
    await connection.whenConnected().catch(() => undefined);
    await pause(300); // a retry would have come within 20 ms
    watching.unsubscribe();
    await connection.close();
    expect(errors).toEqual(["Connection refused: Unacceptable protocol version"]);
    expect(states).not.toContain("connected");
    expect(states.at(-1)).toBe("closed");
    expect(connection.lego.counters.connects).toBe(0);
  });

  it("stores every reading toMqtt passed on (QoS 1, PUBACKed) once, in order, payload and message id intact; a QoS 0 reading too", async () => {
    const connection = await sensor("sensor-hall");
    expect(connection.protocolVersion).toBe(4);
    const COUNT = 300;
    const devices = ["hall-1", "hall-2", "hall-3"];
    const readingAt = (n: number): Reading => ({ device: devices[n % devices.length] ?? "", seq: n, celsius: 20 + (n % 17) / 4 });
    const idOf = (r: Reading): string => `${r.device}:${r.seq}`;
    const passed = await lastValueFrom(
      range(0, COUNT).pipe(
        map(readingAt),
        toMqtt((r: Reading) => `sensors/${r.device}/reading`, { connection, qos: 1, messageId: idOf }),
        toArray(),
      ),
    );
    expect(passed).toHaveLength(COUNT);
    // QoS 0, no message id: the payload goes out bare, no envelope
    const loose: Reading = { device: "hall-1", seq: COUNT, celsius: -3.5 };
    await lastValueFrom(from([loose]).pipe(toMqtt(`sensors/${loose.device}/reading`, { connection, qos: 0 })));
    await settle(connection, "hall-1");

    const inStream = (await stored("sensors.hall-")).filter((m) => m.subject.endsWith(".reading"));
    expect(inStream).toHaveLength(COUNT + 1);
    // stream order is publish order, each reading once
    expect(inStream.map((m) => m.subject)).toEqual([...passed, loose].map((r) => `sensors.${r.device}.reading`));
    for (const [i, reading] of passed.entries()) {
      const m = inStream[i] as Stored;
      // byte for byte what toMqtt put on the wire: the 3.1.1 envelope around the JSON payload
      expect(m.data).toEqual(wrapEnvelope({ "message-id": idOf(reading) }, encoder.encode(JSON.stringify(reading))));
      const opened = unwrapEnvelope(m.data);
      expect(opened?.headers).toEqual({ "message-id": idOf(reading) });
      expect(JSON.parse(decoder.decode(opened?.payload)) as Reading).toEqual(reading);
    }
    // nats-server marks each with the QoS it was published at
    expect(inStream.map((m) => m.mqttPub)).toEqual([...passed.map(() => "1"), "0"]);
    const last = inStream[COUNT] as Stored;
    expect(unwrapEnvelope(last.data)).toBeUndefined();
    expect(JSON.parse(decoder.decode(last.data)) as Reading).toEqual(loose);
  });

  it("spool → Outbox → MqttTransport → nats MQTT listener → JetStream: every spooled record lands once, in order, with its message id", async () => {
    const connection = await sensor("gateway-7");
    const COUNT = 200;
    const spool = await LocalDurableSpool.open<Reading>({ db: new MemoryLevel({ valueEncoding: "view" }), name: "readings" });
    await lastValueFrom(range(0, COUNT).pipe(map((n): Reading => ({ device: "gw-7", seq: n, celsius: n / 10 })), spool.record()));
    const outbox = await Outbox.open<Reading>({
      spool,
      transport: new MqttTransport({ connection }),
      subject: (r) => `sensors.${r.device}.spooled`,
      checkpoints: spool.checkpoints,
      name: "uplink",
      producerId: "gw-7",
      maxInFlight: 16,
    });
    const run = outbox.run();
    await firstValueFrom(run.pipe(filter((f) => f.offset === COUNT - 1)));
    await settle(connection, "gw-7");
    await outbox.close();

    const inStream = (await stored("sensors.gw-7.")).filter((m) => m.subject === "sensors.gw-7.spooled");
    expect(inStream).toHaveLength(COUNT);
    const records = inStream.map((m) => {
      const opened = unwrapEnvelope(m.data);
      return { id: opened?.headers["message-id"], reading: JSON.parse(decoder.decode(opened?.payload)) as Reading };
    });
    expect(records.map((r) => r.id)).toEqual(Array.from({ length: COUNT }, (_, i) => `gw-7:${i}`));
    expect(records.map((r) => r.reading)).toEqual(Array.from({ length: COUNT }, (_, n) => ({ device: "gw-7", seq: n, celsius: n / 10 })));
    expect(outbox.lego.counters.retries).toBe(0);
  });
});
