import { asyncScheduler, timer } from "rxjs";
import type { FleetDevice } from "./fleet-device.js";
import type { FleetNode } from "./fleet-nodes.js";
import type { NodeReport } from "./fleet-plan.js";

/** A line of the run's story: faults, elections, recoveries. */
export interface FleetEvent {
  readonly atMs: number;
  readonly text: string;
  readonly kind: "fault" | "info" | "ok";
}

/** The running fleet: its broker, devices and node processes, and the story so far. */
export class Fleet {
  readonly events: FleetEvent[] = [];
  readonly leaders: string[] = [];
  readonly nodes: FleetNode[] = [];
  readonly devices: FleetDevice[] = [];
  brokerRestarts = 0;
  brokerState: "up" | "restarting" = "up";
  readonly brokerPids: number[] = [];
  /** Epoch ms the run started at. */
  readonly startedAt = asyncScheduler.now();
  readonly #print: (event: FleetEvent) => void;
  readonly #atWrite = new Map<string, (token: number) => void>();

  constructor(print: (event: FleetEvent) => void) {
    this.#print = print;
  }

  elapsed(): number {
    return asyncScheduler.now() - this.startedAt;
  }

  note(text: string, kind: FleetEvent["kind"] = "info"): void {
    const event = { atMs: Math.round(this.elapsed()), text, kind };
    this.events.push(event);
    this.#print(event);
  }

  hear(report: Extract<NodeReport, { type: "event" }>): void {
    const elected = /^(\S+) leads \(token (\d+)\)/.exec(report.text);
    if (elected !== null) this.leaders.push(`${elected[1]} #${elected[2]}`);
    this.note(report.text, report.kind);
  }

  /** Resolves with the next `at-write` of `node`, or `undefined` after `ms`. */
  atWrite(node: FleetNode, ms: number): Promise<number | undefined> {
    return new Promise((resolve) => {
      const timeout = timer(ms).subscribe(() => {
        this.#atWrite.delete(node.id);
        resolve(undefined);
      });
      this.#atWrite.set(node.id, (token) => {
        timeout.unsubscribe();
        this.#atWrite.delete(node.id);
        resolve(token);
      });
    });
  }

  /** What a node said besides its status: an event line, or that it stopped at a write. */
  heard(node: FleetNode, message: Exclude<NodeReport, { type: "status" }>): void {
    if (message.type === "event") this.hear(message);
    else this.#atWrite.get(node.id)?.(message.token);
  }

  node(id: string): FleetNode | undefined {
    return this.nodes.find((node) => node.id === id);
  }

  leader(): FleetNode | undefined {
    return this.nodes.find((node) => node.role === "aggregator" && node.state === "up" && node.last?.leading === true);
  }

  /** Readings the devices' pipelines spooled so far. */
  recorded(): number {
    return this.devices.reduce((sum, device) => sum + device.recorded(), 0);
  }

  /** Readings JetStream has confirmed so far. */
  forwarded(): number {
    return this.devices.reduce((sum, device) => sum + device.forwarded(), 0);
  }

  total(counter: string): number {
    return this.nodes.reduce((sum, node) => sum + (node.counts()[counter] ?? 0), 0);
  }
}

