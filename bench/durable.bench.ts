/**
 * The durable spool against raw LevelDB (classic-level) in the same run:
 * - relaxed `record()` throughput vs raw batches of the same items, already
 *   encoded, in chunks of 1000 (goal ≥ 0.5×);
 * - sync `record()` under a burst (group commit) vs one `put({ sync: true })`
 *   per item (goal ≥ 20×);
 * - `replay()` vs a raw iterator (goal ≥ 0.7×);
 * - peak memory while replaying 1 M records (should stay flat).
 *
 *   node --expose-gc --import tsx bench/durable.bench.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Level } from "level";
import { from, lastValueFrom, tap } from "rxjs";
import { LocalDurableSpool, jsonCodec, offsetKey, type Codec, type Durability } from "../src/index.js";
import { compare, section, type BenchCase } from "./harness.js";

interface Sample {
  sensor: string;
  value: number;
  ts: number;
  seq: number;
}

const WRITE_ITEMS = 100_000;
const SYNC_BURST = 20_000;
const SYNC_PEER_ITEMS = 1_000;
const READ_ITEMS = 200_000;
const MEMORY_ITEMS = 1_000_000;
const CHUNK = 1000;

const codec = jsonCodec<Sample>();
const root = mkdtempSync(join(tmpdir(), "manyfold-bench-durable-"));
let dirCount = 0;
const freshDir = (): string => join(root, `db${dirCount++}`);

function samples(count: number, start = 0): Sample[] {
  return Array.from({ length: count }, (_, i) => ({ sensor: `t${(start + i) % 7}`, value: 20 + ((start + i) % 100) / 10, ts: 1_700_000_000_000 + start + i, seq: start + i }));
}

/**
 * Passes the already-encoded bytes through, so the spool writes exactly what
 * the raw peers write. (`bytesCodec()` copies each value, which alone costs
 * an off-heap allocation per item.)
 */
const sameBytesCodec: Codec<Uint8Array> = { id: "same-bytes", version: 1, encode: (bytes) => bytes, decode: (bytes) => bytes };

const items = samples(WRITE_ITEMS);
const encoded = items.map((item) => codec.encode(item));
const burst = samples(SYNC_BURST);

async function openSpool(durability: Durability, maxPending: number): Promise<LocalDurableSpool<Sample>> {
  return LocalDurableSpool.open<Sample>({ location: freshDir(), name: "bench", durability, maxPending });
}

async function openRaw(): Promise<Level<string, Uint8Array>> {
  const db = new Level<string, Uint8Array>(freshDir(), { keyEncoding: "utf8", valueEncoding: "view" });
  await db.open();
  return db;
}

/** Raw writes: keys continue from `next`, so every run appends like the spool does. */
function rawWriter(db: Level<string, Uint8Array>, form: "chained" | "array"): BenchCase["run"] {
  let next = 0;
  return async () => {
    for (let i = 0; i < encoded.length; i += CHUNK) {
      const end = Math.min(i + CHUNK, encoded.length);
      if (form === "chained") {
        const batch = db.batch();
        for (let j = i; j < end; j++) batch.put(offsetKey(next++), encoded[j] as Uint8Array);
        await batch.write();
      } else {
        const ops = [];
        for (let j = i; j < end; j++) ops.push({ type: "put" as const, key: offsetKey(next++), value: encoded[j] as Uint8Array });
        await db.batch(ops);
      }
    }
    return encoded.length;
  };
}

async function writeThroughput(): Promise<number[]> {
  section(`relaxed record() vs raw batches of ${CHUNK} pre-encoded items (${WRITE_ITEMS} items per run)`);
  const jsonSpool = await openSpool("relaxed", WRITE_ITEMS);
  const bytesSpool = await LocalDurableSpool.open<Uint8Array>({
    location: freshDir(),
    name: "bench",
    durability: "relaxed",
    maxPending: WRITE_ITEMS,
    codec: sameBytesCodec,
  });
  const chainedDb = await openRaw();
  const arrayDb = await openRaw();
  // Same bytes as the raw peers write: the spool's own cost (envelope, queue, RxJS, keys).
  const sameBytes: BenchCase = {
    name: "record() relaxed, same bytes",
    run: async () => {
      await lastValueFrom(from(encoded).pipe(bytesSpool.record()));
      return encoded.length;
    },
  };
  // Objects through the default codec (canonical JSON), which the peers do not pay.
  const objects: BenchCase = {
    name: "record() relaxed, objects, jsonCodec",
    run: async () => {
      await lastValueFrom(from(items).pipe(jsonSpool.record()));
      return items.length;
    },
  };
  const chained: BenchCase = { name: "raw db.batch() chained, 1000/write", run: rawWriter(chainedDb, "chained") };
  const array: BenchCase = { name: "raw db.batch(ops), 1000/write", run: rawWriter(arrayDb, "array") };
  const ratios = [
    await compare(sameBytes, chained, { runs: 6, unit: "items/s" }),
    await compare(sameBytes, array, { runs: 6, unit: "items/s" }),
    await compare(objects, chained, { runs: 6, unit: "items/s" }),
  ];
  await jsonSpool.close();
  await bytesSpool.close();
  await chainedDb.close();
  await arrayDb.close();
  return ratios;
}

async function syncBurst(): Promise<number> {
  section(`sync record() under a burst of ${SYNC_BURST} (group commit) vs one put({ sync: true }) per item`);
  const spool = await openSpool("sync", SYNC_BURST);
  const db = await openRaw();
  let next = 0;
  const ratio = await compare(
    {
      name: "spool.record() sync, burst",
      run: async () => {
        await lastValueFrom(from(burst).pipe(spool.record()));
        return burst.length;
      },
    },
    {
      name: "raw put({ sync: true }) per item",
      run: async () => {
        for (let i = 0; i < SYNC_PEER_ITEMS; i++) await db.put(offsetKey(next++), encoded[i] as Uint8Array, { sync: true });
        return SYNC_PEER_ITEMS;
      },
    },
    { runs: 6, warmup: 1, unit: "items/s" },
  );
  const { batches, fsyncs, appended } = spool.lego.counters;
  console.log(`  spool counters: appended ${appended}, batches ${batches}, fsyncs ${fsyncs} (${((appended ?? 0) / (fsyncs ?? 1)).toFixed(0)} items per fsync)`);
  await spool.close();
  await db.close();
  return ratio;
}

/** Fills a spool and a raw database with the same items. */
async function filled(count: number): Promise<{ spool: LocalDurableSpool<Sample>; db: Level<string, Uint8Array> }> {
  const spool = await openSpool("relaxed", 10_000);
  const db = await openRaw();
  for (let start = 0; start < count; start += 10_000) {
    const chunk = samples(Math.min(10_000, count - start), start);
    await lastValueFrom(from(chunk).pipe(spool.record()));
    const batch = db.batch();
    chunk.forEach((item, i) => batch.put(offsetKey(start + i), codec.encode(item)));
    await batch.write();
  }
  return { spool, db };
}

async function replayThroughput(): Promise<number[]> {
  section(`replay() vs a raw iterator (${READ_ITEMS} records per run)`);
  const { spool, db } = await filled(READ_ITEMS);
  let sink = 0;
  const ours: BenchCase = {
    name: "spool.replay()",
    run: async () => {
      let count = 0;
      await lastValueFrom(
        spool.replay().pipe(
          tap((record) => {
            sink += record.value.seq;
            count++;
          }),
        ),
      );
      return count;
    },
  };
  const rawDecoded: BenchCase = {
    name: "raw iterator + codec.decode",
    run: async () => {
      let count = 0;
      for await (const [, value] of db.iterator()) {
        sink += codec.decode(value).seq;
        count++;
      }
      return count;
    },
  };
  const rawBytes: BenchCase = {
    name: "raw iterator, bytes only (nextv)",
    run: async () => {
      let count = 0;
      const iterator = db.iterator();
      for (;;) {
        const entries = await iterator.nextv(CHUNK);
        if (entries.length === 0) break;
        for (const [, value] of entries) sink += value.length;
        count += entries.length;
      }
      await iterator.close();
      return count;
    },
  };
  // The same bytes back, no codec work: the spool's own read cost (envelope, offsets, records, RxJS).
  const bytesSpool = await LocalDurableSpool.open<Uint8Array>({ location: freshDir(), name: "bench", durability: "relaxed", codec: sameBytesCodec });
  for (let start = 0; start < READ_ITEMS; start += 10_000) {
    await lastValueFrom(from(samples(10_000, start).map((item) => codec.encode(item))).pipe(bytesSpool.record()));
  }
  const sameBytes: BenchCase = {
    name: "spool.replay(), same bytes",
    run: async () => {
      let count = 0;
      await lastValueFrom(
        bytesSpool.replay().pipe(
          tap((record) => {
            sink += record.value.length;
            count++;
          }),
        ),
      );
      return count;
    },
  };
  const ratios = [
    await compare(ours, rawDecoded, { runs: 6, unit: "records/s" }),
    await compare(ours, rawBytes, { runs: 6, unit: "records/s" }),
    await compare(sameBytes, rawBytes, { runs: 6, unit: "records/s" }),
  ];
  if (sink === -1) console.log(sink);
  await spool.close();
  await bytesSpool.close();
  await db.close();
  return ratios;
}

function heapMb(): number {
  return process.memoryUsage().heapUsed / 1_048_576;
}

async function replayMemory(): Promise<void> {
  section(`peak memory while replaying (heapUsed above the baseline before the replay)`);
  const { spool, db } = await filled(MEMORY_ITEMS);
  await db.close();
  for (const count of [100_000, MEMORY_ITEMS]) {
    (globalThis as { gc?: () => void }).gc?.();
    const baseline = heapMb();
    const rssBefore = process.memoryUsage().rss / 1_048_576;
    let peak = baseline;
    let peakRss = rssBefore;
    let seen = 0;
    await lastValueFrom(
      spool.replay({ from: MEMORY_ITEMS - count }).pipe(
        tap(() => {
          if (++seen % 5000 === 0) {
            peak = Math.max(peak, heapMb());
            peakRss = Math.max(peakRss, process.memoryUsage().rss / 1_048_576);
          }
        }),
      ),
    );
    console.log(
      `  replay of ${String(seen).padStart(7)} records: peak heapUsed +${(peak - baseline).toFixed(1)} MB over ${baseline.toFixed(1)} MB, peak rss ${peakRss.toFixed(0)} MB (before ${rssBefore.toFixed(0)} MB)`,
    );
  }
  await spool.close();
}

try {
  const [vsChained, vsArray, jsonVsChained] = await writeThroughput();
  const syncRatio = await syncBurst();
  const [vsRawDecoded, vsRawBytes, sameVsRawBytes] = await replayThroughput();
  await replayMemory();
  section("ratios (> 1 means the spool is faster)");
  console.log(`  relaxed record() / raw chained batch:  ${vsChained?.toFixed(2)}x   (goal >= 0.5x; same bytes)`);
  console.log(`  relaxed record() / raw array batch:    ${vsArray?.toFixed(2)}x   (same bytes)`);
  console.log(`  ... with objects through jsonCodec:    ${jsonVsChained?.toFixed(2)}x   (vs chained; includes encoding)`);
  console.log(`  sync record() burst / put(sync) each:  ${syncRatio.toFixed(1)}x   (goal >= 20x)`);
  console.log(`  replay() / raw iterator + decode:      ${vsRawDecoded?.toFixed(2)}x   (goal >= 0.7x)`);
  console.log(`  replay() / raw nextv, bytes only:      ${vsRawBytes?.toFixed(2)}x   (ours decodes JSON, the peer does not)`);
  console.log(`  replay() same bytes / raw nextv:       ${sameVsRawBytes?.toFixed(2)}x   (no codec on either side)`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
