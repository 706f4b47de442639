import type { LegoEntry } from "../types.js";

/**
 * The seed's Communication And Handoff family (Bridge, PubSub and Mailbox
 * are with the local runtime): how work moves from producer to consumer
 * without being lost, duplicated unnoticed, or stuck.
 */
export const HANDOFF: readonly LegoEntry[] = [
  {
    name: "AckTracker",
    role: "handoff",
    layer: "local",
    families: ["Communication And Handoff"],
    contract:
      "Tracks every delivered but unacknowledged message and computes the highest offset below which everything is acknowledged, the only position that is safe to checkpoint.",
    requires: ["Ack", "Nack", "Offset", "MessageId"],
    provides: ["AtLeastOnce"],
    inputs: ["deliveries", "acks and nacks, in any order"],
    outputs: ["the contiguous acknowledged watermark", "messages to redeliver"],
    state: "In-flight message ids or offsets with delivery time and attempt count; the current watermark.",
    failureSemantics:
      "Acks arrive out of order, so the watermark only moves over a contiguous acknowledged prefix; after a crash everything past the checkpointed watermark is redelivered, including messages that were acked but not yet covered.",
    compositionRules: "A part of DurableQueue; its watermark goes to a CheckpointStore; VisibilityDeadline tells it which deliveries lapsed.",
    operationalKnobs: ["maximum in-flight messages", "ack batching interval"],
  },
  {
    name: "VisibilityDeadline",
    role: "handoff",
    layer: "local",
    families: ["Communication And Handoff"],
    contract:
      "Hides a delivered message from other consumers until a deadline; the consumer acks before it or renews it, otherwise the message becomes visible again and is redelivered.",
    requires: ["Deadline", "Timer", "Reserve", "Renew"],
    provides: [],
    inputs: ["deliveries", "renewals and acks"],
    outputs: ["messages made visible again when their deadline passes"],
    state: "The deadline of each in-flight message.",
    failureSemantics:
      "A consumer slower than the deadline that does not renew causes a second delivery while it is still working, so processing must be Idempotent; a crashed consumer's messages come back after one deadline.",
    compositionRules: "A part of DurableQueue and WorkQueue; a lease on a message, without fencing.",
    operationalKnobs: ["visibility timeout ms", "maximum renewals"],
  },
  {
    name: "PriorityQueue",
    role: "handoff",
    layer: "local",
    families: ["Communication And Handoff"],
    contract: "Serves the item of highest priority first and, within one priority, the oldest first.",
    requires: ["Queue", "Priority", "PriorityPolicy"],
    provides: [],
    inputs: ["items with a priority"],
    outputs: ["items in priority order"],
    state: "The items, ordered by priority then arrival (typically a heap per class or one heap with a tiebreak).",
    failureSemantics:
      "Low priorities starve under sustained high-priority load unless the PriorityPolicy ages them; in memory its contents vanish on a crash.",
    compositionRules: "In front of a WorkerPool; a durable version stores the priority with the message in a DurableQueue.",
    operationalKnobs: ["number of levels", "aging", "capacity"],
  },
  {
    name: "DelayQueue",
    role: "handoff",
    layer: "local",
    families: ["Communication And Handoff"],
    contract: "Holds each item until its due time and then hands it out, in due-time order.",
    requires: ["Queue", "Timer", "Deadline"],
    provides: [],
    inputs: ["items with a due time or delay"],
    outputs: ["items once due"],
    state: "Items ordered by due time and the timer for the earliest.",
    failureSemantics:
      "Items come out at or after their due time, never before, and late under load; in memory they are lost on a crash, which is why RetryQueue stores due times durably.",
    compositionRules: "Schedules redeliveries for RetryQueue and delayed Nack; driven by Timer on the injected clock.",
    operationalKnobs: ["timer resolution", "capacity"],
  },
  {
    name: "DurableQueue",
    role: "handoff",
    layer: "durable",
    families: ["Communication And Handoff"],
    contract:
      "A queue whose messages survive crashes: enqueue appends to an EventLog, each delivery is hidden behind a VisibilityDeadline, acks advance a checkpoint, failed deliveries are retried, and a message that exhausts its retries moves to a dead-letter queue.",
    requires: ["EventLog", "CheckpointStore", "AckTracker", "VisibilityDeadline", "RetryLoop"],
    provides: ["Durable", "AtLeastOnce", "Ack", "Nack"],
    inputs: ["enqueued messages", "acks and nacks from consumers"],
    outputs: ["deliveries", "dead-lettered messages"],
    state: "The log of messages, the acknowledged checkpoint, in-flight deliveries with deadlines, and delivery counts.",
    failureSemantics:
      "A consumer crash brings its unacked messages back after their visibility deadline (at-least-once, so consumers dedupe); a broker crash keeps every acknowledged enqueue; a poison message ends in the dead-letter queue instead of blocking the rest.",
    compositionRules: "The base of RetryQueue, DeadLetterQueue and WorkQueue; consumed by Worker; part of Workflow; pair with Inbox for exactly-once effects.",
    operationalKnobs: ["visibility timeout", "maximum deliveries before dead-lettering", "retention", "durability"],
    parts: ["EventLog", "CheckpointStore", "AckTracker", "VisibilityDeadline", "RetryLoop", "DeadLetterQueue"],
  },
  {
    name: "RetryQueue",
    role: "recovery",
    layer: "durable",
    families: ["Communication And Handoff"],
    contract:
      "Parks a failed message durably until its next attempt is due according to a BackoffPolicy, then delivers it again, so retries neither block the main queue nor hammer the failing dependency.",
    requires: ["DurableQueue", "BackoffPolicy", "RetryPolicy", "Deadline"],
    provides: [],
    inputs: ["failed messages with their attempt count"],
    outputs: ["messages redelivered when due", "messages sent on to dead-lettering when attempts run out"],
    state: "Parked messages with their due time and attempt number.",
    failureSemantics:
      "Retried messages overtake or fall behind their neighbours, so ordering is lost for them; after the RetryPolicy's attempts a message goes to the DeadLetterQueue, never around in circles.",
    compositionRules: "Between a consumer's Nack and the DeadLetterQueue; often one retry queue per delay tier.",
    operationalKnobs: ["backoff schedule", "maximum attempts", "delay tiers"],
  },
  {
    name: "DeadLetterQueue",
    role: "recovery",
    layer: "durable",
    families: ["Communication And Handoff"],
    contract:
      "Holds messages that could not be processed (retries exhausted, undecodable, rejected) together with the reason and delivery history, for inspection and deliberate replay.",
    requires: ["DurableQueue"],
    provides: ["Durable"],
    inputs: ["messages given up on, with the reason"],
    outputs: ["messages for inspection or redrive"],
    state: "The dead messages, their errors and attempt history.",
    failureSemantics:
      "A dead-letter queue nobody watches is silent data loss with extra steps: alert on its depth, and make redrive idempotent because redriven messages may have been partly processed.",
    compositionRules: "The final stop of DurableQueue and RetryQueue; redriven into the original queue after a fix.",
    operationalKnobs: ["retention", "depth alert threshold"],
  },
  {
    name: "WorkQueue",
    role: "execution",
    layer: "durable",
    families: ["Communication And Handoff"],
    contract:
      "Distributes tasks among competing workers: each task is delivered to one worker at a time and removed only when that worker acks it.",
    requires: ["DurableQueue", "ConcurrencyPolicy"],
    provides: ["AtLeastOnce"],
    inputs: ["tasks", "acks from workers"],
    outputs: ["one delivery per task at a time"],
    state: "Pending and in-flight tasks.",
    failureSemantics:
      "A worker that dies mid-task lets the task's visibility deadline lapse and another worker runs it again, so tasks must tolerate a second run.",
    compositionRules: "Consumed by Worker and WorkerPool; fed by Workflow steps and Outbox relays.",
    operationalKnobs: ["visibility timeout", "per-worker prefetch", "maximum deliveries"],
  },
  {
    name: "Outbox",
    role: "handoff",
    layer: "durable",
    families: ["Communication And Handoff"],
    contract:
      "Writes an outgoing message in the same atomic batch as the state change that caused it; a relay later publishes from the outbox, so a message is sent if and only if the change committed.",
    requires: ["EventLog", "IdempotencyStore"],
    provides: ["AtLeastOnce", "Atomic"],
    inputs: ["a state change and the messages it implies"],
    outputs: ["messages published by the relay"],
    state: "Unsent and sent messages with their ids; the relay's position.",
    failureSemantics:
      "The relay can publish a message twice (crash after publishing, before marking it sent), so receivers must deduplicate by MessageId, typically with an Inbox.",
    compositionRules: "Pairs with Inbox on the receiving side; publishes to Transport, PubSub or a DurableQueue.",
    operationalKnobs: ["relay poll interval", "batch size", "retention of sent messages"],
    parts: ["EventLog", "IdempotencyStore"],
  },
  {
    name: "Inbox",
    role: "handoff",
    layer: "durable",
    families: ["Communication And Handoff"],
    contract:
      "Records each received MessageId in the same atomic batch as the effect of processing it, so a redelivered message is recognised and skipped.",
    requires: ["EventLog", "DeduplicationStore"],
    provides: ["ExactlyOnceEffect"],
    inputs: ["at-least-once deliveries with MessageIds"],
    outputs: ["each message processed once"],
    state: "Processed MessageIds within the deduplication window.",
    failureSemantics:
      "Exactly-once holds only for effects inside the same atomic batch; a duplicate arriving after its id expired from the window is processed again.",
    compositionRules: "Receives what an Outbox or DurableQueue delivers; the consumer half of ExactlyOnceEffect.",
    operationalKnobs: ["deduplication window"],
    parts: ["EventLog", "DeduplicationStore"],
  },
  {
    name: "ConsumerGroup",
    role: "coordination",
    layer: "distributed",
    families: ["Communication And Handoff"],
    contract:
      "Divides a partitioned log among the current members of a group so that each partition is read by exactly one member at a time, with a committed offset per partition.",
    requires: ["Membership", "PartitionMap", "CheckpointStore", "Generation"],
    provides: ["Ordered", "AtLeastOnce"],
    inputs: ["group members joining and leaving", "offset commits"],
    outputs: ["partition assignments per member", "committed offsets"],
    state: "Membership, the current assignment and generation, committed offsets.",
    failureSemantics:
      "Every rebalance bumps the generation: commits from a member of an older generation are rejected, and partitions that moved mid-batch are re-read from their last commit (duplicates, not loss).",
    compositionRules: "Reads EventLog or ReplicatedLog partitions; commits through CheckpointStore; Rebalancer-like assignment from Membership views.",
    operationalKnobs: ["session timeout", "assignment strategy", "commit interval"],
  },
  {
    name: "Transport",
    role: "handoff",
    layer: "distributed",
    families: ["Communication And Handoff"],
    contract:
      "Moves framed messages between processes or nodes over connections, delivering what arrives intact and in order per connection and reporting connects and disconnects.",
    requires: ["Bytes", "NodeId", "Checksum"],
    provides: ["Publish", "Subscribe"],
    inputs: ["messages to send and a destination"],
    outputs: ["received messages", "connection events"],
    state: "Open connections and their send buffers.",
    failureSemantics:
      "Messages in flight when a connection drops are in an unknown state: senders retry over a new connection and receivers deduplicate; a partition looks exactly like a slow peer until a timeout says otherwise.",
    compositionRules: "Carries Consensus and Replicator traffic, Bridge output and Outbox relays; framed by DelimitedMessageBuffer-like framers; secured per SecurityPolicy.",
    operationalKnobs: ["connect and request timeouts", "reconnect backoff", "maximum frame size", "TLS"],
  },
];
