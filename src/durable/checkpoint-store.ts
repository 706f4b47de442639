import { optional, optionalGroup, requireBoolean, requireNonEmptyString, requireObject } from "../atom/validate.js";
import { numberCodec } from "../local/value-codecs.js";
import type { Clock } from "../time/clock.js";
import { requireOffset } from "./durable-validate.js";
import type { Keyspace } from "./keyspace.js";
import type { LevelDatabase } from "./level-database.js";
import { SnapshotStore } from "./snapshot-store.js";

/** Options of {@link CheckpointStore}. */
export interface CheckpointStoreOptions {
  /** Name of the keyspace that holds the checkpoints. @default "checkpoints" */
  name?: string;
  /** Source of `committedAt`. @default systemClock */
  clock?: Clock;
  /** Label linking the store to the component that owns it. */
  group?: string;
}

/** A consumer's committed position. */
export interface Checkpoint {
  /** The consumer's name. */
  readonly name: string;
  /** The offset of the last record the consumer finished with. */
  readonly offset: number;
  readonly committedAt: number;
}

/**
 * Named consumer offsets (the catalog's `CheckpointStore`, kept as
 * snapshots in a {@link SnapshotStore}). A consumer commits the offset of
 * the last record it finished with; after a restart it resumes at
 * {@link nextOffset}, the record after that.
 *
 * ## Example
 * ```ts
 * const checkpoints = spool.checkpoints;
 * spool.replay({ from: await checkpoints.nextOffset("uploader") }).pipe(
 *   concatMap(async (record) => { await upload(record.value); await checkpoints.commit("uploader", record.offset); }),
 * ).subscribe();
 * ```
 * @lego CheckpointStore
 */
export class CheckpointStore {
  readonly snapshots: SnapshotStore<number>;

  constructor(parent: LevelDatabase | Keyspace, options: CheckpointStoreOptions = {}) {
    requireObject("options", options);
    const group = optionalGroup(options.group);
    this.snapshots = new SnapshotStore<number>(parent, {
      name: options.name ?? "checkpoints",
      codec: numberCodec(),
      ...(options.clock === undefined ? {} : { clock: options.clock }),
      ...(group === undefined ? {} : { group }),
    });
  }

  get group(): string | undefined {
    return this.snapshots.group;
  }

  /** Records that consumer `name` finished with the record at `offset` (fsynced unless `sync: false`). */
  async commit(name: string, offset: number, options: { sync?: boolean } = {}): Promise<Checkpoint> {
    requireNonEmptyString("name", name);
    requireOffset("offset", offset);
    const sync = optional("sync", options.sync, requireBoolean) ?? true;
    const snapshot = await this.snapshots.save(name, offset, { offset, sync });
    return { name, offset, committedAt: snapshot.savedAt };
  }

  /** The offset consumer `name` last committed, or `undefined`. */
  async get(name: string): Promise<number | undefined> {
    return (await this.snapshots.load(name))?.value;
  }

  /** Where consumer `name` resumes: the offset after its checkpoint, or 0 without one. */
  async nextOffset(name: string): Promise<number> {
    const committed = await this.get(name);
    return committed === undefined ? 0 : committed + 1;
  }

  /** Forgets consumer `name`. */
  async delete(name: string): Promise<void> {
    await this.snapshots.delete(name);
  }

  /** Every checkpoint, by consumer name. */
  async list(): Promise<Checkpoint[]> {
    const checkpoints: Checkpoint[] = [];
    for await (const snapshot of this.snapshots.list()) {
      checkpoints.push({ name: snapshot.id, offset: snapshot.value, committedAt: snapshot.savedAt });
    }
    return checkpoints;
  }

  /** Refuses further use. */
  async close(): Promise<void> {
    await this.snapshots.close();
  }
}
