import { fork, type ChildProcess } from "node:child_process";
import type { NodeReport } from "./fleet-plan.js";

export type NodeRole = "worker" | "aggregator";
export type NodeState = "starting" | "up" | "killed" | "paused" | "stopped";
type StatusReport = Extract<NodeReport, { type: "status" }>;

/** How long a node may take to exit on SIGTERM before it is killed, ms. */
const STOP_GRACE = 3_000;

/**
 * One worker or aggregator process of the fleet, started as
 * `manyfold fleet-node` with an IPC channel. It can be killed, paused,
 * resumed and restarted; its counters survive a restart (what a killed
 * process had counted is kept and added to the new one's).
 */
export class FleetNode {
  readonly id: string;
  readonly role: NodeRole;
  state: NodeState = "starting";
  last: StatusReport | undefined;
  readonly #args: readonly string[];
  readonly #onEvent: (report: Extract<NodeReport, { type: "event" }>) => void;
  readonly #retired: Record<string, number> = {};
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  readonly pids: number[] = [];

  constructor(id: string, role: NodeRole, args: readonly string[], onEvent: (report: Extract<NodeReport, { type: "event" }>) => void) {
    this.id = id;
    this.role = role;
    this.#args = args;
    this.#onEvent = onEvent;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Counters of every incarnation of this node so far. */
  counts(): Record<string, number> {
    const total = { ...this.#retired };
    for (const [key, value] of Object.entries(this.last?.counts ?? {})) total[key] = (total[key] ?? 0) + value;
    return total;
  }

  start(): void {
    // The CLI runs itself (bin/manyfold.js, or a compiled main.js in tests) with the node's role.
    const child = fork(process.argv[1] ?? "", ["fleet-node", this.role, "--id", this.id, ...this.#args], {
      stdio: ["ignore", "ignore", "inherit", "ipc"],
    });
    this.#child = child;
    if (child.pid !== undefined) this.pids.push(child.pid);
    this.state = "starting";
    child.on("message", (message: NodeReport) => {
      if (message.type === "event") this.#onEvent(message);
      else {
        this.last = message;
        if (this.state === "starting") this.state = "up";
      }
    });
    this.#exited = new Promise((resolve) => child.once("exit", () => { resolve(); }));
    child.once("exit", () => {
      if (this.#child !== child) return;
      if (this.state !== "killed") this.state = "stopped";
    });
  }

  /** SIGKILL: the process dies mid-work; what it held goes back to the group after ack_wait. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (child === undefined) return;
    this.state = "killed";
    child.kill("SIGKILL");
    await this.#exited;
    for (const [key, value] of Object.entries(this.last?.counts ?? {})) this.#retired[key] = (this.#retired[key] ?? 0) + value;
    this.last = undefined;
  }

  pause(): void {
    this.#child?.kill("SIGSTOP");
    this.state = "paused";
  }

  resume(): void {
    this.#child?.kill("SIGCONT");
    this.state = "up";
  }

  /** SIGTERM (after SIGCONT, in case it is paused), then SIGKILL after a grace period. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGCONT");
    child.kill("SIGTERM");
    const timeout = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE);
    await this.#exited;
    clearTimeout(timeout);
    this.state = "stopped";
  }
}
