/**
 * manyfold-rx: distributed-systems legos as RxJS 7 operators and Observable
 * factories. Re-exports only, grouped by catalog layer, lowest first.
 */

// Atoms: errors and lego descriptors.
export * from "./atom/index.js";
// Time: Clock, SystemClock, ManualClock.
export * from "./time/index.js";
// Policies: retry, backoff, overflow.
export * from "./policy/index.js";
// Local runtime: buffers, counters, filters, retry, rate matching, watchdog, framing, schema.
export * from "./local/index.js";
// Sensor IO: sensor types, codecs, framing decoders, health, debug tap, sources, peripherals.
export * from "./sensor/index.js";
// Ports: the interfaces that storing and moving legos are written against (DESIGN.md §5).
export * from "./ports/index.js";
// Capabilities: Read, Write, Append, CompareAndSwap, Publish, Sign, Verify… as interfaces with runtime guards.
export * from "./capability/index.js";
// Durable: keyspace, write-ahead log, event log, snapshots, checkpoints, the local durable spool (LevelDB).
export * from "./durable/index.js";
// Distributed: coordination on the ports — leases, fencing, leader election, membership, failure detection, quorum.
export * from "./distributed/index.js";
// Catalog: the lego catalog as typed data, graph queries and renderers.
export * from "./catalog/index.js";
