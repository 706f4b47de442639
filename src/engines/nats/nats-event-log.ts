import { DeliverPolicy, StorageType, type ConsumerMessages, type JetStreamPublishOptions, type JsMsg, type StreamInfo } from "@nats-io/jetstream";
import { Observable } from "rxjs";
import { LegoError, messageOf } from "../../atom/lego-error.js";
import { legoMeter, type LegoDescriptor } from "../../atom/lego-descriptor.js";
import {
  optional,
  optionalGroup,
  requireBoolean,
  requireNonEmptyString,
  requireNonNegativeInteger,
  requireObject,
  requirePositive,
  requirePositiveInteger,
} from "../../atom/validate.js";
import { requireCodec } from "../../durable/durable-validate.js";
import type { Codec } from "../../local/schema.js";
import { jsonCodec } from "../../local/value-codecs.js";
import type { EventLogPort, LogAppendOptions, LogAppended, LogRecord, LogReplayOptions } from "../../ports/event-log-port.js";
import type { NatsClient } from "./connection.js";
import { isWrongLastSequence, millis, nanos, natsError, requireNatsClient, requireStreamName, requireSubject } from "./nats-shared.js";
import { MESSAGE_ID_HEADER } from "./nats-transport.js";

/** Options of {@link NatsEventLog.open}. */
export interface NatsEventLogOptions<T> {
  /** The connection (from `connectNats`). */
  client: NatsClient;
  /** The stream (created when absent; an existing stream is used as configured). */
  stream: string;
  /** The one subject the log's records are published on. @default the stream name in lower case */
  subject?: string;
  /** How values are stored. @default jsonCodec() */
  codec?: Codec<T>;
  /**
   * How long (ms) the stream remembers a `Nats-Msg-Id` to drop a repeat:
   * the log's {@link EventLogPort.dedupeWindow}. Only used when the stream is created.
   * @default 120000 (JetStream's default)
   */
  duplicateWindow?: number;
  /** Replicas of a created stream (3 for a Raft-replicated log on a 3-node cluster). @default 1 */
  replicas?: number;
  /** Keep records in memory instead of files (a created stream). @default false */
  memory?: boolean;
  /** Ms to wait for the PubAck of an append. @default 5000 */
  ackTimeout?: number;
  /** Label linking the log to the component that owns it. */
  group?: string;
}

/**
 * The JetStream backend of the {@link EventLogPort} port — the catalog's
 * `ReplicatedLog` when the stream has 3 replicas (JetStream's Raft replicates
 * it; nothing here is home-made consensus). A record's offset is its stream
 * sequence − 1; `appendedAt` is the server's timestamp.
 *
 * - `append(value, { id })` publishes with `Nats-Msg-Id: id`: a repeat within
 *   the stream's `duplicate_window` ({@link dedupeWindow}) stores nothing and
 *   answers the first offset with `duplicate: true`.
 * - `append(value, { expectedOffset })` publishes with
 *   `Nats-Expected-Last-Sequence: expectedOffset` and rejects with
 *   `LOG_CONFLICT` when another append came first.
 * - `replay({ from, follow })` reads through an ordered consumer (recreated
 *   by the client on a gap), completing at the end seen when it started
 *   unless `follow`.
 *
 * The stream should hold only this log's subject: another subject's
 * messages would take offsets.
 *
 * ## Example
 * ```ts
 * const log = await NatsEventLog.open<Order>({ client, stream: "ORDERS", replicas: 3 });
 * const { offset } = await log.append(order, { id: order.id });
 * log.replay({ from: 0, follow: true }).subscribe((record) => apply(record.value));
 * ```
 *
 * @see {@link EventLogPort}
 * @lego ReplicatedLog
 */
export class NatsEventLog<T> implements EventLogPort<T> {
  readonly lego: LegoDescriptor;
  readonly group: string | undefined;
  readonly stream: string;
  readonly subject: string;
  readonly dedupeWindow: number;
  readonly #client: NatsClient;
  readonly #codec: Codec<T>;
  readonly #ackTimeout: number;
  readonly #meter;
  readonly #replays = new Set<{ stop(): void; complete(): void }>();
  #closed = false;

  private constructor(client: NatsClient, info: StreamInfo, subject: string, codec: Codec<T>, ackTimeout: number, group: string | undefined) {
    this.#client = client;
    this.stream = info.config.name;
    this.subject = subject;
    this.dedupeWindow = millis(info.config.duplicate_window);
    this.#codec = codec;
    this.#ackTimeout = ackTimeout;
    this.group = group;
    this.#meter = legoMeter("ReplicatedLog", { name: `jetstream:${this.stream}`, group }, [
      "appended",
      "duplicates",
      "conflicts",
      "replayed",
      "invalid",
    ]);
    this.lego = this.#meter.descriptor;
  }

  /** Opens the log, creating its stream when absent. */
  static async open<T>(options: NatsEventLogOptions<T>): Promise<NatsEventLog<T>> {
    requireObject("options", options);
    const client = requireNatsClient("client", options.client);
    const stream = requireStreamName("stream", options.stream);
    const subject = requireSubject("subject", options.subject ?? stream.toLowerCase());
    const codec = options.codec === undefined ? jsonCodec<T>() : requireCodec<T>("codec", options.codec);
    const duplicateWindow = optional("duplicateWindow", options.duplicateWindow, requirePositive) ?? 120_000;
    const replicas = optional("replicas", options.replicas, requirePositiveInteger) ?? 1;
    const memory = optional("memory", options.memory, requireBoolean) ?? false;
    const ackTimeout = optional("ackTimeout", options.ackTimeout, requirePositive) ?? 5000;
    const group = optionalGroup(options.group);
    let info: StreamInfo;
    try {
      const jsm = await client.jetstreamManager();
      info = await jsm.streams.info(stream).catch(async (error: unknown) => {
        if (!/stream not found/i.test(messageOf(error))) throw error;
        return jsm.streams.add({
          name: stream,
          subjects: [subject],
          duplicate_window: nanos(duplicateWindow),
          num_replicas: replicas,
          storage: memory ? StorageType.Memory : StorageType.File,
        });
      });
    } catch (error) {
      throw natsError(error, "ENGINE_UNAVAILABLE", `cannot open stream ${stream}`, group);
    }
    return new NatsEventLog<T>(client, info, subject, codec, ackTimeout, group);
  }

  async append(value: T, options: LogAppendOptions = {}): Promise<LogAppended> {
    this.#assertOpen();
    requireObject("options", options);
    const id = optional("id", options.id, requireNonEmptyString);
    const expectedOffset = optional("expectedOffset", options.expectedOffset, requireNonNegativeInteger);
    let bytes: Uint8Array;
    try {
      bytes = this.#codec.encode(value);
    } catch (error) {
      throw new LegoError("ENCODE_FAILED", `stream ${this.stream}: cannot encode the value: ${messageOf(error)}`, { cause: error, group: this.group });
    }
    const publishOptions: Partial<JetStreamPublishOptions> = { timeout: this.#ackTimeout, expect: { streamName: this.stream } };
    if (id !== undefined) publishOptions.msgID = id;
    if (expectedOffset !== undefined) publishOptions.expect = { streamName: this.stream, lastSequence: expectedOffset };
    try {
      const ack = await this.#client.js.publish(this.subject, bytes, publishOptions);
      this.#meter.count(ack.duplicate ? "duplicates" : "appended");
      return { offset: ack.seq - 1, duplicate: ack.duplicate };
    } catch (error) {
      if (isWrongLastSequence(error)) {
        this.#meter.count("conflicts");
        throw new LegoError("LOG_CONFLICT", `stream ${this.stream}: the next offset is not ${String(expectedOffset)}`, {
          cause: error,
          group: this.group,
        });
      }
      throw natsError(error, "PUBLISH_FAILED", `append to stream ${this.stream}`, this.group);
    }
  }

  async nextOffset(): Promise<number> {
    this.#assertOpen();
    return (await this.#info()).state.last_seq;
  }

  replay(options: LogReplayOptions = {}): Observable<LogRecord<T>> {
    requireObject("options", options);
    const from = optional("from", options.from, requireNonNegativeInteger) ?? 0;
    const follow = optional("follow", options.follow, requireBoolean) ?? false;
    return new Observable<LogRecord<T>>((subscriber) => {
      if (this.#closed) {
        subscriber.error(closedError(this.group));
        return undefined;
      }
      let messages: ConsumerMessages | undefined;
      let stopped = false;
      const isStopped = (): boolean => stopped;
      const handle = {
        stop: (): void => {
          stopped = true;
          void messages?.close();
        },
        complete: (): void => {
          handle.stop();
          subscriber.complete();
        },
      };
      this.#replays.add(handle);
      const run = async (): Promise<void> => {
        const end = follow ? Infinity : (await this.#info()).state.last_seq;
        if (from + 1 > end) return;
        const consumer = await this.#client.js.consumers.get(this.stream, {
          filter_subjects: this.subject,
          deliver_policy: DeliverPolicy.StartSequence,
          opt_start_seq: from + 1,
        });
        if (isStopped()) return;
        messages = await consumer.consume({ max_messages: 256 });
        if (isStopped()) {
          await messages.close();
          return;
        }
        for await (const msg of messages) {
          const record = this.#decode(msg);
          if (record !== undefined) {
            this.#meter.count("replayed");
            subscriber.next(record);
          }
          if (msg.seq >= end) break;
        }
      };
      run().then(
        () => {
          this.#replays.delete(handle);
          if (!isStopped()) subscriber.complete();
          void messages?.close();
        },
        (error: unknown) => {
          this.#replays.delete(handle);
          if (!isStopped()) subscriber.error(natsError(error, "ENGINE_UNAVAILABLE", `replay of stream ${this.stream}`, this.group));
        },
      );
      return () => {
        this.#replays.delete(handle);
        handle.stop();
      };
    });
  }

  /** Stops every replay (they complete); later calls reject with `STORE_CLOSED`. The stream and connection stay. */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      for (const replay of [...this.#replays]) replay.complete();
      this.#replays.clear();
    }
    return Promise.resolve();
  }

  /** Decodes a stored record; one the codec refuses is counted as `invalid` and skipped. */
  #decode(msg: JsMsg): LogRecord<T> | undefined {
    let value: T;
    try {
      value = this.#codec.decode(msg.data);
    } catch {
      this.#meter.count("invalid");
      return undefined;
    }
    const id = msg.headers?.get(MESSAGE_ID_HEADER);
    const record: { -readonly [K in keyof LogRecord<T>]: LogRecord<T>[K] } = {
      offset: msg.seq - 1,
      value,
      appendedAt: Number(msg.timestampNanos / 1_000_000n),
    };
    if (id !== undefined && id !== "") record.id = id;
    return Object.freeze(record);
  }

  async #info(): Promise<StreamInfo> {
    try {
      const jsm = await this.#client.jetstreamManager();
      return await jsm.streams.info(this.stream);
    } catch (error) {
      throw natsError(error, "ENGINE_UNAVAILABLE", `stream ${this.stream}`, this.group);
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw closedError(this.group);
  }
}

function closedError(group: string | undefined): LegoError {
  return new LegoError("STORE_CLOSED", "the event log is closed", { group });
}
