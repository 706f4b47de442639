/**
 * Durable handoff on one machine, in the same run:
 * - Inbox dedupe overhead per message: `inbox(store, handler)` with a
 *   memory store and with the LevelDB store (classic-level on disk, the
 *   handler's effect and the mark in one write) vs the same handler run
 *   one message at a time without dedupe;
 * - Outbox forwarding on the in-process transport (checkpointed, in order)
 *   vs a raw loop that replays the spool and publishes each record.
 *
 *   node --expose-gc --import tsx bench/handoff.bench.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Level } from "level";
import { concatMap, firstValueFrom, from, lastValueFrom, take, toArray } from "rxjs";
import {
  InProcessTransport,
  LevelDeduplicationStore,
  LocalDurableSpool,
  MemoryDeduplicationStore,
  Outbox,
  inbox,
  jsonCodec,
  type DeduplicationStore,
} from "../src/index.js";
import { compare, section, type BenchCase } from "./harness.js";

interface Message {
  readonly messageId: string;
  readonly value: number;
}

const INBOX_MEMORY = 20_000;
const INBOX_LEVEL = 5_000;
const OUTBOX_RECORDS = 10_000;
const root = mkdtempSync(join(tmpdir(), "manyfold-bench-handoff-"));
let dirs = 0;
const freshDir = (): string => join(root, `db${dirs++}`);
const encodings = { keyEncoding: "utf8", valueEncoding: "view" } as const;

const messages = (count: number, run: number): Message[] => Array.from({ length: count }, (_, i) => ({ messageId: `p${run}:${i}`, value: i }));
let sink = 0;
const handler = (message: Message): number => (sink += message.value);

function bare(count: number): BenchCase {
  let run = 0;
  return {
    name: "bare handler (one at a time)",
    run: async () => {
      const batch = messages(count, run++);
      await lastValueFrom(from(batch).pipe(concatMap((m) => Promise.resolve(handler(m))), toArray()));
      return count;
    },
  };
}

function withInbox(name: string, count: number, open: () => Promise<DeduplicationStore>): BenchCase {
  let run = 0;
  return {
    name,
    run: async () => {
      const store = await open();
      const batch = messages(count, run++);
      // Every id twice: half the messages are duplicates.
      const stream = [...batch, ...batch];
      const results = await lastValueFrom(from(stream).pipe(inbox(store, handler, { maxPending: stream.length }), toArray()));
      if (results.filter((r) => r.status === "processed").length !== count) throw new Error("inbox processed a wrong count");
      await store.close();
      return stream.length;
    },
  };
}

async function main(): Promise<void> {
  const ratios: [string, number][] = [];
  section(`inbox dedupe overhead (${INBOX_MEMORY} ids, each delivered twice) vs a bare handler`);
  ratios.push([
    "inbox (memory store) / bare",
    await compare(withInbox("inbox (MemoryDeduplicationStore)", INBOX_MEMORY, () => Promise.resolve(new MemoryDeduplicationStore())), bare(INBOX_MEMORY * 2), {
      unit: "msg/s",
    }),
  ]);
  const dbs: Level<string, Uint8Array>[] = [];
  ratios.push([
    "inbox (LevelDB store) / bare",
    await compare(
      withInbox(`inbox (LevelDeduplicationStore, ${INBOX_LEVEL} ids)`, INBOX_LEVEL, async () => {
        const db = new Level<string, Uint8Array>(freshDir(), encodings);
        await db.open();
        dbs.push(db);
        return LevelDeduplicationStore.open(db);
      }),
      bare(INBOX_LEVEL * 2),
      { unit: "msg/s", runs: 5 },
    ),
  ]);
  for (const db of dbs) await db.close();

  section(`outbox forwarding on the in-process transport (${OUTBOX_RECORDS} records) vs a raw replay-and-publish loop`);
  const spool = await LocalDurableSpool.open<Message>({ location: freshDir(), name: "out", codec: jsonCodec<Message>(), durability: "relaxed" });
  await lastValueFrom(from(messages(OUTBOX_RECORDS, 0)).pipe(spool.record()));
  const transport = new InProcessTransport();
  transport.subscribe("bench.>").subscribe();
  let outboxes = 0;
  const outboxCase = (maxInFlight: number): BenchCase => ({
    name: `Outbox (maxInFlight ${maxInFlight}, checkpointed)`,
    run: async () => {
      const outbox = await Outbox.open({
        spool,
        transport,
        subject: "bench.out",
        checkpoints: spool.checkpoints,
        name: `o${outboxes++}`,
        producerId: "bench",
        maxInFlight,
        batchSize: 1000,
      });
      await firstValueFrom(outbox.run().pipe(take(OUTBOX_RECORDS), toArray()));
      await outbox.close();
      return OUTBOX_RECORDS;
    },
  });
  const codec = jsonCodec<Message>();
  const raw: BenchCase = {
    name: "raw loop (replay, publish, no checkpoint)",
    run: async () => {
      await lastValueFrom(spool.replay().pipe(concatMap((r) => transport.publish("bench.out", codec.encode(r.value), { messageId: `bench:${r.offset}` })), toArray()));
      return OUTBOX_RECORDS;
    },
  };
  ratios.push(["outbox (window 1) / raw loop", await compare(outboxCase(1), raw, { unit: "rec/s", runs: 5 })]);
  ratios.push(["outbox (window 16) / raw loop", await compare(outboxCase(16), raw, { unit: "rec/s", runs: 5 })]);
  await spool.close();
  await transport.close();

  section("ratios (> 1 means ours is faster)");
  for (const [label, ratio] of ratios) console.log(`${label.padEnd(34)} ${ratio.toFixed(2)}x`);
  if (sink < 0) console.log(sink);
  rmSync(root, { recursive: true, force: true });
}

await main();
