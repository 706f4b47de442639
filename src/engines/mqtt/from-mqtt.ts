import type { IPublishPacket } from "mqtt";
import { Observable } from "rxjs";
import { legoMeter, withLego, type LegoObservable } from "../../atom/lego-descriptor.js";
import { optional, optionalGroup, requireBoolean, requireNonEmptyString, requireObject, requireOneOf } from "../../atom/validate.js";
import type { MessageHeaders } from "../../ports/transport.js";
import { optionalQos, readMessageMeta, requireMqttConnection, type MqttConnection } from "./mqtt-connection.js";
import { sharedTopic } from "./mqtt-topic.js";

/** Options of {@link fromMqtt}. */
export interface FromMqttOptions {
  /** An open connection (from `connectMqtt`); persistent sessions are its `clean: false`. */
  connection: MqttConnection;
  /** Subscription QoS. @default 1 */
  qos?: 0 | 1;
  /**
   * Join the shared subscription `$share/<share>/<filter>`: the broker gives
   * each message to one member of the group (the ConsumerGroup of MQTT).
   */
  share?: string;
  /**
   * `"receipt"`: the client acknowledges a QoS 1 message once it has been
   * emitted (synchronous downstream work is done by then). `"manual"`: each
   * message carries `ack()`, and the acknowledgement (and every later
   * message on this connection, since MQTT.js hands them over in order)
   * waits for it — a subscriber that crashes before `ack()` gets the
   * message again from a persistent session. While a message waits for its
   * ack, MQTT.js processes no other packet of the connection — not even the
   * PUBACK of something published on it — so publish from another
   * connection before acking, or ack first.
   * @default "receipt"
   */
  ack?: "receipt" | "manual";
  /** Leave the broker-side subscription in place on unsubscribe (a persistent session keeps collecting). @default false */
  keepSubscription?: boolean;
  name?: string;
  group?: string;
}

/** A message received by {@link fromMqtt}. */
export interface MqttMessage {
  readonly topic: string;
  readonly payload: Uint8Array;
  readonly qos: 0 | 1 | 2;
  readonly retain: boolean;
  /** The broker marked it as a possible redelivery. */
  readonly dup: boolean;
  /** MQTT 5 publish properties (absent on 3.1.1). */
  readonly properties: IPublishPacket["properties"];
  /** User properties (MQTT 5) or the payload envelope's headers (3.1.1). */
  readonly headers: MessageHeaders;
  /** The publisher's application message id, when it sent one. */
  readonly messageId: string | undefined;
  /** Present with `ack: "manual"`: acknowledges the message to the broker. */
  readonly ack?: () => void;
}

/**
 * Subscribes to an MQTT topic filter and emits each message; unsubscribing
 * removes the subscription (unless `keepSubscription`).
 *
 * ```
 * broker:   --a------b---c---
 * fromMqtt: --a------b---c---   (subscribed on subscribe, unsubscribed on teardown)
 * ```
 *
 * ## Example
 * ```ts
 * const connection = await connectMqtt({ url, clientId: "collector", clean: false });
 * fromMqtt("sensors/+/temperature", { connection, share: "collectors" })
 *   .subscribe((m) => console.log(m.topic, new TextDecoder().decode(m.payload)));
 * ```
 *
 * @see {@link toMqtt}
 * @lego Transport
 */
export function fromMqtt(topicFilter: string, options: FromMqttOptions): LegoObservable<MqttMessage> {
  requireNonEmptyString("topicFilter", topicFilter);
  requireObject("options", options);
  const connection = requireMqttConnection(options.connection);
  const qos = optionalQos(options.qos);
  const share = optional("share", options.share, requireNonEmptyString);
  const manual = (optional("ack", options.ack, (n, v) => requireOneOf(n, v, ["receipt", "manual"] as const)) ?? "receipt") === "manual";
  const keep = optional("keepSubscription", options.keepSubscription, requireBoolean) ?? false;
  const name = optional("name", options.name, requireNonEmptyString);
  const group = optionalGroup(options.group);
  const filter = share === undefined ? topicFilter : sharedTopic(share, topicFilter);
  const meter = legoMeter("Transport", { name: name ?? `mqtt:${filter}`, group }, ["received"]);

  const messages = new Observable<MqttMessage>((subscriber) => {
    const subscription = connection.listen(filter, (packet) => {
      const meta = readMessageMeta(packet);
      meter.count("received");
      const base = {
        topic: packet.topic,
        payload: meta.payload,
        qos: packet.qos,
        retain: packet.retain,
        dup: packet.dup,
        properties: packet.properties,
        headers: meta.headers,
        messageId: meta.messageId,
      };
      if (!manual) {
        subscriber.next(base);
        return true;
      }
      return new Promise<void>((resolve) => {
        subscriber.next({ ...base, ack: resolve });
      });
    }, { qos, keep });
    subscription.ready.catch((error: unknown) => {
      subscriber.error(error);
    });
    return () => {
      subscription.remove();
    };
  });
  return withLego(messages, meter.descriptor);
}
