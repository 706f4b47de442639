import { filter, map, type Observable } from "rxjs";
import { legoMeter, type LegoDescriptor, type LegoMeter } from "../../atom/lego-descriptor.js";
import { LegoError } from "../../atom/lego-error.js";
import { optionalGroup, requireObject, requirePositiveInteger } from "../../atom/validate.js";
import { canonicalJson } from "../../local/value-codecs.js";
import { requireRegisterKey } from "../../ports/register-key.js";
import type { RegisterChange, Versioned, VersionedRegister } from "../../ports/versioned-register.js";
import { requireMethods } from "../durable-validate.js";

/** Options of {@link MetadataStore}. */
export interface MetadataStoreOptions {
  /** Key prefix of this store's entries in the register (`<namespace>.<key>`). */
  namespace: string;
  /** Largest entry accepted, in bytes of canonical JSON. @default 16384 */
  maxValueBytes?: number;
  /** Label linking the store to the component that owns it. @default undefined */
  group?: string;
}

/**
 * The catalog's `MetadataStore`: small keyed metadata (device settings,
 * routes, ownership) kept in a namespace of a {@link VersionedRegister}, with
 * versions for conditional updates and a watch per namespace. Entries are
 * bounded in size (`maxValueBytes`, `RangeError` when over) so it stays a
 * metadata store, not a blob store. Counters: `writes`, `refused`.
 *
 * ## Example
 * ```ts
 * const devices = new MetadataStore<{ room: string }>(register, { namespace: "devices" });
 * const v = await devices.set("uart-1", { room: "kitchen" });
 * await devices.update("uart-1", { room: "hall" }, v);
 * ```
 * @see {@link VersionedRegister}, {@link DurableCell}
 * @lego MetadataStore
 */
export class MetadataStore<T> {
  readonly namespace: string;
  readonly group: string | undefined;
  readonly lego: LegoDescriptor;
  readonly #register: VersionedRegister<T>;
  readonly #maxValueBytes: number;
  readonly #meter: LegoMeter;

  constructor(register: VersionedRegister<T>, options: MetadataStoreOptions) {
    this.#register = requireMethods("register", register, ["get", "put", "update", "create", "delete", "keys", "watchAll"]) as unknown as VersionedRegister<T>;
    requireObject("options", options);
    this.namespace = requireRegisterKey("namespace", options.namespace);
    this.#maxValueBytes = requirePositiveInteger("maxValueBytes", options.maxValueBytes ?? 16_384);
    this.group = optionalGroup(options.group);
    this.#meter = legoMeter("MetadataStore", { name: this.namespace, group: this.group }, ["writes", "refused"]);
    this.lego = this.#meter.descriptor;
  }

  async get(key: string): Promise<Versioned<T> | undefined> {
    const entry = await this.#register.get(this.#key(key));
    return entry === undefined ? undefined : { ...entry, key };
  }

  /** Writes unconditionally; resolves to the version. */
  async set(key: string, value: T): Promise<number> {
    return this.#written(await this.#register.put(this.#key(key), this.#checked(value)));
  }

  /** Writes when absent (`REGISTER_CONFLICT` otherwise). */
  async create(key: string, value: T): Promise<number> {
    return this.#written(await this.#register.create(this.#key(key), this.#checked(value)));
  }

  /** Writes when at `expectedVersion` (`REGISTER_CONFLICT` otherwise). */
  async update(key: string, value: T, expectedVersion: number): Promise<number> {
    return this.#written(await this.#register.update(this.#key(key), this.#checked(value), expectedVersion));
  }

  async delete(key: string, expectedVersion?: number): Promise<void> {
    await this.#register.delete(this.#key(key), expectedVersion);
    this.#meter.count("writes");
  }

  /** The keys of this namespace (without the namespace), sorted. */
  async keys(): Promise<string[]> {
    return (await this.#register.keys(`${this.namespace}.`)).map((key) => key.slice(this.namespace.length + 1));
  }

  /** Every entry on subscribe, then each change, keys without the namespace. */
  watch(): Observable<RegisterChange<T>> {
    const prefix = `${this.namespace}.`;
    return this.#register.watchAll(prefix).pipe(
      filter((change) => change.key.startsWith(prefix)),
      map((change) => ({ ...change, key: change.key.slice(prefix.length) })),
    );
  }

  #key(key: string): string {
    return `${this.namespace}.${requireRegisterKey("key", key)}`;
  }

  #checked(value: T): T {
    let size: number;
    try {
      size = new TextEncoder().encode(canonicalJson(value, "value", "tagged")).length;
    } catch (error) {
      this.#meter.count("refused");
      throw new LegoError("ENCODE_FAILED", `metadata value cannot be encoded: ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
        group: this.group,
      });
    }
    if (size > this.#maxValueBytes) {
      this.#meter.count("refused");
      throw new RangeError(`metadata value is ${size} bytes, over maxValueBytes (${this.#maxValueBytes})`);
    }
    return value;
  }

  #written(version: number): number {
    this.#meter.count("writes");
    return version;
  }
}
