import { AckPolicy, DeliverPolicy, type JsMsg } from "@nats-io/jetstream";
import { from, Observable, type ObservableInput, type Subscription } from "rxjs";
import { messageOf } from "../../atom/lego-error.js";
import { legoMeter, withLego, type LegoObservable } from "../../atom/lego-descriptor.js";
import {
  optional,
  optionalGroup,
  requireFunction,
  requireNonNegative,
  requireObject,
  requirePositive,
  requirePositiveInteger,
} from "../../atom/validate.js";
import { requireCodec } from "../../durable/durable-validate.js";
import type { Codec } from "../../local/schema.js";
import { jsonCodec } from "../../local/value-codecs.js";
import type { MessageHeaders } from "../../ports/transport.js";
import type { NatsClient } from "./connection.js";
import { DemandPuller } from "./demand-puller.js";
import { nanos, natsError, requireFilterSubject, requireNatsClient, requireStreamName } from "./nats-shared.js";
import { fromNatsHeaders, MESSAGE_ID_HEADER } from "./nats-transport.js";

/** Options of {@link natsConsumerGroup}. */
export interface NatsConsumerGroupOptions<T> {
  /** The connection (from `connectNats`). */
  client: NatsClient;
  /** The stream the group reads. */
  stream: string;
  /** The durable pull consumer every member shares (created when absent; its position is the group's committed offset). */
  consumer: string;
  /** Only messages on these subjects (a created consumer's `filter_subject`). @default every subject of the stream */
  filterSubject?: string;
  /**
   * Messages this member works on at once: it pulls the next only when one
   * is acknowledged or handed back (pulling on demand).
   * @default 64
   */
  concurrency?: number;
  /** A created consumer's `ack_wait`, ms: a member that dies mid-message hands it to another after this. @default 30000 */
  ackWait?: number;
  /** A created consumer's `max_deliver` (-1: unlimited). @default -1 */
  maxDeliver?: number;
  /** How values are decoded. @default jsonCodec() */
  codec?: Codec<T>;
  /** Wait before a message whose work failed is delivered again, ms. @default 1000 */
  retryDelay?: number;
  /** Told about a message that cannot be decoded; it is terminated (counted `invalid`). */
  onInvalid?: (report: { readonly seq: number; readonly subject: string; readonly error: unknown }) => void;
  /** Told about a message whose work failed; it is handed back for redelivery (counted `failed`). */
  onError?: (report: { readonly message: ConsumerGroupMessage<T>; readonly error: unknown }) => void;
  /** Label linking the group to the component that owns it. */
  group?: string;
}

/** A message as the work function of {@link natsConsumerGroup} sees it. */
export interface ConsumerGroupMessage<T> {
  readonly value: T;
  readonly subject: string;
  /** Stream sequence. */
  readonly seq: number;
  /** 1 on the first delivery. */
  readonly attempt: number;
  readonly headers: MessageHeaders;
  readonly messageId?: string;
  /** Tells the server the work goes on (resets the consumer's `ack_wait`). */
  working(): void;
}

/**
 * The members of a group share one JetStream durable pull consumer: every
 * message goes to one member at a time, the server keeps the group's
 * position, and a member's share grows with its demand. `work` runs for each
 * message; its results flow downstream, and the message is acknowledged
 * when the work's Observable completes (or its Promise resolves) — acks are
 * tied to the operator, so nothing is acknowledged that was not processed.
 * A failed work hands the message back (`nak` after `retryDelay`), is
 * reported to `onError` and the group goes on. Unsubscribing hands back what
 * was in progress. At-least-once: a member that dies lets `ack_wait` lapse
 * and another member gets the message.
 *
 * ```text
 * stream:  1 2 3 4 5 6 …        (shared durable consumer)
 * member A: work(1) work(3) …   pulls a message only when it has a free slot
 * member B: work(2) work(4) …
 * ```
 *
 * Unlike a Kafka-style group, members do not own partitions: order holds
 * per member only (use `concurrency: 1` and one member for a total order, or
 * a server-side partition mapping with one group per partition).
 *
 * ## Example
 * ```ts
 * natsConsumerGroup<Order, void>(
 *   { client, stream: "ORDERS", consumer: "billing", concurrency: 16 },
 *   (message) => bill(message.value),
 * ).subscribe();
 * ```
 *
 * @see {@link NatsDurableQueue}
 * @lego ConsumerGroup
 */
export function natsConsumerGroup<T, R>(
  options: NatsConsumerGroupOptions<T>,
  work: (message: ConsumerGroupMessage<T>) => ObservableInput<R>,
): LegoObservable<R> {
  requireObject("options", options);
  const client = requireNatsClient("client", options.client);
  const stream = requireStreamName("stream", options.stream);
  const durable = requireStreamName("consumer", options.consumer);
  const filterSubject = optional("filterSubject", options.filterSubject, requireFilterSubject);
  const concurrency = optional("concurrency", options.concurrency, requirePositiveInteger) ?? 64;
  const ackWait = optional("ackWait", options.ackWait, requirePositive) ?? 30_000;
  const maxDeliver = optional("maxDeliver", options.maxDeliver, (name, value) => {
    if (value === -1) return -1;
    return requirePositiveInteger(name, value);
  }) ?? -1;
  const codec = options.codec === undefined ? jsonCodec<T>() : requireCodec<T>("codec", options.codec);
  const retryDelay = optional("retryDelay", options.retryDelay, requireNonNegative) ?? 1000;
  const onInvalid = options.onInvalid === undefined ? undefined : requireFunction("onInvalid", options.onInvalid);
  const onError = options.onError === undefined ? undefined : requireFunction("onError", options.onError);
  const group = optionalGroup(options.group);
  requireFunction("work", work);
  const meter = legoMeter("ConsumerGroup", { name: `${stream}/${durable}`, group }, ["delivered", "acked", "failed", "invalid", "returned"]);

  const source = new Observable<R>((subscriber) => {
    const active = new Map<JsMsg, Subscription>();
    let puller: DemandPuller | undefined;
    let stopped = false;
    const isStopped = (): boolean => stopped;

    const handle = (msg: JsMsg): void => {
      let value: T;
      try {
        value = codec.decode(msg.data);
      } catch (error) {
        meter.count("invalid");
        msg.term();
        puller?.release();
        onInvalid?.({ seq: msg.seq, subject: msg.subject, error });
        return;
      }
      meter.count("delivered");
      const headers = fromNatsHeaders(msg.headers);
      const messageId = headers[MESSAGE_ID_HEADER];
      const message: ConsumerGroupMessage<T> = {
        value,
        subject: msg.subject,
        seq: msg.seq,
        attempt: msg.info.deliveryCount,
        headers,
        ...(messageId === undefined ? {} : { messageId }),
        working: () => {
          msg.working();
        },
      };
      const settle = (): void => {
        active.delete(msg);
        puller?.release();
      };
      let output: Observable<R>;
      try {
        output = from(work(message));
      } catch (error) {
        fail(message, error);
        return;
      }
      let done = false as boolean; // set by a synchronous completion inside subscribe()
      const running = output.subscribe({
        next: (result) => {
          subscriber.next(result);
        },
        error: (error: unknown) => {
          done = true;
          fail(message, error);
        },
        complete: () => {
          done = true;
          msg.ack();
          meter.count("acked");
          settle();
        },
      });
      if (!done) active.set(msg, running);

      function fail(m: ConsumerGroupMessage<T>, error: unknown): void {
        meter.count("failed");
        msg.nak(retryDelay);
        settle();
        onError?.({ message: m, error });
      }
    };

    void (async () => {
      try {
        const jsm = await client.jetstreamManager();
        await jsm.consumers.info(stream, durable).catch(async (error: unknown) => {
          if (!/consumer not found/i.test(messageOf(error))) throw error;
          return jsm.consumers.add(stream, {
            durable_name: durable,
            ack_policy: AckPolicy.Explicit,
            deliver_policy: DeliverPolicy.All,
            ack_wait: nanos(ackWait),
            max_deliver: maxDeliver,
            max_ack_pending: -1,
            ...(filterSubject === undefined ? {} : { filter_subject: filterSubject }),
          });
        });
        const consumer = await client.js.consumers.get(stream, durable);
        if (isStopped()) return;
        puller = new DemandPuller(consumer, { capacity: concurrency, onMessage: handle });
        puller.start();
      } catch (error) {
        if (!isStopped()) subscriber.error(natsError(error, "ENGINE_UNAVAILABLE", `consumer group ${stream}/${durable}`, group));
      }
    })();

    return () => {
      stopped = true;
      puller?.stop();
      for (const [msg, running] of active) {
        running.unsubscribe();
        msg.nak();
        meter.count("returned");
      }
      active.clear();
    };
  });
  return withLego(source, meter.descriptor);
}
