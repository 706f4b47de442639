import { BehaviorSubject, Observable, Subject, share, takeUntil, type SchedulerLike } from "rxjs";
import { legoMeter, withLego, type LegoDescriptor, type LegoMeter, type LegoObservable } from "../../atom/lego-descriptor.js";
import { LegoError, isLegoError, messageOf } from "../../atom/lego-error.js";
import {
  optional,
  optionalGroup,
  requireFunction,
  requireNonEmptyString,
  requireObject,
  requirePositiveInteger,
} from "../../atom/validate.js";
import type { Codec } from "../../local/schema.js";
import { jsonCodec } from "../../local/value-codecs.js";
import { BackoffPolicy, delayForAttempt } from "../../policy/backoff-policy.js";
import { RetryPolicy } from "../../policy/retry-policy.js";
import type { MessageHeaders, Transport } from "../../ports/transport.js";
import { schedulerOption } from "../../time/scheduler.js";
import { sleep } from "../../time/sleep.js";
import { requireCodec, requireMethods } from "../durable-validate.js";
import { OutboxFrontier } from "./outbox-frontier.js";
import { OutboxReadAhead, type OutboxRecord } from "./outbox-read-ahead.js";

/**
 * Where an outbox reads its records: a {@link LocalDurableSpool}, any
 * {@link EventLogPort}, or anything that replays `{ offset, value }` in
 * offset order from `from` (and keeps following with `follow: true`).
 */
export interface OutboxSource<T> {
  /** `chunkSize`: how many records the outbox wants per read — a hint a source may ignore. */
  replay(options?: { from?: number; follow?: boolean; chunkSize?: number }): Observable<{ readonly offset: number; readonly value: T }>;
}

/** Where an outbox keeps its cursor: a {@link CheckpointStore} fits. */
export interface OutboxCheckpoints {
  /** The offset to resume at: the one after the last committed, or 0. */
  nextOffset(name: string): Promise<number>;
  /** Records that every record up to `offset` was forwarded. */
  commit(name: string, offset: number): Promise<unknown>;
}

/** Options of {@link Outbox.open}. */
export interface OutboxOptions<T> {
  /** The local log the outbox forwards (a `LocalDurableSpool` or an `EventLogPort`). */
  spool: OutboxSource<T>;
  /** Where records go. */
  transport: Transport;
  /** The subject of every record, or a function of the record's value and offset. */
  subject: string | ((value: T, offset: number) => string);
  /** Holds the cursor (under `name`); moved only after the transport confirmed. */
  checkpoints: OutboxCheckpoints;
  /** The outbox's name: its checkpoint name and its lego name. */
  name: string;
  /**
   * This producer's id, unique among the producers a receiver hears: every
   * message id is `${producerId}:${offset}`, the same on every republish.
   */
  producerId: string;
  /** Encodes values for the wire. @default jsonCodec() */
  codec?: Codec<T>;
  /** Extra headers of a record's message. @default none */
  headers?: (value: T, offset: number) => MessageHeaders;
  /**
   * Publishes awaiting the transport's confirmation at most. `1` keeps
   * delivery strictly in log order; more overlaps round trips (see
   * {@link Outbox} on ordering). @default 1
   */
  maxInFlight?: number;
  /**
   * Records read ahead of the publish window at most, and the records a
   * checkpoint commit covers while a backlog drains; bounds the memory a
   * run holds. @default 256
   */
  batchSize?: number;
  /** Attempts per record. @default RetryPolicy.forever() except `TRANSPORT_CLOSED` */
  retry?: RetryPolicy;
  /** Waits between attempts. @default BackoffPolicy.exponential({ initialDelay: 100, multiplier: 2, maxDelay: 30000 }) */
  backoff?: BackoffPolicy;
  /** Where backoff waits are timed. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /** Label linking the outbox to the component that owns it. @default undefined */
  group?: string;
  /** Told about a record that cannot be encoded or given a subject; it is skipped (counted `invalid`). */
  onInvalid?: (report: { readonly offset: number; readonly error: unknown }) => void;
}

/** One record the transport confirmed and the checkpoint covers, as `run()` emits it. */
export interface OutboxForwarded {
  readonly offset: number;
  readonly messageId: string;
  readonly subject: string;
  /** Attempts it took (1 when the first publish succeeded). */
  readonly attempts: number;
}

/** The outbox's state, as `status$` reports it. */
export interface OutboxStatus {
  /**
   * `stopped`: not running; `forwarding`: publishing a backlog; `idle`:
   * caught up, waiting for records; `retrying`: a publish failed and waits
   * to try again; `failed`: a run ended with an error; `closed`.
   */
  readonly state: "stopped" | "forwarding" | "idle" | "retrying" | "failed" | "closed";
  /** The offset the next run resumes at (one after the checkpoint). */
  readonly nextOffset: number | undefined;
  /** Publishes awaiting confirmation (a change is reported once per burst, a microtask later). */
  readonly inFlight: number;
  /** The message of the last publish error, if any. */
  readonly lastError?: string;
}

const COUNTERS = ["forwarded", "acked", "pending", "retries", "failed", "committed", "invalid"] as const;

const defaultRetry = RetryPolicy.forever((error) => !isLegoError(error, "TRANSPORT_CLOSED"));
const defaultBackoff = BackoffPolicy.exponential({ initialDelay: 100, multiplier: 2, maxDelay: 30_000 });

interface Settings<T> {
  readonly spool: OutboxSource<T>;
  readonly transport: Transport;
  readonly subject: (value: T, offset: number) => string;
  readonly checkpoints: OutboxCheckpoints;
  readonly name: string;
  readonly producerId: string;
  readonly codec: Codec<T>;
  readonly headers: ((value: T, offset: number) => MessageHeaders) | undefined;
  readonly maxInFlight: number;
  readonly batchSize: number;
  readonly retry: RetryPolicy;
  readonly backoff: BackoffPolicy;
  readonly scheduler: SchedulerLike;
  readonly group: string | undefined;
  readonly onInvalid: ((report: { readonly offset: number; readonly error: unknown }) => void) | undefined;
}

function validate<T>(options: OutboxOptions<T>): Settings<T> {
  requireObject("options", options);
  const spool = requireMethods("spool", options.spool, ["replay"]) as unknown as OutboxSource<T>;
  const transport = requireMethods("transport", options.transport, ["publish"]) as unknown as Transport;
  const checkpoints = requireMethods("checkpoints", options.checkpoints, ["nextOffset", "commit"]) as unknown as OutboxCheckpoints;
  let subject: (value: T, offset: number) => string;
  if (typeof options.subject === "string") {
    const fixed = requireNonEmptyString("subject", options.subject);
    subject = () => fixed;
  } else {
    subject = requireFunction("subject", options.subject);
  }
  const group = optionalGroup(options.group);
  return {
    spool,
    transport,
    subject,
    checkpoints,
    name: requireNonEmptyString("name", options.name),
    producerId: requireNonEmptyString("producerId", options.producerId),
    codec: options.codec === undefined ? jsonCodec<T>() : requireCodec<T>("codec", options.codec),
    headers: optional("headers", options.headers, (n, v) => requireFunction(n, v as (value: T, offset: number) => MessageHeaders)),
    maxInFlight: requirePositiveInteger("maxInFlight", options.maxInFlight ?? 1),
    batchSize: requirePositiveInteger("batchSize", options.batchSize ?? 256),
    retry: options.retry === undefined ? defaultRetry : RetryPolicy.from(options.retry),
    backoff: options.backoff === undefined ? defaultBackoff : BackoffPolicy.from(options.backoff),
    scheduler: schedulerOption(options.scheduler, group),
    group,
    onInvalid: optional("onInvalid", options.onInvalid, (n, v) => requireFunction(n, v as (report: { offset: number; error: unknown }) => void)),
  };
}

/** A record ready to publish. */
interface OutboxMessage {
  readonly offset: number;
  readonly subject: string;
  readonly data: Uint8Array;
  readonly messageId: string;
  readonly options: { readonly messageId: string; readonly headers?: MessageHeaders };
}

/** Thrown inside a run when it was stopped; never reaches a subscriber. */
class Stopped extends Error {}

/**
 * The catalog's `Outbox` (EventLog + IdempotencyStore): forwards the records
 * of a local durable log through any {@link Transport}, **at least once and
 * in order**, surviving restarts.
 *
 * Each record is published with message id `${producerId}:${offset}` (the
 * same on every republish: the receiver's idempotency key). The cursor — the
 * last offset forwarded — lives in a {@link CheckpointStore} under `name`
 * and moves only after the transport's `publish` resolved for that record
 * and every record before it. A run (`run()`) resumes at the checkpoint,
 * publishes what the log holds, then follows new records until
 * unsubscribed. A failed publish is retried on the scheduler with
 * `retry`/`backoff`; when the policy gives up the run errors with
 * `PUBLISH_FAILED` (cause: the last error) and the cursor stays before that
 * record. A record that cannot be encoded is skipped and reported.
 *
 * **Atomic with a state change** (the catalog's contract): append the
 * message to the spool's log in the same LevelDB write as the change —
 * `spool.log.appendAll([message], { with: (batch) => batch.in(state).put(key, bytes) })`
 * — so the message exists if and only if the change committed.
 *
 * **The duplicate window.** A crash (or a stop) between a publish and the
 * checkpoint that covers it republishes that record on the next run: those
 * in flight, plus those confirmed but not yet covered — while a backlog
 * drains a commit is written every `batchSize` records (one at a time, the
 * next covering what was confirmed while the last was written), and at
 * once when the window empties or a publish waits to retry. The
 * receiver removes the repeats by message id — an {@link inbox} with a
 * {@link DeduplicationStore}, or the broker's own dedupe (JetStream's
 * `Nats-Msg-Id` window). The catalog's `IdempotencyStore` part is that
 * receiver-side memory; the outbox itself keeps only the cursor.
 *
 * **Ordering.** With `maxInFlight: 1` (the default) record n+1 is published
 * only after record n was confirmed: receivers see first deliveries in log
 * order. With a larger window publishes overlap; a transport that keeps a
 * connection's order (NATS, MQTT, in-process) still delivers them in
 * order, but a record whose publish failed and was retried arrives after
 * later records that succeeded (the checkpoint still moves in order).
 *
 * `run()` emits each record once the transport confirmed it **and the
 * checkpoint covers it** (commits are grouped: one in flight at a time, the
 * next covering everything confirmed meanwhile), in offset order. It is
 * shared: several subscribers watch one run; it stops when the last one
 * unsubscribes (publishes in flight then are not awaited).
 *
 * ```text
 * spool:    [0 1 2] ... 3 ...
 * run():    -0-1-2-------3---      (each after the transport confirmed it)
 * checkpoint:    2       3
 * ```
 *
 * ## Example
 * ```ts
 * const spool = await LocalDurableSpool.open<Reading>({ location: "./data", name: "readings" });
 * const outbox = await Outbox.open({
 *   spool, transport: nats, subject: (r) => `sensors.${r.device}`,
 *   checkpoints: spool.checkpoints, name: "uplink", producerId: "gateway-7",
 * });
 * readings$.pipe(spool.record()).subscribe();
 * outbox.run().subscribe();
 * ```
 * Counters on `lego`: `forwarded` (records handed to the transport),
 * `acked` (confirmed), `pending` (awaiting confirmation now), `retries`,
 * `failed`, `committed` (checkpoint writes), `invalid`.
 * @see {@link inbox}, {@link Transport}, {@link CheckpointStore}
 * @lego Outbox
 */
export class Outbox<T> {
  readonly name: string;
  readonly producerId: string;
  readonly group: string | undefined;
  readonly lego: LegoDescriptor;
  /** The current {@link OutboxStatus} on subscribe, then every change; completes on {@link close}. */
  readonly status$: Observable<OutboxStatus>;
  readonly #meter: LegoMeter;
  readonly #status: BehaviorSubject<OutboxStatus>;
  readonly #close$ = new Subject<void>();
  readonly #run$: LegoObservable<OutboxForwarded>;
  #inFlight = 0;
  #inFlightQueued = false;
  #closed = false;

  private constructor(settings: Settings<T>, nextOffset: number) {
    this.name = settings.name;
    this.producerId = settings.producerId;
    this.group = settings.group;
    this.#meter = legoMeter("Outbox", { name: settings.name, group: settings.group }, COUNTERS);
    this.lego = this.#meter.descriptor;
    this.#status = new BehaviorSubject<OutboxStatus>({ state: "stopped", nextOffset, inFlight: 0 });
    this.status$ = this.#status.asObservable();
    const run$ = new Observable<OutboxForwarded>((subscriber) => {
      if (this.#closed) {
        subscriber.error(new LegoError("QUEUE_CLOSED", `outbox "${this.name}" is closed`, { group: this.group }));
        return undefined;
      }
      const run = new OutboxRun<T>(this, settings, (forwarded) => {
        subscriber.next(forwarded);
      });
      run.start().then(
        () => {
          subscriber.complete();
        },
        (error: unknown) => {
          if (error instanceof Stopped) return;
          this.#update({ state: "failed", lastError: messageOf(error) });
          subscriber.error(error);
        },
      );
      return () => {
        run.stop();
        if (!this.#closed && this.#status.value.state !== "failed") this.#update({ state: "stopped" });
      };
    }).pipe(takeUntil(this.#close$), share());
    this.#run$ = withLego(run$, this.lego);
  }

  /**
   * Validates `options` (TypeError/RangeError naming the option) and reads
   * the checkpoint, so `status$` starts with where a run will resume.
   */
  static async open<T>(options: OutboxOptions<T>): Promise<Outbox<T>> {
    const settings = validate(options);
    const nextOffset = await settings.checkpoints.nextOffset(settings.name);
    return new Outbox<T>(settings, nextOffset);
  }

  /** The message id of the record at `offset`: `${producerId}:${offset}`. */
  messageIdOf(offset: number): string {
    return `${this.producerId}:${offset}`;
  }

  /**
   * Forwards from the checkpoint on, following the log, until unsubscribed
   * (or {@link close}); emits each record, in offset order, once the
   * transport confirmed it and the checkpoint covers it.
   * Errors with `PUBLISH_FAILED` when the retry policy gives up, or with
   * the checkpoint store's error when a commit fails.
   */
  run(): LegoObservable<OutboxForwarded> {
    return this.#run$;
  }

  /** Stops the run (its subscribers complete) and completes `status$`. The spool, transport and checkpoints stay open: they are the caller's. */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#close$.next();
      this.#update({ state: "closed" });
      this.#status.complete();
    }
    return Promise.resolve();
  }

  /** @internal */
  get meter(): LegoMeter {
    return this.#meter;
  }

  /**
   * @internal
   * `status$` hears the new count once the current burst of publishes and
   * confirmations is over (a microtask later), not once per record: two
   * frozen status objects per record were a measurable share of the cost.
   */
  inFlightChanged(by: number): void {
    this.#inFlight += by;
    this.#meter.count("pending", by);
    if (this.#inFlightQueued) return;
    this.#inFlightQueued = true;
    queueMicrotask(() => {
      this.#inFlightQueued = false;
      if (!this.#closed) this.#update({ inFlight: this.#inFlight });
    });
  }

  /** @internal */
  update(change: Partial<Omit<OutboxStatus, "inFlight">>): void {
    if (!this.#closed) this.#update(change);
  }

  #update(change: Partial<OutboxStatus>): void {
    const current = this.#status.value;
    const next: OutboxStatus = { ...current, ...change };
    if (next.state === current.state && next.nextOffset === current.nextOffset && next.inFlight === current.inFlight && next.lastError === current.lastError) {
      return;
    }
    this.#status.next(Object.freeze(next));
  }
}

/** One run of an outbox: records read ahead, a window of publishes kept full, grouped checkpoint commits. */
class OutboxRun<T> {
  /** Unsubscribed: nothing more is reported. */
  #stopped = false;
  /** Settled (stopped, failed, or a commit failed): no publish starts or retries. */
  #finished = false;
  readonly #abort = new AbortController();
  #settle: { resolve: () => void; reject: (error: unknown) => void } | undefined;
  #reader: OutboxReadAhead<T> | undefined;
  #frontier = new OutboxFrontier<OutboxForwarded>(-1);
  /** What the checkpoint holds. */
  #committed = -1;
  #committing: Promise<void> | undefined;
  /** Publishes started and not settled (with their retries). */
  #active = 0;
  /** Publishes waiting out a backoff. */
  #retrying = 0;
  /** A publish the retry policy gave up on: no new publish starts; the run fails once the window drained. */
  #failure: { readonly error: unknown } | undefined;

  constructor(
    private readonly outbox: Outbox<T>,
    private readonly settings: Settings<T>,
    private readonly emit: (forwarded: OutboxForwarded) => void,
  ) {}

  start(): Promise<void> {
    const done = new Promise<void>((resolve, reject) => {
      this.#settle = { resolve, reject };
    });
    this.#begin().catch((error: unknown) => {
      this.#finish(error);
    });
    return done;
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#finish(new Stopped("stopped"));
  }

  async #begin(): Promise<void> {
    const next = await this.settings.checkpoints.nextOffset(this.settings.name);
    if (this.#finished) return;
    this.#frontier = new OutboxFrontier<OutboxForwarded>(next - 1);
    this.#committed = next - 1;
    this.#reader = new OutboxReadAhead<T>(this.settings.spool, next, this.settings.batchSize, {
      changed: () => {
        this.#pump();
      },
      failed: (error) => {
        this.#finish(error);
      },
    });
    this.#reader.start();
  }

  /** Ends the run once: stops reading, cancels backoff waits, settles `start()`. */
  #finish(error: unknown): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#reader?.stop();
    this.#abort.abort(new Stopped("stopped"));
    this.#settle?.reject(error);
  }

  /** Starts publishes while the window has room and records are read; reports `forwarding`/`idle`. */
  #pump(): void {
    const reader = this.#reader;
    if (reader === undefined || this.#finished || this.#failure !== undefined) return;
    let started = false;
    while (this.#active < this.settings.maxInFlight) {
      const record = reader.shift();
      if (record === undefined) break;
      if (!started) this.outbox.update({ state: "forwarding" });
      started = true;
      this.#send(record);
    }
    if (!started && this.#active === 0 && reader.caughtUp) this.outbox.update({ state: "idle" });
  }

  // No named closures per record here: under tsx (keepNames) each one costs
  // an Object.defineProperty, a measurable share of a record's cost.
  #send(record: OutboxRecord<T>): void {
    const frontier = this.#frontier;
    frontier.issue(record.offset);
    this.#active++;
    const message = this.#prepare(record);
    if (message === undefined) {
      // Skipped as invalid: confirmed on a later microtask, as a publish would be (never inside #pump's loop).
      void Promise.resolve().then(() => {
        this.#confirmed(frontier, record.offset, undefined);
      });
      return;
    }
    this.outbox.meter.count("forwarded");
    this.outbox.inFlightChanged(1);
    // The first attempt straight on the transport's promise; only a failure enters the retry loop.
    this.#attempt(message).then(
      () => {
        this.outbox.meter.count("acked");
        this.outbox.inFlightChanged(-1);
        this.#confirmed(frontier, message.offset, { offset: message.offset, messageId: message.messageId, subject: message.subject, attempts: 1 });
      },
      (error: unknown) => {
        this.#retry(message, error).then(
          (forwarded) => {
            this.outbox.inFlightChanged(-1);
            this.#confirmed(frontier, message.offset, forwarded);
          },
          (failure: unknown) => {
            this.outbox.inFlightChanged(-1);
            this.#failed(failure);
          },
        );
      },
    );
  }

  /** A publish settled with the transport's confirmation (`forwarded`: what to emit once committed). */
  #confirmed(frontier: OutboxFrontier<OutboxForwarded>, offset: number, forwarded: OutboxForwarded | undefined): void {
    this.#active--;
    if (this.#finished) return;
    if (frontier.confirm(offset, forwarded)) this.#scheduleCommit();
    if (this.#failure === undefined) this.#pump();
    else this.#failWhenDrained();
  }

  /** A publish the retry policy gave up on: no new publish starts; the run fails once the window drained. */
  #failed(error: unknown): void {
    this.#active--;
    if (this.#finished) return;
    this.#failure ??= { error };
    this.#reader?.stop();
    this.#failWhenDrained();
  }

  /** Once no publish is in flight: commits what was confirmed, then fails the run with the publish error. */
  #failWhenDrained(): void {
    const failure = this.#failure;
    if (failure === undefined || this.#active > 0) return;
    const fail = (): void => {
      this.#finish(failure.error);
    };
    this.#flushCommits().then(fail, fail);
  }

  /** What a record publishes as; `undefined` (reported, counted `invalid`) when it cannot be encoded or given a subject. */
  #prepare(record: OutboxRecord<T>): OutboxMessage | undefined {
    try {
      const subject = this.settings.subject(record.value, record.offset);
      const data = this.settings.codec.encode(record.value);
      const headers = this.settings.headers?.(record.value, record.offset);
      const messageId = `${this.settings.producerId}:${record.offset}`;
      return { offset: record.offset, subject, data, messageId, options: headers === undefined ? { messageId } : { messageId, headers } };
    } catch (error) {
      this.outbox.meter.count("invalid");
      this.settings.onInvalid?.({ offset: record.offset, error });
      return undefined;
    }
  }

  /** One publish; a transport that throws instead of rejecting counts as a rejection. */
  #attempt(message: OutboxMessage): Promise<void> {
    try {
      return this.settings.transport.publish(message.subject, message.data, message.options);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(messageOf(error)));
    }
  }

  /** After attempt 1 failed with `error`: backs off and tries again until it succeeds or the policy gives up (`PUBLISH_FAILED`). */
  async #retry(message: OutboxMessage, error: unknown): Promise<OutboxForwarded> {
    const { retry, backoff, scheduler } = this.settings;
    const meter = this.outbox.meter;
    for (let attempt = 1; ; attempt++) {
      this.#checkFinished();
      this.outbox.update({ lastError: messageOf(error) });
      if (attempt >= retry.maxAttempts || !retry.retryOn(error)) {
        meter.count("failed");
        throw new LegoError(
          "PUBLISH_FAILED",
          `outbox "${this.settings.name}": publishing record ${message.offset} failed after ${attempt} attempt(s): ${messageOf(error)}`,
          { cause: error, group: this.settings.group },
        );
      }
      meter.count("retries");
      this.outbox.update({ state: "retrying" });
      this.#retrying++;
      this.#scheduleCommit();
      try {
        await sleep(delayForAttempt(backoff, attempt + 1), scheduler, this.#abort.signal);
      } finally {
        this.#retrying--;
      }
      this.#checkFinished();
      this.outbox.update({ state: "forwarding" });
      try {
        await this.#attempt(message);
        meter.count("acked");
        return { offset: message.offset, messageId: message.messageId, subject: message.subject, attempts: attempt + 1 };
      } catch (next) {
        error = next;
      }
    }
  }

  #checkFinished(): void {
    if (this.#finished) throw new Stopped("stopped");
  }

  /**
   * Commits the frontier unless a commit is running (which then commits
   * everything confirmed meanwhile): one commit in flight, none awaited by
   * the publishes. Emits what each commit covers, in offset order.
   */
  #scheduleCommit(): void {
    if (this.#committing !== undefined || this.#finished || !this.#commitDue()) return;
    const frontier = this.#frontier;
    this.#committing = (async () => {
      try {
        while (!this.#finished && this.#commitDue()) {
          const target = frontier.frontier;
          await this.settings.checkpoints.commit(this.settings.name, target);
          this.#committed = target;
          this.outbox.meter.count("committed");
          this.outbox.update({ nextOffset: target + 1 });
          for (const forwarded of frontier.release(target)) {
            if (this.#stopped) break;
            this.emit(forwarded);
          }
        }
      } catch (error) {
        this.#finish(error);
      } finally {
        this.#committing = undefined;
      }
    })();
  }

  /**
   * Whether the frontier is worth a commit now: `batchSize` records past the
   * checkpoint, or the window is empty or stuck in a retry (so nothing
   * confirmed waits long uncovered), or the run is draining. Fast commits
   * (an in-memory store) would otherwise cost one write per record.
   */
  #commitDue(): boolean {
    const ahead = this.#frontier.frontier - this.#committed;
    return ahead > 0 && (ahead >= this.settings.batchSize || this.#active === 0 || this.#retrying > 0 || this.#failure !== undefined);
  }

  /** Waits until the checkpoint covers the frontier (or a commit failed). */
  async #flushCommits(): Promise<void> {
    this.#scheduleCommit();
    while (this.#committing !== undefined) {
      await this.#committing;
      this.#scheduleCommit();
    }
  }
}
