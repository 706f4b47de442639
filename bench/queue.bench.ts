/**
 * The LevelDB DurableQueue against BullMQ and against raw LevelDB, in the
 * same run, same job count:
 * - enqueue -> consume -> ack throughput, concurrency 1 and 16, vs BullMQ
 *   (v5) on the Redis at 127.0.0.1:6379 ("unavailable" when none answers);
 *   producers add all jobs at once (our enqueues group-commit; BullMQ's
 *   `addBulk`), then a worker (`work()` / BullMQ `Worker`) with an empty
 *   handler takes them until every job is acknowledged (goal >= 2x);
 * - the same pipeline vs a raw `level` batch of the same records: one
 *   batch put, a read of them all, one batch delete (the floor of what
 *   LevelDB must do; the ratio is our overhead).
 * Durability: the queue's default `relaxed` (each write handed to the OS,
 * survives SIGKILL, like Redis' default persistence) and `sync`.
 *
 *   node --expose-gc --import tsx bench/queue.bench.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import { Level } from "level";
import { LevelDurableQueue, jsonCodec, offsetKey, work, type Durability } from "../src/index.js";
import { compare, measure, section, type BenchCase } from "./harness.js";

interface Job {
  order: number;
  sku: string;
  qty: number;
}

const JOBS = Number(process.env.QUEUE_BENCH_JOBS ?? 2_000);
const RUNS = Number(process.env.QUEUE_BENCH_RUNS ?? 3);
const REDIS = { host: "127.0.0.1", port: 6379 };
const root = mkdtempSync(join(tmpdir(), "manyfold-bench-queue-"));
let names = 0;
const jobs: Job[] = Array.from({ length: JOBS }, (_, i) => ({ order: i, sku: `sku-${i % 97}`, qty: 1 + (i % 5) }));

async function redisAvailable(): Promise<boolean> {
  const client = new Redis({ ...REDIS, lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.ping();
    return true;
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** One database for all our runs (each run its own queue name), like one Redis for BullMQ's. */
const db = new Level<string, Uint8Array>(join(root, "queues"), { keyEncoding: "utf8", valueEncoding: "view" });
await db.open();

function ours(concurrency: number, durability: Durability): BenchCase {
  return {
    name: `LevelDurableQueue c=${concurrency} ${durability}`,
    run: async () => {
      const queue = await LevelDurableQueue.open<Job>({ db, name: `q${names++}`, durability });
      await Promise.all(jobs.map((job) => queue.enqueue(job, { id: `job-${job.order}` })));
      await new Promise<void>((resolve, reject) => {
        let acked = 0;
        const subscription = work(queue, () => undefined, { concurrency }).subscribe({
          next: (outcome) => {
            if (outcome.type === "acked" && ++acked === JOBS) {
              subscription.unsubscribe();
              resolve();
            }
          },
          error: reject,
        });
      });
      await queue.close();
      return JOBS;
    },
  };
}

function bullmq(concurrency: number): BenchCase {
  return {
    name: `BullMQ 5 c=${concurrency}`,
    run: async () => {
      const name = `manyfold-bench-${process.pid}-${names++}`;
      const connection = { ...REDIS, maxRetriesPerRequest: null };
      const queue = new Queue<Job>(name, { connection });
      await queue.addBulk(jobs.map((job) => ({ name: "job", data: job, opts: { jobId: `job-${job.order}`, removeOnComplete: true } })));
      let completed = 0;
      let done!: () => void;
      const finished = new Promise<void>((resolve) => (done = resolve));
      const worker = new Worker<Job>(name, () => Promise.resolve(), { connection, concurrency, autorun: false });
      worker.on("completed", () => {
        if (++completed === JOBS) done();
      });
      void worker.run();
      await finished;
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
      return JOBS;
    },
  };
}

const codec = jsonCodec<Job>();

function rawLevel(): BenchCase {
  return {
    name: "raw level batch put+read+del",
    run: async () => {
      const prefix = `raw${names++}!`;
      const put = db.batch();
      jobs.forEach((job, i) => put.put(prefix + offsetKey(i), codec.encode(job)));
      await put.write();
      const keys: string[] = [];
      for await (const [key, value] of db.iterator({ gte: prefix, lt: `${prefix}~` })) {
        codec.decode(value);
        keys.push(key);
      }
      const del = db.batch();
      for (const key of keys) del.del(key);
      await del.write();
      return JOBS;
    },
  };
}

section(`DurableQueue: enqueue -> consume -> ack, ${JOBS} jobs, medians of ${RUNS} runs`);
const redis = await redisAvailable();
for (const concurrency of [1, 16]) {
  if (redis) await compare(ours(concurrency, "relaxed"), bullmq(concurrency), { runs: RUNS, warmup: 1, unit: "jobs/s" });
  else {
    const result = await measure(ours(concurrency, "relaxed"), RUNS, 1);
    console.log(`${result.name.padEnd(34)} ${result.rate.toFixed(0).padStart(12)} jobs/s  vs  BullMQ 5 c=${concurrency}: unavailable (no Redis at 127.0.0.1:6379)`);
  }
}
for (const concurrency of [1, 16]) {
  if (redis) await compare(ours(concurrency, "sync"), bullmq(concurrency), { runs: RUNS, warmup: 1, unit: "jobs/s" });
}

section("DurableQueue vs a raw level batch of the same records");
await compare(ours(16, "relaxed"), rawLevel(), { runs: RUNS, warmup: 1, unit: "jobs/s" });

await db.close();
rmSync(root, { recursive: true, force: true });
