/**
 * MQTT publishing against raw MQTT.js in the same run, on a mosquitto this
 * benchmark starts on a free loopback port (no shared broker):
 * - `toMqtt` (QoS 1, passed on in order after PUBACK) vs raw MQTT.js
 *   `publish` QoS 1 of the same messages, all in flight, awaiting every
 *   PUBACK;
 * - store-and-forward: a LocalDurableSpool forwarded by the Outbox over
 *   MqttTransport (cursor moved on PUBACK) vs the same raw publishing
 *   (goal ≥ 0.8×), and vs raw publishing that carries the same message id
 *   user property as the Outbox's messages (like for like).
 * Prints "unavailable" when no mosquitto can be started.
 *
 *   node --expose-gc --import tsx bench/mqtt.bench.ts
 */
import { connectAsync } from "mqtt";
import { from, lastValueFrom } from "rxjs";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { filter, firstValueFrom } from "rxjs";
import { LocalDurableSpool, Outbox } from "../src/index.js";
import { MqttTransport, connectMqtt, toMqtt } from "../src/engines/mqtt/index.js";
import { startMosquitto, type MosquittoBroker } from "../src/testing/mosquitto.js";
import { compare, section, type BenchCase } from "./harness.js";

const MESSAGES = 20_000;
const OUTBOX_RECORDS = 20_000;
const payloads = Array.from({ length: MESSAGES }, (_, i) => JSON.stringify({ sensor: `t${i % 7}`, value: 20 + (i % 100) / 10, seq: i }));

async function main(): Promise<void> {
  let broker: MosquittoBroker;
  try {
    broker = await startMosquitto({ persistence: false });
  } catch (error) {
    console.log(`mqtt: unavailable (${error instanceof Error ? error.message : String(error)})`);
    return;
  }
  const raw = await connectAsync(broker.url, { protocolVersion: 5 });
  const ours = await connectMqtt({ url: broker.url });
  try {
    section(`MQTT QoS 1 publishing, ${MESSAGES} messages`);
    const rawCase: BenchCase = {
      name: "raw MQTT.js publishAsync QoS 1",
      run: async () => {
        await Promise.all(payloads.map((p) => raw.publishAsync("bench/raw", p, { qos: 1 })));
        return MESSAGES;
      },
    };
    const toMqttCase: BenchCase = {
      name: "toMqtt QoS 1 (in order after PUBACK)",
      run: async () => {
        await lastValueFrom(from(payloads).pipe(toMqtt("bench/ours", { connection: ours, maxPending: MESSAGES })));
        return MESSAGES;
      },
    };
    await compare(toMqttCase, rawCase, { unit: "msg/s", runs: 6 });

    section(`store-and-forward: spool → Outbox → MQTT QoS 1, ${OUTBOX_RECORDS} records (goal ≥ 0.8× raw)`);
    const records = payloads.slice(0, OUTBOX_RECORDS);
    const rawSame: BenchCase = {
      name: "raw MQTT.js publishAsync QoS 1",
      run: async () => {
        await Promise.all(records.map((p) => raw.publishAsync("bench/raw", p, { qos: 1 })));
        return OUTBOX_RECORDS;
      },
    };
    const dir = mkdtempSync(join(tmpdir(), "manyfold-bench-mqtt-"));
    const spool = await LocalDurableSpool.open<string>({ location: dir, name: "readings", durability: "relaxed", maxPending: OUTBOX_RECORDS });
    await lastValueFrom(from(records).pipe(spool.record()));
    const transport = new MqttTransport({ connection: ours });
    let run = 0;
    const outboxCase: BenchCase = {
      name: "Outbox → MqttTransport (maxInFlight 256)",
      run: async () => {
        // A fresh cursor each run: the same records forwarded again.
        const outbox = await Outbox.open<string>({
          spool,
          transport,
          subject: "bench.outbox",
          checkpoints: spool.checkpoints,
          name: `bench-${run++}`,
          producerId: "bench",
          maxInFlight: 256,
        });
        await firstValueFrom(outbox.run().pipe(filter((f) => f.offset === OUTBOX_RECORDS - 1)));
        await outbox.close();
        return OUTBOX_RECORDS;
      },
    };
    await compare(outboxCase, rawSame, { unit: "msg/s", runs: 6 });
    // Like for like: the Outbox's messages carry their message id (the receiver's idempotency
    // key) as an MQTT 5 user property, which costs MQTT.js a share of its time per message.
    const rawWithIds: BenchCase = {
      name: "raw MQTT.js QoS 1 + message-id prop",
      run: async () => {
        await Promise.all(records.map((p, i) => raw.publishAsync("bench/raw", p, { qos: 1, properties: { userProperties: { "message-id": `raw:${i}` } } })));
        return OUTBOX_RECORDS;
      },
    };
    await compare(outboxCase, rawWithIds, { unit: "msg/s", runs: 6 });
    // The same window as the Outbox (256 unacknowledged), as the NATS bench compares: how a
    // hand-rolled forwarder that bounds what it has in flight would publish.
    const rawWindowed: BenchCase = {
      name: "raw MQTT.js QoS 1, 256 in flight",
      run: async () => {
        let next = 0;
        const worker = async (): Promise<void> => {
          while (next < records.length) {
            const i = next++;
            await raw.publishAsync("bench/raw", records[i] ?? "", { qos: 1, properties: { userProperties: { "message-id": `raw:${i}` } } });
          }
        };
        await Promise.all(Array.from({ length: 256 }, worker));
        return OUTBOX_RECORDS;
      },
    };
    await compare(outboxCase, rawWindowed, { unit: "msg/s", runs: 6 });
    await spool.close();
    rmSync(dir, { recursive: true, force: true });
  } finally {
    await raw.endAsync();
    await ours.close();
    await broker.stop();
  }
}

await main();
