import { adoptGroup } from "../atom/grouped.js";
import { LegoError, messageOf } from "../atom/lego-error.js";
import { optional, optionalGroup, requireBoolean, requireNonEmptyString, requireObject } from "../atom/validate.js";
import type { Codec } from "../local/schema.js";
import { jsonCodec } from "../local/value-codecs.js";
import { systemClock, type Clock } from "../time/clock.js";
import { ManualClock } from "../time/manual-clock.js";
import { requireClock, requireCodec, requireOffset } from "./durable-validate.js";
import { Keyspace } from "./keyspace.js";
import type { LevelDatabase } from "./level-database.js";

/** Options of {@link SnapshotStore}. */
export interface SnapshotStoreOptions<T> {
  /** Name of the keyspace that holds the snapshots. */
  name: string;
  /** Encodes snapshot values. @default jsonCodec() */
  codec?: Codec<T>;
  /** Source of `savedAt`. @default systemClock */
  clock?: Clock;
  /** Label linking the store to the component that owns it. */
  group?: string;
}

/** A saved state and when (and, optionally, at which log offset) it was taken. */
export interface Snapshot<T> {
  readonly id: string;
  readonly value: T;
  readonly savedAt: number;
  /** The log offset the state reflects, when the saver gave one. */
  readonly offset?: number;
}

/** Options of {@link SnapshotStore.save}. */
export interface SnapshotSaveOptions {
  /** The log offset the state reflects. */
  offset?: number;
  /** fsync before resolving. @default true */
  sync?: boolean;
}

const SNAPSHOT_VERSION = 1;
const HEADER_BYTES = 17;

/** `| 0x01 | savedAt float64 BE | offset float64 BE (NaN = none) | payload … |` */
function encodeSnapshot(savedAt: number, offset: number | undefined, payload: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(HEADER_BYTES + payload.length);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, SNAPSHOT_VERSION);
  view.setFloat64(1, savedAt);
  view.setFloat64(9, offset ?? Number.NaN);
  bytes.set(payload, HEADER_BYTES);
  return bytes;
}

function decodeHeader(bytes: Uint8Array): { savedAt: number; offset: number | undefined; payload: Uint8Array } {
  if (bytes.length < HEADER_BYTES) throw new TypeError(`snapshot is ${bytes.length} bytes, shorter than its 17-byte header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint8(0);
  if (version !== SNAPSHOT_VERSION) throw new TypeError(`snapshot version ${version} is not supported (expected 1)`);
  const offset = view.getFloat64(9);
  return { savedAt: view.getFloat64(1), offset: Number.isNaN(offset) ? undefined : offset, payload: bytes.subarray(HEADER_BYTES) };
}

/**
 * Named, versioned snapshots of some state (the catalog's `SnapshotStore`,
 * on a {@link Keyspace}): `save(id, state)` replaces the previous snapshot
 * of that id atomically, `load(id)` returns the latest. A snapshot may note
 * the log offset it reflects, so recovery can replay from there.
 *
 * ## Example
 * ```ts
 * const snapshots = new SnapshotStore<Totals>(db, { name: "snapshots" });
 * await snapshots.save("totals", { count: 42 }, { offset: 41 });
 * const latest = await snapshots.load("totals"); // { id, value: { count: 42 }, offset: 41, savedAt }
 * ```
 * @see {@link CheckpointStore} which keeps consumer offsets as snapshots.
 * @lego SnapshotStore
 */
export class SnapshotStore<T> {
  readonly keyspace: Keyspace;
  readonly codec: Codec<T>;
  private readonly clock: Clock;

  constructor(parent: LevelDatabase | Keyspace, options: SnapshotStoreOptions<T>) {
    requireObject("options", options);
    const group = optionalGroup(options.group);
    this.codec = options.codec === undefined ? jsonCodec<T>() : requireCodec<T>("codec", options.codec);
    this.clock = options.clock === undefined ? systemClock : requireClock("clock", options.clock);
    if (this.clock instanceof ManualClock) adoptGroup(this.clock, group);
    this.keyspace = new Keyspace(parent, group === undefined ? { name: options.name } : { name: options.name, group });
  }

  get group(): string | undefined {
    return this.keyspace.group;
  }

  get isClosed(): boolean {
    return this.keyspace.isClosed;
  }

  /** Stores `value` as the latest snapshot of `id`. A value the codec refuses fails with `ENCODE_FAILED`. */
  async save(id: string, value: T, options: SnapshotSaveOptions = {}): Promise<Snapshot<T>> {
    this.assertOpen();
    requireNonEmptyString("id", id);
    const offset = optional("offset", options.offset, requireOffset);
    const sync = optional("sync", options.sync, requireBoolean) ?? true;
    let payload: Uint8Array;
    try {
      payload = this.codec.encode(value);
    } catch (error) {
      throw new LegoError("ENCODE_FAILED", `snapshot "${id}": codec ${this.codec.id} cannot encode the value: ${messageOf(error)}`, {
        cause: error,
        group: this.group,
      });
    }
    const savedAt = this.clock.now();
    await this.keyspace.put(id, encodeSnapshot(savedAt, offset, payload), { sync });
    return offset === undefined ? { id, value, savedAt } : { id, value, savedAt, offset };
  }

  /** The latest snapshot of `id`, or `undefined`; `DECODE_FAILED` when its bytes cannot be read. */
  async load(id: string): Promise<Snapshot<T> | undefined> {
    this.assertOpen();
    requireNonEmptyString("id", id);
    const bytes = await this.keyspace.get(id);
    return bytes === undefined ? undefined : this.decode(id, bytes);
  }

  async delete(id: string, options: { sync?: boolean } = {}): Promise<void> {
    this.assertOpen();
    requireNonEmptyString("id", id);
    await this.keyspace.del(id, { sync: options.sync ?? true });
  }

  /** Every snapshot, in id order. */
  async *list(): AsyncGenerator<Snapshot<T>, void, undefined> {
    this.assertOpen();
    for await (const [id, bytes] of this.keyspace.entries()) yield this.decode(id, bytes);
  }

  /** Refuses further use. */
  async close(): Promise<void> {
    await this.keyspace.close();
  }

  private decode(id: string, bytes: Uint8Array): Snapshot<T> {
    try {
      const { savedAt, offset, payload } = decodeHeader(bytes);
      const value = this.codec.decode(payload);
      return offset === undefined ? { id, value, savedAt } : { id, value, savedAt, offset };
    } catch (error) {
      throw new LegoError("DECODE_FAILED", `snapshot "${id}" cannot be decoded: ${messageOf(error)}`, { cause: error, group: this.group });
    }
  }

  private assertOpen(): void {
    if (this.keyspace.isClosed) {
      throw new LegoError("STORE_CLOSED", `snapshot store "${this.keyspace.name}" is closed`, { group: this.group });
    }
  }
}
