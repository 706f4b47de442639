export { systemClock, isClock, type Clock } from "./clock.js";
export { ManualClock, type ManualClockOptions } from "./manual-clock.js";
