import { fork, type ChildProcess } from "node:child_process";
import { timer } from "rxjs";
import type { NodeCommand, NodeReport } from "./fleet-plan.js";

export type NodeRole = "worker" | "aggregator";
export type NodeState = "starting" | "up" | "killed" | "paused" | "stopped";
type StatusReport = Extract<NodeReport, { type: "status" }>;

/** What the fleet hears from a node besides its status reports. */
export interface NodeListener {
  /** An event line or an `at-write`. */
  message(node: FleetNode, message: Exclude<NodeReport, StatusReport>): void;
  /** The process ended without being killed or stopped by the fleet. */
  exited(node: FleetNode, code: number | null, signal: NodeJS.Signals | null): void;
}

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
  readonly #listener: NodeListener;
  readonly #retired: Record<string, number> = {};
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #stopping = false;
  readonly pids: number[] = [];

  constructor(id: string, role: NodeRole, args: readonly string[], listener: NodeListener) {
    this.id = id;
    this.role = role;
    this.#args = args;
    this.#listener = listener;
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
      if (message.type !== "status") {
        this.#listener.message(this, message);
        return;
      }
      this.last = message;
      if (this.state === "starting") this.state = "up";
    });
    this.#exited = new Promise((resolve) => child.once("exit", () => { resolve(); }));
    child.once("exit", (code, signal) => {
      if (this.#child !== child || this.state === "killed" || this.state === "stopped") return;
      this.state = "stopped";
      if (!this.#stopping) this.#listener.exited(this, code, signal);
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

  /** Sends `command` over the IPC channel (dropped when the process is gone). */
  send(command: NodeCommand): void {
    if (this.#child?.connected === true) this.#child.send(command);
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
    this.#stopping = true;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGCONT");
    child.kill("SIGTERM");
    const deadline = timer(STOP_GRACE).subscribe(() => child.kill("SIGKILL"));
    await this.#exited;
    deadline.unsubscribe();
    this.state = "stopped";
  }
}
