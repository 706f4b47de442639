import { Observable, Subject, asyncScheduler, takeUntil, type SchedulerLike, type Subscriber, type Subscription } from "rxjs";
import { adoptGroup } from "../atom/grouped.js";
import {
  legoMeter,
  withLego,
  type LegoDescriptor,
  type LegoMeter,
  type LegoObservable,
  type LegoOperator,
  type MonoLegoOperator,
} from "../atom/lego-descriptor.js";
import { LegoError, isLegoError, messageOf } from "../atom/lego-error.js";
import {
  optional,
  optionalGroup,
  requireBoolean,
  requireFunction,
  requireNonEmptyString,
  requireObject,
  requireOneOf,
  requirePositiveInteger,
} from "../atom/validate.js";
import type { Codec } from "../local/schema.js";
import { fastJsonCodec } from "../local/value-codecs.js";
import { OVERFLOW_POLICIES, type OverflowPolicy } from "../policy/overflow-policy.js";
import { ManualClock } from "../time/manual-clock.js";
import { CheckpointStore } from "./checkpoint-store.js";
import { requireClock, requireCodec, requireOffset } from "./durable-validate.js";
import { EventLog, validateRetention, type EventRecord, type RetentionOptions } from "./event-log.js";
import { GroupCommitQueue, type GroupCommit, type GroupCommitSink } from "./group-commit-queue.js";
import { Keyspace } from "./keyspace.js";
import { isLevelDatabase, openLevelDatabase, type LevelDatabase } from "./level-database.js";

/**
 * The catalog's `DurabilityPolicy` for a spool.
 * - `sync`: each write is fsynced (LevelDB `sync: true`) before its items
 *   pass on — they survive a process crash *and* a power cut or kernel
 *   panic. Group commit keeps bursts cheap.
 * - `relaxed`: each write is handed to the OS (LevelDB's log `write()`)
 *   but not fsynced — items survive the process being killed, not the
 *   machine losing power (the OS may not have flushed them yet).
 */
export type Durability = "sync" | "relaxed";

export const DURABILITIES: readonly Durability[] = Object.freeze(["sync", "relaxed"]);

/** A stored record as replay emits it. */
export type SpoolRecord<T> = EventRecord<T>;

/** An item the spool could not encode, or a stored record it could not decode; dropped and counted as `invalid`. */
export type SpoolInvalid<T> =
  | { readonly reason: "encode"; readonly value: T; readonly error: LegoError }
  | { readonly reason: "decode"; readonly offset: number; readonly error: LegoError };

/** Options of {@link LocalDurableSpool.open}: exactly one of `location` and `db`. */
export interface LocalDurableSpoolOptions<T> {
  /** Directory of a LevelDB database (classic-level) the spool opens, owns and closes. */
  location?: string;
  /** An open abstract-level database to live in (memory-level in tests); the caller keeps ownership. */
  db?: LevelDatabase;
  /** The spool's stream name: its keyspace in the database and its lego name. */
  name: string;
  /**
   * Encodes items. The default, `fastJsonCodec()`, is `JSON.stringify` with
   * cheap checks (fast, but equal values may give different bytes); pass
   * `jsonCodec()` for canonical, stable bytes (sorted keys, every value
   * checked), which costs about twice as much per item. Both read each
   * other's records.
   * @default fastJsonCodec()
   */
  codec?: Codec<T>;
  /** fsync every write (`sync`) or leave flushing to the OS (`relaxed`); see {@link Durability}. @default "sync" */
  durability?: Durability;
  /** How much history to keep (`maxEntries`, `maxAgeMs`). @default keep everything */
  retention?: RetentionOptions;
  /** Items waiting for disk at most, a positive integer. @default 10000 */
  maxPending?: number;
  /**
   * What `record()` does with an item that finds `maxPending` items waiting:
   * `drop_oldest` drops the oldest waiting item, `drop_newest` drops the
   * new one, `latest` drops every waiting item (each counted `dropped`; a
   * dropped item is never stored nor passed on), `reject` errors the
   * stream that offered it with `SPOOL_OVERFLOW` (counted `rejected`) once
   * its earlier items have passed. @default "drop_oldest"
   */
  overflow?: OverflowPolicy;
  /** Items per write at most. @default 1000 */
  maxBatch?: number;
  /** Source of `appendedAt` and of "now" for `retention.maxAgeMs`. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /** Label linking the spool (and a ManualClock scheduler without one) to its component. */
  group?: string;
  /** Told about each dropped invalid item or record. */
  onInvalid?: (report: SpoolInvalid<T>) => void;
}

/** Options of {@link LocalDurableSpool.replay}. */
export interface ReplayOptions {
  /** First offset to emit (included). Records below the oldest kept one are gone. @default 0 */
  from?: number;
  /** Keep emitting records appended after the subscription, until unsubscribed or the spool closes. @default false */
  follow?: boolean;
  /** Records read from disk per round trip; bounds the memory a replay holds. @default 1000 */
  chunkSize?: number;
}

/**
 * Spools open in this process, by root database and key prefix: two spool
 * objects on one log would hand out the same offsets. (Across processes,
 * LevelDB's own lock refuses a second open.)
 */
const openSpools = new WeakMap<object, Set<string>>();

function claim(keyspace: Keyspace, name: string, group: string | undefined): () => void {
  const { root, prefix } = keyspace.location();
  const prefixes = openSpools.get(root) ?? new Set<string>();
  if (prefixes.has(prefix)) {
    throw new LegoError("SPOOL_LOCKED", `spool "${name}" is already open in this process on this database; close it before opening it again`, {
      group,
    });
  }
  prefixes.add(prefix);
  openSpools.set(root, prefixes);
  return () => prefixes.delete(prefix);
}

const COUNTERS = ["appended", "batches", "fsyncs", "dropped", "rejected", "invalid", "failed", "replayed"] as const;

/** What makes a replay stop early. */
type Halt = "unsubscribed" | "spool-closed";

interface ReplayRun {
  halt: Halt | undefined;
  wake: (() => void) | undefined;
  done: Promise<void>;
}

interface ValidatedOptions<T> {
  location: string | undefined;
  db: LevelDatabase | undefined;
  name: string;
  codec: Codec<T>;
  durability: Durability;
  retention: RetentionOptions;
  maxPending: number;
  overflow: OverflowPolicy;
  maxBatch: number;
  scheduler: SchedulerLike;
  group: string | undefined;
  onInvalid: ((report: SpoolInvalid<T>) => void) | undefined;
}

function validateOptions<T>(options: LocalDurableSpoolOptions<T>): ValidatedOptions<T> {
  requireObject("options", options);
  const location = optional("location", options.location, requireNonEmptyString);
  if (options.db !== undefined && !isLevelDatabase(options.db)) {
    throw new TypeError("db must be an abstract-level database (e.g. new MemoryLevel())");
  }
  if ((location === undefined) === (options.db === undefined)) throw new TypeError("exactly one of location and db must be given");
  const scheduler = options.scheduler ?? asyncScheduler;
  requireClock("scheduler", scheduler);
  return {
    location,
    db: options.db,
    name: requireNonEmptyString("name", options.name),
    codec: options.codec === undefined ? fastJsonCodec<T>() : requireCodec<T>("codec", options.codec),
    durability: requireOneOf("durability", options.durability ?? "sync", DURABILITIES),
    retention: validateRetention(options.retention ?? {}),
    maxPending: requirePositiveInteger("maxPending", options.maxPending ?? 10_000),
    overflow: requireOneOf("overflow", options.overflow ?? "drop_oldest", OVERFLOW_POLICIES),
    maxBatch: requirePositiveInteger("maxBatch", options.maxBatch ?? 1000),
    scheduler,
    group: optionalGroup(options.group),
    onInvalid: options.onInvalid === undefined ? undefined : requireFunction("onInvalid", options.onInvalid),
  };
}

/**
 * One `record()` subscription's side of the group-commit queue: counts its
 * items still waiting for disk so that its completion (or error) is
 * delivered after them, in order.
 */
class RecordSink<T> implements GroupCommitSink<T> {
  cancelled = false;
  private outstanding = 0;
  private ending: { readonly failed: false } | { readonly failed: true; readonly error: unknown } | undefined;
  private finished = false;
  readonly stop$ = new Subject<void>();

  constructor(
    private readonly subscriber: Subscriber<unknown>,
    private readonly deliver: (item: T, offset: number, appendedAt: number) => void,
    private readonly meter: LegoMeter,
    private readonly onFinish: (sink: RecordSink<T>) => void,
  ) {}

  get isFinished(): boolean {
    return this.finished;
  }

  queued(): void {
    this.outstanding++;
  }

  unqueued(): void {
    this.outstanding--;
  }

  written(item: T, offset: number, appendedAt: number): void {
    this.outstanding--;
    if (!this.finished) this.deliver(item, offset, appendedAt);
    this.settle();
  }

  dropped(): void {
    this.outstanding--;
    this.meter.count("dropped");
    this.settle();
  }

  failed(error: unknown): void {
    this.cancelled = true;
    this.ending = { failed: true, error };
    this.outstanding = 0;
    this.stopSource();
    this.settle();
  }

  /** The source completed: pass it on once every earlier item has. */
  complete(): void {
    if (this.ending !== undefined) return;
    this.ending = { failed: false };
    this.settle();
  }

  /** Stops taking items and errors with `error` once the earlier ones have passed (also for a source error). */
  fail(error: unknown): void {
    if (this.ending !== undefined) return;
    this.ending = { failed: true, error };
    this.stopSource();
    this.settle();
  }

  /** The subscriber left: queued items are still written, nothing is delivered. */
  detach(): void {
    this.finished = true;
    this.onFinish(this);
  }

  private stopSource(): void {
    this.stop$.next();
  }

  private settle(): void {
    if (this.finished || this.ending === undefined || this.outstanding > 0) return;
    this.finished = true;
    this.onFinish(this);
    if (this.ending.failed) this.subscriber.error(this.ending.error);
    else this.subscriber.complete();
  }
}

/**
 * A durable spool for one stream (the catalog's `LocalDurableSpool`: an
 * {@link EventLog} and a {@link Keyspace}, on LevelDB). `record()` appends
 * every item before passing it on, so a crash never loses an item that
 * went downstream; `replay()` reads the log back as
 * `{ offset, value, appendedAt }`, offsets consecutive from 0 across
 * restarts; `checkpoints` keeps consumer positions.
 *
 * Writes use group commit: one write is in flight at a time and every item
 * that arrives meanwhile goes into the next one, so under `sync`
 * durability a burst costs a few fsyncs. At most `maxPending` items wait
 * for disk (see {@link LocalDurableSpoolOptions.overflow}).
 *
 * ```text
 * source:         --a--b--c-------|
 * record():       ----a-----bc----|     (each after its write is durable)
 * replay():       (abc|)            →  { offset: 0, value: a, appendedAt }, …
 * ```
 *
 * ## Example
 * ```ts
 * const spool = await LocalDurableSpool.open<Reading>({ location: "./data/spool", name: "readings" });
 * readings$.pipe(spool.record()).subscribe(upload);
 * spool.replay({ from: await spool.checkpoints.nextOffset("uploader") }).subscribe(resend);
 * await spool.close();
 * ```
 * @see {@link EventLog}, {@link CheckpointStore}
 * @lego LocalDurableSpool
 */
export class LocalDurableSpool<T> {
  readonly name: string;
  readonly group: string | undefined;
  readonly durability: Durability;
  /** The LevelDB directory, when the spool opened one. */
  readonly location: string | undefined;
  /** The spool's own keyspace; the log and checkpoints live inside it. */
  readonly keyspace: Keyspace;
  readonly log: EventLog<T>;
  /** Consumer offsets, for resuming a replay after a restart. */
  readonly checkpoints: CheckpointStore;
  /** Shared by `record()`, `append()` and `replay()`; counters are live. */
  readonly lego: LegoDescriptor;
  private readonly meter: LegoMeter;
  private readonly queue: GroupCommitQueue<T>;
  private readonly ownedDb: LevelDatabase | undefined;
  private readonly onInvalid: ((report: SpoolInvalid<T>) => void) | undefined;
  private readonly sinks = new Set<RecordSink<T>>();
  private readonly replays = new Set<ReplayRun>();
  private appendWaiters: (() => void)[] = [];
  private readonly appendedSubscription: Subscription;
  private closed = false;
  private closing: Promise<void> | undefined;

  private constructor(
    options: ValidatedOptions<T>,
    keyspace: Keyspace,
    log: EventLog<T>,
    ownedDb: LevelDatabase | undefined,
    private readonly release: () => void,
  ) {
    this.name = options.name;
    this.group = options.group;
    this.durability = options.durability;
    this.location = options.location;
    this.keyspace = keyspace;
    this.log = log;
    this.ownedDb = ownedDb;
    this.onInvalid = options.onInvalid;
    this.checkpoints = new CheckpointStore(keyspace, {
      clock: options.scheduler,
      ...(options.group === undefined ? {} : { group: options.group }),
    });
    this.meter = legoMeter("LocalDurableSpool", { name: options.name, group: options.group }, COUNTERS);
    this.lego = this.meter.descriptor;
    this.queue = new GroupCommitQueue<T>({
      commit: (payloads) => this.commit(payloads),
      maxPending: options.maxPending,
      overflow: options.overflow,
      maxBatch: options.maxBatch,
      ...(options.group === undefined ? {} : { group: options.group }),
    });
    this.appendedSubscription = log.appended$.subscribe(() => {
      this.wakeFollowers();
    });
  }

  /**
   * Opens the spool `name` at `location` (LevelDB, created when missing) or
   * in `db`. Options are checked now (TypeError/RangeError); the Promise
   * rejects with `SPOOL_LOCKED` when another process holds the location.
   */
  static open<T = unknown>(options: LocalDurableSpoolOptions<T>): Promise<LocalDurableSpool<T>> {
    const validated = validateOptions<T>(options);
    return LocalDurableSpool.openValidated(validated);
  }

  private static async openValidated<T>(options: ValidatedOptions<T>): Promise<LocalDurableSpool<T>> {
    const what = `spool "${options.name}"`;
    const ownedDb = options.location === undefined ? undefined : await openLevelDatabase(options.location, { what, group: options.group });
    const db = ownedDb ?? options.db;
    if (db === undefined) throw new TypeError("exactly one of location and db must be given");
    let release: (() => void) | undefined;
    try {
      if (db.status !== "open") await db.open();
      if (options.scheduler instanceof ManualClock) adoptGroup(options.scheduler, options.group);
      const grouped = options.group === undefined ? {} : { group: options.group };
      const keyspace = new Keyspace(db, { name: options.name, ...grouped });
      release = claim(keyspace, options.name, options.group);
      const log = await EventLog.open<T>(keyspace, {
        name: "log",
        codec: options.codec,
        clock: options.scheduler,
        retention: options.retention,
        ...grouped,
      });
      return new LocalDurableSpool<T>(options, keyspace, log, ownedDb, release);
    } catch (error) {
      release?.();
      await ownedDb?.close();
      throw error;
    }
  }

  /** The offset the next recorded item gets. */
  get nextOffset(): number {
    return this.log.wal.nextOffset;
  }

  /** The oldest record kept (equals `nextOffset` when the spool is empty). */
  get firstOffset(): number {
    return this.log.firstOffset;
  }

  /** Items waiting for disk (not counting the write in flight). */
  get pending(): number {
    return this.queue.pending;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Resolves once every item accepted so far has been written (or its write failed). */
  flush(): Promise<void> {
    return this.queue.whenIdle();
  }

  /**
   * Appends each item durably, then passes it on, in order
   * (`MonoTypeOperatorFunction<T>`). An item the codec refuses is dropped
   * and reported (`onInvalid`, counter `invalid`); a failed write errors
   * the stream with `SPOOL_WRITE_FAILED` and nothing of it is passed on.
   * Completion and errors from the source pass after the items before
   * them. On a closed spool the stream errors with `SPOOL_CLOSED`.
   * Items queued when the subscriber leaves are still written.
   *
   * ```text
   * source:    --a--b--c--|
   * record():  ----a---b--c|
   * ```
   */
  record(): MonoLegoOperator<T> {
    const operator = (source: Observable<T>): Observable<T> =>
      new Observable<T>((subscriber) =>
        this.attach(source, subscriber, (item) => {
          subscriber.next(item);
        }),
      );
    return withLego(operator, this.lego);
  }

  /**
   * Like {@link record}, but emits each item's stored record
   * `{ offset, value, appendedAt }` — for consumers that checkpoint.
   */
  append(): LegoOperator<T, SpoolRecord<T>> {
    const operator = (source: Observable<T>): Observable<SpoolRecord<T>> =>
      new Observable<SpoolRecord<T>>((subscriber) =>
        this.attach(source, subscriber, (value, offset, appendedAt) => {
          subscriber.next({ offset, value, appendedAt });
        }),
      );
    return withLego(operator, this.lego);
  }

  /**
   * The stored records from `from` on, read with an iterator a chunk at a
   * time (constant memory however long the log). Without `follow` it emits
   * what was stored when subscribed, then completes; with `follow` it then
   * emits each new record as it is written. A record that cannot be
   * decoded is dropped and reported (`onInvalid`, counter `invalid`).
   * Closing the spool completes a following replay and errors an
   * unfinished one with `SPOOL_CLOSED`.
   *
   * ```text
   * log:             [a b c]    then d is recorded
   * replay():        (abc|)
   * replay({ from: 1, follow: true }):  (bc)---d---
   * ```
   */
  replay(options: ReplayOptions = {}): LegoObservable<SpoolRecord<T>> {
    requireObject("options", options);
    const from = optional("from", options.from, requireOffset) ?? 0;
    const follow = optional("follow", options.follow, requireBoolean) ?? false;
    const chunkSize = optional("chunkSize", options.chunkSize, requirePositiveInteger) ?? 1000;
    const replay$ = new Observable<SpoolRecord<T>>((subscriber) => {
      if (this.closed) {
        subscriber.error(this.closedError("is closed: replay() is refused"));
        return undefined;
      }
      const run: ReplayRun = { halt: undefined, wake: undefined, done: Promise.resolve() };
      this.replays.add(run);
      run.done = this.pump(run, subscriber, from, follow, chunkSize)
        .catch((error: unknown) => {
          if (run.halt !== "unsubscribed") subscriber.error(this.readError(error));
        })
        .finally(() => this.replays.delete(run));
      return () => {
        run.halt ??= "unsubscribed";
        run.wake?.();
      };
    });
    return withLego(replay$, this.lego);
  }

  /**
   * Waits for every accepted item to be written, ends the streams still
   * recording (`SPOOL_CLOSED`) and the replays, then closes the log (and
   * the database when the spool opened it). Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.closeNow();
    return this.closing;
  }

  private async closeNow(): Promise<void> {
    this.closed = true;
    await this.queue.whenIdle();
    for (const sink of [...this.sinks]) sink.fail(this.closedError("was closed while recording: no more items are written"));
    for (const run of this.replays) {
      run.halt ??= "spool-closed";
      run.wake?.();
    }
    await Promise.all([...this.replays].map((run) => run.done));
    this.appendedSubscription.unsubscribe();
    await this.checkpoints.close();
    await this.log.close();
    await this.keyspace.close();
    await this.ownedDb?.close();
    this.release();
  }

  private attach(
    source: Observable<T>,
    subscriber: Subscriber<never>,
    deliver: (item: T, offset: number, appendedAt: number) => void,
  ): (() => void) | undefined {
    if (this.closed) {
      subscriber.error(this.closedError("is closed and refuses writes"));
      return undefined;
    }
    const sink = new RecordSink<T>(subscriber, deliver, this.meter, (done) => this.sinks.delete(done));
    this.sinks.add(sink);
    const upstream = source.pipe(takeUntil(sink.stop$)).subscribe({
      next: (item) => {
        this.offer(sink, item);
      },
      error: (error: unknown) => {
        sink.fail(error);
      },
      complete: () => {
        sink.complete();
      },
    });
    return () => {
      upstream.unsubscribe();
      if (!sink.isFinished) sink.detach();
    };
  }

  private offer(sink: RecordSink<T>, item: T): void {
    if (this.closed) {
      sink.fail(this.closedError("is closed and refuses writes"));
      return;
    }
    let payload: Uint8Array;
    try {
      payload = this.log.encode(item);
    } catch (error) {
      this.reportInvalid({ reason: "encode", value: item, error: asLegoError(error, "ENCODE_FAILED", this.group) });
      return;
    }
    sink.queued();
    if (this.queue.offer(item, payload, sink) === "rejected") {
      sink.unqueued();
      this.meter.count("rejected");
      sink.fail(
        new LegoError("SPOOL_OVERFLOW", `spool "${this.name}": ${this.queue.maxPending} items already wait for disk (overflow: reject)`, {
          group: this.group,
        }),
      );
    }
  }

  private async commit(payloads: Uint8Array[]): Promise<GroupCommit> {
    const sync = this.durability === "sync";
    try {
      const append = await this.log.appendEncoded(payloads, { sync });
      this.meter.count("batches");
      this.meter.count("appended", payloads.length);
      if (sync) this.meter.count("fsyncs");
      return append;
    } catch (error) {
      this.meter.count("failed", payloads.length);
      throw new LegoError("SPOOL_WRITE_FAILED", `spool "${this.name}": writing ${payloads.length} items failed: ${messageOf(error)}`, {
        cause: error,
        group: this.group,
      });
    }
  }

  private async pump(run: ReplayRun, subscriber: Subscriber<SpoolRecord<T>>, from: number, follow: boolean, chunkSize: number): Promise<void> {
    let cursor = from;
    for (;;) {
      const end = this.log.wal.nextOffset;
      if (cursor < end) {
        for await (const chunk of this.log.wal.entryChunks({ from: cursor, to: end, chunkSize })) {
          for (const [key, bytes] of chunk) {
            if (run.halt !== undefined) break;
            this.emitRecord(subscriber, Number.parseInt(key, 16), bytes);
          }
          if (run.halt !== undefined) break;
        }
        cursor = end;
      }
      if (run.halt === "unsubscribed") return;
      if (run.halt === "spool-closed") {
        if (follow) subscriber.complete();
        else subscriber.error(this.closedError("was closed during a replay"));
        return;
      }
      if (!follow) {
        subscriber.complete();
        return;
      }
      if (this.log.wal.nextOffset === cursor) await this.nextAppend(run);
    }
  }

  private emitRecord(subscriber: Subscriber<SpoolRecord<T>>, offset: number, bytes: Uint8Array): void {
    let decoded: SpoolRecord<T>;
    try {
      decoded = this.log.decodeAt(offset, bytes);
    } catch (error) {
      this.reportInvalid({ reason: "decode", offset, error: asLegoError(error, "DECODE_FAILED", this.group) });
      return;
    }
    this.meter.count("replayed");
    subscriber.next(decoded);
  }

  private nextAppend(run: ReplayRun): Promise<void> {
    return new Promise((resolve) => {
      run.wake = resolve;
      this.appendWaiters.push(resolve);
    });
  }

  private wakeFollowers(): void {
    const waiters = this.appendWaiters;
    this.appendWaiters = [];
    for (const wake of waiters) wake();
  }

  private reportInvalid(report: SpoolInvalid<T>): void {
    this.meter.count("invalid");
    this.onInvalid?.(report);
  }

  private readError(error: unknown): LegoError {
    if (isLegoError(error, "STORE_CLOSED")) return this.closedError("lost its database during a replay (closed underneath)", error);
    return asLegoError(error, "READ_FAILED", this.group, `spool "${this.name}": replay failed`);
  }

  /** `SPOOL_CLOSED`; `situation` completes "spool "name" …". */
  private closedError(situation: string, cause?: unknown): LegoError {
    return new LegoError("SPOOL_CLOSED", `spool "${this.name}" ${situation}`, { cause, group: this.group });
  }
}

function asLegoError(error: unknown, code: "ENCODE_FAILED" | "DECODE_FAILED" | "READ_FAILED", group: string | undefined, context?: string): LegoError {
  if (error instanceof LegoError) return error;
  const message = context === undefined ? messageOf(error) : `${context}: ${messageOf(error)}`;
  return new LegoError(code, message, { cause: error, group });
}
