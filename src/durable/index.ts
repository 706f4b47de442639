export {
  Keyspace,
  KeyspaceBatch,
  prefixUpperBound,
  type KeyspaceEntry,
  type KeyspaceOperation,
  type KeyspaceOptions,
  type KeyspaceRange,
  type KeyspaceWriteOptions,
} from "./keyspace.js";
export { WriteAheadLog, type WalAppendOptions, type WalReadRange, type WalRecord, type WriteAheadLogOptions } from "./write-ahead-log.js";
export {
  EventLog,
  type EventLogAppend,
  type EventLogOptions,
  type EventRecord,
  type RetentionOptions,
  type StoredEvent,
} from "./event-log.js";
export { SnapshotStore, type Snapshot, type SnapshotSaveOptions, type SnapshotStoreOptions } from "./snapshot-store.js";
export { CheckpointStore, type Checkpoint, type CheckpointStoreOptions } from "./checkpoint-store.js";
export {
  GroupCommitQueue,
  type GroupCommit,
  type GroupCommitQueueOptions,
  type GroupCommitSink,
  type OfferResult,
} from "./group-commit-queue.js";
export {
  DURABILITIES,
  LocalDurableSpool,
  type Durability,
  type LocalDurableSpoolOptions,
  type ReplayOptions,
  type SpoolInvalid,
  type SpoolRecord,
} from "./local-durable-spool.js";
export { MAX_OFFSET_KEY, MIN_OFFSET_KEY, isOffset, offsetKey, offsetOfKey } from "./offset-key.js";
export { decodeRecordEnvelope, encodeRecordEnvelope, type RecordEnvelope } from "./record-envelope.js";
export { isLevelDatabase, type LevelDatabase } from "./level-database.js";
export * from "./state/index.js";
export * from "./handoff/index.js";
