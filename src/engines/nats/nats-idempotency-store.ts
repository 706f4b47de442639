import type { KV, KvEntry } from "@nats-io/kv";
import { LegoError } from "../../atom/lego-error.js";
import { legoMeter, type LegoDescriptor } from "../../atom/lego-descriptor.js";
import {
  optional,
  optionalGroup,
  requireFunction,
  requireObject,
  requirePositive,
  requirePositiveInteger,
  requireString,
} from "../../atom/validate.js";
import { requireClock } from "../../durable/durable-validate.js";
import type { IdempotencyRecord, IdempotencyStore, IdempotentRunOptions } from "../../ports/idempotency-store.js";
import { systemClock, type Clock } from "../../time/clock.js";
import type { NatsClient } from "./connection.js";
import { kvKeyOf, openBucket } from "./nats-deduplication-store.js";
import { isWrongLastSequence, natsError, requireNatsClient, requireStreamName } from "./nats-shared.js";

/** Options of {@link NatsIdempotencyStore.open}. */
export interface NatsIdempotencyStoreOptions {
  /** The connection (from `connectNats`). */
  client: NatsClient;
  /** The KV bucket (created when absent). */
  bucket: string;
  /** How long (ms) a completed result is kept and returned to repeats. @default 86400000 (24 h) */
  ttl?: number;
  /** How long (ms) a run left in progress (a crash) blocks its key. @default 60000 */
  inProgressTimeout?: number;
  /** Keys kept at most (the bucket stream's `max_msgs`; the oldest are dropped). @default 1000000 */
  maxEntries?: number;
  /** Added to the longer of `ttl` and `inProgressTimeout` for the bucket TTL (clock skew). @default 60000 */
  expirySlack?: number;
  /** Replicas of the bucket's stream. @default 1 */
  replicas?: number;
  /** Where "now" comes from. @default systemClock */
  clock?: Clock;
  /** Label linking the store to the component that owns it. */
  group?: string;
}

/**
 * The NATS KV backend of the {@link IdempotencyStore} port (results are
 * stored as JSON). The in-progress mark is a KV `create` (one caller wins
 * across processes); completing, failing and taking over an expired mark are
 * writes conditioned on the mark's revision, so a run that was taken over
 * cannot overwrite its successor's result (it returns its own result
 * without storing it). Expiry is read from the store's clock; the bucket
 * TTL only collects old keys.
 *
 * ## Example
 * ```ts
 * const store = await NatsIdempotencyStore.open<Receipt>({ client, bucket: "payments" });
 * const receipt = await store.run(request.idempotencyKey, () => charge(request), { fingerprint: hash(request) });
 * ```
 *
 * @see {@link IdempotencyStore}
 * @lego IdempotencyStore
 */
export class NatsIdempotencyStore<R> implements IdempotencyStore<R> {
  readonly lego: LegoDescriptor;
  readonly group: string | undefined;
  readonly bucket: string;
  readonly #kv: KV;
  readonly #ttl: number;
  readonly #inProgressTimeout: number;
  readonly #clock: Clock;
  readonly #meter;
  #closed = false;

  private constructor(kv: KV, bucket: string, ttl: number, inProgressTimeout: number, clock: Clock, group: string | undefined) {
    this.#kv = kv;
    this.bucket = bucket;
    this.#ttl = ttl;
    this.#inProgressTimeout = inProgressTimeout;
    this.#clock = clock;
    this.group = group;
    this.#meter = legoMeter("IdempotencyStore", { name: `nats-kv:${bucket}`, group }, ["runs", "replays", "failures", "inProgress", "mismatches", "takeovers"]);
    this.lego = this.#meter.descriptor;
  }

  static async open<R>(options: NatsIdempotencyStoreOptions): Promise<NatsIdempotencyStore<R>> {
    requireObject("options", options);
    const client = requireNatsClient("client", options.client);
    const bucket = requireStreamName("bucket", options.bucket);
    const ttl = optional("ttl", options.ttl, requirePositive) ?? 86_400_000;
    const inProgressTimeout = optional("inProgressTimeout", options.inProgressTimeout, requirePositive) ?? 60_000;
    const maxEntries = optional("maxEntries", options.maxEntries, requirePositiveInteger) ?? 1_000_000;
    const slack = optional("expirySlack", options.expirySlack, requirePositive) ?? 60_000;
    const replicas = optional("replicas", options.replicas, requirePositiveInteger) ?? 1;
    const clock = options.clock === undefined ? systemClock : requireClock("clock", options.clock);
    const group = optionalGroup(options.group);
    try {
      const kv = await openBucket(client, bucket, { ttl: Math.max(ttl, inProgressTimeout) + slack, maxEntries, replicas });
      return new NatsIdempotencyStore<R>(kv, bucket, ttl, inProgressTimeout, clock, group);
    } catch (error) {
      throw natsError(error, "ENGINE_UNAVAILABLE", `cannot open KV bucket ${bucket}`, group);
    }
  }

  async run(key: string, fn: () => R | Promise<R>, options: IdempotentRunOptions = {}): Promise<R> {
    this.#assertOpen();
    requireString("key", key);
    requireFunction("fn", fn);
    requireObject("options", options);
    const fingerprint = optional("fingerprint", options.fingerprint, requireString);
    const k = kvKeyOf(key);
    let revision: number | undefined;
    for (let attempt = 0; revision === undefined; attempt++) {
      if (attempt >= 5) throw this.#inProgress(key);
      const now = this.#clock.now();
      const mark: IdempotencyRecord<R> = {
        state: "in-progress",
        ...(fingerprint === undefined ? {} : { fingerprint }),
        startedAt: now,
        expiresAt: now + this.#inProgressTimeout,
      };
      const entry = await this.#call(() => this.#kv.get(k));
      const current = this.#live(entry, now);
      if (current !== undefined) {
        if (current.fingerprint !== fingerprint && current.fingerprint !== undefined && fingerprint !== undefined) {
          this.#meter.count("mismatches");
          throw new LegoError("IDEMPOTENCY_MISMATCH", `key ${JSON.stringify(key)} was used with another fingerprint`, { group: this.group });
        }
        if (current.state === "completed") {
          this.#meter.count("replays");
          return current.result;
        }
        throw this.#inProgress(key);
      }
      try {
        if (entry === null || entry.operation !== "PUT") revision = await this.#call(() => this.#kv.create(k, encode(mark)));
        else {
          revision = await this.#call(() => this.#kv.update(k, encode(mark), entry.revision));
          this.#meter.count("takeovers");
        }
      } catch (error) {
        if (!isWrongLastSequence(error instanceof LegoError ? error.cause : error)) throw error; // someone else marked it first: look again
      }
    }
    this.#meter.count("runs");
    let result: R;
    try {
      result = await fn();
    } catch (error) {
      this.#meter.count("failures");
      await this.#kv.purge(k, { previousSeq: revision }).catch(() => undefined); // free the key unless taken over
      throw error;
    }
    const now = this.#clock.now();
    const done: IdempotencyRecord<R> = {
      state: "completed",
      ...(fingerprint === undefined ? {} : { fingerprint }),
      result,
      completedAt: now,
      expiresAt: now + this.#ttl,
    };
    // conditioned on our mark: a run that was taken over does not overwrite its successor
    await this.#kv.update(k, encode(done), revision).catch(() => undefined);
    return result;
  }

  async get(key: string): Promise<IdempotencyRecord<R> | undefined> {
    this.#assertOpen();
    requireString("key", key);
    const entry = await this.#call(() => this.#kv.get(kvKeyOf(key)));
    return this.#live(entry, this.#clock.now());
  }

  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  /** The record of an entry, unless absent or expired. */
  #live(entry: KvEntry | null, now: number): IdempotencyRecord<R> | undefined {
    if (entry === null || entry.operation !== "PUT") return undefined;
    let record: IdempotencyRecord<R>;
    try {
      record = JSON.parse(new TextDecoder().decode(entry.value)) as IdempotencyRecord<R>;
    } catch {
      return undefined;
    }
    return record.expiresAt > now ? record : undefined;
  }

  #inProgress(key: string): LegoError {
    this.#meter.count("inProgress");
    return new LegoError("IDEMPOTENCY_IN_PROGRESS", `key ${JSON.stringify(key)} is being run`, { group: this.group });
  }

  async #call<V>(operation: () => Promise<V>): Promise<V> {
    try {
      return await operation();
    } catch (error) {
      throw natsError(error, "ENGINE_UNAVAILABLE", `KV bucket ${this.bucket}`, this.group);
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new LegoError("STORE_CLOSED", "the idempotency store is closed", { group: this.group });
  }
}

function encode(record: IdempotencyRecord<unknown>): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(record));
}
