/**
 * The three speed goals of issue 18, measured in one run (medians of
 * several alternating runs, see harness.ts):
 *
 * 1. `decodeJsonEvents` against a bare `JSON.parse(buf.toString())` loop on
 *    the same byte messages (goal >= 0.67x);
 * 2. chunks -> `delimited` -> `decodeJsonEvents` -> `thresholdFilter`
 *    against a hand-written one-chain RxJS pipeline doing the same work
 *    (goal >= 0.85x);
 * 3. the spool's default codec: relaxed `record()` of plain objects against
 *    a raw level batch of the same objects JSON-encoded (goal >= 0.5x).
 *
 *   node --expose-gc --import tsx bench/ratios.bench.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Level } from "level";
import { asyncScheduler, filter, from, lastValueFrom, map, mergeMap } from "rxjs";
import { DelimitedMessageBuffer, LocalDurableSpool, decodeJsonEvents, delimited, thresholdFilter, type SensorEvent } from "../src/index.js";
import { compare, section, type BenchCase } from "./harness.js";

let sink: unknown;

// ---------------------------------------------------------------------------
// Input: JSON sensor lines, 64 KiB chunks that cut lines anywhere
// ---------------------------------------------------------------------------

const LINES = 400_000;
const CHUNK_BYTES = 64 * 1024;
const lines: string[] = [];
for (let i = 0; i < LINES; i++) {
  const v = Math.round((21.5 + Math.sin(i / 50) * 2 + ((i * 7919) % 13) / 100) * 100) / 100;
  lines.push(`{"event_type":"ambient.reading","data":{"v":${v},"h":${40 + (i % 7)}},"sensor":"s${i % 13}"}\n`);
}
const all = Buffer.from(lines.join(""), "utf8");
const chunks: Buffer[] = [];
for (let offset = 0; offset < all.length; offset += CHUNK_BYTES) chunks.push(Buffer.from(all.subarray(offset, offset + CHUNK_BYTES)));
/** framing.bench.ts's messages: 40-byte JSON objects without event_type/data (all keys become sorted metadata). */
const byteMessages = new DelimitedMessageBuffer().append(
  Buffer.from(
    Array.from({ length: LINES }, (_, i) => `{"t":${(i * 7) % 100_000},"v":${(i % 997) / 10},"id":"s${i % 13}"}`.padEnd(39, " ") + "\n").join(""),
  ),
);
if (byteMessages.length !== LINES) throw new Error(`framed ${byteMessages.length} messages, expected ${LINES}`);

// ---------------------------------------------------------------------------
// 1. decodeJsonEvents vs JSON.parse(buf.toString())
// ---------------------------------------------------------------------------

const decodeOurs: BenchCase = {
  name: "decodeJsonEvents() bytes",
  run: () => {
    let count = 0;
    from(byteMessages)
      .pipe(decodeJsonEvents())
      .subscribe((event) => {
        sink = event;
        count++;
      });
    if (count !== LINES) throw new Error(`decoded ${count}`);
    return count;
  },
};

const bareParse: BenchCase = {
  name: "JSON.parse(buf.toString()) loop",
  run: () => {
    for (const message of byteMessages) {
      sink = JSON.parse(Buffer.from(message.buffer, message.byteOffset, message.byteLength).toString()) as unknown;
    }
    return byteMessages.length;
  },
};

// ---------------------------------------------------------------------------
// 2. The pipeline vs a hand-written one-chain RxJS pipeline
// ---------------------------------------------------------------------------

const THRESHOLD = 0.05;

const pipelineOurs: BenchCase = {
  name: "delimited→decode→thresholdFilter",
  run: () => {
    let count = 0;
    from(chunks)
      .pipe(
        delimited(),
        decodeJsonEvents(),
        thresholdFilter<SensorEvent>({ threshold: THRESHOLD, key: (event) => event.data }),
      )
      .subscribe((event) => {
        sink = event;
        count++;
      });
    return LINES + count * 0;
  },
};

interface Reading {
  readonly v: number;
  readonly h: number;
}

/** The same work by hand: split on "\n" (carrying partial lines), parse, build the event, deadband on data's numbers. */
const pipelineByHand: BenchCase = {
  name: "hand-written from(…).pipe(…) chain",
  run: () => {
    let pending: Buffer | undefined;
    let sequence = 0;
    let last: Reading | undefined;
    let count = 0;
    from(chunks)
      .pipe(
        mergeMap((chunk: Buffer) => {
          const out: Buffer[] = [];
          let pos = 0;
          for (let end = chunk.indexOf(10); end !== -1; end = chunk.indexOf(10, pos)) {
            out.push(pending === undefined ? chunk.subarray(pos, end) : Buffer.concat([pending, chunk.subarray(0, end)]));
            pending = undefined;
            pos = end + 1;
          }
          if (pos < chunk.length) pending = Buffer.from(chunk.subarray(pos));
          return out;
        }),
        map((line) => {
          const parsed = JSON.parse(line.toString()) as { event_type: string; data: Reading; sensor: string };
          return {
            eventType: parsed.event_type,
            data: parsed.data,
            observedAt: asyncScheduler.now(),
            sequenceNumber: ++sequence,
            raw: line,
            metadata: { sensor: parsed.sensor },
          };
        }),
        filter((event) => {
          const data = event.data;
          if (last !== undefined && Math.abs(data.v - last.v) <= THRESHOLD && Math.abs(data.h - last.h) <= THRESHOLD) return false;
          last = data;
          return true;
        }),
      )
      .subscribe((event) => {
        sink = event;
        count++;
      });
    return LINES + count * 0;
  },
};

// ---------------------------------------------------------------------------
// 3. The spool's default codec vs a raw level batch of JSON-encoded objects
// ---------------------------------------------------------------------------

const ITEMS = 50_000;
const BATCH = 1000;
const items = Array.from({ length: ITEMS }, (_, i) => ({ sensor: `s${i % 13}`, v: Math.round(Math.sin(i) * 1000) / 100, seq: i, ok: i % 5 !== 0 }));
const dirs: string[] = [];
const freshDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), "manyfold-ratios-"));
  dirs.push(dir);
  return dir;
};
const offsetKey = (offset: number): string => offset.toString(16).padStart(16, "0");

async function spoolCases(): Promise<[BenchCase, BenchCase, () => Promise<void>]> {
  const spool = await LocalDurableSpool.open<(typeof items)[number]>({ location: freshDir(), name: "bench", durability: "relaxed", maxPending: ITEMS });
  const db = new Level<string, Uint8Array>(freshDir(), { keyEncoding: "utf8", valueEncoding: "view" });
  await db.open();
  const encoder = new TextEncoder();
  let next = 0;
  const ours: BenchCase = {
    name: "record() relaxed, default codec",
    run: async () => {
      await lastValueFrom(from(items).pipe(spool.record()));
      return items.length;
    },
  };
  const raw: BenchCase = {
    name: "raw level batch, JSON.stringify",
    run: async () => {
      for (let i = 0; i < items.length; i += BATCH) {
        const batch = db.batch();
        for (let j = i; j < Math.min(i + BATCH, items.length); j++) batch.put(offsetKey(next++), encoder.encode(JSON.stringify(items[j])));
        await batch.write();
      }
      return items.length;
    },
  };
  return [ours, raw, async () => {
    await spool.close();
    await db.close();
  }];
}

// ---------------------------------------------------------------------------

section(`issue 18 ratios (${LINES} JSON lines, ${(all.length / 1e6).toFixed(0)} MB; ${ITEMS} spool items)`);
const decodeRatio = await compare(decodeOurs, bareParse, { unit: "messages/s", runs: 9 });
if (process.argv.includes("--decode-only")) process.exit(0);
const pipelineRatio = await compare(pipelineOurs, pipelineByHand, { unit: "lines/s", runs: 9 });
const [ours, raw, close] = await spoolCases();
const spoolRatio = await compare(ours, raw, { unit: "items/s", runs: 9 });
await close();
for (const dir of dirs) rmSync(dir, { recursive: true, force: true });

section("goals");
console.log(`decodeJsonEvents vs JSON.parse(buf.toString()): ${decodeRatio.toFixed(2)}x (goal >= 0.67x, aim 0.83x)`);
console.log(`pipeline vs hand-written RxJS chain:          ${pipelineRatio.toFixed(2)}x (goal >= 0.85x)`);
console.log(`spool record() default codec vs raw batch:    ${spoolRatio.toFixed(2)}x (goal >= 0.5x)`);
if (sink === undefined) throw new Error("nothing reached the consumer");
