/**
 * The part of abstract-level the durable legos use, stated structurally so
 * that any abstract-level database (classic-level on disk, memory-level in
 * tests, a sublevel of either) can be passed in whatever its encodings.
 * abstract-level's own class types are invariant in their database type, so
 * a `MemoryLevel` would not be assignable to an `AbstractLevel<…>` parameter.
 */
import { mkdir } from "node:fs/promises";
import { Level } from "level";
import { LegoError, messageOf } from "../atom/lego-error.js";

export type LevelStatus = "opening" | "open" | "closing" | "closed";

/** Range options of abstract-level iterators and `clear()`. */
export interface LevelRange {
  gt?: string;
  gte?: string;
  lt?: string;
  lte?: string;
  reverse?: boolean;
  limit?: number;
}

/** Encodings the durable legos always ask for: text keys, byte values. */
export interface LevelEncodings {
  keyEncoding: "utf8";
  valueEncoding: "view";
}

export interface LevelIterator {
  nextv(size: number): Promise<[string, Uint8Array][]>;
  close(): Promise<void>;
}

/** A sublevel with `utf8` keys and `view` values. */
export interface LevelSublevel {
  readonly status: LevelStatus;
  /** The sublevel's key prefix in the root database (utf8). */
  readonly prefix: string;
  /** The root database (typed loosely: see {@link levelRootOf}). */
  readonly db: unknown;
  open(): Promise<void>;
  get(key: string): Promise<Uint8Array | undefined>;
  iterator(options: LevelRange): LevelIterator;
  sublevel(name: string, options: LevelEncodings): LevelSublevel;
}

/** What a root database's chained batch offers: ops aimed at a sublevel, one atomic write. */
export interface LevelBatch {
  put(key: string, value: Uint8Array, options?: { sublevel: LevelSublevel }): unknown;
  del(key: string, options?: { sublevel: LevelSublevel }): unknown;
  write(options?: { sync?: boolean }): Promise<void>;
  close(): Promise<void>;
}

export interface LevelRoot {
  readonly status: LevelStatus;
  batch(): LevelBatch;
}

/**
 * Any abstract-level database (or sublevel) the durable legos can live in.
 * `level`'s `Level` (classic-level, LevelDB on disk) and `memory-level`'s
 * `MemoryLevel` both qualify.
 */
export interface LevelDatabase {
  readonly status: LevelStatus;
  open(): Promise<void>;
  close(): Promise<void>;
  sublevel(name: string, options: LevelEncodings): LevelSublevel;
}

/** The encodings every durable sublevel is opened with. */
export const DURABLE_ENCODINGS: LevelEncodings = Object.freeze({ keyEncoding: "utf8", valueEncoding: "view" });

/** True when `value` looks like an abstract-level database. */
export function isLevelDatabase(value: unknown): value is LevelDatabase {
  if (typeof value !== "object" || value === null) return false;
  const db = value as Partial<Record<keyof LevelDatabase, unknown>>;
  return typeof db.sublevel === "function" && typeof db.open === "function" && typeof db.close === "function";
}

function isLevelRoot(value: unknown): value is LevelRoot {
  return typeof value === "object" && value !== null && typeof (value as { batch?: unknown }).batch === "function";
}

function defaultEncodingName(root: LevelRoot, which: "keyEncoding" | "valueEncoding"): unknown {
  const method = (root as unknown as Record<string, unknown>)[which];
  if (typeof method !== "function") return undefined;
  const encoding: unknown = method.call(root);
  return typeof encoding === "object" && encoding !== null ? (encoding as { name?: unknown }).name : undefined;
}

/**
 * The prefix to put before a sublevel's keys to address the root directly,
 * when the root's own encodings are `utf8` keys and `view` values (as in a
 * database the spool opened itself). Plain root operations skip
 * abstract-level's per-operation sublevel handling, which costs more than
 * LevelDB's write itself; any other root takes the `sublevel` option path.
 */
export function directPrefixOf(sublevel: LevelSublevel, root: LevelRoot): string | undefined {
  if (typeof sublevel.prefix !== "string") return undefined;
  const direct = defaultEncodingName(root, "keyEncoding") === "utf8" && defaultEncodingName(root, "valueEncoding") === "view";
  return direct ? sublevel.prefix : undefined;
}

/**
 * The root database of a sublevel. Writes go through the root's chained
 * batch with a `sublevel` option: that is one atomic LevelDB write, and
 * about twice as fast as a sublevel's own chained batch, which re-wraps
 * every operation.
 */
export function levelRootOf(sublevel: LevelSublevel): LevelRoot {
  const root = sublevel.db;
  if (!isLevelRoot(root)) throw new TypeError("the database's sublevels do not expose their root database (db.batch)");
  return root;
}

/** The `code` of an abstract-level error (and of its cause, for wrapped open errors). */
export function levelErrorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

function causeOf(error: unknown): unknown {
  return typeof error === "object" && error !== null ? (error as { cause?: unknown }).cause : undefined;
}

/** True when `error` (or its cause) says LevelDB's LOCK file is held elsewhere. */
export function isLockedError(error: unknown): boolean {
  return levelErrorCode(error) === "LEVEL_LOCKED" || levelErrorCode(causeOf(error)) === "LEVEL_LOCKED";
}

/** True when `error` says the database (or an iterator on it) is not open. */
export function isNotOpenError(error: unknown): boolean {
  const code = levelErrorCode(error);
  return code === "LEVEL_DATABASE_NOT_OPEN" || code === "LEVEL_ITERATOR_NOT_OPEN";
}

/** Labels for the errors {@link openLevelDatabase} throws. */
export interface OpenLevelOptions {
  /** What is being opened, for messages (e.g. `spool "telemetry"`). */
  what: string;
  group?: string | undefined;
}

/**
 * Opens (creating when missing) a LevelDB database at `location`. A
 * location another process holds fails with `LegoError` `SPOOL_LOCKED`;
 * any other failure with `SPOOL_OPEN_FAILED`.
 */
export async function openLevelDatabase(location: string, options: OpenLevelOptions): Promise<Level<string, Uint8Array>> {
  const db = new Level<string, Uint8Array>(location, DURABLE_ENCODINGS);
  try {
    // LevelDB creates its directory but not missing parents.
    await mkdir(location, { recursive: true });
    await db.open();
  } catch (error) {
    if (isLockedError(error)) {
      throw new LegoError(
        "SPOOL_LOCKED",
        `${options.what} at ${location} is locked by another process (LevelDB allows one open handle per location; close the other spool or process first)`,
        { cause: error, group: options.group },
      );
    }
    throw new LegoError("SPOOL_OPEN_FAILED", `${options.what} at ${location} could not be opened: ${messageOf(error)}`, {
      cause: error,
      group: options.group,
    });
  }
  return db;
}
