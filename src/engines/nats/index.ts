/**
 * `manyfold-rx/nats`: NATS and JetStream backends of the ports (DESIGN.md §5)
 * through the maintained v3 client (`@nats-io/transport-node`,
 * `@nats-io/jetstream`, `@nats-io/kv`, optional peer dependencies).
 */
export {
  compareVersions,
  connectNats,
  NATS_FEATURES,
  natsServerSupports,
  type NatsClient,
  type NatsConnectOptions,
  type NatsFeature,
} from "./connection.js";
export { NatsVersionedRegister, type NatsVersionedRegisterOptions } from "./nats-versioned-register.js";
export {
  CORRELATION_ID_HEADER,
  MESSAGE_ID_HEADER,
  NatsTransport,
  natsTransport,
  type NatsTransportOptions,
} from "./nats-transport.js";
export { JetStreamTransport, jetStreamTransport, type JetStreamTransportOptions } from "./jetstream-transport.js";
export { NatsEventLog, type NatsEventLogOptions } from "./nats-event-log.js";
export { NatsDurableQueue, type NatsDurableQueueOptions } from "./nats-durable-queue.js";
export { NatsDeduplicationStore, type NatsDeduplicationStoreOptions } from "./nats-deduplication-store.js";
export { NatsIdempotencyStore, type NatsIdempotencyStoreOptions } from "./nats-idempotency-store.js";
export { natsConsumerGroup, type ConsumerGroupMessage, type NatsConsumerGroupOptions } from "./nats-consumer-group.js";
