import { AckPolicy, DeliverPolicy, type JetStreamManager, type StoredMsg } from "@nats-io/jetstream";
import { Kvm, type KV, type KvEntry } from "@nats-io/kv";
import { createInbox, type Msg, type MsgHdrs, type Subscription } from "@nats-io/transport-node";
import { interval, Observable, type SchedulerLike, type Subscriber, type Subscription as RxSubscription } from "rxjs";
import { LegoError } from "../../atom/lego-error.js";
import { legoMeter, type LegoDescriptor } from "../../atom/lego-descriptor.js";
import { optional, optionalGroup, requireNonNegative, requireObject, requirePositiveInteger } from "../../atom/validate.js";
import { requireCodec } from "../../durable/durable-validate.js";
import { schedulerOption } from "../../time/scheduler.js";
import type { Codec } from "../../local/schema.js";
import { jsonCodec } from "../../local/value-codecs.js";
import { requireRegisterKey } from "../../ports/register-key.js";
import type { RegisterChange, Versioned, VersionedRegister } from "../../ports/versioned-register.js";
import type { NatsClient } from "./connection.js";
import { isWrongLastSequence, nanos, natsError, requireNatsClient, requireStreamName } from "./nats-shared.js";

/** Options of {@link NatsVersionedRegister.open}. */
export interface NatsVersionedRegisterOptions<T> {
  /** The connection (from `connectNats`). */
  client: NatsClient;
  /** The KV bucket (created when absent; the stream is `KV_<bucket>`). */
  bucket: string;
  /**
   * Entries kept per key when the bucket is created (NATS KV allows 1–64; an
   * existing bucket keeps its own). A watcher's consumer delivers an entry
   * only while it is stored, so with `history: 1` a write can replace the
   * previous entry of its key before a watcher that has just started (or
   * lags) has seen it; with `history: n` a watcher sees every write unless
   * it falls `n` writes of one key behind.
   * @default 8
   */
  history?: number;
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
  /**
   * Times the watchers' check for missed heartbeats (a watcher whose
   * consumer went silent, e.g. on a server that left the cluster, starts a
   * new one after the last revision it delivered).
   * @default asyncScheduler
   */
  scheduler?: SchedulerLike;
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
 * `watch` and `watchAll` show the state at subscribe (as the server saw it
 * when it read the watcher's first request; this client's later writes come
 * after it), then every later write and delete in version order, through a
 * consumer of their own that follows reconnects. A watcher can miss a write
 * only when the key was written `history` more times before the watcher's
 * consumer pushed it; it then goes on from the newest entry.
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
  readonly #client: NatsClient;
  readonly #kv: KV;
  readonly #jsm: JetStreamManager;
  readonly #scheduler: SchedulerLike;
  readonly #codec: Codec<T>;
  readonly #meter;
  readonly #watchers = new Set<Subscriber<never>>();
  #closed = false;

  private constructor(
    client: NatsClient,
    kv: KV,
    jsm: JetStreamManager,
    scheduler: SchedulerLike,
    bucket: string,
    codec: Codec<T>,
    group: string | undefined,
  ) {
    this.#client = client;
    this.#kv = kv;
    this.#jsm = jsm;
    this.#scheduler = scheduler;
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
    const history = optional("history", options.history, requirePositiveInteger) ?? 8;
    if (history > 64) throw new RangeError("history must be at most 64 (the NATS KV limit)");
    const group = optionalGroup(options.group);
    const scheduler = schedulerOption(options.scheduler, group);
    let kv: KV;
    let jsm: JetStreamManager;
    try {
      kv = await new Kvm(client.js).create(bucket, { history, ttl, replicas });
      jsm = await client.jetstreamManager();
    } catch (error) {
      throw natsError(error, "ENGINE_UNAVAILABLE", `cannot open KV bucket ${bucket}`, group);
    }
    return new NatsVersionedRegister<T>(client, kv, jsm, scheduler, bucket, codec, group);
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
    return this.#follow<Versioned<T> | undefined>(key, (subscriber) => {
      /** The version last shown (0 while the key never existed) and whether the key was present then. */
      let shown = { version: 0, present: false };
      return {
        snapshot: (entry) => {
          const value = entry === undefined ? undefined : this.#value(entry);
          shown = { version: entry?.revision ?? 0, present: value !== undefined };
          subscriber.next(value);
        },
        change: (entry) => {
          if (entry.revision <= shown.version) return; // already shown
          const value = this.#value(entry);
          const wasPresent = shown.present;
          shown = { version: entry.revision, present: value !== undefined };
          // deleting a key already absent changes nothing for this watcher
          if (value !== undefined || wasPresent) subscriber.next(value);
        },
      };
    });
  }

  watchAll(prefix = ""): Observable<RegisterChange<T>> {
    if (prefix !== "") requireRegisterKey("prefix", prefix, { prefix: true });
    // a prefix ending at a token boundary narrows the subjects the server sends; others are filtered here
    const filter = prefix.endsWith(".") ? `${prefix}>` : ">";
    return this.#follow<RegisterChange<T>>(filter, (subscriber) => {
      /** Per key: the last version shown and whether the key was present then. */
      const shown = new Map<string, { version: number; present: boolean }>();
      /** The snapshot's entries, collected from the watcher up to `boundary`. */
      const initial = new Map<string, Entry>();
      let boundary = 0;
      let flushed = false;
      const flush = (): void => {
        flushed = true;
        for (const key of [...initial.keys()].sort()) {
          const entry = initial.get(key) as Entry;
          const value = this.#value(entry);
          shown.set(key, { version: entry.revision, present: value !== undefined });
          if (value !== undefined) subscriber.next({ ...value, operation: "put" });
        }
        initial.clear();
      };
      return {
        snapshot: (newest) => {
          boundary = newest?.revision ?? 0;
          if (boundary === 0) flush();
        },
        change: (entry) => {
          if (!flushed) {
            if (entry.revision <= boundary) {
              if (entry.key.startsWith(prefix)) initial.set(entry.key, entry);
              if (entry.revision === boundary) flush();
              return;
            }
            flush(); // the snapshot's newest entry was overwritten before the consumer started
          }
          if (!entry.key.startsWith(prefix)) return;
          const last = shown.get(entry.key);
          if (last !== undefined && last.version >= entry.revision) return; // already shown
          const value = this.#value(entry);
          shown.set(entry.key, { version: entry.revision, present: value !== undefined });
          if (value !== undefined) subscriber.next({ ...value, operation: "put" });
          else if (last?.present === true) {
            subscriber.next({ key: entry.key, value: undefined, version: entry.revision, operation: "delete" });
          }
        },
      };
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
   * A snapshot, then the changes after it, without a gap between them.
   *
   * At subscribe, before anything is awaited, the watcher sends (1) a read of
   * the newest stored message of `filter` (for `watch` the key's state, for
   * `watchAll` the revision up to which the consumer's entries form the
   * snapshot), (2) the subscription of a fresh inbox and (3) the creation of
   * a push consumer delivering to that inbox the last entry of each key,
   * then every later one. The server reads a connection in order, so all
   * three happen before any write this client makes after subscribing
   * (`kv.watch()`, used before, read nothing at subscribe and subscribed to
   * its consumer a round trip or two after creating it). The consumer
   * pushes from its first moment, but only
   * entries still stored, which is why the bucket keeps `history` entries
   * per key. `change` skips what the snapshot already showed.
   */
  #follow<V>(filter: string, start: (subscriber: Subscriber<V>) => Follower): Observable<V> {
    return new Observable<V>((subscriber) => {
      if (this.#closed) {
        subscriber.error(closedError());
        return undefined;
      }
      this.#watchers.add(subscriber);
      const follower = start(subscriber);
      const fail = (error: unknown): void => {
        subscriber.error(natsError(error, "ENGINE_UNAVAILABLE", `watching bucket ${this.bucket}`, this.group));
      };
      // a value the codec cannot decode ends the watcher, as it fails a get
      const guarded = (show: () => void): void => {
        try {
          show();
        } catch (error) {
          fail(error);
        }
      };
      /** Entries that arrive before the snapshot was read wait here. */
      let early: Entry[] | undefined = [];
      const snapshot = this.#last(filter);
      const consumer = new KvConsumer(this.#client, this.#jsm, this.#scheduler, this.bucket, filter, (entry) => {
        if (early !== undefined) early.push(entry);
        else guarded(() => {
          follower.change(entry);
        });
      }, fail);
      snapshot.then(
        (message) => {
          if (subscriber.closed) return;
          guarded(() => {
            follower.snapshot(message === null ? undefined : this.#entry(message.subject, message.seq, message.header, message.data));
            const waiting = early ?? [];
            early = undefined;
            for (const entry of waiting) follower.change(entry);
          });
        },
        fail,
      );
      return () => {
        this.#watchers.delete(subscriber);
        consumer.stop();
      };
    });
  }

  /** The newest stored message of a key or key filter (a delete marker included), or `null`. */
  #last(filter: string): Promise<StoredMsg | null> {
    // STREAM.MSG.GET is answered by the stream leader in order with this connection's writes
    // (a direct get may be answered by a replica that lags behind)
    return this.#jsm.streams.getMessage(streamOf(this.bucket), { last_by_subj: `${subjectPrefix(this.bucket)}${filter}` });
  }

  #entry(subject: string, revision: number, headers: MsgHdrs | undefined, value: Uint8Array): Entry {
    const operation = headers?.get(KV_OPERATION) ?? "";
    return { key: subject.slice(subjectPrefix(this.bucket).length), revision, operation: operation === "" ? "PUT" : operation, value };
  }

  #value(entry: Entry): Versioned<T> | undefined {
    if (entry.operation !== "PUT") return undefined;
    return Object.freeze({ key: entry.key, value: this.#codec.decode(entry.value), version: entry.revision });
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

/** One stored KV entry: a write (`PUT`) or a delete marker (`DEL`, `PURGE`). */
interface Entry {
  readonly key: string;
  readonly revision: number;
  readonly operation: string;
  readonly value: Uint8Array;
}

/** What {@link NatsVersionedRegister.watch} and `watchAll` do with the snapshot and with each consumed entry. */
interface Follower {
  /** Takes the snapshot's newest entry (`undefined`: nothing stored); every later `change` comes after it. */
  snapshot(newest: Entry | undefined): void;
  change(entry: Entry): void;
}

/** The header NATS KV marks deletes and purges with. */
const KV_OPERATION = "KV-Operation";

const streamOf = (bucket: string): string => `KV_${bucket}`;
const subjectPrefix = (bucket: string): string => `$KV.${bucket}.`;

/**
 * An ephemeral push consumer of a bucket's stream (ack none, flow control)
 * whose inbox is subscribed before the consumer is created. It delivers the
 * last entry of each key of `filter`, then every later entry, in revision
 * order. When deliveries went missing (a gap in the consumer sequence, seen
 * on a message or a heartbeat), the consumer was deleted or went silent for
 * two heartbeats, or the connection came back, it starts a new consumer
 * after the last revision it delivered, as JetStream's ordered consumers do;
 * a new consumer that cannot be created yet is tried again at the next check.
 */
class KvConsumer {
  readonly #client: NatsClient;
  readonly #jsm: JetStreamManager;
  readonly #bucket: string;
  readonly #filter: string;
  readonly #deliver: (entry: Entry) => void;
  readonly #fail: (error: unknown) => void;
  readonly #reconnects: RxSubscription;
  readonly #monitor: RxSubscription;
  /** Whether anything arrived from the consumer since the last check, and whether the connection is up. */
  #heard = true;
  #connected = true;
  #subscription: Subscription | undefined;
  #name: Promise<string | undefined> = Promise.resolve(undefined);
  /** The revision (stream sequence) of the last entry delivered. */
  #revision = 0;
  #stopped = false;

  constructor(
    client: NatsClient,
    jsm: JetStreamManager,
    scheduler: SchedulerLike,
    bucket: string,
    filter: string,
    deliver: (entry: Entry) => void,
    fail: (error: unknown) => void,
  ) {
    this.#client = client;
    this.#jsm = jsm;
    this.#bucket = bucket;
    this.#filter = filter;
    this.#deliver = deliver;
    this.#fail = fail;
    this.#start(true);
    let reconnects: number | undefined;
    this.#reconnects = client.status$.subscribe((status) => {
      this.#connected = status.state === "connected";
      if (status.state === "closed") {
        fail(new LegoError("TRANSPORT_CLOSED", `the connection closed while watching bucket ${bucket}`));
        return;
      }
      if (!this.#connected) return;
      // messages sent while the connection was down are lost, and a restarted server forgot the consumer
      if (reconnects !== undefined && status.reconnects !== reconnects) this.#restart();
      reconnects = status.reconnects;
    });
    this.#monitor = interval(2 * HEARTBEAT, scheduler).subscribe(() => {
      if (this.#connected && !this.#heard) this.#restart();
      this.#heard = false;
    });
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#reconnects.unsubscribe();
    this.#monitor.unsubscribe();
    this.#drop();
  }

  /** `first`: the watcher's own start, whose failure ends the watcher (a restart's is retried). */
  #start(first = false): void {
    const inbox = createInbox();
    /** The consumer sequence of the last entry delivered by this consumer. */
    let consumerSeq = 0;
    const subscription = this.#client.nc.subscribe(inbox, {
      callback: (error, message) => {
        if (this.#stopped || subscription !== this.#subscription) return;
        this.#heard = true;
        if (error !== null) {
          this.#fail(error);
          return;
        }
        const info = message.reply === undefined ? undefined : deliveryInfo(message.reply);
        if (info === undefined) {
          this.#status(message, consumerSeq);
          return;
        }
        if (info.consumerSeq !== consumerSeq + 1) {
          this.#restart();
          return;
        }
        consumerSeq = info.consumerSeq;
        this.#revision = info.streamSeq;
        const operation = message.headers?.get(KV_OPERATION) ?? "";
        this.#deliver({
          key: message.subject.slice(subjectPrefix(this.#bucket).length),
          revision: info.streamSeq,
          operation: operation === "" ? "PUT" : operation,
          value: message.data,
        });
      },
    });
    this.#subscription = subscription;
    const resume = this.#revision;
    this.#name = this.#jsm.consumers
      .add(streamOf(this.#bucket), {
        deliver_subject: inbox,
        filter_subject: `${subjectPrefix(this.#bucket)}${this.#filter}`,
        ...(resume === 0
          ? { deliver_policy: DeliverPolicy.LastPerSubject }
          : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: resume + 1 }),
        ack_policy: AckPolicy.None,
        flow_control: true,
        idle_heartbeat: nanos(HEARTBEAT),
        mem_storage: true,
        num_replicas: 1,
      })
      .then(
        (info) => info.name,
        (error: unknown) => {
          if (first && !this.#stopped && subscription === this.#subscription) this.#fail(error);
          return undefined;
        },
      );
  }

  /** A status message: flow control, a heartbeat (which names the last message sent), or the consumer gone. */
  #status(message: Msg, consumerSeq: number): void {
    const headers = message.headers;
    if (headers === undefined) return;
    if (headers.code === 100) {
      if (message.reply !== undefined && message.reply !== "") {
        message.respond(); // flow control
        return;
      }
      const stalled = headers.get("Nats-Consumer-Stalled");
      if (stalled !== "") this.#client.nc.publish(stalled);
      const lastSent = Number(headers.get("Nats-Last-Consumer"));
      if (Number.isInteger(lastSent) && lastSent > consumerSeq) this.#restart();
      return;
    }
    if (headers.code === 409) this.#restart(); // "Consumer Deleted"
  }

  #restart(): void {
    if (this.#stopped) return;
    this.#drop();
    this.#start();
  }

  /** Unsubscribes the inbox and deletes the consumer (it would expire by itself once it has no receiver). */
  #drop(): void {
    this.#subscription?.unsubscribe();
    this.#subscription = undefined;
    const jsm = this.#jsm;
    const stream = streamOf(this.#bucket);
    void this.#name
      .then((name) => (name === undefined ? undefined : jsm.consumers.delete(stream, name)))
      .catch(() => undefined);
  }
}

/** Idle heartbeat of a watcher's consumer, in ms (flow control needs one). */
const HEARTBEAT = 5000;

/**
 * The consumer and stream sequences a JetStream message's reply subject
 * carries: `$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>`,
 * or since nats-server 2.10 with `<domain>.<account hash>` after `ACK` and a token at the end.
 */
function deliveryInfo(reply: string): { consumerSeq: number; streamSeq: number } | undefined {
  const tokens = reply.split(".");
  if (tokens[0] !== "$JS" || tokens[1] !== "ACK") return undefined;
  const at = tokens.length === 9 ? 2 : tokens.length >= 11 ? 4 : -1;
  if (at < 0) return undefined;
  const streamSeq = Number(tokens[at + 3]);
  const consumerSeq = Number(tokens[at + 4]);
  return Number.isInteger(streamSeq) && Number.isInteger(consumerSeq) ? { consumerSeq, streamSeq } : undefined;
}

function closedError(): LegoError {
  return new LegoError("STORE_CLOSED", "the register is closed");
}
