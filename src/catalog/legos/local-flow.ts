import type { LegoEntry } from "../types.js";

/**
 * Local legos that hold items or meter work: buffers, queues, rate and
 * concurrency limits (the Local Runtime and Flow Control families), plus the
 * seed's `Capacitor` from RateMatchedSensor's "Graph capacitor behavior".
 */
export const LOCAL_FLOW: readonly LegoEntry[] = [
  {
    name: "Buffer",
    role: "flow",
    layer: "local",
    families: ["Local Runtime", "Flow Control"],
    contract:
      "Holds items between a producer and a consumer that run at different moments or rates, in arrival order, until they are taken.",
    requires: [],
    provides: [],
    inputs: ["items from a producer"],
    outputs: ["the same items, later"],
    state: "The items held.",
    failureSemantics:
      "An unbounded buffer turns a slow consumer into memory exhaustion, so every buffer in this library has a capacity; contents are lost when the process exits.",
    compositionRules: "The base of RingBuffer, DoubleBuffer, DelimitedMessageBuffer and Pipe.",
    operationalKnobs: ["capacity"],
  },
  {
    name: "RingBuffer",
    role: "flow",
    layer: "local",
    families: ["Local Runtime", "Flow Control"],
    contract:
      "A fixed-capacity circular buffer: constant-time push and pop in FIFO order, memory that never grows past capacity, and an OverflowPolicy that decides what a push into a full buffer does.",
    requires: ["Buffer", "OverflowPolicy", "OrderingPolicy", "Capacity"],
    provides: ["Bounded", "Ordered"],
    inputs: ["pushed items"],
    outputs: ["popped items, oldest first", "drop and reject counts"],
    state: "Up to capacity items in a preallocated array, with head index and count.",
    failureSemantics:
      "When full it loses or refuses data according to its policy and counts it; it holds data in memory only, so use LocalDurableSpool where items must survive a crash.",
    compositionRules: "Implemented here by BoundedRingBuffer; the store of RateMatchedSensor and SensorDebugTap history.",
    operationalKnobs: ["capacity", "overflow policy"],
  },
  {
    name: "BoundedRingBuffer",
    role: "flow",
    layer: "local",
    families: [],
    contract:
      "This library's RingBuffer: new BoundedRingBuffer({ capacity, overflow = 'drop_oldest', group }) with push(item): boolean, pop(), peek(), drain(), clear(), size, isFull and oldest-first iteration. drop_oldest evicts the head, drop_newest and reject refuse the newcomer (push returns false), latest empties the buffer before each push. It never allocates after construction.",
    requires: ["Buffer", "Capacity", "OverflowPolicy"],
    provides: ["RingBuffer", "Bounded", "Ordered"],
    inputs: ["push(item)"],
    outputs: ["pop() and drain() results", "dropped and rejected counters"],
    state: "A preallocated slot array, head and count, and the dropped (drop_oldest, drop_newest, latest) and rejected (reject) counters.",
    failureSemantics:
      "Nothing throws at runtime: a push that was not stored returns false and bumps a counter, so loss is read from dropped and rejected; capacity that is not a positive integer is a RangeError at construction.",
    compositionRules: "Owned one per subscription by rateMatch (capacity 1 with latest, or capacity n with drop_oldest for fifo); adopts its owner's group.",
    operationalKnobs: ["capacity (positive integer)", "overflow: drop_oldest | drop_newest | reject | latest", "group"],
  },
  {
    name: "Queue",
    role: "handoff",
    layer: "local",
    families: ["Local Runtime"],
    contract:
      "A FIFO of items where each item is taken by exactly one consumer (unlike PubSub, where each subscriber receives every item).",
    requires: ["Buffer"],
    provides: ["Ordered"],
    inputs: ["enqueued items"],
    outputs: ["dequeued items, one consumer each"],
    state: "The items in arrival order.",
    failureSemantics: "In memory it loses everything on a crash and grows without limit unless bounded; competing consumers see items in order but may finish them out of order.",
    compositionRules: "Bounded as BoundedQueue, ordered differently as PriorityQueue and DelayQueue, made crash-safe as DurableQueue; the body of Mailbox.",
    operationalKnobs: ["ordering policy"],
  },
  {
    name: "BoundedQueue",
    role: "flow",
    layer: "local",
    families: ["Local Runtime", "Flow Control"],
    contract:
      "A Queue with a capacity: when full, offering an item waits for space (backpressure), is rejected, or evicts another item according to its OverflowPolicy.",
    requires: ["Queue", "Capacity", "OverflowPolicy"],
    provides: ["Bounded"],
    inputs: ["offers from producers"],
    outputs: ["items for consumers", "rejections or waits when full"],
    state: "Up to capacity items, and waiting producers when blocking.",
    failureSemantics:
      "Blocking producers propagates backpressure but can deadlock when the consumer waits on the producer; rejecting pushes the decision back to the caller, who must handle it.",
    compositionRules: "The in-memory stage before a Worker or Semaphore-limited consumer; the front of FlowControl.",
    operationalKnobs: ["capacity", "block, reject or evict", "maximum wait for a free slot"],
  },
  {
    name: "TokenBucket",
    role: "flow",
    layer: "local",
    families: ["Local Runtime", "Flow Control"],
    contract:
      "Holds up to a burst of tokens refilled at a fixed rate from a Clock; an action of cost c proceeds only if c tokens are there and takes them, so the long-run rate is bounded while short bursts pass.",
    requires: ["Clock", "RatePolicy"],
    provides: ["Bounded"],
    inputs: ["take(cost) requests", "the clock"],
    outputs: ["granted or denied (with the time until enough tokens)"],
    state: "Token count and time of the last refill; refill is computed from elapsed time on each request, no timer needed.",
    failureSemantics:
      "A forward clock jump grants a full burst at once and a backward jump must be clamped to zero refill; one bucket per process does not limit a whole cluster.",
    compositionRules: "The engine of RateLimiter; charged with Cost; configured by RatePolicy.",
    operationalKnobs: ["refill rate", "burst capacity", "initial tokens"],
  },
  {
    name: "Semaphore",
    role: "flow",
    layer: "local",
    families: ["Local Runtime", "Flow Control"],
    contract: "Allows at most N concurrent holders: acquire takes a permit (waiting or failing when none is free), release returns it.",
    requires: ["Capacity", "ConcurrencyPolicy"],
    provides: ["Bounded", "Reserve", "Release"],
    inputs: ["acquire and release calls"],
    outputs: ["permits", "queued or rejected acquirers"],
    state: "Free permit count and the queue of waiters.",
    failureSemantics:
      "A holder that crashes or forgets to release leaks its permit forever; release in teardown, and across processes use expiring permits (Lease) instead.",
    compositionRules: "Enforces ConcurrencyPolicy in WorkerPool and FlowControl; with one permit it is a local mutex (Exclusive).",
    operationalKnobs: ["permits", "maximum waiters", "acquire timeout"],
  },
  {
    name: "RateLimiter",
    role: "flow",
    layer: "local",
    families: ["Local Runtime", "Flow Control"],
    contract:
      "Keeps operations within a RatePolicy by charging each its Cost against a TokenBucket: within the rate it passes at once, beyond it the operation is delayed or rejected.",
    requires: ["TokenBucket"],
    provides: ["Bounded"],
    inputs: ["operations with a cost"],
    outputs: ["operations released at the allowed rate", "rejections with a retry-after hint"],
    state: "The bucket's tokens and the queue of delayed operations.",
    failureSemantics:
      "A limiter that only delays lets its queue grow under sustained overload, so cap the wait and reject beyond it; limits per process add up across a fleet.",
    compositionRules: "In front of a dependency with quotas; per tenant with FairnessPolicy; after AdmissionPolicy at a service edge.",
    operationalKnobs: ["rate", "burst", "maximum wait", "delay or reject"],
    parts: ["TokenBucket", "Clock", "RatePolicy", "Cost"],
  },
  {
    name: "FlowControl",
    role: "flow",
    layer: "local",
    families: ["Flow Control"],
    contract:
      "Keeps a producer from overrunning a consumer across a link: the receiver grants credit (a window of items or bytes), the sender stops when the credit is spent and resumes as the receiver grants more.",
    requires: ["Capacity", "Cost", "Ack"],
    provides: ["Bounded"],
    inputs: ["credit grants from the receiver", "items to send with their cost"],
    outputs: ["items sent within the granted window"],
    state: "Remaining credit on the sender; granted-but-unused credit on the receiver.",
    failureSemantics:
      "A lost credit update stalls the link until credit is re-announced, so grants must be resent periodically; a sender that ignores credit turns into drops at the receiver.",
    compositionRules: "Sits on Transport and Pipe; the receiver's window comes from a BoundedQueue; AdmissionPolicy and ConcurrencyPolicy decide the window size.",
    operationalKnobs: ["window size", "credit re-announce interval"],
  },
  {
    name: "Sampler",
    role: "flow",
    layer: "local",
    families: ["Local Runtime"],
    contract: "Reduces a stream by keeping some of its items: every n-th, one per interval (the first or the latest), or each with probability p.",
    requires: ["Clock"],
    provides: ["AtMostOnce"],
    inputs: ["a stream of items"],
    outputs: ["the kept subset"],
    state: "The item count or the current interval's candidate.",
    failureSemantics: "Drops data by design; a random sampler needs an injectable random source or its tests cannot be reproduced.",
    compositionRules: "Before MetricSample export and debug taps; RateMatchedSensor is a demand-driven alternative that keeps the latest value.",
    operationalKnobs: ["interval ms or n", "first or latest per interval", "probability"],
  },
  {
    name: "Capacitor",
    role: "flow",
    layer: "local",
    families: [],
    group: "RateMatchedSensor",
    contract:
      "A behaviour installed on a Graph edge that stores values from a fast producer and releases one per demand pulse from the consumer, decoupling the two rates.",
    requires: ["Graph", "RingBuffer"],
    provides: ["Bounded"],
    inputs: ["values from the producer", "demand pulses"],
    outputs: ["at most one stored value per pulse"],
    state: "The stored values (one with 'latest', up to capacity with 'fifo').",
    failureSemantics:
      "Overflow drops the oldest stored value; a pulse with nothing stored releases nothing rather than repeating an old value; the charge is lost when the process exits.",
    compositionRules: "Installed by RateMatchedSensor, which names it <group>.rate_matched_sensor when given no name.",
    operationalKnobs: ["capacity", "mode latest | fifo"],
  },
];
