import type { Observable } from "rxjs";

/** Options of {@link DurableQueue.enqueue}. */
export interface EnqueueOptions {
  /**
   * Idempotency key: enqueueing an id that is already in the queue (ready,
   * delayed, in flight or dead-lettered) or was acknowledged within the
   * queue's dedupe window adds nothing and answers `duplicate: true`.
   * @default a generated id
   */
  id?: string;
  /** Not deliverable before this many ms from now. @default 0 */
  delay?: number;
  /** Higher is delivered first among ready jobs; ties in enqueue order. @default 0 */
  priority?: number;
}

/** What an enqueue answers, once the job is durable. */
export interface Enqueued {
  readonly id: string;
  readonly duplicate: boolean;
}

/** Options of {@link Delivery.nack}. */
export interface NackOptions {
  /** Wait this long before the next delivery. @default the queue's backoff for the next attempt */
  delay?: number;
  /** Why the attempt failed; kept as the job's `lastError` (its message). */
  error?: unknown;
}

/**
 * One delivery of a job to a consumer. Exactly one of `ack`, `nack` or
 * `deadLetter` settles it; settling twice rejects with `DELIVERY_SETTLED`.
 * A delivery not settled within the visibility timeout (as extended) is
 * delivered again with `attempt + 1`; a late settle of the earlier attempt
 * may then be refused (`DELIVERY_SETTLED`) or accepted, depending on the
 * backend: handlers must be idempotent (delivery is at-least-once).
 */
export interface Delivery<T> {
  readonly id: string;
  readonly value: T;
  /** 1 on the first delivery. */
  readonly attempt: number;
  readonly priority: number;
  readonly enqueuedAt: number;
  /** The message of the error of the previous failed attempt, if any. */
  readonly lastError?: string;
  /** Done: the job leaves the queue. */
  ack(): Promise<void>;
  /**
   * Failed: delivered again after a delay, or dead-lettered when this was
   * the queue's `maxAttempts`-th attempt.
   */
  nack(options?: NackOptions): Promise<void>;
  /** Still working: the visibility deadline moves to now + `ms` (default: the visibility timeout). */
  extend(ms?: number): Promise<void>;
  /** Give up at once: the job moves to the dead-letter queue with `reason`. */
  deadLetter(reason: string): Promise<void>;
}

/** A job in the dead-letter queue. */
export interface DeadLetter<T> {
  readonly id: string;
  readonly value: T;
  readonly attempts: number;
  readonly reason: string;
  readonly lastError?: string;
  readonly enqueuedAt: number;
  readonly deadLetteredAt: number;
}

/** Jobs by state. */
export interface QueueDepth {
  readonly ready: number;
  readonly delayed: number;
  readonly inFlight: number;
  readonly deadLettered: number;
}

/** Options of {@link DurableQueue.consume}. */
export interface ConsumeOptions {
  /**
   * Most deliveries this consumer holds unsettled at once; the next job is
   * pulled only when one settles (deliveries are pulled on demand).
   * @default 1
   */
  concurrency?: number;
  /** Visibility timeout of these deliveries, in ms. @default the queue's */
  visibilityTimeout?: number;
}

/**
 * The port of the catalog's `DurableQueue` (capabilities `Reserve`, `Ack`,
 * `Nack`, `Renew`): jobs that survive restarts and are delivered at least
 * once, with visibility timeouts, retries and a dead-letter queue. Memory,
 * LevelDB and JetStream work-queue backends pass `durableQueueConformance`
 * from `manyfold-rx/testing`. `maxAttempts`, the backoff between attempts
 * and the default visibility timeout are the backend's open options.
 *
 * @lego DurableQueue
 */
export interface DurableQueue<T> {
  /** Resolves once the job is durable. */
  enqueue(value: T, options?: EnqueueOptions): Promise<Enqueued>;
  /** Deliveries for this consumer until unsubscribed; unsubscribing returns unsettled deliveries to the queue. */
  consume(options?: ConsumeOptions): Observable<Delivery<T>>;
  /** Dead-lettered jobs, oldest first. */
  deadLetters(options?: { limit?: number }): Promise<DeadLetter<T>[]>;
  /** Moves dead-lettered jobs (all, or those named) back to ready with attempts reset; resolves to how many. */
  redrive(ids?: readonly string[]): Promise<number>;
  depth(): Promise<QueueDepth>;
  /** The depth on subscribe and after every change. */
  readonly depth$: Observable<QueueDepth>;
  close(): Promise<void>;
}
