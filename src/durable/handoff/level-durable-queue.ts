import { LegoError, messageOf } from "../../atom/lego-error.js";
import { optional, requireNonEmptyString, requireOneOf, requirePositiveInteger } from "../../atom/validate.js";
import type { DeadLetter } from "../../ports/durable-queue.js";
import type { Codec } from "../../local/schema.js";
import { bytesCodec, decodeUtf8, encodeUtf8, jsonCodec } from "../../local/value-codecs.js";
import { CheckpointStore } from "../checkpoint-store.js";
import { requireCodec } from "../durable-validate.js";
import { EventLog } from "../event-log.js";
import { Keyspace, type KeyspaceOperation } from "../keyspace.js";
import { isLevelDatabase, openLevelDatabase, type LevelDatabase } from "../level-database.js";
import { DURABILITIES, type Durability } from "../local-durable-spool.js";
import { offsetKey } from "../offset-key.js";
import type { StoredDeadLetter } from "./dead-letter-queue.js";
import {
  DurableQueueBase,
  validateQueueOptions,
  type DurableQueueOptions,
  type Job,
  type JobChange,
  type QueueSettings,
  type QueueStore,
  type RecoveredState,
} from "./durable-queue.js";

/** Options of {@link LevelDurableQueue.open}: exactly one of `location` and `db`, and a `name`. */
export interface LevelDurableQueueOptions<T> extends DurableQueueOptions {
  /** Directory of a LevelDB database (classic-level) the queue opens, owns and closes. */
  location?: string;
  /** An open abstract-level database to live in (memory-level in tests); the caller keeps ownership. */
  db?: LevelDatabase;
  /** The queue's name: its keyspace in the database and its lego name. */
  name: string;
  /** Encodes job values. @default jsonCodec() */
  codec?: Codec<T>;
  /**
   * `relaxed`: every write is handed to the OS before the call resolves —
   * an enqueued job survives the process being killed (SIGKILL), not the
   * machine losing power (Redis' default, so BullMQ's, is no stronger).
   * `sync`: enqueues, acks and dead-letterings are fsynced too (group
   * commit keeps bursts cheap); delivery bookkeeping never is.
   * @default "relaxed"
   */
  durability?: Durability;
  /** Commit the acknowledged watermark and trim the log below it every this many settled jobs. @default 1000 */
  checkpointEvery?: number;
}

const CHECKPOINT = "queue";
const STATE = "s:";
const DEAD = "d:";
const ACKED = "k:";

interface StateRecord {
  /** attempts */
  a?: number;
  /** notBefore */
  n?: number;
  /** lastError */
  e?: string;
  /** in flight */
  f?: 1;
  /** settled: acked or dead */
  s?: "a" | "d";
}

/** `| header length u32 BE | header JSON | value bytes |` */
function frame(header: object, value: Uint8Array): Uint8Array {
  const head = encodeUtf8(JSON.stringify(header));
  const bytes = new Uint8Array(4 + head.length + value.length);
  new DataView(bytes.buffer).setUint32(0, head.length);
  bytes.set(head, 4);
  bytes.set(value, 4 + head.length);
  return bytes;
}

function unframe(bytes: Uint8Array): { header: Record<string, unknown>; value: Uint8Array } {
  if (bytes.length < 4) throw new TypeError(`record of ${bytes.length} bytes has no header`);
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0);
  if (4 + length > bytes.length) throw new TypeError("record header is longer than the record");
  const header: unknown = JSON.parse(decodeUtf8(bytes.subarray(4, 4 + length), "record header"));
  if (typeof header !== "object" || header === null) throw new TypeError("record header is not an object");
  return { header: header as Record<string, unknown>, value: bytes.subarray(4 + length) };
}

const num = (value: unknown, fallback: number): number => (typeof value === "number" && Number.isFinite(value) ? value : fallback);
const str = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

/** Writes submitted while a write is running go together in the next one (group commit). */
class Coalescer<Op, R> {
  #waiting: { op: Op; resolve: (result: R) => void; reject: (error: unknown) => void }[] = [];
  #running = false;

  constructor(private readonly flush: (ops: Op[]) => Promise<R[]>) {}

  submit(op: Op): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#waiting.push({ op, resolve, reject });
      if (!this.#running) void this.#run();
    });
  }

  async #run(): Promise<void> {
    this.#running = true;
    while (this.#waiting.length > 0) {
      const batch = this.#waiting;
      this.#waiting = [];
      try {
        const results = await this.flush(batch.map((entry) => entry.op));
        batch.forEach((entry, i) => {
          entry.resolve(results[i] as R);
        });
      } catch (error) {
        for (const entry of batch) entry.reject(error);
      }
    }
    this.#running = false;
    const idle = this.#idle;
    this.#idle = [];
    for (const resolve of idle) resolve();
  }

  #idle: (() => void)[] = [];

  /** Resolves once everything submitted so far is written (or failed). */
  drained(): Promise<void> {
    if (!this.#running) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }
}

type StateOp = { readonly ops: KeyspaceOperation[]; readonly checkpoint?: number };

/** The LevelDB side of a queue: the job log, the state keyspace and the checkpoint. */
class LevelQueueStore<T> implements QueueStore<T> {
  readonly #appends: Coalescer<Uint8Array, number>;
  readonly #writes: Coalescer<StateOp, undefined>;
  #lastCheckpoint: number;
  #checkpointQueued = false;

  constructor(
    private readonly log: EventLog<Uint8Array>,
    private readonly state: Keyspace,
    private readonly checkpoints: CheckpointStore,
    private readonly codec: Codec<T>,
    private readonly sync: boolean,
    private readonly checkpointEvery: number,
    start: number,
    private readonly ownedDb: LevelDatabase | undefined,
    private readonly name: string,
    private readonly group: string | undefined,
  ) {
    this.#lastCheckpoint = start;
    this.#appends = new Coalescer(async (payloads) => {
      const { firstOffset } = await this.log.appendEncoded(payloads, { sync: this.sync });
      return payloads.map((_, i) => firstOffset + i);
    });
    this.#writes = new Coalescer(async (ops) => {
      const operations: KeyspaceOperation[] = [];
      let checkpoint: number | undefined;
      let durable = false;
      for (const op of ops) {
        operations.push(...op.ops);
        if (op.checkpoint !== undefined) checkpoint = op.checkpoint;
        if (op.ops.some((o) => o.type === "put" && (o.key.startsWith(DEAD) || o.key.startsWith(ACKED)))) durable = true;
      }
      if (operations.length > 0) await this.state.write(operations, { sync: this.sync && durable });
      if (checkpoint !== undefined) await this.#checkpoint(checkpoint);
      return ops.map(() => undefined);
    });
  }

  append(job: Job<T>): Promise<number> {
    let value: Uint8Array;
    try {
      value = this.codec.encode(job.value);
    } catch (error) {
      throw new LegoError("ENCODE_FAILED", `queue "${this.name}": codec ${this.codec.id} cannot encode job ${job.id}: ${messageOf(error)}`, {
        cause: error,
        group: this.group,
      });
    }
    return this.#appends.submit(frame({ i: job.id, p: job.priority, t: job.enqueuedAt, n: job.notBefore }, value));
  }

  write(change: JobChange<T>): Promise<void> {
    return this.#writes.submit({ ops: this.#operations(change) });
  }

  settled(watermark: number): void {
    if (this.#checkpointQueued || watermark - this.#lastCheckpoint < this.checkpointEvery) return;
    this.#checkpointQueued = true;
    this.#writes.submit({ ops: [], checkpoint: watermark }).catch(() => undefined);
  }

  async close(watermark: number): Promise<void> {
    await this.#writes.submit({ ops: [], checkpoint: watermark }).catch(() => undefined);
    await this.#appends.drained();
    await this.#writes.drained();
    await this.log.close();
    await this.checkpoints.close();
    await this.state.close();
    if (this.ownedDb !== undefined) await this.ownedDb.close();
  }

  #operations(change: JobChange<T>): KeyspaceOperation[] {
    switch (change.type) {
      case "deliver":
      case "update": {
        const { job } = change;
        const record: StateRecord = { a: job.attempts, n: job.notBefore };
        if (job.lastError !== undefined) record.e = job.lastError;
        if (change.type === "deliver") record.f = 1;
        return [{ type: "put", key: STATE + offsetKey(job.offset), value: encodeUtf8(JSON.stringify(record)) }];
      }
      case "ack": {
        const ops: KeyspaceOperation[] = [{ type: "put", key: STATE + offsetKey(change.job.offset), value: encodeUtf8('{"s":"a"}') }];
        ops.push({ type: "put", key: ACKED + change.job.id, value: encodeUtf8(String(change.at)) });
        return ops;
      }
      case "dead": {
        const { job, letter } = change;
        return [
          { type: "put", key: STATE + offsetKey(job.offset), value: encodeUtf8('{"s":"d"}') },
          { type: "put", key: DEAD + offsetKey(job.offset), value: this.#encodeLetter(letter, job.priority) },
        ];
      }
      case "undead":
        return [{ type: "del", key: DEAD + offsetKey(change.offset) }];
      case "forget":
        return [{ type: "del", key: ACKED + change.id }];
    }
  }

  #encodeLetter(letter: DeadLetter<T>, priority: number): Uint8Array {
    const header: Record<string, unknown> = { i: letter.id, a: letter.attempts, r: letter.reason, t: letter.enqueuedAt, d: letter.deadLetteredAt, p: priority };
    if (letter.lastError !== undefined) header.e = letter.lastError;
    return frame(header, this.codec.encode(letter.value));
  }

  /** Everything below `watermark` is settled: commit it, then drop the log records and state marks below it. */
  async #checkpoint(watermark: number): Promise<void> {
    this.#checkpointQueued = false;
    if (watermark <= this.#lastCheckpoint) return;
    await this.checkpoints.commit(CHECKPOINT, watermark - 1, { sync: this.sync });
    this.#lastCheckpoint = watermark;
    await this.log.wal.truncateBefore(watermark);
    await this.state.clear({ gte: STATE, lt: STATE + offsetKey(watermark) });
  }
}

/** Reads what a queue left in its keyspace: live jobs, dead letters, acknowledged ids. */
async function recover<T>(
  log: EventLog<Uint8Array>,
  state: Keyspace,
  checkpoints: CheckpointStore,
  codec: Codec<T>,
  settings: QueueSettings,
): Promise<{ recovered: RecoveredState<T>; cleanup: KeyspaceOperation[]; invalid: number }> {
  const start = Math.max(await checkpoints.nextOffset(CHECKPOINT), log.firstOffset);
  const marks = new Map<number, StateRecord>();
  const deadLetters: (StoredDeadLetter<T> & { at: number })[] = [];
  const acked: [string, number][] = [];
  const cleanup: KeyspaceOperation[] = [];
  let invalid = 0;
  const now = settings.scheduler.now();
  for await (const [key, bytes] of state.entries()) {
    try {
      if (key.startsWith(STATE)) {
        const offset = Number.parseInt(key.slice(STATE.length), 16);
        if (offset >= start) marks.set(offset, JSON.parse(decodeUtf8(bytes, "state")) as StateRecord);
      } else if (key.startsWith(DEAD)) {
        const offset = Number.parseInt(key.slice(DEAD.length), 16);
        const { header, value } = unframe(bytes);
        const lastError = str(header.e);
        const letter: DeadLetter<T> = Object.freeze({
          id: str(header.i) ?? "",
          value: codec.decode(value),
          attempts: num(header.a, 0),
          reason: str(header.r) ?? "",
          ...(lastError === undefined ? {} : { lastError }),
          enqueuedAt: num(header.t, 0),
          deadLetteredAt: num(header.d, 0),
        });
        deadLetters.push({ letter, offset, priority: num(header.p, 0), at: letter.deadLetteredAt });
      } else if (key.startsWith(ACKED)) {
        const at = Number(decodeUtf8(bytes, "ack time"));
        if (settings.dedupeWindow > 0 && at > now - settings.dedupeWindow) acked.push([key.slice(ACKED.length), at]);
        else cleanup.push({ type: "del", key });
      }
    } catch {
      invalid++;
      cleanup.push({ type: "del", key });
    }
  }
  const jobs: Job<T>[] = [];
  const settledOffsets: number[] = [];
  for await (const chunk of log.chunks({ from: start })) {
    for (const record of chunk) {
      const mark = marks.get(record.offset);
      if (mark?.s !== undefined) {
        settledOffsets.push(record.offset);
        continue;
      }
      try {
        const { header, value } = unframe(log.decodeRecord(record).value);
        const id = str(header.i);
        if (id === undefined) throw new TypeError("record has no id");
        jobs.push({
          id,
          value: codec.decode(value),
          priority: num(header.p, 0),
          enqueuedAt: num(header.t, 0),
          offset: record.offset,
          notBefore: num(mark?.n, num(header.n, 0)),
          attempts: num(mark?.a, 0),
          lastError: mark?.e,
          state: mark?.f === 1 ? "inflight" : "pending",
        });
      } catch {
        // Bad data never blocks the queue: an unreadable record is skipped (and trimmed with the next checkpoint).
        invalid++;
        settledOffsets.push(record.offset);
      }
    }
  }
  const live = new Set(jobs.map((job) => job.id));
  const letters = deadLetters.filter((entry) => {
    if (!live.has(entry.letter.id)) return true;
    // Redriven, and the process stopped before the dead letter was removed.
    cleanup.push({ type: "del", key: DEAD + offsetKey(entry.offset) });
    return false;
  });
  letters.sort((a, b) => a.at - b.at || a.offset - b.offset);
  acked.sort((a, b) => a[1] - b[1]);
  return {
    recovered: { jobs, deadLetters: letters.map(({ letter, offset, priority }) => ({ letter, offset, priority })), acked, settledOffsets, start },
    cleanup,
    invalid,
  };
}

/**
 * The LevelDB backend of the {@link DurableQueue} port (the catalog's
 * `DurableQueue = EventLog + CheckpointStore + AckTracker +
 * VisibilityDeadline + RetryLoop + DeadLetterQueue`): an enqueue appends
 * the job to an {@link EventLog} and resolves once LevelDB has it;
 * deliveries, nacks, acks and dead-letterings are marks in a state
 * keyspace, written in group commits; the {@link AckTracker}'s watermark
 * goes to a {@link CheckpointStore} every `checkpointEvery` settled jobs,
 * and the log and marks below it are trimmed.
 *
 * After a restart (a crash included) every job not acknowledged is there
 * again with its attempt count: jobs that were in flight are ready at once
 * (or dead-lettered when that was their last attempt), delayed jobs keep
 * their due time, dead letters and the dedupe window are kept.
 *
 * LevelDB is single-process: one process opens the location; producers
 * and consumers share the queue object in that process.
 *
 * ## Example
 * ```ts
 * const queue = await LevelDurableQueue.open<Job>({ location: "./data/queue", name: "thumbnails", maxAttempts: 5 });
 * await queue.enqueue({ image: "a.png" }, { id: "a.png" }); // on disk when this resolves
 * work(queue, async (job) => makeThumbnail(job.value), { concurrency: 4 }).subscribe();
 * ```
 * @see {@link MemoryDurableQueue}, {@link work}, {@link durableQueueConformance}
 * @lego DurableQueue
 */
export class LevelDurableQueue<T> extends DurableQueueBase<T> {
  /** Records found unreadable when the queue opened (skipped). */
  readonly recoveredInvalid: number;

  private constructor(settings: QueueSettings, store: LevelQueueStore<T>, kind: string, recovered: RecoveredState<T>, invalid: number) {
    super(settings, store, kind, recovered);
    this.recoveredInvalid = invalid;
  }

  /** Opens (or creates) the queue named `options.name` and recovers its state. `kind` is the descriptor's catalog name (the presets pass theirs). */
  static async open<T = unknown>(options: LevelDurableQueueOptions<T>, kind = "DurableQueue"): Promise<LevelDurableQueue<T>> {
    const settings = validateQueueOptions(options);
    const name = requireNonEmptyString("name", options.name);
    settings.name = name;
    const location = optional("location", options.location, requireNonEmptyString);
    if (options.db !== undefined && !isLevelDatabase(options.db)) throw new TypeError("db must be an abstract-level database (e.g. new MemoryLevel())");
    if ((location === undefined) === (options.db === undefined)) throw new TypeError("exactly one of location and db must be given");
    const codec = options.codec === undefined ? jsonCodec<T>() : requireCodec<T>("codec", options.codec);
    const durability = requireOneOf("durability", options.durability ?? "relaxed", DURABILITIES);
    const checkpointEvery = requirePositiveInteger("checkpointEvery", options.checkpointEvery ?? 1000);
    const group = settings.group;
    const db = location === undefined ? (options.db as LevelDatabase) : await openLevelDatabase(location, { what: `queue "${name}"`, group });
    try {
      const root = new Keyspace(db, { name, ...(group === undefined ? {} : { group }) });
      await root.ready();
      const log = await EventLog.open<Uint8Array>(root, { name: "log", codec: bytesCodec(), clock: settings.scheduler, ...(group === undefined ? {} : { group }) });
      const state = root.child("state");
      const checkpoints = new CheckpointStore(root, { name: "checkpoint", clock: settings.scheduler, ...(group === undefined ? {} : { group }) });
      const { recovered, cleanup, invalid } = await recover(log, state, checkpoints, codec, settings);
      if (cleanup.length > 0) await state.write(cleanup);
      const store = new LevelQueueStore<T>(
        log,
        state,
        checkpoints,
        codec,
        durability === "sync",
        checkpointEvery,
        recovered.start,
        location === undefined ? undefined : db,
        name,
        group,
      );
      return new LevelDurableQueue<T>(settings, store, kind, recovered, invalid);
    } catch (error) {
      if (location !== undefined) await db.close().catch(() => undefined);
      throw error;
    }
  }
}
