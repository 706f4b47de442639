import type { Observable } from "rxjs";

/** A record read back from an {@link EventLogPort}. */
export interface LogRecord<T> {
  /** Position in the log: integers from 0, increasing by 1 per append. */
  readonly offset: number;
  readonly value: T;
  /** When the record was appended, in ms, from the log's clock. */
  readonly appendedAt: number;
  /** The `id` it was appended with, when it had one. */
  readonly id?: string;
}

/** Options of {@link EventLogPort.append}. */
export interface LogAppendOptions {
  /**
   * Makes the append idempotent: a second append with an id already seen
   * within the log's {@link EventLogPort.dedupeWindow} appends nothing and
   * answers the first append's offset with `duplicate: true`.
   */
  id?: string;
  /**
   * Optimistic concurrency: the append succeeds only when the log's next
   * offset is this one, else it rejects with `LegoError` `LOG_CONFLICT`.
   */
  expectedOffset?: number;
}

/** What an append answers. */
export interface LogAppended {
  readonly offset: number;
  /** True when the id had been appended before and nothing was written. */
  readonly duplicate: boolean;
}

/** Options of {@link EventLogPort.replay}. */
export interface LogReplayOptions {
  /** First offset to read. @default 0 */
  from?: number;
  /** Keep the Observable open and emit records appended later. @default false */
  follow?: boolean;
}

/**
 * The port of the catalog's `EventLog` (capabilities `Append`, `Read`,
 * `Scan`): an append-only log with offsets that only increase, idempotent
 * appends by id and replay. The LevelDB `EventLog` class and the JetStream
 * stream backend implement it and pass `eventLogConformance` from
 * `manyfold-rx/testing`. (Named `EventLogPort` because `EventLog` is the
 * LevelDB class that implements it.)
 *
 * An append resolves only once the record is durable as far as the backend
 * goes (LevelDB written; JetStream acknowledged by the stream's quorum).
 *
 * @lego EventLog
 */
export interface EventLogPort<T> {
  append(value: T, options?: LogAppendOptions): Promise<LogAppended>;
  /**
   * Records from `from` in offset order; completes at the current end unless
   * `follow`, in which case it keeps emitting new records until unsubscribed.
   */
  replay(options?: LogReplayOptions): Observable<LogRecord<T>>;
  /** The offset the next append will get. */
  nextOffset(): Promise<number>;
  /** How long (ms) an append id is remembered for deduplication; `Infinity` when always. */
  readonly dedupeWindow: number;
  close(): Promise<void>;
}
