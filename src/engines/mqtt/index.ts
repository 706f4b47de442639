/**
 * `manyfold-rx/mqtt`: the MQTT engine (MQTT.js 5, an optional peer
 * dependency). A connection with its status as a stream and reconnection on
 * the project's backoff policy; `fromMqtt`/`toMqtt` for topics; and
 * `MqttTransport`, the Transport port on MQTT, which the Outbox forwards a
 * spool through (store-and-forward) and an Inbox dedupes after.
 */
export {
  MESSAGE_ID_HEADER,
  MqttConnection,
  connectMqtt,
  readMessageMeta,
  type MqttConnectionOptions,
  type MqttMessageMeta,
  type MqttPublishOptions,
} from "./mqtt-connection.js";
export { MqttSubscriptions, type MqttPacketListener } from "./mqtt-subscriptions.js";
export { fromMqtt, type FromMqttOptions, type MqttMessage } from "./from-mqtt.js";
export { toMqtt, type ToMqttOptions } from "./to-mqtt.js";
export { MqttTransport, type MqttTransportOptions } from "./mqtt-transport.js";
export { sharedTopic, subjectToTopic, topicMatches, topicToSubject } from "./mqtt-topic.js";
export { unwrapEnvelope, wrapEnvelope, type Enveloped } from "./mqtt-envelope.js";
