/**
 * NATS / JetStream legos against the raw v3 client, on a nats-server started
 * for the run (startNatsServer: own loopback port and temp store):
 * - Outbox forwarding a LocalDurableSpool to a stream through the PubAck
 *   transport vs raw pipelined `js.publish` of the same bytes with the same
 *   message ids and the same window of PubAcks in flight (goal ≥ 0.8×);
 * - natsConsumerGroup consume + ack vs the raw client's `consume()` + `ack()`
 *   of the same messages (goal ≥ 0.8×).
 *
 *   node --expose-gc --import tsx bench/nats.bench.ts
 */
import { AckPolicy, DeliverPolicy, StorageType } from "@nats-io/jetstream";
import { MemoryLevel } from "memory-level";
import { filter, firstValueFrom, lastValueFrom, map, of, range, take, toArray } from "rxjs";
import { BackoffPolicy, LocalDurableSpool, Outbox, type Codec } from "../src/index.js";
import { connectNats, jetStreamTransport, natsConsumerGroup } from "../src/engines/nats/index.js";
import { startNatsServer } from "../src/testing/index.js";
import { compare, section } from "./harness.js";

const OUTBOX_ITEMS = Number(process.env.OUTBOX_ITEMS ?? 20_000); // as the MQTT bench: long enough for a steady state
const CONSUME_ITEMS = Number(process.env.CONSUME_ITEMS ?? 20_000);
const WINDOW = 256;

const server = await startNatsServer();
const client = await connectNats(server.url);
const jsm = await client.jetstreamManager();
await jsm.streams.add({ name: "BENCH_OUT", subjects: ["bench.out"], storage: StorageType.File });

/** Passes bytes through: both sides publish and receive the same bytes, with no decode on either. */
const sameBytes: Codec<Uint8Array> = { id: "same-bytes", version: 1, encode: (b) => b, decode: (b) => b };
const encoder = new TextEncoder();
const payload = (i: number): Uint8Array => encoder.encode(JSON.stringify({ sensor: `t${i % 7}`, value: 20 + (i % 100) / 10, seq: i }));

section(`Outbox → JetStream (${OUTBOX_ITEMS} records, ${WINDOW} PubAcks in flight)`);
// maxPending holds the whole burst (the default would drop records past it, and the run would wait for them forever).
const spool = await LocalDurableSpool.open<Uint8Array>({ db: new MemoryLevel({ valueEncoding: "view" }), name: "bench", codec: sameBytes, maxPending: OUTBOX_ITEMS });
await lastValueFrom(range(0, OUTBOX_ITEMS).pipe(map(payload), spool.record()));
const records = await firstValueFrom(spool.replay().pipe(toArray()));
const transport = jetStreamTransport({ client, stream: "BENCH_OUT" });
let round = 0;

await compare(
  {
    name: "Outbox.run() via JetStreamTransport",
    run: async () => {
      const producer = `outbox-${++round}`; // fresh message ids: nothing is a duplicate
      const outbox = await Outbox.open<Uint8Array>({
        spool,
        transport,
        subject: "bench.out",
        checkpoints: spool.checkpoints,
        name: producer,
        producerId: producer,
        codec: sameBytes,
        maxInFlight: WINDOW,
        batchSize: Number(process.env.OUTBOX_BATCH ?? 1024),
        backoff: BackoffPolicy.fixed(50),
      });
      await firstValueFrom(outbox.run().pipe(filter((f) => f.offset === OUTBOX_ITEMS - 1)));
      await outbox.close();
      return OUTBOX_ITEMS;
    },
  },
  {
    name: "raw js.publish, same window",
    run: async () => {
      const producer = `raw-${++round}`;
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < records.length) {
          const record = records[next++];
          if (record === undefined) break;
          await client.js.publish("bench.out", record.value, { msgID: `${producer}:${record.offset}`, expect: { streamName: "BENCH_OUT" } });
        }
      };
      await Promise.all(Array.from({ length: WINDOW }, worker));
      return OUTBOX_ITEMS;
    },
  },
  { runs: 6, warmup: 1, unit: "msgs/s" },
);

section(`ConsumerGroup consume + ack (${CONSUME_ITEMS} messages, ${WINDOW} held at once)`);
await jsm.streams.add({ name: "BENCH_IN", subjects: ["bench.in"], storage: StorageType.File });
for (let i = 0; i < CONSUME_ITEMS; i += 1000) {
  await Promise.all(Array.from({ length: 1000 }, (_, k) => client.js.publish("bench.in", payload(i + k))));
}
let consumers = 0;
const freshConsumer = async (): Promise<string> => {
  const name = `c${++consumers}`;
  await jsm.consumers.add("BENCH_IN", { durable_name: name, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, max_ack_pending: -1 });
  return name;
};

await compare(
  {
    name: "natsConsumerGroup (ack on completion)",
    run: async () => {
      const consumer = await freshConsumer();
      const group = natsConsumerGroup<Uint8Array, number>(
        { client, stream: "BENCH_IN", consumer, concurrency: WINDOW, codec: sameBytes },
        (message) => of(message.seq),
      );
      await lastValueFrom(group.pipe(take(CONSUME_ITEMS)));
      await jsm.consumers.delete("BENCH_IN", consumer);
      return CONSUME_ITEMS;
    },
  },
  {
    name: "raw consumer.consume() + ack()",
    run: async () => {
      const name = await freshConsumer();
      const consumer = await client.js.consumers.get("BENCH_IN", name);
      const messages = await consumer.consume({ max_messages: WINDOW });
      let count = 0;
      for await (const m of messages) {
        m.ack();
        if (++count === CONSUME_ITEMS) break;
      }
      await messages.close();
      await jsm.consumers.delete("BENCH_IN", name);
      return CONSUME_ITEMS;
    },
  },
  { runs: 6, warmup: 1, unit: "msgs/s" },
);

await spool.close();
await client.close();
await server.stop();
