import { Observable, Subject } from "rxjs";
import { adoptGroup } from "../atom/grouped.js";
import { LegoError, messageOf } from "../atom/lego-error.js";
import { optional, optionalGroup, requireBoolean, requireNonEmptyString, requireObject, requirePositive, requirePositiveInteger } from "../atom/validate.js";
import type { EventLogPort, LogAppendOptions, LogAppended, LogRecord, LogReplayOptions } from "../ports/event-log-port.js";
import type { Codec } from "../local/schema.js";
import { jsonCodec } from "../local/value-codecs.js";
import { systemClock, type Clock } from "../time/clock.js";
import { requireClock, requireCodec, requireOffset } from "./durable-validate.js";
import { ManualClock } from "../time/manual-clock.js";
import { Keyspace } from "./keyspace.js";
import type { LevelDatabase } from "./level-database.js";
import { encodeRecordEnvelopes, recordEnvelopePayload, recordEnvelopeTime } from "./record-envelope.js";
import { WriteAheadLog, type WalAppendOptions, type WalReadRange, type WalRecord } from "./write-ahead-log.js";

/**
 * The catalog's `RetentionPolicy` for a log: how much history to keep.
 * Either limit trims the oldest records; with neither the log keeps all.
 */
export interface RetentionOptions {
  /** Keep at most this many records (a positive integer). @default no limit */
  maxEntries?: number;
  /** Drop records appended more than this many ms ago. @default no limit */
  maxAgeMs?: number;
}

/** Options of {@link EventLog.open}. */
export interface EventLogOptions<T> {
  /** Name of the keyspace that holds the log. */
  name: string;
  /** Encodes values to bytes and back. @default jsonCodec() */
  codec?: Codec<T>;
  /** Source of `appendedAt` (and of "now" for `maxAgeMs`). @default systemClock */
  clock?: Clock;
  /** History to keep; applied on open and after appends. @default keep everything */
  retention?: RetentionOptions;
  /** Label linking the log to the component that owns it. */
  group?: string;
  /** How long (ms) the id of an idempotent {@link EventLog.append} is remembered. @default 120000 (2 min, JetStream's default) */
  dedupeWindow?: number;
  /** Ids remembered at most (the oldest go first). @default 100000 */
  maxIds?: number;
  /** fsync each {@link EventLog.append} (the port's single-value append). @default false */
  sync?: boolean;
}

/** A decoded record: the envelope's offset and append time, and the value. */
export interface EventRecord<T> {
  readonly offset: number;
  readonly value: T;
  readonly appendedAt: number;
}

/** A record whose value is still encoded. */
export interface StoredEvent {
  readonly offset: number;
  readonly appendedAt: number;
  readonly payload: Uint8Array;
}

/** What {@link EventLog.appended$} reports after each successful append. */
export interface EventLogAppend {
  readonly firstOffset: number;
  readonly count: number;
  readonly appendedAt: number;
  /** The log's `nextOffset` after this append. */
  readonly nextOffset: number;
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/** Validates retention options; shared with the spool. */
export function validateRetention(value: unknown): RetentionOptions {
  const retention = requireObject("retention", value) as RetentionOptions;
  const result: RetentionOptions = {};
  const maxEntries = optional("retention.maxEntries", retention.maxEntries, requirePositiveInteger);
  const maxAgeMs = optional("retention.maxAgeMs", retention.maxAgeMs, requirePositive);
  if (maxEntries !== undefined) result.maxEntries = maxEntries;
  if (maxAgeMs !== undefined) result.maxAgeMs = maxAgeMs;
  return Object.freeze(result);
}

function appendedAtOf(bytes: Uint8Array): number | undefined {
  try {
    return recordEnvelopeTime(bytes);
  } catch {
    return undefined;
  }
}

/**
 * An append-only log of values (the catalog's `EventLog`): a
 * {@link WriteAheadLog} whose records are envelopes — offset (the key),
 * `appendedAt` from the clock, and the codec's bytes. Offsets are
 * consecutive from 0 and survive restarts; retention trims the oldest
 * records by count or age.
 *
 * ## Example
 * ```ts
 * const log = await EventLog.open<Reading>(db, { name: "readings", retention: { maxEntries: 100_000 } });
 * await log.appendAll([{ celsius: 21.5 }], { sync: true });
 * await log.append({ celsius: 22 }, { id: "reading-7" }); // idempotent within dedupeWindow
 * for await (const { offset, value, appendedAt } of log.read({ from: 0 })) console.log(offset, value, appendedAt);
 * ```
 * @see {@link LocalDurableSpool} which records and replays streams with it.
 * @lego EventLog
 */
export class EventLog<T> implements EventLogPort<T> {
  readonly wal: WriteAheadLog;
  /** How long (ms) an append id is remembered (see {@link append}). */
  readonly dedupeWindow: number;
  private readonly ids: Keyspace;
  /** Ids appended within the window: id → offset and append time, oldest first. */
  private readonly recentIds = new Map<string, { offset: number; at: number }>();
  private readonly maxIds: number;
  private readonly sync: boolean;
  private idTail: Promise<unknown> = Promise.resolve();
  readonly codec: Codec<T>;
  readonly retention: RetentionOptions;
  /** One event per successful append, in offset order. Completes on {@link close}. */
  readonly appended$: Observable<EventLogAppend>;
  private readonly clock: Clock;
  private readonly appended = new Subject<EventLogAppend>();
  /** `appendedAt` of the oldest kept record; `undefined` when unknown or empty. */
  private oldestAt: number | undefined;
  private oldestKnown = false;
  private trimming: Promise<number> | undefined;
  private trimAgain = false;
  private closed = false;
  /** The last error of a background retention pass, if any (the next pass retries). */
  lastRetentionError: unknown;

  private constructor(
    wal: WriteAheadLog,
    codec: Codec<T>,
    clock: Clock,
    retention: RetentionOptions,
    ids: { keyspace: Keyspace; window: number; max: number; sync: boolean },
  ) {
    this.wal = wal;
    this.ids = ids.keyspace;
    this.dedupeWindow = ids.window;
    this.maxIds = ids.max;
    this.sync = ids.sync;
    this.codec = codec;
    this.clock = clock;
    this.retention = retention;
    this.appended$ = this.appended.asObservable();
  }

  /** Opens (or creates) the log named `options.name` in `parent` and applies retention. */
  static async open<T = unknown>(parent: LevelDatabase | Keyspace, options: EventLogOptions<T>): Promise<EventLog<T>> {
    requireObject("options", options);
    const codec = options.codec === undefined ? jsonCodec<T>() : requireCodec<T>("codec", options.codec);
    const clock = options.clock === undefined ? systemClock : requireClock("clock", options.clock);
    const retention = validateRetention(options.retention ?? {});
    const group = optionalGroup(options.group);
    if (clock instanceof ManualClock) adoptGroup(clock, group);
    const dedupeWindow = requirePositive("dedupeWindow", options.dedupeWindow ?? 120_000);
    const maxIds = requirePositiveInteger("maxIds", options.maxIds ?? 100_000);
    const sync = optional("sync", options.sync, requireBoolean) ?? false;
    const wal = await WriteAheadLog.open(parent, group === undefined ? { name: options.name } : { name: options.name, group });
    const ids = new Keyspace(parent, { name: `${options.name}-ids`, ...(group === undefined ? {} : { group }) });
    const log = new EventLog<T>(wal, codec, clock, retention, { keyspace: ids, window: dedupeWindow, max: maxIds, sync });
    await log.loadIds();
    await log.trim();
    return log;
  }

  /** Reads back the ids still within the dedupe window (oldest first) and forgets the rest. */
  private async loadIds(): Promise<void> {
    const found: [string, { offset: number; at: number }][] = [];
    const stale: string[] = [];
    const since = this.clock.now() - this.dedupeWindow;
    for await (const [id, bytes] of this.ids.entries()) {
      const [offset, at] = textDecoder.decode(bytes).split("\n").map(Number);
      if (offset === undefined || at === undefined || !Number.isFinite(offset) || !Number.isFinite(at) || at <= since) stale.push(id);
      else found.push([id, { offset, at }]);
    }
    found.sort((a, b) => a[1].offset - b[1].offset);
    for (const [id, entry] of found) this.recentIds.set(id, entry);
    stale.push(...this.expireIds());
    if (stale.length > 0) await this.ids.write(stale.map((key) => ({ type: "del" as const, key })));
  }

  /** Forgets ids out of the window or beyond `maxIds`; returns them (to delete on disk). */
  private expireIds(): string[] {
    const gone: string[] = [];
    const since = this.clock.now() - this.dedupeWindow;
    for (const [id, entry] of this.recentIds) {
      if (entry.at > since && this.recentIds.size <= this.maxIds) break;
      this.recentIds.delete(id);
      gone.push(id);
    }
    return gone;
  }

  get group(): string | undefined {
    return this.wal.group;
  }

  get firstOffset(): number {
    return this.wal.firstOffset;
  }

  /** The offset the next append will get (the port's form; `wal.nextOffset` reads it synchronously). */
  nextOffset(): Promise<number> {
    return Promise.resolve(this.wal.nextOffset);
  }

  get size(): number {
    return this.wal.size;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Appends one value (the {@link EventLogPort} form). With `id`, an id
   * already appended within {@link dedupeWindow} ms (and among the last
   * `maxIds` ids) appends nothing and answers the first offset with
   * `duplicate: true`; the id is written in the same atomic batch as the
   * record, so the window survives restarts. With `expectedOffset`, the
   * append happens only at that offset, else `LOG_CONFLICT`.
   */
  append(value: T, options: LogAppendOptions = {}): Promise<LogAppended> {
    try {
      this.assertOpen();
      requireObject("options", options);
      const id = optional("id", options.id, requireNonEmptyString);
      const expectedOffset = optional("expectedOffset", options.expectedOffset, requireOffset);
      const payload = this.encode(value);
      const base: WalAppendOptions = { sync: this.sync, ...(expectedOffset === undefined ? {} : { expectedOffset }) };
      if (id === undefined) return this.appendEncoded([payload], base).then((event) => ({ offset: event.firstOffset, duplicate: false }));
      const run = this.idTail.then(async (): Promise<LogAppended> => {
        const gone = this.expireIds();
        const seen = this.recentIds.get(id);
        if (seen !== undefined) return { offset: seen.offset, duplicate: true };
        const at = this.clock.now();
        const event = await this.appendEncoded([payload], {
          ...base,
          with: (batch, firstOffset) => {
            const ids = batch.in(this.ids);
            for (const old of gone) ids.del(old);
            ids.put(id, textEncoder.encode(`${firstOffset}\n${at}`));
          },
        });
        this.recentIds.set(id, { offset: event.firstOffset, at });
        return { offset: event.firstOffset, duplicate: false };
      });
      this.idTail = run.catch(() => undefined);
      return run;
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /**
   * The records from `from` in offset order as an Observable (the
   * {@link EventLogPort} form of {@link read}): completes at the end stored
   * when subscribed, or with `follow` keeps emitting new appends until
   * unsubscribed or the log closes. A record that cannot be decoded errors
   * the stream with `DECODE_FAILED`.
   */
  replay(options: LogReplayOptions = {}): Observable<LogRecord<T>> {
    requireObject("options", options);
    const from = optional("from", options.from, requireOffset) ?? 0;
    const follow = optional("follow", options.follow, requireBoolean) ?? false;
    return new Observable<LogRecord<T>>((subscriber) => {
      const state: { stopped: boolean; wake: (() => void) | undefined } = { stopped: false, wake: undefined };
      const live = (): boolean => !state.stopped;
      const appended = this.appended.subscribe({
        next: () => state.wake?.(),
        complete: () => state.wake?.(),
      });
      const pump = async (): Promise<void> => {
        let cursor = from;
        for (;;) {
          this.assertOpen();
          const end = this.wal.nextOffset;
          if (cursor < end) {
            for await (const record of this.read({ from: cursor, to: end })) {
              if (!live()) return;
              subscriber.next(record);
            }
            cursor = end;
          }
          if (!live()) return;
          if (!follow) break;
          if (this.wal.nextOffset === cursor) {
            await new Promise<void>((resolve) => {
              state.wake = resolve;
            });
            state.wake = undefined;
          }
          if (this.closed) break;
        }
        subscriber.complete();
      };
      pump().catch((error: unknown) => {
        subscriber.error(error);
      });
      return () => {
        state.stopped = true;
        state.wake?.();
        appended.unsubscribe();
      };
    });
  }

  /**
   * Encodes and appends `values` atomically. A value the codec refuses
   * rejects the whole call with `ENCODE_FAILED` before anything is written.
   */
  async appendAll(values: readonly T[], options: WalAppendOptions = {}): Promise<EventRecord<T>[]> {
    this.assertOpen();
    const payloads = values.map((value, index) => this.encode(value, index));
    const { firstOffset, appendedAt } = await this.appendEncoded(payloads, options);
    return values.map((value, i) => ({ offset: firstOffset + i, value, appendedAt }));
  }

  /**
   * Appends values already encoded with {@link codec}: the fast path for
   * writers that encode as items arrive. All records share one `appendedAt`.
   */
  async appendEncoded(payloads: readonly Uint8Array[], options: WalAppendOptions = {}): Promise<EventLogAppend> {
    this.assertOpen();
    const appendedAt = this.clock.now();
    const records = encodeRecordEnvelopes(appendedAt, payloads);
    const firstOffset = await this.wal.append(records, options);
    if (records.length === 0) return { firstOffset, count: 0, appendedAt, nextOffset: firstOffset };
    if (this.wal.size === records.length) {
      this.oldestAt = appendedAt;
      this.oldestKnown = true;
    }
    const event: EventLogAppend = { firstOffset, count: records.length, appendedAt, nextOffset: firstOffset + records.length };
    this.appended.next(event);
    if (this.needsTrim()) this.trimInBackground();
    return event;
  }

  /** Encodes one value, turning a codec failure into `ENCODE_FAILED`. */
  encode(value: T, index?: number): Uint8Array {
    try {
      const bytes: unknown = this.codec.encode(value);
      if (!(bytes instanceof Uint8Array)) throw new TypeError(`encode() returned ${typeof bytes}, not a Uint8Array`);
      return bytes;
    } catch (error) {
      const which = index === undefined ? "value" : `value ${index}`;
      throw new LegoError("ENCODE_FAILED", `event log "${this.wal.keyspace.name}": codec ${this.codec.id} cannot encode ${which}: ${messageOf(error)}`, {
        cause: error,
        group: this.group,
      });
    }
  }

  /** Decodes one stored record, turning a codec failure into `DECODE_FAILED`. */
  decode(event: StoredEvent): EventRecord<T> {
    try {
      return { offset: event.offset, value: this.codec.decode(event.payload), appendedAt: event.appendedAt };
    } catch (error) {
      throw this.decodeError(event.offset, error);
    }
  }

  private decodeError(offset: number, error: unknown): LegoError {
    return new LegoError(
      "DECODE_FAILED",
      `event log "${this.wal.keyspace.name}": record ${offset} cannot be decoded with codec ${this.codec.id}: ${messageOf(error)}`,
      { cause: error, group: this.group },
    );
  }

  /**
   * The raw records in `[from, to)`, a chunk at a time (constant memory);
   * {@link decodeRecord} opens each one.
   */
  chunks(range: WalReadRange = {}): AsyncGenerator<WalRecord[], void, undefined> {
    this.assertOpen();
    return this.wal.chunks(range);
  }

  /** Opens a stored record's envelope and decodes its value; `DECODE_FAILED` when either is damaged. */
  decodeRecord(record: WalRecord): EventRecord<T> {
    return this.decodeAt(record.offset, record.bytes);
  }

  /** {@link decodeRecord} for a record given as its offset and stored bytes. */
  decodeAt(offset: number, bytes: Uint8Array): EventRecord<T> {
    let appendedAt: number;
    try {
      appendedAt = recordEnvelopeTime(bytes);
    } catch (error) {
      throw this.damagedError(offset, error);
    }
    let value: T;
    try {
      value = this.codec.decode(recordEnvelopePayload(bytes));
    } catch (error) {
      throw this.decodeError(offset, error);
    }
    return { offset, value, appendedAt };
  }

  /** The decoded records in `[from, to)`; a record that cannot be decoded fails with `DECODE_FAILED`. */
  async *read(range: WalReadRange = {}): AsyncGenerator<EventRecord<T>, void, undefined> {
    for await (const chunk of this.chunks(range)) for (const record of chunk) yield this.decodeRecord(record);
  }

  /** Applies retention now; resolves with the number of records removed. */
  trim(): Promise<number> {
    this.assertOpen();
    if (this.trimming !== undefined) {
      this.trimAgain = true;
      return this.trimming;
    }
    const pass = this.trimNow().finally(() => {
      this.trimming = undefined;
      if (this.trimAgain && !this.closed) {
        this.trimAgain = false;
        this.trimInBackground();
      }
    });
    this.trimming = pass;
    return pass;
  }

  /** Waits for appends and retention in flight, then refuses further use. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.trimming?.catch(() => undefined);
    await this.idTail;
    await this.wal.close();
    await this.ids.close();
    this.appended.complete();
  }

  private needsTrim(): boolean {
    const { maxEntries, maxAgeMs } = this.retention;
    if (maxEntries !== undefined && this.wal.size > maxEntries) return true;
    if (maxAgeMs === undefined || this.wal.size === 0) return false;
    return !this.oldestKnown || (this.oldestAt !== undefined && this.oldestAt < this.clock.now() - maxAgeMs);
  }

  private trimInBackground(): void {
    this.trim().catch((error: unknown) => {
      this.lastRetentionError = error;
    });
  }

  private async trimNow(): Promise<number> {
    let removed = 0;
    const { maxEntries, maxAgeMs } = this.retention;
    if (maxEntries !== undefined && this.wal.size > maxEntries) {
      removed += await this.wal.truncateBefore(this.wal.nextOffset - maxEntries);
      this.oldestKnown = false;
    }
    if (maxAgeMs !== undefined) removed += await this.trimByAge(this.clock.now() - maxAgeMs);
    return removed;
  }

  /** Records are in append order, so the old ones are a prefix: find where it ends. */
  private async trimByAge(cutoff: number): Promise<number> {
    if (this.oldestKnown && (this.oldestAt === undefined || this.oldestAt >= cutoff)) return 0;
    let keepFrom = this.wal.nextOffset;
    let keptAt: number | undefined;
    search: for await (const chunk of this.wal.chunks({ to: keepFrom })) {
      for (const { offset, bytes } of chunk) {
        const appendedAt = appendedAtOf(bytes);
        // A damaged record has no time; it goes with the old ones.
        if (appendedAt !== undefined && appendedAt >= cutoff) {
          keepFrom = offset;
          keptAt = appendedAt;
          break search;
        }
      }
    }
    const removed = await this.wal.truncateBefore(keepFrom);
    // Records appended during the search are newer than the cutoff; the
    // next pass reads the oldest one's time when it needs it.
    this.oldestAt = keptAt;
    this.oldestKnown = keptAt !== undefined || this.wal.size === 0;
    return removed;
  }

  private damagedError(offset: number, error: unknown): LegoError {
    return new LegoError("DECODE_FAILED", `event log "${this.wal.keyspace.name}": record ${offset} is damaged: ${messageOf(error)}`, {
      cause: error,
      group: this.group,
    });
  }

  private assertOpen(): void {
    if (this.closed) {
      throw new LegoError("STORE_CLOSED", `event log "${this.wal.keyspace.name}" is closed`, { group: this.group });
    }
  }
}
