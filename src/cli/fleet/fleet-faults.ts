import { LEASE_TTL } from "./fleet-plan.js";

/** A fault the fleet injects, and when (ms after the start). */
export interface FleetFault {
  readonly at: number;
  readonly kind: "kill-worker" | "restart-broker" | "unplug-device" | "pause-leader";
  readonly label: string;
  /** How long the fault lasts before it is undone (restart, replug, SIGCONT), ms. */
  readonly lasts: number;
}

/** The shortest run that fits every fault with time to see its effect, ms. */
export const MIN_FLEET_DURATION = 10_000;

/** The longest the leader stays paused waiting for the lease to move, ms. */
export const PAUSE_AT_MOST = 4 * LEASE_TTL;

/** How long the device is unplugged, ms. */
export const UNPLUG_FOR = 2_000;

/**
 * The schedule, as fractions of the run so a short run has every fault too.
 * The leader stays paused until another candidate holds the lease (at most
 * {@link PAUSE_AT_MOST}), so it wakes deposed; a restarted worker comes back
 * after 1.5 s.
 */
export function faultPlan(durationMs: number, brokerOwned: boolean): FleetFault[] {
  const at = (fraction: number): number => Math.round(durationMs * fraction);
  const plan: FleetFault[] = [
    { at: at(0.15), kind: "kill-worker", label: "SIGKILL worker-1 (restarted after 1.5 s)", lasts: 1_500 },
    { at: at(0.45), kind: "unplug-device", label: `unplug device-2 for ${UNPLUG_FOR / 1000} s`, lasts: UNPLUG_FOR },
    { at: at(0.55), kind: "pause-leader", label: `SIGSTOP the leader until the lease moves (at most ${PAUSE_AT_MOST / 1000} s)`, lasts: PAUSE_AT_MOST },
  ];
  if (brokerOwned) plan.push({ at: at(0.3), kind: "restart-broker", label: "restart the NATS server", lasts: 0 });
  return plan.sort((a, b) => a.at - b.at);
}
