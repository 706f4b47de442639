import { LegoError } from "../atom/lego-error.js";
import { optional, optionalGroup, requireBoolean, requireObject, requirePositiveInteger } from "../atom/validate.js";
import { Keyspace, type KeyspaceBatch, type KeyspaceEntry, type KeyspaceWriteOptions } from "./keyspace.js";
import type { LevelDatabase } from "./level-database.js";
import { requireOffset } from "./durable-validate.js";
import { MAX_OFFSET_KEY, MIN_OFFSET_KEY, isOffset, offsetOfKey } from "./offset-key.js";

/** Options of {@link WriteAheadLog.open}. */
export interface WriteAheadLogOptions {
  /** Name of the keyspace that holds the log (see {@link KeyspaceOptions.name}). */
  name: string;
  /** Label linking the log to the component that owns it. */
  group?: string;
}

/** One stored record. */
export interface WalRecord {
  readonly offset: number;
  readonly bytes: Uint8Array;
}

/** Which records a read covers: offsets in `[from, to)`. */
export interface WalReadRange {
  /** First offset, included. @default the oldest kept record */
  from?: number;
  /** Offset to stop before. @default the log's `nextOffset` when the read starts */
  to?: number;
  /** Records fetched per round trip. @default 1000 */
  chunkSize?: number;
}

/** Options of {@link WriteAheadLog.append}. */
export interface WalAppendOptions {
  /** fsync before the append resolves. @default false */
  sync?: boolean;
  /** Append only when the log's next offset is this one, else reject with `LOG_CONFLICT` (checked in turn with other appends). @default no check */
  expectedOffset?: number;
  /**
   * Queues more writes into the append's atomic batch (`batch.in(keyspace)`
   * reaches other keyspaces of the database), given the first offset; they
   * commit with the records or not at all. @default none
   */
  with?: (batch: KeyspaceBatch, firstOffset: number) => void;
}

/**
 * Where the log records the first offset it kept after a truncation, so
 * that offsets continue even when every record was trimmed. It sorts after
 * every offset key (hex digits sort below "m").
 */
const FIRST_OFFSET_KEY = "meta:first";
const TRUNCATE_CHUNK = 10_000;
const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/** Offset keys without the argument checks (offsets made here are always valid). */
function keyOf(offset: number): string {
  return offset.toString(16).padStart(16, "0");
}

/** The first and next offset found on disk when a log opens. */
interface LogBounds {
  first: number;
  next: number;
}

async function boundaryOffset(keyspace: Keyspace, reverse: boolean): Promise<number | undefined> {
  for await (const [key] of keyspace.entries({ gte: MIN_OFFSET_KEY, lte: MAX_OFFSET_KEY, reverse, limit: 1, chunkSize: 1 })) {
    return offsetOfKey(key);
  }
  return undefined;
}

async function readBounds(keyspace: Keyspace): Promise<LogBounds> {
  const last = await boundaryOffset(keyspace, true);
  const first = await boundaryOffset(keyspace, false);
  const stored = await keyspace.get(FIRST_OFFSET_KEY);
  const trimmedTo = stored === undefined ? 0 : Number(textDecoder.decode(stored));
  const next = last === undefined ? (isOffset(trimmedTo) ? trimmedTo : 0) : last + 1;
  return { first: first ?? next, next };
}

/**
 * An append-only log of byte records with consecutive integer offsets from
 * 0 (the catalog's `WriteAheadLog`). Keys are fixed-width hex offsets, so
 * they sort by offset and, on open, one reverse seek finds the last record:
 * offsets continue after a restart. Appends run one at a time (an append
 * waits for the previous one), so offsets never leave a gap; a failed
 * append stores nothing and the next one reuses its offsets.
 *
 * ## Example
 * ```ts
 * const wal = await WriteAheadLog.open(db, { name: "wal" });
 * const first = await wal.append([bytes1, bytes2], { sync: true }); // offsets first, first + 1
 * for await (const { offset, bytes } of wal.read({ from: first })) handle(offset, bytes);
 * ```
 * @see {@link EventLog} which adds an envelope and a codec.
 * @lego WriteAheadLog
 */
export class WriteAheadLog {
  /** The keyspace holding the records (the log owns it). */
  readonly keyspace: Keyspace;
  private first: number;
  private next: number;
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(keyspace: Keyspace, bounds: LogBounds) {
    this.keyspace = keyspace;
    this.first = bounds.first;
    this.next = bounds.next;
  }

  /** Opens the log named `options.name` in `parent`, finding where it left off. */
  static async open(parent: LevelDatabase | Keyspace, options: WriteAheadLogOptions): Promise<WriteAheadLog> {
    requireObject("options", options);
    const keyspace = new Keyspace(parent, { name: options.name, ...groupOf(options) });
    await keyspace.ready();
    return new WriteAheadLog(keyspace, await readBounds(keyspace));
  }

  get group(): string | undefined {
    return this.keyspace.group;
  }

  /** The oldest record kept (equal to {@link nextOffset} when the log is empty). */
  get firstOffset(): number {
    return this.first;
  }

  /** The offset the next appended record gets. */
  get nextOffset(): number {
    return this.next;
  }

  /** Records kept. */
  get size(): number {
    return this.next - this.first;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Appends `records` atomically (all or none) at consecutive offsets;
   * resolves with the first one's offset once the write is done.
   */
  async append(records: readonly Uint8Array[], options: WalAppendOptions = {}): Promise<number> {
    this.assertOpen();
    if (!Array.isArray(records)) throw new TypeError("records must be an array of Uint8Array");
    for (const record of records) if (!(record instanceof Uint8Array)) throw new TypeError("records must be an array of Uint8Array");
    const sync = optional("sync", options.sync, requireBoolean) ?? false;
    const expectedOffset = optional("expectedOffset", options.expectedOffset, requireOffset);
    const also = options.with;
    if (also !== undefined && typeof also !== "function") throw new TypeError("with must be a function");
    return this.serialize(() => this.appendNow(records, { sync, ...(expectedOffset === undefined ? {} : { expectedOffset }), ...(also === undefined ? {} : { with: also }) }));
  }

  /**
   * The records in `[from, to)` in offset order, `chunkSize` per round
   * trip: reading a large log holds one chunk in memory at a time.
   */
  async *chunks(range: WalReadRange = {}): AsyncGenerator<WalRecord[], void, undefined> {
    for await (const entries of this.entryChunks(range)) {
      yield entries.map(([key, bytes]) => ({ offset: Number.parseInt(key, 16), bytes }));
    }
  }

  /**
   * Like {@link chunks}, but yields the database's `[key, bytes]` entries
   * as they come (the key is the offset in 16 hex digits): the fastest way
   * to stream a log, one object fewer per record.
   */
  async *entryChunks(range: WalReadRange = {}): AsyncGenerator<KeyspaceEntry[], void, undefined> {
    this.assertOpen();
    const from = Math.max(optional("from", range.from, requireOffset) ?? this.first, 0);
    const to = optional("to", range.to, requireOffset) ?? this.next;
    if (from >= to) return;
    const chunkSize = optional("chunkSize", range.chunkSize, requirePositiveInteger) ?? 1000;
    yield* this.keyspace.chunks({ gte: keyOf(from), lt: keyOf(to), chunkSize });
  }

  /** The records in `[from, to)` one by one (see {@link chunks}). */
  async *read(range: WalReadRange = {}): AsyncGenerator<WalRecord, void, undefined> {
    for await (const chunk of this.chunks(range)) yield* chunk;
  }

  /**
   * Deletes every record below `offset` (retention); returns how many went.
   * Offsets keep counting from where they were, even if nothing is left.
   */
  async truncateBefore(offset: number, options: KeyspaceWriteOptions = {}): Promise<number> {
    this.assertOpen();
    requireOffset("offset", offset);
    return this.serialize(() => this.truncateNow(offset, options));
  }

  /** Waits for appends and truncations in flight, then refuses further use. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.tail;
    await this.keyspace.close();
  }

  private async appendNow(records: readonly Uint8Array[], options: WalAppendOptions): Promise<number> {
    const first = this.next;
    if (options.expectedOffset !== undefined && options.expectedOffset !== first) {
      throw new LegoError("LOG_CONFLICT", `log "${this.keyspace.name}" is at offset ${first}, not ${options.expectedOffset}`, { group: this.group });
    }
    if (records.length === 0) return first;
    if (first + records.length - 1 > Number.MAX_SAFE_INTEGER) {
      throw new LegoError("SPOOL_WRITE_FAILED", "write-ahead log is full: offsets would pass Number.MAX_SAFE_INTEGER", {
        group: this.group,
      });
    }
    await this.keyspace.ready();
    const batch = this.keyspace.batch();
    try {
      for (let i = 0; i < records.length; i++) batch.put(keyOf(first + i), records[i] as Uint8Array);
      options.with?.(batch, first);
      await batch.write(options);
    } catch (error) {
      await batch.discard().catch(() => undefined);
      await this.resync();
      throw error;
    }
    this.next = first + records.length;
    return first;
  }

  private async truncateNow(offset: number, options: KeyspaceWriteOptions): Promise<number> {
    const end = Math.min(offset, this.next);
    const start = this.first;
    for (let from = start; from < end; from += TRUNCATE_CHUNK) {
      const until = Math.min(from + TRUNCATE_CHUNK, end);
      const batch = this.keyspace.batch();
      for (let o = from; o < until; o++) batch.del(keyOf(o));
      // The watermark goes in the same atomic write as the deletions.
      batch.put(FIRST_OFFSET_KEY, textEncoder.encode(String(until)));
      await batch.write(options);
      this.first = until;
    }
    return Math.max(end - start, 0);
  }

  /** After a failed write, trust the disk again: LevelDB may or may not have kept it. */
  private async resync(): Promise<void> {
    try {
      const bounds = await readBounds(this.keyspace);
      this.first = bounds.first;
      this.next = bounds.next;
    } catch {
      // The database is gone too; the next write will report it.
    }
  }

  private serialize<R>(task: () => Promise<R>): Promise<R> {
    const run = this.tail.then(task);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private assertOpen(): void {
    if (this.closed) {
      throw new LegoError("STORE_CLOSED", `write-ahead log "${this.keyspace.name}" is closed`, { group: this.group });
    }
  }
}

function groupOf(options: { group?: unknown }): { group?: string } {
  const group = optionalGroup(options.group);
  return group === undefined ? {} : { group };
}
