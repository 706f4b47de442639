import { randomUUID } from "node:crypto";
import { Observable, filter, map, timer, type SchedulerLike } from "rxjs";
import { legoMeter, type LegoDescriptor } from "../../atom/lego-descriptor.js";
import { LegoError } from "../../atom/lego-error.js";
import { optional, optionalGroup, requireNonEmptyString, requireObject, requirePositive } from "../../atom/validate.js";
import type {
  DeliveryGuarantee,
  MessageHeaders,
  PublishOptions,
  RequestOptions,
  Transport,
  TransportMessage,
  TransportStatus,
} from "../../ports/transport.js";
import { fromMqtt, type MqttMessage } from "./from-mqtt.js";
import { requireMqttConnection, type MqttConnection } from "./mqtt-connection.js";
import { subjectToTopic, topicToSubject } from "./mqtt-topic.js";
import { schedulerOption } from "../../time/scheduler.js";

/** Options of {@link MqttTransport}. */
export interface MqttTransportOptions {
  connection: MqttConnection;
  /** Close the connection when the transport closes. @default false */
  ownsConnection?: boolean;
  /** Topic prefix for replies to this transport's requests. @default `_reply/<random>` */
  replyPrefix?: string;
  /** Request deadlines run here. @default asyncScheduler */
  scheduler?: SchedulerLike;
  group?: string;
}

/** Headers a request carries on 3.1.1, where there are no response-topic properties. */
const REPLY_TO = "reply-to";
const CORRELATION = "correlation-id";

/**
 * The {@link Transport} port on MQTT: subjects map to topics (`a.b` ↔ `a/b`,
 * `*` ↔ `+`, `>` ↔ `#`), `publish` is QoS 1 and resolves on PUBACK
 * (at-least-once to the broker), a `queue` subscription is a shared
 * subscription (`$share/<queue>/…`), and request/reply uses MQTT 5's
 * response topic and correlation data (or headers in the 3.1.1 envelope).
 * MQTT cannot tell that nobody listens, so a request without a responder
 * ends in `TIMEOUT`, never `NO_RESPONDERS`.
 *
 * @lego Transport
 */
export class MqttTransport implements Transport {
  readonly guarantee: DeliveryGuarantee = "at-least-once";
  readonly status$: Observable<TransportStatus>;
  readonly lego: LegoDescriptor;
  readonly connection: MqttConnection;
  readonly #owns: boolean;
  readonly #replyPrefix: string;
  readonly #waiting = new Map<string, (message: TransportMessage) => void>();
  readonly #meter;
  #replySubscription: { unsubscribe(): void } | undefined;
  #next = 0;
  readonly #scheduler: SchedulerLike;
  #lastSubject: string | undefined;
  #lastTopic = "";

  constructor(options: MqttTransportOptions) {
    requireObject("options", options);
    this.connection = requireMqttConnection(options.connection);
    this.#owns = options.ownsConnection === true;
    const group = optionalGroup(options.group);
    this.#replyPrefix =
      optional("replyPrefix", options.replyPrefix, requireNonEmptyString) ??
      `_reply/${randomUUID()}`;
    this.#scheduler = schedulerOption(options.scheduler, group);
    this.#meter = legoMeter("Transport", { name: "mqtt", group }, ["published", "requests"]);
    this.lego = this.#meter.descriptor;
    this.status$ = this.connection.status$;
  }

  publish(subject: string, data: Uint8Array, options: PublishOptions = {}): Promise<void> {
    // A forwarder publishes to the same subject over and over: map it to its topic once.
    if (subject !== this.#lastSubject) {
      this.#lastTopic = subjectToTopic(requireNonEmptyString("subject", subject));
      this.#lastSubject = subject;
    }
    const topic = this.#lastTopic;
    this.#meter.count("published");
    return this.connection.publish(topic, data, publishMeta(options));
  }

  subscribe(subject: string, options: { queue?: string } = {}): Observable<TransportMessage> {
    const topicFilter = subjectToTopic(requireNonEmptyString("subject", subject), { filter: true });
    const share = optional("queue", options.queue, requireNonEmptyString);
    // MQTT's "#" also matches the parent level ("a/#" hears "a"); the port's ">" needs one token or more.
    const parent = subject.endsWith(".>") ? subject.slice(0, -2) : undefined;
    return fromMqtt(topicFilter, { connection: this.connection, ...(share === undefined ? {} : { share }) }).pipe(
      map((message) => this.#toTransportMessage(message)),
      filter((message) => message.subject !== parent),
    );
  }

  request(subject: string, data: Uint8Array, options: RequestOptions): Promise<TransportMessage> {
    requireObject("options", options);
    const timeout = requirePositive("timeout", options.timeout);
    const topic = subjectToTopic(requireNonEmptyString("subject", subject));
    this.#listenForReplies();
    const correlation = (this.#next++).toString(36);
    const replyTopic = `${this.#replyPrefix}/${correlation}`;
    this.#meter.count("requests");
    return new Promise<TransportMessage>((resolve, reject) => {
      const deadline = timer(timeout, this.#scheduler).subscribe(() => {
        this.#waiting.delete(correlation);
        reject(new LegoError("TIMEOUT", `no reply to ${subject} within ${timeout} ms`));
      });
      this.#waiting.set(correlation, (reply) => {
        deadline.unsubscribe();
        this.#waiting.delete(correlation);
        resolve(reply);
      });
      const v5 = this.connection.protocolVersion === 5;
      const headers: MessageHeaders = v5 ? { ...options.headers } : { ...options.headers, [REPLY_TO]: replyTopic, [CORRELATION]: correlation };
      this.connection
        .publish(topic, data, {
          headers,
          ...(v5 ? { properties: { responseTopic: replyTopic, correlationData: Buffer.from(correlation) } } : {}),
        })
        .catch((error: unknown) => {
          deadline.unsubscribe();
          this.#waiting.delete(correlation);
          reject(error instanceof Error ? error : new Error(String(error)));
        });
    });
  }

  async close(): Promise<void> {
    this.#replySubscription?.unsubscribe();
    if (this.#owns) await this.connection.close();
  }

  #listenForReplies(): void {
    if (this.#replySubscription !== undefined) return;
    this.#replySubscription = fromMqtt(`${this.#replyPrefix}/+`, { connection: this.connection }).subscribe((message) => {
      const correlation = message.topic.slice(this.#replyPrefix.length + 1);
      this.#waiting.get(correlation)?.(this.#toTransportMessage(message));
    });
  }

  #toTransportMessage(message: MqttMessage): TransportMessage {
    const replyTopic = message.properties?.responseTopic ?? message.headers[REPLY_TO];
    const result: TransportMessage = {
      subject: topicToSubject(message.topic),
      data: message.payload,
      headers: message.headers,
      ...(message.messageId === undefined ? {} : { messageId: message.messageId }),
    };
    if (replyTopic === undefined) return result;
    return {
      ...result,
      respond: (data, respondOptions = {}) => this.connection.publish(replyTopic, data, publishMeta(respondOptions)),
    };
  }
}

function publishMeta(options: PublishOptions): { headers?: MessageHeaders; messageId?: string } {
  return {
    ...(options.headers === undefined ? {} : { headers: options.headers }),
    ...(options.messageId === undefined ? {} : { messageId: options.messageId }),
  };
}
