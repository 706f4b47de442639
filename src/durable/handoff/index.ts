// DurableQueue and its parts (AckTracker, VisibilityDeadline, DeadLetterQueue), backends, presets, Worker.
export { AckTracker, type AckTrackerOptions, type TrackedDelivery } from "./ack-tracker.js";
export { VisibilityDeadline, type VisibilityDeadlineOptions } from "./visibility-deadline.js";
export { DeadLetterQueue, type DeadLetterQueueOptions, type StoredDeadLetter } from "./dead-letter-queue.js";
export { DURABLE_QUEUE_COUNTERS, DurableQueueBase, type DurableQueueOptions } from "./durable-queue.js";
export { MemoryDurableQueue, type MemoryDurableQueueOptions } from "./memory-durable-queue.js";
export { LevelDurableQueue, type LevelDurableQueueOptions } from "./level-durable-queue.js";
export { work, type WorkHandler, type WorkOptions, type WorkOutcome } from "./worker.js";
export { workerPool, type WorkerPoolOptions } from "./worker-pool.js";
export { type QueuePresetOptions } from "./queue-preset.js";
export { RETRY_QUEUE_DEFAULTS, retryQueue } from "./retry-queue.js";
export { delayQueue } from "./delay-queue.js";
export { priorityQueue } from "./priority-queue.js";
export { workQueue } from "./work-queue.js";
// Outbox and Inbox.
export {
  Outbox,
  type OutboxCheckpoints,
  type OutboxForwarded,
  type OutboxOptions,
  type OutboxSource,
  type OutboxStatus,
} from "./outbox.js";
export { inbox, type InboxContext, type InboxOptions, type InboxResult } from "./inbox.js";
export {
  confirmByReceipt,
  sendReceipts,
  type ConfirmByReceiptOptions,
  type SendReceiptsOptions,
} from "./receipts.js";
