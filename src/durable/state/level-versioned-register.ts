import { Observable, Subject } from "rxjs";
import { legoMeter, type LegoDescriptor, type LegoMeter } from "../../atom/lego-descriptor.js";
import { LegoError, messageOf } from "../../atom/lego-error.js";
import { optional, optionalGroup, requireBoolean, requireNonEmptyString, requireObject, requirePositiveInteger } from "../../atom/validate.js";
import type { Codec } from "../../local/schema.js";
import { jsonCodec } from "../../local/value-codecs.js";
import { requireRegisterKey } from "../../ports/register-key.js";
import type { RegisterChange, Versioned, VersionedRegister } from "../../ports/versioned-register.js";
import { requireCodec } from "../durable-validate.js";
import { Keyspace } from "../keyspace.js";
import type { LevelDatabase } from "../level-database.js";

/** Options of {@link LevelVersionedRegister.open}. */
export interface LevelVersionedRegisterOptions<T> {
  /** The keyspace holding the register. @default "register" */
  name?: string;
  /** Encodes values. @default jsonCodec() */
  codec?: Codec<T>;
  /** fsync each write. @default false */
  sync?: boolean;
  /** Label linking the register to the component that owns it. @default undefined */
  group?: string;
}

const VALUE = "v:";
const VERSION_KEY = "m:version";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The LevelDB backend of the {@link VersionedRegister} port: keyed values
 * with versions numbered across the register (like NATS KV revisions: they
 * only increase, across deletes and restarts) and conditional writes, kept
 * in a {@link Keyspace}. Writes of this object run one at a time, so a
 * check and its write are atomic (one register object per keyspace; the
 * database's lock keeps other processes out). `watch`/`watchAll` see the
 * changes made through this object (in-process). Counters: `writes`,
 * `conflicts`.
 *
 * ## Example
 * ```ts
 * const register = await LevelVersionedRegister.open<string>(db, { name: "leases" });
 * const v = await register.create("leader", "node-a");
 * await register.update("leader", "node-b", v);
 * ```
 * @see {@link MemoryVersionedRegister}, `versionedRegisterConformance`
 * @lego VersionedRegister
 */
export class LevelVersionedRegister<T> implements VersionedRegister<T> {
  readonly lego: LegoDescriptor;
  readonly group: string | undefined;
  readonly keyspace: Keyspace;
  readonly #codec: Codec<T>;
  readonly #sync: boolean;
  readonly #meter: LegoMeter;
  readonly #changes = new Subject<RegisterChange<T>>();
  #version: number;
  #tail: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(keyspace: Keyspace, codec: Codec<T>, sync: boolean, group: string | undefined, version: number) {
    this.keyspace = keyspace;
    this.#codec = codec;
    this.#sync = sync;
    this.group = group;
    this.#version = version;
    this.#meter = legoMeter("VersionedRegister", { name: keyspace.name, group }, ["writes", "conflicts"]);
    this.lego = this.#meter.descriptor;
  }

  /** Opens (or creates) the register in `parent`. */
  static async open<T = unknown>(parent: LevelDatabase | Keyspace, options: LevelVersionedRegisterOptions<T> = {}): Promise<LevelVersionedRegister<T>> {
    requireObject("options", options);
    const name = optional("name", options.name, requireNonEmptyString) ?? "register";
    const codec = options.codec === undefined ? jsonCodec<T>() : requireCodec<T>("codec", options.codec);
    const sync = optional("sync", options.sync, requireBoolean) ?? false;
    const group = optionalGroup(options.group);
    const keyspace = new Keyspace(parent, { name, ...(group === undefined ? {} : { group }) });
    await keyspace.ready();
    const stored = await keyspace.get(VERSION_KEY);
    const version = stored === undefined ? 0 : requirePositiveInteger("stored version", Number(decoder.decode(stored)));
    return new LevelVersionedRegister<T>(keyspace, codec, sync, group, version);
  }

  /** The highest version written so far (0 before any write). */
  get version(): number {
    return this.#version;
  }

  get(key: string): Promise<Versioned<T> | undefined> {
    return this.#guard(async () => this.#read(requireRegisterKey("key", key)));
  }

  create(key: string, value: T): Promise<number> {
    return this.#write(key, async () => {
      if ((await this.#read(key)) !== undefined) throw this.#conflict(`key ${key} already exists`);
      return this.#put(key, value);
    });
  }

  update(key: string, value: T, expectedVersion: number): Promise<number> {
    return this.#write(key, async () => {
      requirePositiveInteger("expectedVersion", expectedVersion);
      await this.#expect(key, expectedVersion);
      return this.#put(key, value);
    });
  }

  put(key: string, value: T): Promise<number> {
    return this.#write(key, () => this.#put(key, value));
  }

  delete(key: string, expectedVersion?: number): Promise<void> {
    return this.#write(key, async () => {
      if (expectedVersion !== undefined) {
        requirePositiveInteger("expectedVersion", expectedVersion);
        await this.#expect(key, expectedVersion);
      } else if ((await this.#read(key)) === undefined) {
        return;
      }
      const version = this.#version + 1;
      await this.keyspace.write(
        [
          { type: "del", key: VALUE + key },
          { type: "put", key: VERSION_KEY, value: encoder.encode(String(version)) },
        ],
        { sync: this.#sync },
      );
      this.#version = version;
      this.#meter.count("writes");
      this.#changes.next({ key, value: undefined, version, operation: "delete" });
    });
  }

  keys(prefix = ""): Promise<string[]> {
    return this.#guard(async () => {
      if (prefix !== "") requireRegisterKey("prefix", prefix, { prefix: true });
      const keys: string[] = [];
      for await (const key of this.keyspace.keys({ prefix: VALUE + prefix })) keys.push(key.slice(VALUE.length));
      return keys;
    });
  }

  watch(key: string): Observable<Versioned<T> | undefined> {
    requireRegisterKey("key", key);
    return this.#follow(
      async () => [await this.#read(key)],
      (change) => (change.key !== key ? NONE : change.value === undefined ? undefined : { key, value: change.value, version: change.version }),
    );
  }

  watchAll(prefix = ""): Observable<RegisterChange<T>> {
    if (prefix !== "") requireRegisterKey("prefix", prefix, { prefix: true });
    return this.#follow(
      async () => {
        const present: RegisterChange<T>[] = [];
        for await (const [key, bytes] of this.keyspace.entries({ prefix: VALUE + prefix })) {
          const entry = this.#decode(key.slice(VALUE.length), bytes);
          present.push({ ...entry, operation: "put" });
        }
        return present;
      },
      (change) => (change.key.startsWith(prefix) ? change : NONE),
    );
  }

  /** Waits for writes in flight, completes the watchers and refuses further use (the database stays open: it is the caller's). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#tail;
    this.#changes.complete();
    await this.keyspace.close();
  }

  /** The current state (read from disk), then each change `select` keeps; changes during the read are queued, not lost. */
  #follow<V>(initial: () => Promise<V[]>, select: (change: RegisterChange<T>) => V | typeof NONE): Observable<V> {
    return new Observable<V>((subscriber) => {
      if (this.#closed) {
        subscriber.error(closedError(this.group));
        return undefined;
      }
      const early: RegisterChange<T>[] = [];
      let ready = false;
      let floor = 0;
      const deliver = (change: RegisterChange<T>): void => {
        if (change.version <= floor) return;
        const value = select(change);
        if (value !== NONE) subscriber.next(value);
      };
      const subscription = this.#changes.subscribe({
        next: (change) => {
          if (ready) deliver(change);
          else early.push(change);
        },
        complete: () => {
          subscriber.complete();
        },
      });
      this.#serialize(async () => {
        // Inside the write chain: no write interleaves with the read.
        floor = this.#version;
        return initial();
      }).then(
        (values) => {
          for (const value of values) subscriber.next(value);
          ready = true;
          for (const change of early.splice(0)) deliver(change);
        },
        (error: unknown) => {
          subscriber.error(error);
        },
      );
      return subscription;
    });
  }

  async #put(key: string, value: T): Promise<number> {
    const version = this.#version + 1;
    let bytes: Uint8Array;
    try {
      bytes = this.#codec.encode(value);
    } catch (error) {
      throw new LegoError("ENCODE_FAILED", `register "${this.keyspace.name}": cannot encode the value of ${key}: ${messageOf(error)}`, {
        cause: error,
        group: this.group,
      });
    }
    const head = encoder.encode(`${version}\n`);
    const record = new Uint8Array(head.length + bytes.length);
    record.set(head, 0);
    record.set(bytes, head.length);
    await this.keyspace.write(
      [
        { type: "put", key: VALUE + key, value: record },
        { type: "put", key: VERSION_KEY, value: encoder.encode(String(version)) },
      ],
      { sync: this.#sync },
    );
    this.#version = version;
    this.#meter.count("writes");
    this.#changes.next({ key, value, version, operation: "put" });
    return version;
  }

  async #read(key: string): Promise<Versioned<T> | undefined> {
    const bytes = await this.keyspace.get(VALUE + key);
    return bytes === undefined ? undefined : this.#decode(key, bytes);
  }

  #decode(key: string, bytes: Uint8Array): Versioned<T> {
    const split = bytes.indexOf(0x0a);
    const version = Number(decoder.decode(bytes.subarray(0, split)));
    try {
      if (split < 0 || !Number.isInteger(version)) throw new Error("no version header");
      return Object.freeze({ key, value: this.#codec.decode(bytes.subarray(split + 1)), version });
    } catch (error) {
      throw new LegoError("DECODE_FAILED", `register "${this.keyspace.name}": the value of ${key} cannot be decoded: ${messageOf(error)}`, {
        cause: error,
        group: this.group,
      });
    }
  }

  async #expect(key: string, expectedVersion: number): Promise<void> {
    const current = await this.#read(key);
    if (current === undefined) throw this.#conflict(`key ${key} does not exist (expected version ${expectedVersion})`);
    if (current.version !== expectedVersion) throw this.#conflict(`key ${key} is at version ${current.version}, not ${expectedVersion}`);
  }

  #conflict(message: string): LegoError {
    this.#meter.count("conflicts");
    return new LegoError("REGISTER_CONFLICT", message, { group: this.group });
  }

  /** A write: key checked at the call, the rest in the write chain. */
  #write<R>(key: string, task: () => Promise<R>): Promise<R> {
    return this.#guard(() => {
      requireRegisterKey("key", key);
      return this.#serialize(async () => {
        if (this.#closed) throw closedError(this.group);
        return task();
      });
    });
  }

  #guard<R>(operation: () => Promise<R>): Promise<R> {
    if (this.#closed) return Promise.reject(closedError(this.group));
    try {
      return operation();
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  #serialize<R>(task: () => Promise<R>): Promise<R> {
    const run = this.#tail.then(task);
    this.#tail = run.catch(() => undefined);
    return run;
  }
}

/** Marks a change a watcher does not follow. */
const NONE: unique symbol = Symbol("none");

function closedError(group: string | undefined): LegoError {
  return new LegoError("STORE_CLOSED", "the register is closed", { group });
}
