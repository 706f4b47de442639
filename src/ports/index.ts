/**
 * Ports (DESIGN.md §5): the small interfaces that every lego storing or
 * moving data across processes is written against. Backends (memory,
 * LevelDB, NATS, MQTT) implement them and pass one shared conformance suite
 * each (`manyfold-rx/testing`).
 */
export type { RegisterChange, Versioned, VersionedRegister } from "./versioned-register.js";
export type { EventLogPort, LogAppendOptions, LogAppended, LogRecord, LogReplayOptions } from "./event-log-port.js";
export type {
  ConsumeOptions,
  DeadLetter,
  Delivery,
  DurableQueue,
  EnqueueOptions,
  Enqueued,
  NackOptions,
  QueueDepth,
} from "./durable-queue.js";
export type {
  DeliveryGuarantee,
  MessageHeaders,
  PublishOptions,
  RequestOptions,
  Transport,
  TransportMessage,
  TransportStatus,
} from "./transport.js";
export type { DeduplicationStore } from "./deduplication-store.js";
export type { IdempotencyRecord, IdempotencyStore, IdempotentRunOptions } from "./idempotency-store.js";
export { requireRegisterKey } from "./register-key.js";
