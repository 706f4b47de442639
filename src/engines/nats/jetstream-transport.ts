import type { JetStreamPublishOptions } from "@nats-io/jetstream";
import { optional, requirePositive } from "../../atom/validate.js";
import type { PublishOptions } from "../../ports/transport.js";
import { NatsTransportBase, type NatsTransportOptions } from "./nats-transport.js";
import { natsError, requireStreamName } from "./nats-shared.js";

/** Options of {@link jetStreamTransport}. */
export interface JetStreamTransportOptions extends NatsTransportOptions {
  /** Ms to wait for the stream's PubAck before rejecting with `TIMEOUT`. @default 5000 */
  ackTimeout?: number;
  /** Refuse a PubAck from any other stream (`expect.streamName`). @default any stream */
  stream?: string;
}

/**
 * The JetStream backend of the {@link Transport} port's publish side:
 * `publish` resolves only on the stream's PubAck (at-least-once: the message
 * is stored, replicated to the stream's quorum), with the message id as
 * `Nats-Msg-Id`, so a republish of the same id within the stream's
 * `duplicate_window` is acknowledged without being stored twice (counted as
 * `duplicates`). What an Outbox forwards through. `subscribe` and `request`
 * are core NATS, as in {@link NatsTransport}.
 *
 * Rejects a publish with `TIMEOUT` when no PubAck came within `ackTimeout`
 * (the message may or may not be stored: publish it again with the same
 * id), `NO_RESPONDERS` when no stream takes the subject, `PUBLISH_FAILED`
 * when the stream refuses the message, `TRANSPORT_CLOSED` when closed.
 *
 * ## Example
 * ```ts
 * const transport = jetStreamTransport({ client, stream: "ORDERS" });
 * await transport.publish("orders.new", bytes, { messageId: "producer-1:42" }); // stored
 * ```
 *
 * @see {@link natsTransport}
 * @lego Transport
 */
export class JetStreamTransport extends NatsTransportBase {
  readonly guarantee = "at-least-once" as const;
  readonly #ackTimeout: number;
  readonly #stream: string | undefined;

  constructor(options: JetStreamTransportOptions) {
    super("Transport", options, ["duplicates"]);
    this.#ackTimeout = optional("ackTimeout", options.ackTimeout, requirePositive) ?? 5000;
    this.#stream = optional("stream", options.stream, requireStreamName);
  }

  async publish(subject: string, data: Uint8Array, options: PublishOptions = {}): Promise<void> {
    // the message id rides in the Nats-Msg-Id header, which is what the stream dedupes on
    const { headers } = this.checkPublish(subject, data, options);
    const publishOptions: Partial<JetStreamPublishOptions> = { timeout: this.#ackTimeout };
    if (headers !== undefined) publishOptions.headers = headers;
    if (this.#stream !== undefined) publishOptions.expect = { streamName: this.#stream };
    try {
      const ack = await this.client.js.publish(subject, data, publishOptions);
      this.meter.count(ack.duplicate ? "duplicates" : "published");
    } catch (error) {
      this.meter.count("failures");
      throw natsError(error, "PUBLISH_FAILED", `publish ${subject}`, this.group);
    }
  }
}

/** Makes a {@link JetStreamTransport}. */
export function jetStreamTransport(options: JetStreamTransportOptions): JetStreamTransport {
  return new JetStreamTransport(options);
}
