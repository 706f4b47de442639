export { LegoError, isLegoError, messageOf, type LegoErrorCode, type LegoErrorOptions } from "./lego-error.js";
export {
  legoMeter,
  legoOf,
  withLego,
  type HasLego,
  type LegoDescriptor,
  type LegoMeter,
  type LegoObservable,
  type LegoOperator,
  type MonoLegoOperator,
} from "./lego-descriptor.js";
export { Deadline, deadline, isDeadline, type DeadlineClock } from "./deadline.js";
export { TTL, ttl } from "./ttl.js";
