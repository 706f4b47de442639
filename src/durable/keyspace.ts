import { Observable } from "rxjs";
import { legoMeter, withLego, type LegoObservable } from "../atom/lego-descriptor.js";
import { LegoError } from "../atom/lego-error.js";
import {
  optional,
  optionalGroup,
  requireBoolean,
  requireNonEmptyString,
  requireObject,
  requirePositiveInteger,
  requireString,
} from "../atom/validate.js";
import {
  DURABLE_ENCODINGS,
  directPrefixOf,
  isLevelDatabase,
  isNotOpenError,
  levelRootOf,
  type LevelBatch,
  type LevelDatabase,
  type LevelRange,
  type LevelRoot,
  type LevelSublevel,
} from "./level-database.js";

/** Options of {@link Keyspace}. */
export interface KeyspaceOptions {
  /**
   * The sublevel's name: printable ASCII without `!` or `"` (abstract-level
   * keeps `!` as its separator), e.g. `"telemetry"`.
   */
  name: string;
  /** Label linking the keyspace to the component that owns it. */
  group?: string;
}

/** Which keys a read covers. `prefix` cannot be combined with the explicit bounds. */
export interface KeyspaceRange {
  /** Only keys that start with this text. */
  prefix?: string;
  gt?: string;
  gte?: string;
  lt?: string;
  lte?: string;
  /** Largest key first. @default false */
  reverse?: boolean;
  /** At most this many entries. @default no limit */
  limit?: number;
  /** Entries fetched from the database per round trip; bounds the memory a read holds. @default 1000 */
  chunkSize?: number;
}

/** One atomic write's operation. */
export type KeyspaceOperation =
  | { readonly type: "put"; readonly key: string; readonly value: Uint8Array }
  | { readonly type: "del"; readonly key: string };

/** Options of every write. */
export interface KeyspaceWriteOptions {
  /**
   * `true` makes LevelDB fsync before the write resolves (survives a power
   * cut); `false` hands the write to the OS (survives a process crash).
   * Backends without files (memory-level) ignore it. @default false
   */
  sync?: boolean;
}

/** A key and its value. */
export type KeyspaceEntry = readonly [key: string, value: Uint8Array];

const DEFAULT_CHUNK_SIZE = 1000;
const SYNC: { sync: boolean } = Object.freeze({ sync: true });
const NO_SYNC: { sync: boolean } = Object.freeze({ sync: false });

/** abstract-level reserves bytes up to `"` (its `!` separator + 1) and above `~`. */
function requireSublevelName(name: string, value: unknown): string {
  const text = requireNonEmptyString(name, value);
  if (!/^[#-~]+$/.test(text)) {
    throw new RangeError(`${name} must use printable ASCII without spaces, "!" or '"', got ${JSON.stringify(text)}`);
  }
  return text;
}

/** Keys of a nested keyspace start with abstract-level's separator, `!`. */
function isNestedKey(key: string): boolean {
  return key.charCodeAt(0) === 0x21;
}

function requireKey(key: unknown): string {
  const text = requireString("key", key);
  if (isNestedKey(text)) throw new RangeError(`key must not start with "!" (reserved for nested keyspaces), got ${JSON.stringify(text)}`);
  return text;
}

/**
 * The smallest string above every string that starts with `prefix`, or
 * `undefined` when there is none. LevelDB compares UTF-8 bytes, and UTF-8
 * byte order is code point order, so this bumps the last code point that
 * can be bumped (skipping the surrogate range).
 */
export function prefixUpperBound(prefix: string): string | undefined {
  const points = Array.from(prefix, (char) => char.codePointAt(0) ?? 0);
  while (points.length > 0) {
    const last = points.pop() ?? 0;
    if (last < 0x10ffff) {
      const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
      return String.fromCodePoint(...points, next);
    }
  }
  return undefined;
}

function validateRange(range: unknown): KeyspaceRange {
  const options = requireObject("range", range) as KeyspaceRange;
  const bounds = ["gt", "gte", "lt", "lte"] as const;
  for (const bound of bounds) optional(bound, options[bound], requireString);
  optional("prefix", options.prefix, requireString);
  optional("reverse", options.reverse, requireBoolean);
  optional("limit", options.limit, requirePositiveInteger);
  optional("chunkSize", options.chunkSize, requirePositiveInteger);
  if (options.prefix !== undefined && bounds.some((bound) => options[bound] !== undefined)) {
    throw new TypeError("prefix cannot be combined with gt, gte, lt or lte");
  }
  return options;
}

function toLevelRange(range: KeyspaceRange): LevelRange {
  const level: LevelRange = {};
  if (range.prefix !== undefined) {
    level.gte = range.prefix;
    const upper = prefixUpperBound(range.prefix);
    if (upper !== undefined) level.lt = upper;
  }
  if (range.gt !== undefined) level.gt = range.gt;
  if (range.gte !== undefined) level.gte = range.gte;
  if (range.lt !== undefined) level.lt = range.lt;
  if (range.lte !== undefined) level.lte = range.lte;
  if (range.reverse === true) level.reverse = true;
  return level;
}

/**
 * Several writes to one keyspace applied as one atomic LevelDB write (a
 * chained batch on the root database). Made by {@link Keyspace.batch}.
 */
export class KeyspaceBatch {
  private readonly target: { sublevel: LevelSublevel };
  private count = 0;

  constructor(
    private readonly keyspace: Keyspace,
    private readonly batch: LevelBatch,
    sublevel: LevelSublevel,
    private readonly directPrefix: string | undefined,
    /** Set on a view made by {@link in}: the batch that owns the write. */
    private readonly owner?: KeyspaceBatch,
  ) {
    this.target = { sublevel };
  }

  /** Operations queued so far. */
  get length(): number {
    return this.count;
  }

  put(key: string, value: Uint8Array): this {
    if (this.directPrefix === undefined) this.batch.put(key, value, this.target);
    else this.batch.put(this.directPrefix + key, value);
    this.counted();
    return this;
  }

  del(key: string): this {
    if (this.directPrefix === undefined) this.batch.del(key, this.target);
    else this.batch.del(this.directPrefix + key);
    this.counted();
    return this;
  }

  /**
   * The same atomic batch, writing into `keyspace` (of the same database):
   * operations on several keyspaces commit together, e.g. an effect and the
   * mark that says it happened. The view cannot `write` or `discard`: the
   * batch it came from does.
   */
  in(keyspace: Keyspace): KeyspaceBatch {
    return keyspace.joinBatch(this.batch, this.keyspace.location().root, this.owner ?? this);
  }

  private counted(): void {
    this.count++;
    if (this.owner !== undefined) this.owner.count++;
  }

  /** Commits every queued operation at once (or none of them). */
  async write(options: KeyspaceWriteOptions = {}): Promise<void> {
    if (this.owner !== undefined) throw new TypeError("write the batch this view came from, not the view");
    if (this.count === 0) {
      await this.batch.close();
      return;
    }
    await this.keyspace.run(() => this.batch.write(options.sync === true ? SYNC : NO_SYNC));
  }

  /** Abandons the queued operations. */
  async discard(): Promise<void> {
    if (this.owner !== undefined) throw new TypeError("discard the batch this view came from, not the view");
    await this.batch.close();
  }
}

/**
 * A named sublevel of an abstract-level database holding byte values under
 * text keys (the catalog's `Keyspace`, on top of its `ByteStore`): read,
 * write, delete, atomic batches and ordered scans by prefix or range.
 * Scans stream in chunks, so a large keyspace is read in constant memory.
 *
 * Keyspaces nest (`keyspace.child("meta")`); every keyspace of one database
 * shares its root, so a {@link KeyspaceBatch} is one LevelDB write.
 *
 * ## Example
 * ```ts
 * const db = new Level("./data", { valueEncoding: "view" });
 * const devices = new Keyspace(db, { name: "devices" });
 * await devices.put("uart:1", new TextEncoder().encode("on"));
 * for await (const [key] of devices.entries({ prefix: "uart:" })) console.log(key);
 * ```
 * @see {@link WriteAheadLog} which keeps its records in a keyspace.
 * @lego Keyspace
 */
export class Keyspace {
  readonly name: string;
  group: string | undefined;
  private readonly sublevel: LevelSublevel;
  private readonly root: LevelRoot;
  private readonly directPrefix: string | undefined;
  private closed = false;

  constructor(parent: LevelDatabase | Keyspace, options: KeyspaceOptions) {
    requireObject("options", options);
    this.name = requireSublevelName("name", options.name);
    this.group = optionalGroup(options.group);
    if (parent instanceof Keyspace) {
      this.sublevel = parent.sublevel.sublevel(this.name, DURABLE_ENCODINGS);
      if (this.group === undefined) this.group = parent.group;
    } else if (isLevelDatabase(parent)) {
      this.sublevel = parent.sublevel(this.name, DURABLE_ENCODINGS);
    } else {
      throw new TypeError("db must be an abstract-level database (e.g. new Level(location) or new MemoryLevel())");
    }
    this.root = levelRootOf(this.sublevel);
    this.directPrefix = directPrefixOf(this.sublevel, this.root);
  }

  /** True after {@link close}. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** A keyspace nested in this one; it takes this keyspace's group when given none. */
  child(name: string, options: Omit<KeyspaceOptions, "name"> = {}): Keyspace {
    this.assertOpen();
    return new Keyspace(this, { ...options, name });
  }

  /** The value stored under `key`, or `undefined`. */
  async get(key: string): Promise<Uint8Array | undefined> {
    this.assertOpen();
    requireKey(key);
    return this.run(() => this.sublevel.get(key));
  }

  async put(key: string, value: Uint8Array, options: KeyspaceWriteOptions = {}): Promise<void> {
    await this.write([{ type: "put", key, value }], options);
  }

  async del(key: string, options: KeyspaceWriteOptions = {}): Promise<void> {
    await this.write([{ type: "del", key }], options);
  }

  /** Applies `operations` atomically, in order. */
  async write(operations: readonly KeyspaceOperation[], options: KeyspaceWriteOptions = {}): Promise<void> {
    this.assertOpen();
    await this.ready();
    const batch = this.batch();
    for (const operation of operations) {
      requireKey(operation.key);
      if (operation.type === "put") {
        if (!(operation.value instanceof Uint8Array)) throw new TypeError("value must be a Uint8Array");
        batch.put(operation.key, operation.value);
      } else {
        batch.del(operation.key);
      }
    }
    await batch.write(options);
  }

  /** Waits for a database that is still opening (batches need an open root). */
  async ready(): Promise<void> {
    if (this.sublevel.status === "opening") await this.run(() => this.sublevel.open());
  }

  /** Starts an atomic batch of writes; the database must be open (see {@link ready}). */
  batch(): KeyspaceBatch {
    this.assertOpen();
    if (this.root.status !== "open") throw this.closedError();
    return new KeyspaceBatch(this, this.root.batch(), this.sublevel, this.directPrefix);
  }

  /** @internal A view of another keyspace's batch (same database) writing into this keyspace; see {@link KeyspaceBatch.in}. */
  joinBatch(batch: LevelBatch, root: object, owner: KeyspaceBatch): KeyspaceBatch {
    this.assertOpen();
    if (root !== this.root) throw new TypeError("a batch can only span keyspaces of one database");
    return new KeyspaceBatch(this, batch, this.sublevel, this.directPrefix, owner);
  }

  /**
   * The entries in `range`, in key order, fetched `chunkSize` at a time:
   * memory stays bounded however large the keyspace is. Entries of nested
   * keyspaces are not part of this one.
   */
  async *chunks(range: KeyspaceRange = {}): AsyncGenerator<KeyspaceEntry[], void, undefined> {
    this.assertOpen();
    const options = validateRange(range);
    const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    let remaining = options.limit ?? Number.POSITIVE_INFINITY;
    const iterator = this.sublevel.iterator(toLevelRange(options));
    try {
      while (remaining > 0) {
        this.assertOpen();
        const raw = await this.run(() => iterator.nextv(Math.min(chunkSize, remaining)));
        if (raw.length === 0) return;
        const chunk = raw.some(([key]) => isNestedKey(key)) ? raw.filter(([key]) => !isNestedKey(key)) : raw;
        if (chunk.length === 0) continue;
        remaining -= chunk.length;
        yield chunk;
      }
    } finally {
      await iterator.close();
    }
  }

  /** The entries in `range` one by one (see {@link chunks}). */
  async *entries(range: KeyspaceRange = {}): AsyncGenerator<KeyspaceEntry, void, undefined> {
    for await (const chunk of this.chunks(range)) yield* chunk;
  }

  /** The keys in `range`. */
  async *keys(range: KeyspaceRange = {}): AsyncGenerator<string, void, undefined> {
    for await (const chunk of this.chunks(range)) for (const [key] of chunk) yield key;
  }

  /**
   * An Observable of the entries in `range`, streamed from an iterator;
   * unsubscribing closes the iterator.
   *
   * ```text
   * scan({ prefix: "a" })   -- ["a1", …] -- ["a2", …] --|
   * ```
   */
  scan(range: KeyspaceRange = {}): LegoObservable<KeyspaceEntry> {
    validateRange(range);
    const meter = legoMeter("Keyspace", { name: this.name, group: this.group }, ["read"]);
    const scan$ = new Observable<KeyspaceEntry>((subscriber) => {
      const chunks = this.chunks(range);
      let stopped = false;
      const pump = async (): Promise<void> => {
        for await (const chunk of chunks) {
          for (const entry of chunk) {
            if (stopped) return;
            meter.count("read");
            subscriber.next(entry);
          }
          if (stopped) return;
        }
        subscriber.complete();
      };
      pump().catch((error: unknown) => {
        subscriber.error(error);
      });
      return () => {
        stopped = true;
      };
    });
    return withLego(scan$, meter.descriptor);
  }

  /** Deletes every entry in `range` (all by default), a chunk per write; returns how many. */
  async clear(range: Omit<KeyspaceRange, "reverse" | "limit"> = {}, options: KeyspaceWriteOptions = {}): Promise<number> {
    let removed = 0;
    for await (const chunk of this.chunks(range)) {
      const batch = this.batch();
      for (const [key] of chunk) batch.del(key);
      await batch.write(options);
      removed += chunk.length;
    }
    return removed;
  }

  /** Refuses further use (the database itself stays open: it belongs to its owner). */
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  /** @internal Where this keyspace lives: its root database and its key prefix there. */
  location(): { root: object; prefix: string } {
    return { root: this.root, prefix: this.sublevel.prefix };
  }

  /** @internal Runs a database call, turning "database is not open" into `STORE_CLOSED`. */
  async run<R>(operation: () => Promise<R>): Promise<R> {
    try {
      return await operation();
    } catch (error) {
      if (isNotOpenError(error)) throw this.closedError(error);
      throw error;
    }
  }

  private assertOpen(): void {
    if (this.closed) throw this.closedError();
  }

  private closedError(cause?: unknown): LegoError {
    const reason = this.closed ? "is closed" : "has no open database";
    return new LegoError("STORE_CLOSED", `keyspace "${this.name}" ${reason}`, { cause, group: this.group });
  }
}
