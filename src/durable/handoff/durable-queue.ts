import { Observable, Subject, type SchedulerLike, type Subscriber, type Subscription } from "rxjs";
import { legoMeter, withLego, type LegoDescriptor, type LegoMeter, type LegoObservable } from "../../atom/lego-descriptor.js";
import { LegoError, isLegoError, messageOf } from "../../atom/lego-error.js";
import {
  optional,
  optionalGroup,
  requireCount,
  requireFinite,
  requireNonEmptyString,
  requireNonNegative,
  requireObject,
  requirePositive,
  requirePositiveInteger,
  requireString,
} from "../../atom/validate.js";
import type {
  ConsumeOptions,
  DeadLetter,
  Delivery,
  DurableQueue,
  EnqueueOptions,
  Enqueued,
  NackOptions,
  QueueDepth,
} from "../../ports/durable-queue.js";
import { BackoffPolicy, delayForAttempt } from "../../policy/backoff-policy.js";
import { RetryPolicy } from "../../policy/retry-policy.js";
import { schedulerOption } from "../../time/scheduler.js";
import { AckTracker } from "./ack-tracker.js";
import { DeadLetterQueue, type StoredDeadLetter } from "./dead-letter-queue.js";
import { JobHeap } from "./job-heap.js";
import { VisibilityDeadline } from "./visibility-deadline.js";

/** Options every {@link DurableQueue} backend of this package takes (memory and LevelDB). */
export interface DurableQueueOptions {
  /** The queue's name (its lego name; LevelDB: its keyspace). */
  name?: string;
  /**
   * Attempts per job before it is dead-lettered (the first delivery counts).
   * Shorthand for `retry: RetryPolicy.attempts(maxAttempts)`; give one or the other.
   * @default 5
   */
  maxAttempts?: number;
  /**
   * Attempts and which errors are worth retrying: a `nack({ error })` whose
   * error `retry.retryOn` refuses dead-letters the job at once.
   * @default RetryPolicy.attempts(5)
   */
  retry?: RetryPolicy;
  /**
   * The wait before attempt n after a `nack()` without a `delay`:
   * `delayForAttempt(backoff, n)`.
   * @default BackoffPolicy.exponential({ initialDelay: 1000, multiplier: 2, maxDelay: 60000 })
   */
  backoff?: BackoffPolicy;
  /** How long a delivery stays hidden before it is delivered again, ms (a consumer may set its own). @default 30000 */
  visibilityTimeout?: number;
  /** Jobs held at most (ready, delayed and in flight); an enqueue beyond rejects with `QUEUE_FULL`. @default 1000000 */
  capacity?: number;
  /** How long (ms) the id of an acknowledged job is remembered, so a repeat enqueue is answered `duplicate`. 0: not at all. @default 120000 */
  dedupeWindow?: number;
  /** Acknowledged ids remembered at most (the oldest are forgotten first). @default 100000 */
  dedupeCapacity?: number;
  /** Dead letters kept at most (the oldest are dropped first, counted `deadLetterDropped`). @default 100000 */
  deadLetterCapacity?: number;
  /** Where time and timers (visibility deadlines, delays) come from. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /** Label linking the queue (and a ManualClock scheduler without one) to its component. */
  group?: string;
}

/** A job as the queue holds it. @internal */
export interface Job<T> {
  readonly id: string;
  readonly value: T;
  readonly priority: number;
  readonly enqueuedAt: number;
  /** Position in the queue's log (memory: a counter); ties of priority are served in this order. */
  offset: number;
  notBefore: number;
  /** Deliveries so far that counted (a delivery returned by unsubscribing does not). */
  attempts: number;
  lastError: string | undefined;
  state: "pending" | "ready" | "delayed" | "inflight" | "done";
}

/** A change of a job that a persistent backend writes. @internal */
export type JobChange<T> =
  | { readonly type: "deliver" | "update"; readonly job: Job<T> }
  | { readonly type: "ack"; readonly job: Job<T>; readonly at: number }
  | { readonly type: "dead"; readonly job: Job<T>; readonly letter: DeadLetter<T> }
  | { readonly type: "undead"; readonly offset: number }
  | { readonly type: "forget"; readonly id: string };

/**
 * Where a queue keeps its state (the abstract-level pattern: the queue
 * class checks state and delegates here). The memory backend answers
 * synchronously; the LevelDB backend resolves once written. @internal
 */
export interface QueueStore<T> {
  /** Makes a new job durable; answers its offset. */
  append(job: Job<T>): Promise<number> | number;
  /** Makes a change durable; `undefined` when there is nothing to wait for. */
  write(change: JobChange<T>): Promise<void> | undefined;
  /** Told the acknowledged watermark after settles (a backend may checkpoint and trim below it). */
  settled?(watermark: number): void;
  close(watermark: number): Promise<void>;
}

/** What a backend found on open. @internal */
export interface RecoveredState<T> {
  readonly jobs: readonly Job<T>[];
  readonly deadLetters: readonly StoredDeadLetter<T>[];
  /** Acknowledged ids with their ack time, oldest first. */
  readonly acked: readonly (readonly [string, number])[];
  /** Offsets of settled jobs still in the log (acked or dead), for the watermark. */
  readonly settledOffsets: readonly number[];
  /** The lowest offset not known to be settled (the checkpoint). */
  readonly start: number;
}

/** Counters on a queue's `lego` descriptor. */
export const DURABLE_QUEUE_COUNTERS = [
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
  "deadLetterDropped",
  "redriven",
] as const;

/** Validated options. @internal */
export interface QueueSettings {
  name: string | undefined;
  retry: RetryPolicy;
  backoff: BackoffPolicy;
  visibilityTimeout: number;
  capacity: number;
  dedupeWindow: number;
  dedupeCapacity: number;
  deadLetterCapacity: number;
  scheduler: SchedulerLike;
  group: string | undefined;
}

const DEFAULT_BACKOFF = BackoffPolicy.exponential({ initialDelay: 1000, multiplier: 2, maxDelay: 60_000 });

/** Validates {@link DurableQueueOptions} (when a backend is made, not later). @internal */
export function validateQueueOptions(options: DurableQueueOptions): QueueSettings {
  requireObject("options", options);
  if (options.maxAttempts !== undefined && options.retry !== undefined) throw new TypeError("give either maxAttempts or retry, not both");
  const group = optionalGroup(options.group);
  const retry =
    options.retry !== undefined
      ? RetryPolicy.from(options.retry, "retry")
      : RetryPolicy.attempts(optional("maxAttempts", options.maxAttempts, requireCount) ?? 5);
  return {
    name: optional("name", options.name, requireNonEmptyString),
    retry,
    backoff: options.backoff === undefined ? DEFAULT_BACKOFF : BackoffPolicy.from(options.backoff, "backoff"),
    visibilityTimeout: requirePositive("visibilityTimeout", options.visibilityTimeout ?? 30_000),
    capacity: requirePositiveInteger("capacity", options.capacity ?? 1_000_000),
    dedupeWindow: requireNonNegative("dedupeWindow", options.dedupeWindow ?? 120_000),
    dedupeCapacity: requirePositiveInteger("dedupeCapacity", options.dedupeCapacity ?? 100_000),
    deadLetterCapacity: requirePositiveInteger("deadLetterCapacity", options.deadLetterCapacity ?? 100_000),
    scheduler: schedulerOption(options.scheduler, group),
    group,
  };
}

/** Ready jobs: higher priority first, then lower offset (enqueue order). */
const readyBefore = <T>(a: Job<T>, b: Job<T>): boolean => a.priority > b.priority || (a.priority === b.priority && a.offset < b.offset);
/** Delayed jobs: earlier due time first, then enqueue order. */
const dueBefore = <T>(a: Job<T>, b: Job<T>): boolean => a.notBefore < b.notBefore || (a.notBefore === b.notBefore && a.offset < b.offset);

/**
 * The pure part of a queue: live jobs by id, ready jobs by priority then
 * arrival, delayed jobs by due time. No timers, no IO. @internal
 */
export class QueueState<T> {
  readonly jobs = new Map<string, Job<T>>();
  readonly ready = new JobHeap<Job<T>>(readyBefore);
  readonly delayed = new JobHeap<Job<T>>(dueBefore);

  /** Puts a job back among the ready or the delayed ones, by its `notBefore`. */
  schedule(job: Job<T>, now: number): void {
    if (job.notBefore > now) {
      job.state = "delayed";
      this.delayed.push(job);
    } else {
      job.state = "ready";
      this.ready.push(job);
    }
  }

  /** Moves delayed jobs that are due to the ready ones. */
  promote(now: number): void {
    for (let next = this.delayed.peek(); next !== undefined && next.notBefore <= now; next = this.delayed.peek()) {
      this.delayed.pop();
      next.state = "ready";
      this.ready.push(next);
    }
  }

  depth(deadLettered: number): QueueDepth {
    const ready = this.ready.size;
    const delayed = this.delayed.size;
    return { ready, delayed, inFlight: this.jobs.size - ready - delayed, deadLettered };
  }
}

interface Consumer<T> {
  readonly concurrency: number;
  readonly visibilityTimeout: number;
  readonly held: Set<number>;
  readonly subscriber: Subscriber<Delivery<T>>;
  active: boolean;
}

interface InFlight<T> {
  readonly job: Job<T>;
  readonly consumer: Consumer<T>;
}

const RESOLVED: Promise<void> = Promise.resolve();

/** A rejected Promise with an Error reason (argument checks throw Errors; anything else is wrapped). */
function rejected(error: unknown): Promise<never> {
  return Promise.reject(error instanceof Error ? error : new Error(String(error)));
}

function sameDepth(a: QueueDepth | undefined, b: QueueDepth): boolean {
  return a !== undefined && a.ready === b.ready && a.delayed === b.delayed && a.inFlight === b.inFlight && a.deadLettered === b.deadLettered;
}

/**
 * The queue itself, shared by every backend of this package: enqueue with
 * id dedupe, delay and priority; consumers pulled on demand; an
 * {@link AckTracker} for settle-once and the acknowledged watermark, a
 * {@link VisibilityDeadline} per delivery, the retry and backoff policies
 * (the catalog's `RetryLoop` policies) on nack, and a
 * {@link DeadLetterQueue}. A backend supplies the {@link QueueStore}.
 *
 * Delivery is at-least-once. A delivery's `attempt` counts deliveries that
 * ended in a nack, a lapse of the visibility deadline or a crash; one
 * returned to the queue because its consumer unsubscribed does not count
 * (the next delivery has the same attempt number). A lapse on the last
 * attempt dead-letters the job ("visibility timeout expired"), so a job
 * that kills its worker every time ends in the dead-letter queue instead of
 * looping. A settle after the deadline lapsed is refused with
 * `DELIVERY_SETTLED`.
 *
 * @see {@link MemoryDurableQueue} and {@link LevelDurableQueue}, its backends.
 * @lego DurableQueue
 */
export class DurableQueueBase<T> implements DurableQueue<T> {
  readonly lego: LegoDescriptor;
  readonly name: string | undefined;
  readonly group: string | undefined;
  readonly retry: RetryPolicy;
  readonly backoff: BackoffPolicy;
  readonly visibilityTimeout: number;
  /** The depth on subscribe and after every change; completes on close. */
  readonly depth$: Observable<QueueDepth>;
  /** The last error a background write (a lapse, a release) met, if any. */
  lastStoreError: unknown;

  protected readonly settings: QueueSettings;
  protected readonly scheduler: SchedulerLike;
  readonly #store: QueueStore<T>;
  readonly #meter: LegoMeter;
  readonly #state = new QueueState<T>();
  readonly #tracker: AckTracker<string>;
  readonly #deadlines: VisibilityDeadline<number>;
  readonly #dead: DeadLetterQueue<T>;
  readonly #acked = new Map<string, number>();
  readonly #pending = new Map<string, Job<T>>();
  readonly #inFlight = new Map<number, InFlight<T>>();
  #consumers: Consumer<T>[] = [];
  #turn = 0;
  #pumping = false;
  #pumpAgain = false;
  #delayTimer: Subscription | undefined;
  #delayDue = Infinity;
  #nextOffset = 0;
  readonly #depth = new Subject<QueueDepth>();
  #lastDepth: QueueDepth | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;

  protected constructor(settings: QueueSettings, store: QueueStore<T>, kind: string, recovered?: RecoveredState<T>) {
    this.settings = settings;
    this.name = settings.name;
    this.group = settings.group;
    this.retry = settings.retry;
    this.backoff = settings.backoff;
    this.visibilityTimeout = settings.visibilityTimeout;
    this.scheduler = settings.scheduler;
    this.#store = store;
    this.#meter = legoMeter(kind, { name: settings.name, group: settings.group }, DURABLE_QUEUE_COUNTERS);
    this.lego = this.#meter.descriptor;
    this.#tracker = new AckTracker<string>({ start: recovered?.start ?? 0, ...(this.group === undefined ? {} : { group: this.group }) });
    this.#deadlines = new VisibilityDeadline<number>({
      timeout: settings.visibilityTimeout,
      onLapse: (token) => {
        this.#lapse(token);
      },
      scheduler: settings.scheduler,
      ...(this.group === undefined ? {} : { group: this.group }),
    });
    this.#dead = new DeadLetterQueue<T>({ capacity: settings.deadLetterCapacity, ...(this.group === undefined ? {} : { group: this.group }) });
    if (recovered !== undefined) this.#recover(recovered);
    this.depth$ = new Observable<QueueDepth>((subscriber) => {
      subscriber.next(this.#currentDepth());
      if (this.#closed) {
        subscriber.complete();
        return undefined;
      }
      return this.#depth.subscribe(subscriber);
    });
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  enqueue(value: T, options: EnqueueOptions = {}): Promise<Enqueued> {
    let id: string;
    let delay: number;
    let priority: number;
    try {
      requireObject("options", options);
      id = optional("id", options.id, requireNonEmptyString) ?? globalThis.crypto.randomUUID();
      delay = optional("delay", options.delay, requireNonNegative) ?? 0;
      priority = optional("priority", options.priority, requireFinite) ?? 0;
    } catch (error) {
      return rejected(error);
    }
    if (this.#closed) return Promise.reject(this.#closedError());
    if (this.#isDuplicate(id)) {
      this.#meter.count("duplicates");
      return Promise.resolve({ id, duplicate: true });
    }
    if (this.#state.jobs.size + this.#pending.size >= this.settings.capacity) {
      return Promise.reject(
        new LegoError("QUEUE_FULL", `queue ${this.#label()} holds ${this.settings.capacity} jobs (its capacity)`, { group: this.group }),
      );
    }
    const now = this.scheduler.now();
    const job: Job<T> = { id, value, priority, enqueuedAt: now, offset: -1, notBefore: now + delay, attempts: 0, lastError: undefined, state: "pending" };
    this.#pending.set(id, job);
    let stored: Promise<number> | number;
    try {
      stored = this.#store.append(job);
    } catch (error) {
      this.#pending.delete(id);
      return Promise.reject(this.#writeError(error));
    }
    const done: Enqueued = { id, duplicate: false };
    if (typeof stored === "number") {
      this.#admit(job, stored);
      return Promise.resolve(done);
    }
    return stored.then(
      (offset) => {
        this.#admit(job, offset);
        return done;
      },
      (error: unknown) => {
        this.#pending.delete(id);
        throw this.#writeError(error);
      },
    );
  }

  consume(options: ConsumeOptions = {}): LegoObservable<Delivery<T>> {
    requireObject("options", options);
    const concurrency = requirePositiveInteger("concurrency", options.concurrency ?? 1);
    const visibilityTimeout = requirePositive("visibilityTimeout", options.visibilityTimeout ?? this.visibilityTimeout);
    const deliveries$ = new Observable<Delivery<T>>((subscriber) => {
      if (this.#closed) {
        subscriber.error(this.#closedError());
        return undefined;
      }
      const consumer: Consumer<T> = { concurrency, visibilityTimeout, held: new Set(), subscriber, active: true };
      this.#consumers.push(consumer);
      this.#pump();
      return () => {
        this.#removeConsumer(consumer);
      };
    });
    return withLego(deliveries$, this.lego);
  }

  deadLetters(options: { limit?: number } = {}): Promise<DeadLetter<T>[]> {
    try {
      requireObject("options", options);
      const limit = optional("limit", options.limit, requirePositiveInteger) ?? Infinity;
      if (this.#closed) return Promise.reject(this.#closedError());
      return Promise.resolve(this.#dead.list(limit));
    } catch (error) {
      return rejected(error);
    }
  }

  async redrive(ids?: readonly string[]): Promise<number> {
    if (ids !== undefined) {
      if (!Array.isArray(ids)) throw new TypeError("ids must be an array of strings");
      for (const id of ids) requireString("ids[]", id);
    }
    if (this.#closed) throw this.#closedError();
    const taken = this.#dead.take(ids);
    const appended: Promise<unknown>[] = [];
    for (const { letter, offset: oldOffset, priority } of taken) {
      const job: Job<T> = {
        id: letter.id,
        value: letter.value,
        priority,
        enqueuedAt: letter.enqueuedAt,
        offset: -1,
        notBefore: this.scheduler.now(),
        attempts: 0,
        lastError: letter.lastError,
        state: "pending",
      };
      this.#pending.set(job.id, job);
      const admitted = Promise.resolve(this.#store.append(job)).then(
        (offset) => {
          this.#admit(job, offset);
          this.#meter.count("redriven");
          return this.#store.write({ type: "undead", offset: oldOffset });
        },
        (error: unknown) => {
          this.#pending.delete(job.id);
          throw this.#writeError(error);
        },
      );
      appended.push(admitted);
    }
    this.#emitDepth();
    await Promise.all(appended);
    return taken.length;
  }

  depth(): Promise<QueueDepth> {
    if (this.#closed) return Promise.reject(this.#closedError());
    return Promise.resolve(this.#currentDepth());
  }

  /**
   * Stops the queue: consumers complete, unsettled deliveries stay in flight
   * (a persistent backend hands them out again when reopened), later calls
   * reject with `QUEUE_CLOSED`. Waits for writes in progress.
   */
  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    this.#closed = true;
    this.#deadlines.clearAll();
    this.#delayTimer?.unsubscribe();
    const consumers = this.#consumers;
    this.#consumers = [];
    for (const consumer of consumers) {
      consumer.active = false;
      consumer.subscriber.complete();
    }
    this.#closing = this.#store.close(this.#tracker.watermark).finally(() => {
      this.#depth.complete();
    });
    return this.#closing;
  }

  // ---- enqueue and recovery ------------------------------------------------

  #isDuplicate(id: string): boolean {
    if (this.#state.jobs.has(id) || this.#pending.has(id) || this.#dead.has(id)) return true;
    this.#pruneAcked();
    return this.#acked.has(id);
  }

  #admit(job: Job<T>, offset: number): void {
    this.#pending.delete(job.id);
    if (this.#closed) return;
    job.offset = offset;
    this.#nextOffset = Math.max(this.#nextOffset, offset + 1);
    this.#tracker.track(offset);
    this.#state.jobs.set(job.id, job);
    this.#state.schedule(job, this.scheduler.now());
    this.#meter.count("enqueued");
    this.#pump();
  }

  /** The memory backend's offsets: a counter. */
  protected nextMemoryOffset(): number {
    return this.#nextOffset++;
  }

  #recover(recovered: RecoveredState<T>): void {
    const now = this.scheduler.now();
    const offsets = [...recovered.jobs.map((job) => job.offset), ...recovered.settledOffsets].sort((a, b) => a - b);
    const settled = new Set(recovered.settledOffsets);
    for (const offset of offsets) {
      this.#tracker.track(offset);
      if (settled.has(offset)) this.#tracker.settleOffset(offset);
    }
    this.#nextOffset = Math.max(recovered.start, (offsets.at(-1) ?? -1) + 1);
    for (const [id, at] of recovered.acked) this.#acked.set(id, at);
    for (const entry of recovered.deadLetters) this.#background(this.#addDeadLetter(entry));
    for (const job of recovered.jobs) {
      this.#state.jobs.set(job.id, job);
      if (job.state === "inflight") {
        // It was out when the process stopped: a lapse, decided now.
        if (job.attempts >= this.retry.maxAttempts) {
          this.#background(this.#bury(job, `visibility timeout expired on attempt ${job.attempts} of ${this.retry.maxAttempts} (the queue was restarted)`));
          continue;
        }
        job.notBefore = now;
      }
      this.#state.schedule(job, now);
    }
  }

  // ---- delivery ------------------------------------------------------------

  #pump(): void {
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#pumpAgain = false;
        this.#state.promote(this.scheduler.now());
        const consumers = this.#consumers;
        const n = consumers.length;
        let progressed = true;
        while (progressed && this.#state.ready.size > 0 && n > 0) {
          progressed = false;
          for (let k = 0; k < n && this.#state.ready.size > 0; k++) {
            const consumer = consumers[(this.#turn + k) % n];
            if (consumer?.active === true && consumer.held.size < consumer.concurrency) {
              this.#deliver(consumer);
              progressed = true;
            }
          }
          this.#turn = (this.#turn + 1) % n;
        }
      } while (this.#wantsPump());
    } finally {
      this.#pumping = false;
    }
    this.#armDelayTimer();
    this.#emitDepth();
  }

  /** Whether a settle during the pass asked for another one (a method, so the loop re-reads the field). */
  #wantsPump(): boolean {
    return this.#pumpAgain;
  }

  #deliver(consumer: Consumer<T>): void {
    const job = this.#state.ready.pop();
    if (job === undefined) return;
    job.state = "inflight";
    job.attempts++;
    const token = this.#tracker.deliver(job.id, job.attempts, this.scheduler.now());
    consumer.held.add(token);
    this.#inFlight.set(token, { job, consumer });
    this.#meter.count("delivered");
    if (job.attempts > 1) this.#meter.count("redelivered");
    const written = this.#store.write({ type: "deliver", job });
    if (written === undefined) this.#emit(token);
    else
      written.then(
        () => {
          this.#emit(token);
        },
        (error: unknown) => {
          this.#failDelivery(token, error);
        },
      );
  }

  #emit(token: number): void {
    const entry = this.#inFlight.get(token);
    if (entry === undefined || !entry.consumer.active) return;
    const { job, consumer } = entry;
    this.#deadlines.start(token, consumer.visibilityTimeout);
    consumer.subscriber.next(this.#delivery(token, job));
  }

  #delivery(token: number, job: Job<T>): Delivery<T> {
    const delivery: Delivery<T> = {
      id: job.id,
      value: job.value,
      attempt: job.attempts,
      priority: job.priority,
      enqueuedAt: job.enqueuedAt,
      ...(job.lastError === undefined ? {} : { lastError: job.lastError }),
      ack: () => this.#ack(token),
      nack: (options?: NackOptions) => this.#nack(token, options),
      extend: (ms?: number) => this.#extend(token, ms),
      deadLetter: (reason: string) => this.#deadLetter(token, reason),
    };
    return Object.freeze(delivery);
  }

  #failDelivery(token: number, error: unknown): void {
    const entry = this.#take(token);
    if (entry === undefined) return;
    entry.job.attempts--;
    this.#requeue(entry.job);
    if (entry.consumer.active) entry.consumer.subscriber.error(this.#writeError(error));
    this.#pump();
  }

  // ---- settling ------------------------------------------------------------

  /** Settles a delivery once: clears its deadline and frees its consumer's slot. */
  #take(token: number): InFlight<T> | undefined {
    if (this.#tracker.settle(token) === undefined) return undefined;
    const entry = this.#inFlight.get(token);
    this.#inFlight.delete(token);
    this.#deadlines.clear(token);
    entry?.consumer.held.delete(token);
    return entry;
  }

  #settleOr(token: number, what: string): InFlight<T> | LegoError {
    if (this.#closed) return this.#closedError();
    const entry = this.#take(token);
    if (entry !== undefined) return entry;
    return new LegoError("DELIVERY_SETTLED", `queue ${this.#label()}: cannot ${what} a delivery that was already settled or whose visibility timeout expired`, {
      group: this.group,
    });
  }

  #ack(token: number): Promise<void> {
    const entry = this.#settleOr(token, "ack");
    if (isLegoError(entry)) return Promise.reject(entry);
    const { job } = entry;
    this.#finish(job);
    const now = this.scheduler.now();
    if (this.settings.dedupeWindow > 0) {
      this.#acked.delete(job.id);
      this.#acked.set(job.id, now);
    }
    this.#meter.count("acked");
    const written = this.#store.write({ type: "ack", job, at: now });
    this.#afterSettle();
    return written ?? RESOLVED;
  }

  #nack(token: number, options: NackOptions = {}): Promise<void> {
    let delay: number | undefined;
    try {
      requireObject("options", options);
      delay = optional("delay", options.delay, requireNonNegative);
    } catch (error) {
      return rejected(error);
    }
    const entry = this.#settleOr(token, "nack");
    if (isLegoError(entry)) return Promise.reject(entry);
    const { job } = entry;
    this.#meter.count("nacked");
    const hasError = "error" in options && options.error !== undefined;
    if (hasError) job.lastError = messageOf(options.error);
    const detail = job.lastError === undefined ? "" : `: ${job.lastError}`;
    let written: Promise<void> | undefined;
    if (hasError && !this.retry.retryOn(options.error)) {
      written = this.#bury(job, `not retryable (retry policy)${detail}`);
    } else if (job.attempts >= this.retry.maxAttempts) {
      written = this.#bury(job, `gave up after ${job.attempts} attempt${job.attempts === 1 ? "" : "s"}${detail}`);
    } else {
      const wait = delay ?? delayForAttempt(this.backoff, job.attempts + 1);
      job.notBefore = this.scheduler.now() + wait;
      this.#state.schedule(job, this.scheduler.now());
      written = this.#store.write({ type: "update", job });
    }
    this.#afterSettle();
    return written ?? RESOLVED;
  }

  #extend(token: number, ms?: number): Promise<void> {
    try {
      if (ms !== undefined) requireNonNegative("ms", ms);
    } catch (error) {
      return rejected(error);
    }
    if (this.#closed) return Promise.reject(this.#closedError());
    const entry = this.#inFlight.get(token);
    if (entry === undefined || this.#deadlines.extend(token, ms ?? entry.consumer.visibilityTimeout) === undefined) {
      return Promise.reject(
        new LegoError("DELIVERY_SETTLED", `queue ${this.#label()}: cannot extend a delivery that was already settled or whose visibility timeout expired`, {
          group: this.group,
        }),
      );
    }
    this.#meter.count("extended");
    return RESOLVED;
  }

  #deadLetter(token: number, reason: string): Promise<void> {
    try {
      requireString("reason", reason);
    } catch (error) {
      return rejected(error);
    }
    const entry = this.#settleOr(token, "dead-letter");
    if (isLegoError(entry)) return Promise.reject(entry);
    const written = this.#bury(entry.job, reason);
    this.#afterSettle();
    return written ?? RESOLVED;
  }

  /** The visibility deadline passed: the job is visible again (or dead on its last attempt). */
  #lapse(token: number): void {
    const entry = this.#take(token);
    if (entry === undefined) return;
    const { job } = entry;
    this.#meter.count("expired");
    job.lastError = `visibility timeout expired on attempt ${job.attempts}`;
    if (job.attempts >= this.retry.maxAttempts) {
      this.#background(this.#bury(job, `visibility timeout expired on attempt ${job.attempts} of ${this.retry.maxAttempts}`));
    } else {
      this.#requeue(job);
    }
    this.#afterSettle();
  }

  #removeConsumer(consumer: Consumer<T>): void {
    if (!consumer.active) return;
    consumer.active = false;
    this.#consumers = this.#consumers.filter((other) => other !== consumer);
    for (const token of [...consumer.held]) {
      const entry = this.#take(token);
      if (entry === undefined) continue;
      // Returned, not failed: this delivery does not count as an attempt.
      entry.job.attempts--;
      this.#meter.count("released");
      this.#requeue(entry.job);
    }
    if (!this.#closed) this.#pump();
  }

  /** Back to ready at once, written in the background. */
  #requeue(job: Job<T>): void {
    job.notBefore = this.scheduler.now();
    this.#state.schedule(job, job.notBefore);
    this.#background(this.#store.write({ type: "update", job }));
  }

  /** The job leaves the queue (acked or dead). */
  #finish(job: Job<T>): void {
    job.state = "done";
    this.#state.jobs.delete(job.id);
    this.#tracker.settleOffset(job.offset);
  }

  #bury(job: Job<T>, reason: string): Promise<void> | undefined {
    this.#finish(job);
    const letter: DeadLetter<T> = Object.freeze({
      id: job.id,
      value: job.value,
      attempts: job.attempts,
      reason,
      ...(job.lastError === undefined ? {} : { lastError: job.lastError }),
      enqueuedAt: job.enqueuedAt,
      deadLetteredAt: this.scheduler.now(),
    });
    this.#meter.count("deadLettered");
    const dropped = this.#addDeadLetter({ letter, offset: job.offset, priority: job.priority });
    const written = this.#store.write({ type: "dead", job, letter });
    if (dropped !== undefined) return Promise.all([written, dropped]).then(() => undefined);
    return written;
  }

  /** Keeps a dead letter; answers the write that forgets one dropped to make room, if any. */
  #addDeadLetter(entry: StoredDeadLetter<T>): Promise<void> | undefined {
    const dropped = this.#dead.add(entry);
    if (dropped === undefined) return undefined;
    this.#meter.count("deadLetterDropped");
    return this.#store.write({ type: "undead", offset: dropped.offset });
  }

  #afterSettle(): void {
    this.#store.settled?.(this.#tracker.watermark);
    if (!this.#closed) this.#pump();
  }

  // ---- dedupe window, delays, depth ------------------------------------------

  #pruneAcked(): void {
    const cutoff = this.scheduler.now() - this.settings.dedupeWindow;
    for (const [id, at] of this.#acked) {
      if (at > cutoff && this.#acked.size <= this.settings.dedupeCapacity) break;
      this.#acked.delete(id);
      this.#background(this.#store.write({ type: "forget", id }));
    }
  }

  #armDelayTimer(): void {
    if (this.#closed) return;
    const next = this.#state.delayed.peek();
    if (next === undefined) {
      this.#delayTimer?.unsubscribe();
      this.#delayTimer = undefined;
      this.#delayDue = Infinity;
      return;
    }
    if (this.#delayTimer !== undefined && this.#delayDue <= next.notBefore) return;
    this.#delayTimer?.unsubscribe();
    this.#delayDue = next.notBefore;
    this.#delayTimer = this.scheduler.schedule(
      () => {
        this.#delayTimer = undefined;
        this.#delayDue = Infinity;
        this.#pump();
      },
      Math.max(0, next.notBefore - this.scheduler.now()),
    );
  }

  #currentDepth(): QueueDepth {
    return this.#state.depth(this.#dead.size);
  }

  #emitDepth(): void {
    if (!this.#depth.observed) {
      this.#lastDepth = undefined;
      return;
    }
    const depth = this.#currentDepth();
    if (sameDepth(this.#lastDepth, depth)) return;
    this.#lastDepth = depth;
    this.#depth.next(depth);
  }

  // ---- errors --------------------------------------------------------------

  #background(written: Promise<void> | undefined): void {
    written?.catch((error: unknown) => {
      this.lastStoreError = error;
    });
  }

  #label(): string {
    return this.name === undefined ? "(unnamed)" : `"${this.name}"`;
  }

  #closedError(): LegoError {
    return new LegoError("QUEUE_CLOSED", `queue ${this.#label()} is closed`, { group: this.group });
  }

  #writeError(error: unknown): LegoError {
    if (isLegoError(error)) return error;
    return new LegoError("QUEUE_WRITE_FAILED", `queue ${this.#label()}: write failed: ${messageOf(error)}`, { cause: error, group: this.group });
  }
}
