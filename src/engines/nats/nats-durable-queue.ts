import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type ConsumerMessages,
  type JetStreamManager,
  type JsMsg,
  type StoredMsg,
} from "@nats-io/jetstream";
import { Kvm, type KV } from "@nats-io/kv";
import { headers as natsHeaders, nuid, type MsgHdrs, type Subscription } from "@nats-io/transport-node";
import { BehaviorSubject, distinctUntilChanged, interval, Observable, type SchedulerLike, type Subscription as RxSubscription } from "rxjs";
import { LegoError, messageOf } from "../../atom/lego-error.js";
import { legoMeter, type LegoDescriptor } from "../../atom/lego-descriptor.js";
import {
  optional,
  optionalGroup,
  requireBoolean,
  requireFinite,
  requireNonEmptyString,
  requireNonNegative,
  requireNonNegativeInteger,
  requireObject,
  requirePositive,
  requirePositiveInteger,
  requireString,
} from "../../atom/validate.js";
import { requireCodec } from "../../durable/durable-validate.js";
import type { Codec } from "../../local/schema.js";
import { jsonCodec } from "../../local/value-codecs.js";
import { BackoffPolicy, delayForAttempt } from "../../policy/backoff-policy.js";
import type {
  ConsumeOptions,
  DeadLetter,
  Delivery,
  DurableQueue,
  Enqueued,
  EnqueueOptions,
  NackOptions,
  QueueDepth,
} from "../../ports/durable-queue.js";
import { schedulerOption } from "../../time/scheduler.js";
import { sleep } from "../../time/sleep.js";
import type { NatsClient } from "./connection.js";
import { DemandPuller } from "./demand-puller.js";
import { nanos, natsError, requireNatsClient, requireStreamName, requireSubject } from "./nats-shared.js";

/** Options of {@link NatsDurableQueue.open}. */
export interface NatsDurableQueueOptions<T> {
  /** The connection (from `connectNats`). */
  client: NatsClient;
  /**
   * The queue's name: its work-queue stream; the dead letters go to stream
   * `<name>_DLQ`, the last errors to KV bucket `<name>_ERRORS`.
   */
  name: string;
  /** Subject prefix: jobs on `<subject>.ready`, delayed ones on `<subject>.delayed`, dead letters on `<subject>.dead`. @default `manyfold.queue.<name>` */
  subject?: string;
  /** How values are stored. @default jsonCodec() */
  codec?: Codec<T>;
  /** Attempts per job before it is dead-lettered (the first delivery counts): the consumer's `max_deliver`. @default 5 */
  maxAttempts?: number;
  /** The wait before attempt n after a `nack()` without a `delay`. @default BackoffPolicy.exponential({ initialDelay: 1000, multiplier: 2, maxDelay: 60000 }) */
  backoff?: BackoffPolicy;
  /** Visibility timeout, ms: the consumer's `ack_wait`, and the default deadline of a delivery. @default 30000 */
  visibilityTimeout?: number;
  /** How long (ms) an enqueued id is remembered to answer a repeat `duplicate`: the stream's `duplicate_window`. @default 120000 */
  dedupeWindow?: number;
  /** Jobs held at most (ready, delayed, in flight); an enqueue beyond rejects with `QUEUE_FULL`. @default 1000000 */
  capacity?: number;
  /** Dead letters kept at most (the oldest are dropped). @default 100000 */
  deadLetterCapacity?: number;
  /** Replicas of the streams (3 on a 3-node cluster). @default 1 */
  replicas?: number;
  /**
   * Run this instance's share of the delay line (moving due delayed jobs to
   * ready) and of the dead-letter capture (MaxDeliver advisories). Every
   * instance that runs it shares the work; at least one must.
   * @default true
   */
  worker?: boolean;
  /** How often `depth$` polls the server for changes made by other instances, ms. @default 1000 */
  depthInterval?: number;
  /** Where time and timers (visibility deadlines, keep-alives) come from. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /** Label linking the queue to the component that owns it. */
  group?: string;
}

const H_ID = "Manyfold-Job-Id";
const H_ENQUEUED = "Manyfold-Enqueued-At";
const H_NOT_BEFORE = "Manyfold-Not-Before";
const H_REASON = "Manyfold-Reason";
const H_LAST_ERROR = "Manyfold-Last-Error";
const H_ATTEMPTS = "Manyfold-Attempts";
const H_DEAD_AT = "Manyfold-Dead-Lettered-At";

const COUNTERS = [
  "enqueued",
  "duplicates",
  "delivered",
  "redelivered",
  "acked",
  "nacked",
  "extended",
  "expired",
  "released",
  "deadLettered",
  "redriven",
  "invalid",
] as const;

/**
 * The JetStream backend of the {@link DurableQueue} port (`WorkQueue`): jobs
 * in a work-queue stream, one durable pull consumer shared by every
 * consumer of the queue (in any process), at-least-once.
 *
 * | port | JetStream (nats-server 2.9) |
 * |---|---|
 * | enqueue `id` | `Nats-Msg-Id`: a repeat within `dedupeWindow` (the stream's `duplicate_window`) is a duplicate — also of a job acknowledged or dead-lettered within it |
 * | visibility timeout | the consumer's `ack_wait`, kept alive with `working()` until the delivery's own deadline; then `nak()` |
 * | `extend(ms)` | a new local deadline, kept alive with `working()` |
 * | `nack({ delay })` | `nak(delay)`; the error goes to KV `<name>_ERRORS` as the next delivery's `lastError` |
 * | `attempt` | the consumer's `deliveryCount` (kept across restarts) |
 * | `maxAttempts` | the consumer's `max_deliver`; a lapse of the last attempt in a crashed process raises the `MAX_DELIVERIES` advisory (when the server next serves a pull request, so some consumer must be running), which an instance captures: it copies the job to `<name>_DLQ` and deletes it from the work stream |
 * | `deadLetter(reason)` | copy to `<name>_DLQ` (PubAck) first, then `term()` (a work-queue stream removes the message on term) |
 * | `delay` | a delay line: the job waits on `<subject>.delayed` and is moved to ready when due, by any instance (`nak(remaining)`) |
 * | `priority` | **refused**: JetStream has no priority delivery up to 2.11; `priority` other than 0 rejects with `ENGINE_FEATURE_UNAVAILABLE` |
 *
 * `depth()` reads the consumers' `num_pending`/`num_ack_pending`; jobs this
 * instance nacked with a delay count as delayed (another instance counts
 * them as in flight until they are redelivered).
 *
 * ## Example
 * ```ts
 * const queue = await NatsDurableQueue.open<Email>({ client, name: "EMAILS", maxAttempts: 5 });
 * await queue.enqueue(email, { id: email.messageId });
 * queue.consume({ concurrency: 8 }).subscribe(async (job) => {
 *   try { await send(job.value); await job.ack(); } catch (error) { await job.nack({ error }); }
 * });
 * ```
 *
 * @see {@link DurableQueue}
 * @lego DurableQueue
 */
export class NatsDurableQueue<T> implements DurableQueue<T> {
  readonly lego: LegoDescriptor;
  readonly group: string | undefined;
  readonly name: string;
  readonly subject: string;
  readonly maxAttempts: number;
  readonly visibilityTimeout: number;
  readonly dedupeWindow: number;
  readonly depth$: Observable<QueueDepth>;
  readonly #client: NatsClient;
  readonly #jsm: JetStreamManager;
  readonly #errors: KV;
  readonly #codec: Codec<T>;
  readonly #backoff: BackoffPolicy;
  readonly #scheduler: SchedulerLike;
  readonly #meter;
  readonly #depth: BehaviorSubject<QueueDepth>;
  readonly #consumers = new Set<{ close(): void }>();
  /**
   * Jobs this instance handed back (nak) that the server still counts as
   * pending acknowledgement until it delivers them again: by id, when they
   * are due again. Forgotten on redelivery here, or a visibility timeout
   * after they were due (another instance got them).
   */
  readonly #handedBack = new Map<string, number>();
  readonly #background: { stop(): void }[] = [];
  #refreshing: Promise<void> | undefined;
  #refreshAgain = false;
  #depthWatchers = 0;
  #closed = false;

  private constructor(
    client: NatsClient,
    jsm: JetStreamManager,
    errors: KV,
    settings: Settings<T>,
    initial: QueueDepth,
  ) {
    this.#client = client;
    this.#jsm = jsm;
    this.#errors = errors;
    this.name = settings.name;
    this.subject = settings.subject;
    this.maxAttempts = settings.maxAttempts;
    this.visibilityTimeout = settings.visibilityTimeout;
    this.dedupeWindow = settings.dedupeWindow;
    this.#codec = settings.codec;
    this.#backoff = settings.backoff;
    this.#scheduler = settings.scheduler;
    this.group = settings.group;
    this.#meter = legoMeter("DurableQueue", { name: `jetstream:${settings.name}`, group: settings.group }, COUNTERS);
    this.lego = this.#meter.descriptor;
    this.#depth = new BehaviorSubject(initial);
    this.depth$ = new Observable<QueueDepth>((subscriber) => {
      this.#depthWatchers++;
      const shown = this.#depth.pipe(distinctUntilChanged(sameDepth)).subscribe(subscriber);
      const poll = interval(settings.depthInterval, this.#scheduler).subscribe(() => {
        this.#changed();
      });
      this.#changed();
      return () => {
        this.#depthWatchers--;
        shown.unsubscribe();
        poll.unsubscribe();
      };
    });
  }

  /** Opens the queue, creating its streams, consumers and KV bucket when absent. */
  static async open<T>(options: NatsDurableQueueOptions<T>): Promise<NatsDurableQueue<T>> {
    requireObject("options", options);
    const client = requireNatsClient("client", options.client);
    const name = requireStreamName("name", options.name);
    const settings: Settings<T> = {
      name,
      subject: requireSubject("subject", options.subject ?? `manyfold.queue.${name}`),
      codec: options.codec === undefined ? jsonCodec<T>() : requireCodec<T>("codec", options.codec),
      maxAttempts: optional("maxAttempts", options.maxAttempts, requirePositiveInteger) ?? 5,
      backoff:
        options.backoff === undefined
          ? BackoffPolicy.exponential({ initialDelay: 1000, multiplier: 2, maxDelay: 60_000 })
          : (requireObject("backoff", options.backoff) as unknown as BackoffPolicy),
      visibilityTimeout: optional("visibilityTimeout", options.visibilityTimeout, requirePositive) ?? 30_000,
      dedupeWindow: optional("dedupeWindow", options.dedupeWindow, requirePositive) ?? 120_000,
      capacity: optional("capacity", options.capacity, requirePositiveInteger) ?? 1_000_000,
      deadLetterCapacity: optional("deadLetterCapacity", options.deadLetterCapacity, requirePositiveInteger) ?? 100_000,
      replicas: optional("replicas", options.replicas, requirePositiveInteger) ?? 1,
      worker: optional("worker", options.worker, requireBoolean) ?? true,
      depthInterval: optional("depthInterval", options.depthInterval, requirePositive) ?? 1000,
      scheduler: schedulerOption(options.scheduler, optionalGroup(options.group)),
      group: optionalGroup(options.group),
    };
    try {
      const jsm = await client.jetstreamManager();
      await ensureStream(jsm, {
        name,
        subjects: [`${settings.subject}.ready`, `${settings.subject}.delayed`],
        retention: RetentionPolicy.Workqueue,
        duplicate_window: nanos(settings.dedupeWindow),
        max_msgs: settings.capacity,
        discard: DiscardPolicy.New,
        num_replicas: settings.replicas,
        storage: StorageType.File,
      });
      await ensureStream(jsm, {
        name: `${name}_DLQ`,
        subjects: [`${settings.subject}.dead`],
        retention: RetentionPolicy.Limits,
        max_msgs: settings.deadLetterCapacity,
        discard: DiscardPolicy.Old,
        duplicate_window: nanos(Math.min(settings.dedupeWindow, 120_000)),
        num_replicas: settings.replicas,
        storage: StorageType.File,
      });
      await ensureConsumer(jsm, name, {
        durable_name: "workers",
        filter_subject: `${settings.subject}.ready`,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ack_wait: nanos(settings.visibilityTimeout),
        max_deliver: settings.maxAttempts,
        max_ack_pending: -1,
        max_waiting: 512,
      });
      await ensureConsumer(jsm, name, {
        durable_name: "delay-line",
        filter_subject: `${settings.subject}.delayed`,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ack_wait: nanos(30_000),
        max_deliver: -1,
        max_ack_pending: -1,
      });
      const errors = await new Kvm(client.js).create(`${name}_ERRORS`, { history: 1, replicas: settings.replicas, ttl: 7 * 86_400_000 });
      const initial = await readDepth(jsm, name, { delayed: 0, ready: 0 });
      const queue = new NatsDurableQueue<T>(client, jsm, errors, settings, initial);
      if (settings.worker) await queue.#startWorker();
      return queue;
    } catch (error) {
      throw natsError(error, "ENGINE_UNAVAILABLE", `cannot open queue ${name}`, settings.group);
    }
  }

  async enqueue(value: T, options: EnqueueOptions = {}): Promise<Enqueued> {
    requireObject("options", options);
    const id = optional("id", options.id, requireNonEmptyString) ?? nuid.next();
    const delay = optional("delay", options.delay, requireNonNegative) ?? 0;
    const priority = optional("priority", options.priority, requireFinite) ?? 0;
    if (this.#closed) throw this.#closedError();
    if (priority !== 0) {
      throw new LegoError(
        "ENGINE_FEATURE_UNAVAILABLE",
        `queue ${this.name}: JetStream has no priority delivery (nats-server 2.9–2.11), so priority ${priority} is refused rather than ignored`,
        { group: this.group },
      );
    }
    let bytes: Uint8Array;
    try {
      bytes = this.#codec.encode(value);
    } catch (error) {
      throw new LegoError("ENCODE_FAILED", `queue ${this.name}: cannot encode job ${id}: ${messageOf(error)}`, { cause: error, group: this.group });
    }
    const h = natsHeaders();
    h.set(H_ID, id);
    h.set(H_ENQUEUED, String(this.#scheduler.now()));
    if (delay > 0) h.set(H_NOT_BEFORE, String(this.#scheduler.now() + delay));
    try {
      const ack = await this.#client.js.publish(`${this.subject}.${delay > 0 ? "delayed" : "ready"}`, bytes, {
        msgID: id,
        headers: h,
        expect: { streamName: this.name },
      });
      this.#meter.count(ack.duplicate ? "duplicates" : "enqueued");
      this.#changed();
      return { id, duplicate: ack.duplicate };
    } catch (error) {
      if (/maximum messages/i.test(messageOf(error))) {
        throw new LegoError("QUEUE_FULL", `queue ${this.name} holds its capacity of jobs`, { cause: error, group: this.group });
      }
      throw natsError(error, "PUBLISH_FAILED", `enqueue to ${this.name}`, this.group);
    }
  }

  consume(options: ConsumeOptions = {}): Observable<Delivery<T>> {
    requireObject("options", options);
    const concurrency = optional("concurrency", options.concurrency, requirePositiveInteger) ?? 1;
    const visibility = optional("visibilityTimeout", options.visibilityTimeout, requirePositive) ?? this.visibilityTimeout;
    return new Observable<Delivery<T>>((subscriber) => {
      if (this.#closed) {
        subscriber.error(this.#closedError());
        return undefined;
      }
      const held = new Set<NatsDelivery<T>>();
      let arrivals = Promise.resolve();
      let puller: DemandPuller | undefined;
      let stopped = false;
      const isStopped = (): boolean => stopped;
      const handle = {
        close: (): void => {
          stop();
          subscriber.complete();
        },
      };
      const stop = (): void => {
        if (stopped) return;
        stopped = true;
        this.#consumers.delete(handle);
        puller?.stop();
        for (const delivery of [...held]) delivery.release();
      };
      this.#consumers.add(handle);
      void (async () => {
        try {
          const consumer = await this.#client.js.consumers.get(this.name, "workers");
          if (isStopped()) return;
          puller = new DemandPuller(consumer, {
            capacity: concurrency,
            scheduler: this.#scheduler,
            onMessage: (msg) => {
              arrivals = arrivals.then(async () => {
                const delivery = await this.#arrive(msg, visibility, () => {
                  held.delete(delivery as NatsDelivery<T>);
                  puller?.release();
                  this.#changed();
                });
                if (delivery === undefined) {
                  puller?.release();
                  return;
                }
                if (stopped) {
                  delivery.release();
                  return;
                }
                held.add(delivery);
                this.#changed();
                subscriber.next(delivery);
              });
            },
          });
          puller.start();
        } catch (error) {
          if (!isStopped()) subscriber.error(natsError(error, "ENGINE_UNAVAILABLE", `consume from ${this.name}`, this.group));
        }
      })();
      return stop;
    });
  }

  async deadLetters(options: { limit?: number } = {}): Promise<DeadLetter<T>[]> {
    requireObject("options", options);
    const limit = optional("limit", options.limit, requireNonNegativeInteger) ?? Infinity;
    if (this.#closed) throw this.#closedError();
    const letters: DeadLetter<T>[] = [];
    for (const { letter } of await this.#readDeadLetters(limit)) letters.push(letter);
    return letters;
  }

  async redrive(ids?: readonly string[]): Promise<number> {
    if (ids !== undefined && !Array.isArray(ids)) throw new TypeError("ids must be an array of strings");
    const wanted = ids === undefined ? undefined : new Set(ids.map((id, i) => requireString(`ids[${i}]`, id)));
    if (this.#closed) throw this.#closedError();
    let count = 0;
    for (const { letter, stored } of await this.#readDeadLetters(Infinity)) {
      if (wanted !== undefined && !wanted.has(letter.id)) continue;
      const h = natsHeaders();
      h.set(H_ID, letter.id);
      h.set(H_ENQUEUED, String(letter.enqueuedAt));
      await this.#client.js.publish(`${this.subject}.ready`, stored.data, {
        msgID: `${letter.id}#redrive:${stored.seq}`,
        headers: h,
        expect: { streamName: this.name },
      });
      await this.#jsm.streams.deleteMessage(`${this.name}_DLQ`, stored.seq, false);
      await this.#errors.purge(errorKey(letter.id)).catch(() => undefined);
      count++;
      this.#meter.count("redriven");
    }
    this.#changed();
    return count;
  }

  async depth(): Promise<QueueDepth> {
    if (this.#closed) throw this.#closedError();
    try {
      const depth = await readDepth(this.#jsm, this.name, this.#handedBackCounts());
      this.#depth.next(depth);
      return depth;
    } catch (error) {
      throw natsError(error, "ENGINE_UNAVAILABLE", `depth of ${this.name}`, this.group);
    }
  }

  /** Stops every consumer (their Observables complete, unsettled deliveries go back to the queue) and the background work. Streams and connection stay. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const consumer of [...this.#consumers]) consumer.close();
    for (const task of this.#background) task.stop();
    this.#depth.complete();
    await this.#client.nc.flush().catch(() => undefined);
  }

  // ---------------------------------------------------------------- deliveries

  /** Turns a pulled message into a Delivery, or settles it at once when it cannot be one. */
  async #arrive(msg: JsMsg, visibility: number, onSettled: () => void): Promise<NatsDelivery<T> | undefined> {
    const id = msg.headers?.get(H_ID) ?? `seq-${msg.seq}`;
    const attempt = msg.info.deliveryCount;
    this.#handedBack.delete(id);
    let value: T;
    try {
      value = this.#codec.decode(msg.data);
    } catch (error) {
      this.#meter.count("invalid");
      await this.#deadLetterMessage(msg, id, attempt, `cannot decode: ${messageOf(error)}`, undefined);
      return undefined;
    }
    let lastError: string | undefined;
    if (attempt > 1) {
      lastError = (await this.#errors.get(errorKey(id)).catch(() => null))?.string();
      if (lastError === "") lastError = undefined;
    }
    this.#meter.count(attempt > 1 ? "redelivered" : "delivered");
    const enqueuedAt = Number(msg.headers?.get(H_ENQUEUED) ?? "") || msg.info.timestampNanos / 1e6;
    return new NatsDelivery<T>(this, msg, { id, value, attempt, enqueuedAt, lastError }, visibility, onSettled);
  }

  /** @internal Settling hooks of {@link NatsDelivery}. */
  readonly hooks: QueueHooks = {
    scheduler: () => this.#scheduler,
    ackWait: () => this.visibilityTimeout,
    ack: async (msg, id) => {
      await msg.ackAck();
      this.#meter.count("acked");
      if (msg.info.deliveryCount > 1) void this.#errors.purge(errorKey(id)).catch(() => undefined);
    },
    nack: async (msg, id, attempt, options) => {
      const message = options.error === undefined ? undefined : messageOf(options.error);
      if (attempt >= this.maxAttempts) {
        await this.#deadLetterMessage(msg, id, attempt, `failed ${attempt} attempts`, message);
        return;
      }
      if (message !== undefined) await this.#errors.put(errorKey(id), message);
      const delay = options.delay ?? delayForAttempt(this.#backoff, attempt + 1);
      this.#handBack(id, delay);
      msg.nak(delay);
      await this.#client.nc.flush();
      this.#meter.count("nacked");
    },
    expire: async (msg, id, attempt) => {
      this.#meter.count("expired");
      if (attempt >= this.maxAttempts) {
        const lastError = (await this.#errors.get(errorKey(id)).catch(() => null))?.string();
        await this.#deadLetterMessage(msg, id, attempt, "visibility timeout lapsed on the last attempt", lastError || undefined);
        return;
      }
      this.#handBack(id, 0);
      msg.nak();
      await this.#client.nc.flush();
    },
    release: (msg, id) => {
      this.#meter.count("released");
      this.#handBack(id, 0);
      msg.nak();
    },
    deadLetter: async (msg, id, attempt, reason) => {
      const lastError = attempt > 1 ? (await this.#errors.get(errorKey(id)).catch(() => null))?.string() : undefined;
      await this.#deadLetterMessage(msg, id, attempt, reason, lastError || undefined);
    },
    extended: () => {
      this.#meter.count("extended");
    },
  };

  /** Copies a job to the dead-letter stream (PubAck), then removes it from the work stream (`term`). */
  async #deadLetterMessage(msg: JsMsg, id: string, attempts: number, reason: string, lastError: string | undefined): Promise<void> {
    await this.#copyToDeadLetters(msg.data, msg.headers, msg.seq, id, attempts, reason, lastError);
    msg.term();
    await this.#client.nc.flush();
  }

  async #copyToDeadLetters(
    data: Uint8Array,
    original: MsgHdrs | undefined,
    seq: number,
    id: string,
    attempts: number,
    reason: string,
    lastError: string | undefined,
  ): Promise<void> {
    const h = natsHeaders();
    h.set(H_ID, id);
    h.set(H_ENQUEUED, original?.get(H_ENQUEUED) ?? "0");
    h.set(H_REASON, oneLine(reason));
    h.set(H_ATTEMPTS, String(attempts));
    h.set(H_DEAD_AT, String(this.#scheduler.now()));
    if (lastError !== undefined) h.set(H_LAST_ERROR, oneLine(lastError));
    await this.#client.js.publish(`${this.subject}.dead`, data, { msgID: `dead:${seq}`, headers: h, expect: { streamName: `${this.name}_DLQ` } });
    this.#meter.count("deadLettered");
    this.#changed();
  }

  async #readDeadLetters(limit: number): Promise<{ letter: DeadLetter<T>; stored: StoredMsg }[]> {
    const out: { letter: DeadLetter<T>; stored: StoredMsg }[] = [];
    const info = await this.#jsm.streams.info(`${this.name}_DLQ`);
    if (info.state.messages === 0 || limit === 0) return out;
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && out.length < limit; seq++) {
      const stored = await this.#jsm.streams.getMessage(`${this.name}_DLQ`, { seq }).catch(() => null);
      if (stored === null) continue;
      let value: T;
      try {
        value = this.#codec.decode(stored.data);
      } catch {
        continue;
      }
      const h = stored.header;
      const lastError = h.get(H_LAST_ERROR);
      const letter: { -readonly [K in keyof DeadLetter<T>]: DeadLetter<T>[K] } = {
        id: h.get(H_ID),
        value,
        attempts: Number(h.get(H_ATTEMPTS)) || 0,
        reason: h.get(H_REASON),
        enqueuedAt: Number(h.get(H_ENQUEUED)) || 0,
        deadLetteredAt: Number(h.get(H_DEAD_AT)) || 0,
      };
      if (lastError !== "") letter.lastError = lastError;
      out.push({ letter: Object.freeze(letter), stored });
    }
    return out;
  }

  // ---------------------------------------------------------------- background

  /** The delay line and the MaxDeliver advisory capture. */
  async #startWorker(): Promise<void> {
    const delayLine = await this.#client.js.consumers.get(this.name, "delay-line");
    let messages: ConsumerMessages | undefined;
    let stopped = false;
    const isStopped = (): boolean => stopped;
    const loop = async (): Promise<void> => {
      while (!isStopped()) {
        try {
          messages = await delayLine.consume({ max_messages: 64 });
          for await (const msg of messages) await this.#moveWhenDue(msg);
        } catch {
          // the server went away: try again
        }
        if (!isStopped()) await sleep(250, this.#scheduler);
      }
    };
    void loop();
    this.#background.push({
      stop: () => {
        stopped = true;
        void messages?.close();
      },
    });
    const advisory: Subscription = this.#client.nc.subscribe(`$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${this.name}.workers`, {
      queue: `${this.name}-dead-letters`,
      callback: (error, msg) => {
        if (error !== null) return;
        void this.#captureMaxDeliveries(msg.data).catch(() => undefined);
      },
    });
    this.#background.push({ stop: () => { advisory.unsubscribe(); } });
  }

  async #moveWhenDue(msg: JsMsg): Promise<void> {
    const due = Number(msg.headers?.get(H_NOT_BEFORE) ?? "0");
    const wait = due - this.#scheduler.now();
    if (wait > 0) {
      msg.nak(Math.ceil(wait));
      return;
    }
    const id = msg.headers?.get(H_ID) ?? `seq-${msg.seq}`;
    const h = natsHeaders();
    h.set(H_ID, id);
    h.set(H_ENQUEUED, msg.headers?.get(H_ENQUEUED) ?? String(this.#scheduler.now()));
    try {
      await this.#client.js.publish(`${this.subject}.ready`, msg.data, { msgID: `${id}#due:${msg.seq}`, headers: h, expect: { streamName: this.name } });
      await msg.ackAck();
      this.#changed();
    } catch {
      msg.nak(250);
    }
  }

  /** A job whose last attempt lapsed in a process that is gone: copy it to the dead letters, then delete it. */
  async #captureMaxDeliveries(data: Uint8Array): Promise<void> {
    const advisory = JSON.parse(new TextDecoder().decode(data)) as { stream_seq?: number; deliveries?: number };
    const seq = advisory.stream_seq;
    if (typeof seq !== "number") return;
    const stored = await this.#jsm.streams.getMessage(this.name, { seq }).catch(() => null);
    if (stored === null) return; // already settled or captured
    const id = stored.header.get(H_ID) || `seq-${seq}`;
    const lastError = (await this.#errors.get(errorKey(id)).catch(() => null))?.string();
    await this.#copyToDeadLetters(
      stored.data,
      stored.header,
      seq,
      id,
      advisory.deliveries ?? this.maxAttempts,
      "visibility timeout lapsed on the last attempt (MaxDeliver advisory)",
      lastError || undefined,
    );
    await this.#jsm.streams.deleteMessage(this.name, seq, false).catch(() => undefined);
  }

  #handBack(id: string, delay: number): void {
    this.#handedBack.set(id, this.#scheduler.now() + delay);
  }

  /** Handed-back jobs not yet due (delayed) and due (ready), as the server cannot tell them from in-flight ones. */
  #handedBackCounts(): { delayed: number; ready: number } {
    const now = this.#scheduler.now();
    let delayed = 0;
    let ready = 0;
    for (const [id, due] of this.#handedBack) {
      if (due + this.visibilityTimeout < now) this.#handedBack.delete(id);
      else if (due > now) delayed++;
      else ready++;
    }
    return { delayed, ready };
  }

  /** Refreshes the depth (serialised: at most one read in flight, one more queued). */
  #changed(): void {
    if (this.#closed || this.#depthWatchers === 0) return;
    if (this.#refreshing !== undefined) {
      this.#refreshAgain = true;
      return;
    }
    this.#refreshing = readDepth(this.#jsm, this.name, this.#handedBackCounts())
      .then((depth) => {
        if (!this.#closed) this.#depth.next(depth);
      })
      .catch(() => undefined)
      .finally(() => {
        this.#refreshing = undefined;
        if (this.#refreshAgain) {
          this.#refreshAgain = false;
          this.#changed();
        }
      });
  }

  #closedError(): LegoError {
    return new LegoError("QUEUE_CLOSED", `queue ${this.name} is closed`, { group: this.group });
  }
}

interface Settings<T> {
  name: string;
  subject: string;
  codec: Codec<T>;
  maxAttempts: number;
  backoff: BackoffPolicy;
  visibilityTimeout: number;
  dedupeWindow: number;
  capacity: number;
  deadLetterCapacity: number;
  replicas: number;
  worker: boolean;
  depthInterval: number;
  scheduler: SchedulerLike;
  group: string | undefined;
}

/** What a delivery needs from its queue. @internal */
interface QueueHooks {
  scheduler(): SchedulerLike;
  ackWait(): number;
  ack(msg: JsMsg, id: string): Promise<void>;
  nack(msg: JsMsg, id: string, attempt: number, options: { delay?: number; error?: unknown }): Promise<void>;
  expire(msg: JsMsg, id: string, attempt: number): Promise<void>;
  release(msg: JsMsg, id: string): void;
  deadLetter(msg: JsMsg, id: string, attempt: number, reason: string): Promise<void>;
  extended(): void;
}

/** One delivery: a local visibility deadline kept alive on the server with `working()`. */
class NatsDelivery<T> implements Delivery<T> {
  readonly id: string;
  readonly value: T;
  readonly attempt: number;
  readonly priority = 0;
  readonly enqueuedAt: number;
  readonly lastError?: string;
  readonly #queue: NatsDurableQueue<T>;
  readonly #msg: JsMsg;
  readonly #onSettled: () => void;
  #deadline: number;
  #timer: RxSubscription | undefined;
  #settled = false;

  constructor(
    queue: NatsDurableQueue<T>,
    msg: JsMsg,
    job: { id: string; value: T; attempt: number; enqueuedAt: number; lastError: string | undefined },
    visibility: number,
    onSettled: () => void,
  ) {
    this.#queue = queue;
    this.#msg = msg;
    this.#onSettled = onSettled;
    this.id = job.id;
    this.value = job.value;
    this.attempt = job.attempt;
    this.enqueuedAt = job.enqueuedAt;
    if (job.lastError !== undefined) this.lastError = job.lastError;
    this.#deadline = this.#now() + visibility;
    this.#arm();
  }

  ack(): Promise<void> {
    return this.#settle(() => this.#queue.hooks.ack(this.#msg, this.id));
  }

  nack(options: NackOptions = {}): Promise<void> {
    requireObject("options", options);
    const delay = optional("delay", options.delay, requireNonNegative);
    return this.#settle(() =>
      this.#queue.hooks.nack(this.#msg, this.id, this.attempt, {
        ...(delay === undefined ? {} : { delay }),
        ...(options.error === undefined ? {} : { error: options.error }),
      }),
    );
  }

  extend(ms?: number): Promise<void> {
    const by = optional("ms", ms, requirePositive) ?? this.#queue.hooks.ackWait();
    if (this.#settled) return Promise.reject(settledError(this.id));
    this.#deadline = this.#now() + by;
    this.#msg.working();
    this.#queue.hooks.extended();
    this.#arm();
    return Promise.resolve();
  }

  deadLetter(reason: string): Promise<void> {
    requireString("reason", reason);
    return this.#settle(() => this.#queue.hooks.deadLetter(this.#msg, this.id, this.attempt, reason));
  }

  /** Hands the delivery back unsettled (its consumer unsubscribed). */
  release(): void {
    if (this.#settled) return;
    this.#finish();
    this.#queue.hooks.release(this.#msg, this.id);
  }

  #settle(action: () => Promise<void>): Promise<void> {
    if (this.#settled) return Promise.reject(settledError(this.id));
    this.#finish();
    return action();
  }

  #finish(): void {
    this.#settled = true;
    this.#timer?.unsubscribe();
    this.#onSettled();
  }

  #now(): number {
    return this.#queue.hooks.scheduler().now();
  }

  /** Wakes at the deadline, or earlier to tell the server the job is still being worked on. */
  #arm(): void {
    this.#timer?.unsubscribe();
    const keepAlive = Math.max(50, this.#queue.hooks.ackWait() / 2);
    const wait = Math.min(this.#deadline - this.#now(), keepAlive);
    this.#timer = this.#queue.hooks.scheduler().schedule(() => {
      if (this.#settled) return;
      if (this.#now() >= this.#deadline - 1) {
        this.#finish();
        void this.#queue.hooks.expire(this.#msg, this.id, this.attempt).catch(() => undefined);
        return;
      }
      this.#msg.working();
      this.#arm();
    }, Math.max(0, wait));
  }
}

function sameDepth(a: QueueDepth, b: QueueDepth): boolean {
  return a.ready === b.ready && a.delayed === b.delayed && a.inFlight === b.inFlight && a.deadLettered === b.deadLettered;
}

function settledError(id: string): LegoError {
  return new LegoError("DELIVERY_SETTLED", `the delivery of job ${id} is already settled`);
}

/** A KV key for any job id. */
function errorKey(id: string): string {
  return Buffer.from(id, "utf8").toString("base64url") || "_";
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, " ").slice(0, 4096);
}

async function ensureStream(jsm: JetStreamManager, config: Parameters<JetStreamManager["streams"]["add"]>[0]): Promise<void> {
  try {
    await jsm.streams.info(config.name);
  } catch (error) {
    if (!/stream not found/i.test(messageOf(error))) throw error;
    await jsm.streams.add(config);
  }
}

async function ensureConsumer(jsm: JetStreamManager, stream: string, config: Partial<ConsumerConfig> & { durable_name: string }): Promise<void> {
  try {
    const info = await jsm.consumers.info(stream, config.durable_name);
    if (info.config.ack_wait !== config.ack_wait || info.config.max_deliver !== config.max_deliver) {
      await jsm.consumers.update(stream, config.durable_name, {
        ...(config.ack_wait === undefined ? {} : { ack_wait: config.ack_wait }),
        ...(config.max_deliver === undefined ? {} : { max_deliver: config.max_deliver }),
      });
    }
  } catch (error) {
    if (!/consumer not found/i.test(messageOf(error))) throw error;
    await jsm.consumers.add(stream, config);
  }
}

async function readDepth(jsm: JetStreamManager, name: string, handedBack: { delayed: number; ready: number }): Promise<QueueDepth> {
  const [work, delayLine, dead] = await Promise.all([
    jsm.consumers.info(name, "workers"),
    jsm.consumers.info(name, "delay-line"),
    jsm.streams.info(`${name}_DLQ`),
  ]);
  const inFlight = Math.max(0, work.num_ack_pending - handedBack.delayed - handedBack.ready);
  return {
    ready: Math.max(0, work.num_pending) + Math.min(handedBack.ready, work.num_ack_pending),
    delayed: Math.max(0, delayLine.num_pending) + delayLine.num_ack_pending + Math.min(handedBack.delayed, work.num_ack_pending),
    inFlight,
    deadLettered: dead.state.messages,
  };
}
