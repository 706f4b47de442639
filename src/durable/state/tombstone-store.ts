import { legoMeter, type LegoDescriptor, type LegoMeter } from "../../atom/lego-descriptor.js";
import { optional, optionalGroup, requireNonNegativeInteger, requireObject, requirePositive } from "../../atom/validate.js";
import { requireRegisterKey } from "../../ports/register-key.js";
import type { VersionedRegister } from "../../ports/versioned-register.js";
import { systemClock, type Clock } from "../../time/clock.js";
import { requireClock, requireMethods } from "../durable-validate.js";

/** A remembered delete. */
export interface Tombstone {
  /** When the key was deleted (the store's clock). */
  readonly deletedAt: number;
  /** The version of the data the delete removed, when known. */
  readonly version?: number;
}

/** Options of {@link TombstoneStore}. */
export interface TombstoneStoreOptions {
  /** How long (ms) a delete is remembered. */
  retention: number;
  /** Key prefix of the tombstones in the register (`<prefix>.<key>`). @default "tombstone" */
  prefix?: string;
  /** Where "now" comes from (any RxJS scheduler is a Clock). @default systemClock */
  clock?: Clock;
  /** Label linking the store to the component that owns it. @default undefined */
  group?: string;
}

/**
 * The catalog's `TombstoneStore`: deletes remembered for a `retention`, so
 * that a replica or a replay that still carries an older write of a deleted
 * key does not bring it back. Ask {@link allows} before applying a write
 * that arrives from elsewhere: it refuses a write not newer than a live
 * tombstone (by version, else by time). After the retention the tombstone
 * is gone (bounded storage): a write older than that can resurrect the key,
 * so keep the retention above the longest replication or replay lag.
 * Tombstones live in a {@link VersionedRegister} (memory, LevelDB, NATS KV).
 * Counters: `buried`, `refused`, `purged`.
 *
 * ## Example
 * ```ts
 * const tombs = new TombstoneStore(register, { retention: 7 * 86_400_000 });
 * await tombs.bury("device.uart-1", { version: 12 });
 * await tombs.allows("device.uart-1", { version: 11 }); // false: an old write replayed
 * ```
 * @see {@link VersionedRegister}, {@link MaterializedView}
 * @lego TombstoneStore
 */
export class TombstoneStore {
  readonly retention: number;
  readonly prefix: string;
  readonly group: string | undefined;
  readonly lego: LegoDescriptor;
  readonly #register: VersionedRegister<Tombstone>;
  readonly #clock: Clock;
  readonly #meter: LegoMeter;

  constructor(register: VersionedRegister<Tombstone>, options: TombstoneStoreOptions) {
    this.#register = requireMethods("register", register, ["get", "put", "delete", "keys"]) as unknown as VersionedRegister<Tombstone>;
    requireObject("options", options);
    this.retention = requirePositive("retention", options.retention);
    this.prefix = requireRegisterKey("prefix", options.prefix ?? "tombstone");
    this.#clock = options.clock === undefined ? systemClock : requireClock("clock", options.clock);
    this.group = optionalGroup(options.group);
    this.#meter = legoMeter("TombstoneStore", { name: this.prefix, group: this.group }, ["buried", "refused", "purged"]);
    this.lego = this.#meter.descriptor;
  }

  /** Remembers that `key` was deleted now (removing data at `version`, when given). */
  async bury(key: string, options: { version?: number } = {}): Promise<Tombstone> {
    const version = optional("version", options.version, requireNonNegativeInteger);
    const tombstone: Tombstone = version === undefined ? { deletedAt: this.#clock.now() } : { deletedAt: this.#clock.now(), version };
    await this.#register.put(this.#key(key), tombstone);
    this.#meter.count("buried");
    return tombstone;
  }

  /** The live tombstone of `key`, or `undefined` (never deleted, lifted, or past the retention). */
  async get(key: string): Promise<Tombstone | undefined> {
    const entry = await this.#register.get(this.#key(key));
    if (entry === undefined || this.#expired(entry.value)) return undefined;
    return entry.value;
  }

  /**
   * Whether a write of `key` (at `version`, or made at `writtenAt`) may be
   * applied: always without a live tombstone; with one, only when newer
   * than the delete (by version when both know it, else by time; a write
   * that says neither is refused).
   */
  async allows(key: string, write: { version?: number; writtenAt?: number } = {}): Promise<boolean> {
    const tombstone = await this.get(key);
    if (tombstone === undefined) return true;
    let allowed: boolean;
    if (write.version !== undefined && tombstone.version !== undefined) allowed = write.version > tombstone.version;
    else if (write.writtenAt !== undefined) allowed = write.writtenAt > tombstone.deletedAt;
    else allowed = false;
    if (!allowed) this.#meter.count("refused");
    return allowed;
  }

  /** Forgets the tombstone of `key` (a deliberate re-create). */
  async lift(key: string): Promise<void> {
    await this.#register.delete(this.#key(key));
  }

  /** Deletes tombstones past the retention; resolves with how many went. */
  async purge(): Promise<number> {
    let purged = 0;
    for (const full of await this.#register.keys(`${this.prefix}.`)) {
      const entry = await this.#register.get(full);
      if (entry !== undefined && this.#expired(entry.value)) {
        await this.#register.delete(full, entry.version).catch(() => undefined);
        purged++;
      }
    }
    this.#meter.count("purged", purged);
    return purged;
  }

  #expired(tombstone: Tombstone): boolean {
    return this.#clock.now() - tombstone.deletedAt >= this.retention;
  }

  #key(key: string): string {
    return `${this.prefix}.${requireRegisterKey("key", key)}`;
  }
}
