import { DiscardPolicy, type JetStreamManager } from "@nats-io/jetstream";
import { Kvm, type KV } from "@nats-io/kv";
import { LegoError } from "../../atom/lego-error.js";
import { legoMeter, type LegoDescriptor } from "../../atom/lego-descriptor.js";
import { optional, optionalGroup, requireObject, requirePositive, requirePositiveInteger, requireString } from "../../atom/validate.js";
import { requireClock } from "../../durable/durable-validate.js";
import type { DeduplicationStore } from "../../ports/deduplication-store.js";
import { systemClock, type Clock } from "../../time/clock.js";
import type { NatsClient } from "./connection.js";
import { isWrongLastSequence, natsError, requireNatsClient, requireStreamName } from "./nats-shared.js";

/** Options of {@link NatsDeduplicationStore.open}. */
export interface NatsDeduplicationStoreOptions {
  /** The connection (from `connectNats`). */
  client: NatsClient;
  /** The KV bucket (created when absent). */
  bucket: string;
  /** Ms an id is remembered (from the `clock`); the bucket's TTL is this plus `expirySlack`, to collect old ids. @default remembered until evicted */
  ttl?: number;
  /** Ids remembered at most: the bucket stream's `max_msgs` (the oldest are dropped first). @default 1000000 */
  maxEntries?: number;
  /** Added to `ttl` for the bucket TTL, covering clock skew between this host and the server. @default 60000 */
  expirySlack?: number;
  /** Replicas of the bucket's stream. @default 1 */
  replicas?: number;
  /** Where "now" comes from. @default systemClock */
  clock?: Clock;
  /** Label linking the store to the component that owns it. */
  group?: string;
}

/** A KV key for any id or key (KV keys have a small alphabet). */
export function kvKeyOf(id: string): string {
  return `k${Buffer.from(id, "utf8").toString("base64url")}`;
}

/**
 * The NATS KV backend of the {@link DeduplicationStore} port: one key per id
 * holding when it was recorded. `seen(id)` is a KV `create` (of two
 * concurrent calls exactly one succeeds); an id older than `ttl` (by the
 * store's clock) is taken over with an `update` on its revision. The count
 * window is the bucket stream's `max_msgs` with discard-old; `forget`
 * purges the key's subject (no delete marker to count).
 *
 * ## Example
 * ```ts
 * const dedupe = await NatsDeduplicationStore.open({ client, bucket: "seen-orders", ttl: 3_600_000 });
 * if (!(await dedupe.seen(message.messageId))) await handle(message);
 * ```
 *
 * @see {@link DeduplicationStore}
 * @lego DeduplicationStore
 */
export class NatsDeduplicationStore implements DeduplicationStore {
  readonly lego: LegoDescriptor;
  readonly group: string | undefined;
  readonly bucket: string;
  readonly #kv: KV;
  readonly #jsm: JetStreamManager;
  readonly #ttl: number;
  readonly #clock: Clock;
  readonly #meter;
  #closed = false;

  private constructor(kv: KV, jsm: JetStreamManager, bucket: string, ttl: number, clock: Clock, group: string | undefined) {
    this.#kv = kv;
    this.#jsm = jsm;
    this.bucket = bucket;
    this.#ttl = ttl;
    this.#clock = clock;
    this.group = group;
    this.#meter = legoMeter("DeduplicationStore", { name: `nats-kv:${bucket}`, group }, ["recorded", "repeats", "forgotten"]);
    this.lego = this.#meter.descriptor;
  }

  static async open(options: NatsDeduplicationStoreOptions): Promise<NatsDeduplicationStore> {
    requireObject("options", options);
    const client = requireNatsClient("client", options.client);
    const bucket = requireStreamName("bucket", options.bucket);
    const ttl = optional("ttl", options.ttl, requirePositive) ?? Infinity;
    const maxEntries = optional("maxEntries", options.maxEntries, requirePositiveInteger) ?? 1_000_000;
    const slack = optional("expirySlack", options.expirySlack, requirePositive) ?? 60_000;
    const replicas = optional("replicas", options.replicas, requirePositiveInteger) ?? 1;
    const clock = options.clock === undefined ? systemClock : requireClock("clock", options.clock);
    const group = optionalGroup(options.group);
    try {
      const kv = await openBucket(client, bucket, { ttl: Number.isFinite(ttl) ? ttl + slack : 0, maxEntries, replicas });
      return new NatsDeduplicationStore(kv, await client.jetstreamManager(), bucket, ttl, clock, group);
    } catch (error) {
      throw natsError(error, "ENGINE_UNAVAILABLE", `cannot open KV bucket ${bucket}`, group);
    }
  }

  seen(id: string): Promise<boolean> {
    return this.#run(async () => {
      const key = kvKeyOf(requireString("id", id));
      for (let attempt = 0; attempt < 5; attempt++) {
        const now = this.#clock.now();
        const value = encode(now);
        try {
          await this.#kv.create(key, value);
          this.#meter.count("recorded");
          return false;
        } catch (error) {
          if (!isWrongLastSequence(error)) throw error;
        }
        const entry = await this.#kv.get(key);
        if (entry === null || entry.operation !== "PUT") continue; // forgotten meanwhile: create again
        if (now - decode(entry.value) < this.#ttl) {
          this.#meter.count("repeats");
          return true;
        }
        try {
          await this.#kv.update(key, value, entry.revision); // expired: record anew
          this.#meter.count("recorded");
          return false;
        } catch (error) {
          if (!isWrongLastSequence(error)) throw error; // another caller recorded it first: look again
        }
      }
      this.#meter.count("repeats");
      return true;
    });
  }

  has(id: string): Promise<boolean> {
    return this.#run(async () => {
      const entry = await this.#kv.get(kvKeyOf(requireString("id", id)));
      return entry !== null && entry.operation === "PUT" && this.#clock.now() - decode(entry.value) < this.#ttl;
    });
  }

  forget(id: string): Promise<void> {
    return this.#run(async () => {
      const key = kvKeyOf(requireString("id", id));
      await this.#jsm.streams.purge(`KV_${this.bucket}`, { filter: `$KV.${this.bucket}.${key}` });
      this.#meter.count("forgotten");
    });
  }

  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  async #run<R>(operation: () => Promise<R>): Promise<R> {
    if (this.#closed) throw new LegoError("STORE_CLOSED", "the deduplication store is closed", { group: this.group });
    try {
      return await operation();
    } catch (error) {
      if (error instanceof LegoError || error instanceof TypeError || error instanceof RangeError) throw error;
      throw natsError(error, "ENGINE_UNAVAILABLE", `KV bucket ${this.bucket}`, this.group);
    }
  }
}

/** Opens (creating) a KV bucket with history 1, a TTL and a count bound that drops the oldest keys. */
export async function openBucket(client: NatsClient, bucket: string, limits: { ttl: number; maxEntries: number; replicas: number }): Promise<KV> {
  const kv = await new Kvm(client.js).create(bucket, { history: 1, ttl: limits.ttl, replicas: limits.replicas });
  const jsm = await client.jetstreamManager();
  const stream = `KV_${bucket}`;
  const info = await jsm.streams.info(stream);
  if (info.config.max_msgs !== limits.maxEntries || info.config.discard !== DiscardPolicy.Old) {
    await jsm.streams.update(stream, { ...info.config, max_msgs: limits.maxEntries, discard: DiscardPolicy.Old });
  }
  return kv;
}

function encode(at: number): Uint8Array {
  return new TextEncoder().encode(String(at));
}

function decode(bytes: Uint8Array): number {
  const at = Number(new TextDecoder().decode(bytes));
  return Number.isFinite(at) ? at : -Infinity;
}
