import type { LegoEntry } from "../types.js";

/**
 * The seed's Durable State family plus LocalDurableSpool (from the dependency
 * graph and the Local Sensor IO slice): state that outlives the process.
 * In this library the disk is LevelDB through `level`.
 */
export const DURABLE: readonly LegoEntry[] = [
  {
    name: "ByteStore",
    role: "persistence",
    layer: "durable",
    families: ["Durable State"],
    contract:
      "Ordered key-to-bytes storage with get, put, delete, atomic batches and range iteration in key order; here LevelDB through level (classic-level on disk, memory-level in tests).",
    requires: ["Bytes", "Key", "Read", "Write", "Delete", "Scan"],
    provides: ["Durable", "Atomic", "Read", "Write", "Delete", "Scan"],
    inputs: ["puts, deletes and batches", "reads and range scans"],
    outputs: ["values and ordered iterators"],
    state: "Everything written, on disk (LSM files plus a write-ahead journal).",
    failureSemantics:
      "A write handed to the OS survives a process crash; only a synced write survives power loss. A batch is all-or-nothing. One process at a time may open a LevelDB directory (it is locked), so a second opener fails instead of corrupting it.",
    compositionRules: "Divided into Keyspace namespaces; under WriteAheadLog, SnapshotStore and every durable lego here.",
    operationalKnobs: ["location", "sync per write", "cache and write-buffer size", "compression"],
  },
  {
    name: "Keyspace",
    role: "persistence",
    layer: "durable",
    families: ["Durable State"],
    contract:
      "A named sublevel of a ByteStore with text keys and byte values: read, write, delete, atomic batches and ordered scans by prefix or range, streamed in chunks so a large keyspace reads in constant memory. Keyspaces nest (child(name)), and a batch across keyspaces of one database is one atomic write.",
    requires: ["ByteStore", "Key"],
    provides: ["Read", "Write", "Delete", "Scan", "Atomic"],
    inputs: ["keys and byte values", "scan ranges"],
    outputs: ["values", "entries in key order"],
    state: "Its prefix within the root database; the data itself is in the ByteStore.",
    failureSemantics:
      "Separation is by key prefix only: code holding the root database can still read and overwrite a keyspace's keys; a closed database fails operations with a STORE_CLOSED LegoError rather than hanging.",
    compositionRules: "Holds the records of WriteAheadLog, the snapshots of SnapshotStore and the entries of IdempotencyStore-like stores; one per component or tenant.",
    operationalKnobs: ["name", "nesting"],
  },
  {
    name: "ObjectStore",
    role: "persistence",
    layer: "durable",
    families: ["Durable State"],
    contract:
      "Stores whole objects (metadata plus body) under keys with put, get, list and delete; each put replaces the object at once, there are no partial updates.",
    requires: ["Key", "Bytes", "List"],
    provides: ["Durable"],
    inputs: ["objects with metadata"],
    outputs: ["whole objects", "listings by prefix"],
    state: "The objects and their metadata.",
    failureSemantics:
      "An upload that fails midway leaves nothing visible rather than half an object; listings on eventually consistent stores may lag the latest puts.",
    compositionRules: "Keeps exported spool segments, snapshots and reports off the device; large bodies go to BlobStore.",
    operationalKnobs: ["multipart threshold", "storage class", "lifecycle rules"],
  },
  {
    name: "BlobStore",
    role: "persistence",
    layer: "durable",
    families: ["Durable State"],
    contract:
      "Stores large immutable binary blobs addressed by id or content hash, streamed in and out rather than held in memory.",
    requires: ["Bytes", "Checksum"],
    provides: ["Durable"],
    inputs: ["byte streams"],
    outputs: ["blob ids or hashes", "byte streams on read"],
    state: "The blobs and their reference metadata.",
    failureSemantics:
      "Content-addressed writes are naturally idempotent (same bytes, same address); garbage collection of unreferenced blobs must not race a writer that is about to reference one.",
    compositionRules: "Referenced from EventLog records and MetadataStore entries instead of storing large payloads inline.",
    operationalKnobs: ["chunk size", "hash algorithm", "garbage-collection grace period"],
  },
  {
    name: "DurableCell",
    role: "persistence",
    layer: "durable",
    families: ["Durable State"],
    contract: "One durable value with atomic replace: after a write succeeds, every read, including after a restart, returns that value until the next write.",
    requires: ["Keyspace", "Read", "Write"],
    provides: ["Durable"],
    inputs: ["a new value"],
    outputs: ["the current value"],
    state: "One value.",
    failureSemantics:
      "A crash during a write leaves the old value or the new one, never a mix; concurrent writers overwrite each other without notice, which VersionedRegister prevents.",
    compositionRules: "Holds a single setting, cursor or token; extended with a version by VersionedRegister.",
    operationalKnobs: ["sync writes"],
  },
  {
    name: "VersionedRegister",
    role: "coordination",
    layer: "durable",
    families: ["Durable State"],
    contract:
      "A DurableCell whose writes state the Version they expect to replace: a write against a stale version fails, so no concurrent update is silently lost.",
    requires: ["DurableCell", "Version", "CompareAndSwap"],
    provides: ["Atomic"],
    inputs: ["conditional writes (expected version, new value)"],
    outputs: ["the value with its version", "success or a conflict"],
    state: "One value and its version.",
    failureSemantics:
      "Conflicts are the normal outcome under contention: read, recompute, retry; a crash between the read and the conditional write just leaves the old value in place.",
    compositionRules: "The record behind Lease grants and MetadataStore entries; conflicts decided by ConflictPolicy.",
    operationalKnobs: ["retry limit on conflict"],
  },
  {
    name: "WriteAheadLog",
    role: "persistence",
    layer: "durable",
    families: ["Durable State"],
    contract:
      "An append-only log of byte records at consecutive integer offsets from 0, kept in a Keyspace under fixed-width keys: appends run one at a time so offsets never have gaps, a failed append stores nothing, and on open one reverse seek finds the last offset so numbering continues after a restart.",
    requires: ["Keyspace", "Append", "SequenceNumber"],
    provides: ["Durable", "Ordered", "Append"],
    inputs: ["batches of byte records", "sync flag"],
    outputs: ["the first offset of each appended batch", "records in offset order on read"],
    state: "The records on disk and the next offset in memory.",
    failureSemantics:
      "After a crash it holds every record whose append completed (with sync, even across power loss); a batch being appended at the crash is either wholly present or absent, never torn.",
    compositionRules: "Under EventLog and LocalDurableSpool; trimmed by RetentionPolicy; what a state machine writes before applying a change.",
    operationalKnobs: ["sync per append", "batch size"],
  },
  {
    name: "EventLog",
    role: "persistence",
    layer: "durable",
    families: ["Durable State"],
    contract:
      "An append-only, replayable log of typed values on a WriteAheadLog: each record is an envelope of offset, appendedAt (from the clock) and the codec's bytes; offsets are consecutive from 0 and survive restarts; retention trims the oldest records by count or age.",
    requires: ["WriteAheadLog", "Envelope"],
    provides: ["Durable", "Replayable", "Ordered", "Append"],
    inputs: ["values to append", "read ranges"],
    outputs: ["{ offset, value, appendedAt } records", "an appended$ notification per append"],
    state: "The enveloped records and the retention bookkeeping.",
    failureSemantics:
      "Records are immutable once appended, so corrections are new records; readers keep their own position (CheckpointStore), which means a crashed reader replays from its checkpoint and sees some records twice.",
    compositionRules: "The log under DurableQueue, Outbox, Inbox, Consensus, Replicator and MaterializedView; LocalDurableSpool records and replays streams through it.",
    operationalKnobs: ["codec", "retention (maxEntries, maxAge)", "sync"],
  },
  {
    name: "SnapshotStore",
    role: "persistence",
    layer: "durable",
    families: ["Durable State"],
    contract:
      "Named snapshots of some state in a Keyspace: save(id, state) atomically replaces the previous snapshot of that id, load(id) returns the latest with when it was saved and, optionally, the log offset it reflects, so recovery loads it and replays only later records.",
    requires: ["Keyspace", "Offset"],
    provides: ["Durable"],
    inputs: ["state to save, with an optional offset"],
    outputs: ["the latest snapshot per id"],
    state: "One encoded snapshot per id.",
    failureSemantics:
      "A save is one atomic write, so a crash leaves the previous snapshot or the new one, never half; state not captured in a snapshot must be rebuildable from the log after its offset.",
    compositionRules: "Under CheckpointStore and Consensus log compaction; paired with EventLog for snapshot-plus-replay recovery.",
    operationalKnobs: ["codec", "sync"],
  },
  {
    name: "CheckpointStore",
    role: "recovery",
    layer: "durable",
    families: ["Durable State"],
    contract:
      "Named consumer positions kept as snapshots: a consumer commits the offset of the last record it finished, and after a restart resumes at nextOffset(name), the record after it.",
    requires: ["SnapshotStore", "Offset"],
    provides: ["Durable"],
    inputs: ["commits of (consumer name, offset)"],
    outputs: ["the committed offset and the next offset to read"],
    state: "One committed offset per consumer name.",
    failureSemantics:
      "Commit after processing and a crash between processing and commit replays that record (at-least-once); commit before and the record may be skipped (at-most-once).",
    compositionRules: "Next to LocalDurableSpool.replay and EventLog readers; a part of DurableQueue and Workflow; used by Rebalancer to resume moves.",
    operationalKnobs: ["commit interval", "sync"],
  },
  {
    name: "MetadataStore",
    role: "coordination",
    layer: "durable",
    families: ["Durable State"],
    contract:
      "A small, strongly consistent store of control data (routes, partition maps, configuration, flags) that many components read and few write, with versioned updates and change notifications.",
    requires: ["Keyspace", "VersionedRegister"],
    provides: ["Observable"],
    inputs: ["versioned updates from control-plane writers"],
    outputs: ["current entries and change notifications"],
    state: "Small versioned records.",
    failureSemantics:
      "Readers cache it, so a stale cache must be caught by version or epoch at the point of use; it is not for bulk data, which overloads it and slows every reader.",
    compositionRules: "Holds what Router, PartitionMap and FeatureFlag read; replicated with Consensus when shared by a cluster.",
    operationalKnobs: ["watch or poll interval", "cache TTL"],
  },
  {
    name: "IdempotencyStore",
    role: "recovery",
    layer: "durable",
    families: ["Durable State"],
    contract:
      "Remembers per RequestId that an operation ran and what it returned, so a retried request gets the stored Result instead of running again.",
    requires: ["Keyspace", "RequestId", "Result", "TTL"],
    provides: ["Idempotent"],
    inputs: ["request ids with their results"],
    outputs: ["the stored result for a repeated request"],
    state: "RequestId → result (or in-progress marker) with an expiry.",
    failureSemantics:
      "The record and the operation's effect must be written atomically; written separately, a crash between them either loses the effect or repeats it. After the TTL a retry runs again.",
    compositionRules: "Part of Outbox and Workflow; the server half of Idempotent; keyed by the client's RequestId.",
    operationalKnobs: ["TTL", "in-progress timeout"],
  },
  {
    name: "DeduplicationStore",
    role: "recovery",
    layer: "durable",
    families: ["Durable State"],
    contract: "Remembers which MessageIds were processed within a window, so redelivered copies are recognised and dropped.",
    requires: ["Keyspace", "MessageId", "TTL"],
    provides: [],
    inputs: ["MessageIds of processed messages"],
    outputs: ["seen or new"],
    state: "Processed MessageIds with their expiry.",
    failureSemantics:
      "A window shorter than the longest redelivery delay lets late duplicates through; marking a message seen separately from its effect reopens the crash gap.",
    compositionRules: "Part of Inbox; consulted by consumers of DurableQueue and Transport.",
    operationalKnobs: ["window (TTL)", "maximum entries"],
  },
  {
    name: "TombstoneStore",
    role: "replication",
    layer: "durable",
    families: ["Durable State"],
    contract:
      "Records deletions as markers kept long enough for every replica and every compaction to learn about them, so deleted data does not come back.",
    requires: ["Keyspace", "Delete", "TTL"],
    provides: [],
    inputs: ["deletions with their version or time"],
    outputs: ["markers that override older values during merge and repair"],
    state: "Tombstones with their creation time.",
    failureSemantics:
      "Purging a tombstone before every replica has seen it resurrects the deleted value the next time anti-entropy runs.",
    compositionRules: "Consulted by AntiEntropyRepair, Replicator and compaction under CompactionPolicy.",
    operationalKnobs: ["grace period before purge"],
  },
  {
    name: "MaterializedView",
    role: "persistence",
    layer: "durable",
    families: ["Durable State"],
    contract: "A query-shaped table derived from an event log, updated as events arrive and rebuildable from scratch by replay.",
    requires: ["EventLog", "CheckpointStore", "Keyspace"],
    provides: ["Read"],
    inputs: ["events from the log"],
    outputs: ["query results"],
    state: "The derived rows and the offset they reflect.",
    failureSemantics:
      "It lags the log (eventually consistent); its rows and the offset they reflect must be written in one batch, or a crash double-applies or skips events.",
    compositionRules: "Built from EventLog with Deterministic processing; rebuilt after a schema change by replaying from offset 0.",
    operationalKnobs: ["update batch size", "rebuild strategy"],
  },
  {
    name: "LocalDurableSpool",
    role: "persistence",
    layer: "durable",
    families: ["Sensor IO"],
    contract:
      "Records a stream to LevelDB before passing items on: LocalDurableSpool.open({ location | db, name, codec?, durability?, retention? }) resolves to a spool whose record() operator appends each item durably and then emits it, and whose replay({ from?, follow? }) emits { offset, value, appendedAt } from consecutive offsets starting at 0 (from is inclusive); close() ends it.",
    requires: ["EventLog", "Keyspace", "DurabilityPolicy", "Schema"],
    provides: ["Durable", "Replayable", "Ordered", "AtLeastOnce"],
    inputs: ["the items of a stream", "replay requests"],
    outputs: ["the same items, each after it is stored", "replayed records"],
    state: "An EventLog on disk, its checkpoints, and up to maxPending items waiting for disk.",
    failureSemantics:
      "A killed process loses no item that record() already passed downstream; with durability 'sync' (fsync with group commit) that also holds across power loss, with 'relaxed' only across process crashes. A failed append errors the stream with SPOOL_WRITE_FAILED and emits nothing it did not store; open() rejects with SPOOL_LOCKED while another process holds the location.",
    compositionRules:
      "After a source and its filters, before anything that may be offline (upload, network); consumers of replay() resume from a CheckpointStore; the durable end of the demo's UART pipeline.",
    operationalKnobs: ["location or db", "name", "codec (default JSON)", "durability sync | relaxed", "retention", "maxPending with overflow policy"],
  },
];
