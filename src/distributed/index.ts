/**
 * Coordination legos written once on the ports (DESIGN.md §5): leases with
 * fencing tokens, leader election, heartbeats and membership, failure
 * detection, quorum helpers. They run on any VersionedRegister backend
 * (memory, LevelDB, NATS KV).
 */
export {
  FencingGuard,
  compareTokens,
  fence,
  fencingToken,
  isFencingToken,
  isStale,
  type FenceMode,
  type FenceOptions,
  type FencingGuardOptions,
  type FencingToken,
} from "./fencing-token.js";
export {
  fencedRegister,
  type FencedEntry,
  type FencedRecord,
  type FencedRegister,
  type FencedRegisterOptions,
} from "./fenced-register.js";
export {
  LeaseMachine,
  lease,
  type Lease,
  type LeaseHolder,
  type LeaseLossReason,
  type LeaseMachineOptions,
  type LeaseObservation,
  type LeaseOptions,
  type LeaseRecord,
  type LeaseStatus,
} from "./lease.js";
export { leaderElection, type Leader, type LeaderElection, type LeaderElectionOptions } from "./leader-election.js";
export {
  FailureDetector,
  failureDetector,
  phi,
  type FailureDetectorOperatorOptions,
  type FailureDetectorOptions,
  type FailureDetectorState,
} from "./failure-detector.js";
export {
  QuorumTally,
  faultTolerance,
  hasQuorum,
  isStrictQuorum,
  quorumSize,
  type MemberSet,
  type QuorumTallyOptions,
} from "./quorum.js";
export { MEMBERS_PREFIX, heartbeat, type HeartbeatBeat, type HeartbeatOptions, type MemberRecord } from "./heartbeat.js";
export {
  membership,
  type Member,
  type MemberStatus,
  type Membership,
  type MembershipEvent,
  type MembershipEventType,
  type MembershipOptions,
  type MembershipView,
} from "./membership.js";
