import { Kvm, type KV, type KvEntry, type KvWatchEntry } from "@nats-io/kv";
import type { QueuedIterator } from "@nats-io/transport-node";
import { Observable, type Subscriber } from "rxjs";
import { LegoError } from "../../atom/lego-error.js";
import { legoMeter, type LegoDescriptor } from "../../atom/lego-descriptor.js";
import { optional, optionalGroup, requireNonNegative, requireObject, requirePositiveInteger } from "../../atom/validate.js";
import { requireCodec } from "../../durable/durable-validate.js";
import type { Codec } from "../../local/schema.js";
import { jsonCodec } from "../../local/value-codecs.js";
import { requireRegisterKey } from "../../ports/register-key.js";
import type { RegisterChange, Versioned, VersionedRegister } from "../../ports/versioned-register.js";
import type { NatsClient } from "./connection.js";
import { isWrongLastSequence, natsError, requireNatsClient, requireStreamName } from "./nats-shared.js";

/** Options of {@link NatsVersionedRegister.open}. */
export interface NatsVersionedRegisterOptions<T> {
  /** The connection (from `connectNats`). */
  client: NatsClient;
  /** The KV bucket (created when absent, with `history: 1`; the stream is `KV_<bucket>`). */
  bucket: string;
  /** How values are stored. @default jsonCodec() */
  codec?: Codec<T>;
  /**
   * Bucket TTL in ms: every key expires this long after its last write (the
   * stream's `max_age`). On nats-server < 2.11 an expiry leaves no delete
   * marker, so watchers do not see it (`get` does). 0 = never.
   * @default 0
   */
  ttl?: number;
  /** Replicas of the bucket's stream (R3 on a 3-node cluster). @default 1 */
  replicas?: number;
  /** Label linking the register to the component that owns it. */
  group?: string;
}

/**
 * The NATS KV backend of the {@link VersionedRegister} port: a version is the
 * KV revision (the stream sequence), so versions only increase across the
 * whole bucket, even across a delete and re-create, and serve as fencing
 * tokens. `create` and `update` are JetStream's expected-last-subject-sequence
 * writes; replication and failover are JetStream's (Raft) with `replicas: 3`.
 *
 * Per-key TTL is not offered: nats-server 2.9/2.10 silently ignore it
 * (`client.requireFeature("kv-per-key-ttl")`); use the bucket `ttl`.
 * One limit of the engine: a delete leaves a marker whose revision a
 * `watchAll` reports; an `update` naming that revision succeeds on NATS
 * (the key is re-created), where the memory backend refuses it.
 *
 * ## Example
 * ```ts
 * const client = await connectNats(url);
 * const register = await NatsVersionedRegister.open<string>({ client, bucket: "leases" });
 * const v1 = await register.create("leader", "node-a");
 * await register.update("leader", "node-b", v1);
 * ```
 *
 * @see {@link VersionedRegister}
 * @lego VersionedRegister
 */
export class NatsVersionedRegister<T> implements VersionedRegister<T> {
  readonly lego: LegoDescriptor;
  readonly group: string | undefined;
  readonly bucket: string;
  readonly #kv: KV;
  readonly #codec: Codec<T>;
  readonly #meter;
  readonly #watchers = new Set<Subscriber<never>>();
  #closed = false;

  private constructor(kv: KV, bucket: string, codec: Codec<T>, group: string | undefined) {
    this.#kv = kv;
    this.bucket = bucket;
    this.#codec = codec;
    this.group = group;
    this.#meter = legoMeter("VersionedRegister", { name: `nats-kv:${bucket}`, group }, ["writes", "conflicts"]);
    this.lego = this.#meter.descriptor;
  }

  /** Opens (creating when absent) the bucket. */
  static async open<T>(options: NatsVersionedRegisterOptions<T>): Promise<NatsVersionedRegister<T>> {
    requireObject("options", options);
    const client = requireNatsClient("client", options.client);
    const bucket = requireStreamName("bucket", options.bucket);
    const codec = options.codec === undefined ? jsonCodec<T>() : requireCodec<T>("codec", options.codec);
    const ttl = optional("ttl", options.ttl, requireNonNegative) ?? 0;
    const replicas = optional("replicas", options.replicas, requirePositiveInteger) ?? 1;
    const group = optionalGroup(options.group);
    let kv: KV;
    try {
      kv = await new Kvm(client.js).create(bucket, { history: 1, ttl, replicas });
    } catch (error) {
      throw natsError(error, "ENGINE_UNAVAILABLE", `cannot open KV bucket ${bucket}`, group);
    }
    return new NatsVersionedRegister<T>(kv, bucket, codec, group);
  }

  get(key: string): Promise<Versioned<T> | undefined> {
    return this.#run(async () => this.#versioned(await this.#kv.get(requireRegisterKey("key", key))));
  }

  create(key: string, value: T): Promise<number> {
    return this.#run(async () => {
      requireRegisterKey("key", key);
      const bytes = this.#codec.encode(value);
      try {
        return this.#wrote(await this.#kv.create(key, bytes));
      } catch (error) {
        if (isWrongLastSequence(error)) throw this.#conflict(`key ${key} already exists`, error);
        throw error;
      }
    });
  }

  update(key: string, value: T, expectedVersion: number): Promise<number> {
    return this.#run(async () => {
      requireRegisterKey("key", key);
      requirePositiveInteger("expectedVersion", expectedVersion);
      const bytes = this.#codec.encode(value);
      try {
        return this.#wrote(await this.#kv.update(key, bytes, expectedVersion));
      } catch (error) {
        if (isWrongLastSequence(error)) {
          throw this.#conflict(`key ${key} is absent or not at version ${expectedVersion}`, error);
        }
        throw error;
      }
    });
  }

  put(key: string, value: T): Promise<number> {
    return this.#run(async () => {
      requireRegisterKey("key", key);
      return this.#wrote(await this.#kv.put(key, this.#codec.encode(value)));
    });
  }

  delete(key: string, expectedVersion?: number): Promise<void> {
    return this.#run(async () => {
      requireRegisterKey("key", key);
      if (expectedVersion === undefined) {
        // deleting an absent key is a no-op: no marker, no change for watchers
        if ((await this.get(key)) === undefined) return;
        await this.#kv.delete(key);
        this.#meter.count("writes");
        return;
      }
      requirePositiveInteger("expectedVersion", expectedVersion);
      const current = await this.get(key);
      if (current?.version !== expectedVersion) {
        throw this.#conflict(
          current === undefined
            ? `key ${key} does not exist (expected version ${expectedVersion})`
            : `key ${key} is at version ${current.version}, not ${expectedVersion}`,
        );
      }
      try {
        await this.#kv.delete(key, { previousSeq: expectedVersion });
        this.#meter.count("writes");
      } catch (error) {
        if (isWrongLastSequence(error)) throw this.#conflict(`key ${key} changed from version ${expectedVersion}`, error);
        throw error;
      }
    });
  }

  keys(prefix = ""): Promise<string[]> {
    return this.#run(async () => {
      if (prefix !== "") requireRegisterKey("prefix", prefix, { prefix: true });
      return (await this.#presentKeys()).filter((key) => key.startsWith(prefix)).sort();
    });
  }

  watch(key: string): Observable<Versioned<T> | undefined> {
    requireRegisterKey("key", key);
    return this.#follow<Versioned<T> | undefined>(key, async (emit) => {
      const current = await this.get(key);
      emit(key, current, current?.version ?? 0, current !== undefined);
    }, (entry, emit) => {
      const value = this.#versioned(entry);
      emit(key, value, entry.revision, value !== undefined);
    });
  }

  watchAll(prefix = ""): Observable<RegisterChange<T>> {
    if (prefix !== "") requireRegisterKey("prefix", prefix, { prefix: true });
    return this.#follow<RegisterChange<T>>(undefined, async (emit) => {
      const keys = (await this.#presentKeys()).filter((key) => key.startsWith(prefix)).sort();
      for (const key of keys) {
        const current = await this.get(key);
        if (current !== undefined) emit(key, { ...current, operation: "put" }, current.version, true);
      }
    }, (entry, emit) => {
      if (!entry.key.startsWith(prefix)) return;
      const value = this.#versioned(entry);
      emit(
        entry.key,
        value === undefined
          ? { key: entry.key, value: undefined, version: entry.revision, operation: "delete" }
          : { ...value, operation: "put" },
        entry.revision,
        value !== undefined,
      );
    });
  }

  /** Completes every watcher; later calls reject with `STORE_CLOSED`. The connection stays open. */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      for (const watcher of [...this.#watchers]) watcher.complete();
      this.#watchers.clear();
    }
    return Promise.resolve();
  }

  /**
   * A snapshot, then the changes after it. The change watcher starts at the
   * bucket's last revision before the snapshot, so nothing falls between
   * them; a change already in the snapshot (same key, version not newer) is
   * skipped, as is a delete of a key the watcher holds as absent.
   */
  #follow<V>(
    key: string | undefined,
    snapshot: (emit: Emit<V>) => Promise<void>,
    change: (entry: KvWatchEntry, emit: Emit<V>) => void,
  ): Observable<V> {
    return new Observable<V>((subscriber) => {
      if (this.#closed) {
        subscriber.error(closedError());
        return undefined;
      }
      this.#watchers.add(subscriber);
      /** Per key: the last version shown and whether the key was present then. */
      const seen = new Map<string, { version: number; present: boolean }>();
      const emit: Emit<V> = (k, value, version, present) => {
        const last = seen.get(k);
        if (last !== undefined && last.version >= version) return; // already shown (snapshot overlap)
        seen.set(k, { version, present });
        // a delete of a key already absent (or never shown) changes nothing for this watcher
        if (!present && !(last?.present ?? false) && (last !== undefined || key === undefined)) return;
        subscriber.next(value);
      };
      let iterator: QueuedIterator<KvWatchEntry> | undefined;
      let stopped = false;
      const isStopped = (): boolean => stopped;
      const run = async (): Promise<void> => {
        const status = await this.#kv.status();
        const last = status.streamInfo.state.last_seq;
        await snapshot(emit);
        if (isStopped()) return;
        iterator = await this.#kv.watch({ key: key ?? ">", resumeFromRevision: last + 1 });
        if (isStopped()) {
          iterator.stop();
          return;
        }
        for await (const entry of iterator) change(entry, emit);
      };
      run().then(
        () => {
          if (!isStopped()) subscriber.complete();
        },
        (error: unknown) => {
          if (!isStopped()) subscriber.error(natsError(error, "ENGINE_UNAVAILABLE", `watching bucket ${this.bucket}`, this.group));
        },
      );
      return () => {
        stopped = true;
        this.#watchers.delete(subscriber);
        iterator?.stop();
      };
    });
  }

  async #presentKeys(): Promise<string[]> {
    const keys: string[] = [];
    for await (const key of await this.#kv.keys()) keys.push(key);
    return keys;
  }

  #versioned(entry: KvEntry | null): Versioned<T> | undefined {
    if (entry === null || entry.operation !== "PUT") return undefined;
    return Object.freeze({ key: entry.key, value: this.#codec.decode(entry.value), version: entry.revision });
  }

  #wrote(version: number): number {
    this.#meter.count("writes");
    return version;
  }

  #conflict(message: string, cause?: unknown): LegoError {
    this.#meter.count("conflicts");
    return new LegoError("REGISTER_CONFLICT", message, { cause, group: this.group });
  }

  async #run<R>(operation: () => Promise<R>): Promise<R> {
    if (this.#closed) throw closedError();
    try {
      return await operation();
    } catch (error) {
      if (error instanceof LegoError || error instanceof TypeError || error instanceof RangeError) throw error;
      throw natsError(error, "ENGINE_UNAVAILABLE", `KV bucket ${this.bucket}`, this.group);
    }
  }
}

type Emit<V> = (key: string, value: V, version: number, present: boolean) => void;

function closedError(): LegoError {
  return new LegoError("STORE_CLOSED", "the register is closed");
}
