import { hostname } from "node:os";
import { asyncScheduler, type Subscription } from "rxjs";
import type { LocalDurableSpool } from "../../durable/local-durable-spool.js";
import type { SensorDebugTap } from "../../sensor/sensor-debug-tap.js";
import type { SensorEvent } from "../../sensor/sensor-event.js";
import type { SerialPortEvent } from "../../sensor/serial-port-source.js";
import type { DemoForwarder } from "../demo-forward.js";
import { DEMO_STAGE, type DemoPipeline, type DemoStage } from "../demo-pipeline.js";
import { startInspector } from "./inspector-server.js";
import { envelopesOf, pipelineOf, type InspectorSnapshot } from "./inspector-snapshot.js";

/**
 * The inspector of `manyfold demo --ui` and `manyfold inspect`: the demo
 * pipeline's graph, health, spool and forwarding backlog, serial-port and
 * health events, and the debug tap's envelopes, served live.
 */

export interface DemoInspectorSources {
  readonly pipeline: DemoPipeline;
  readonly spool: LocalDurableSpool<SensorEvent>;
  /** The tap the pipeline publishes its raw and decoded stages to. */
  readonly tap: SensorDebugTap;
  /** The forwarder, when `--forward` is on, and the spool offset it started from. */
  readonly forward?: { readonly forwarder: DemoForwarder; readonly from: number } | undefined;
  /** Where the demo reads: shown beside the lane title. */
  readonly path: string;
}

export interface DemoInspector {
  readonly url: string;
  /** The state shown on the page; the demo moves it to `stopping` when it stops. */
  state: InspectorSnapshot["state"];
  close(): Promise<void>;
}

const MAX_EVENTS = 50;

type DemoEvent = InspectorSnapshot["events"][number];

/** A serial-port event worth a line on the page, or `undefined` for the routine ones. */
function portEvent(event: SerialPortEvent, path: string): DemoEvent | undefined {
  switch (event.type) {
    case "open":
      return event.reconnect ? { at: event.at, text: `serial port ${path} reopened (attempt ${event.attempt})`, kind: "ok" } : { at: event.at, text: `serial port ${path} open`, kind: "info" };
    case "reconnecting":
      return { at: event.at, text: `serial port reconnecting in ${event.delay} ms (attempt ${event.attempt})`, kind: "fault" };
    case "closed":
      return event.reason === "unsubscribed" ? { at: event.at, text: "serial port closed", kind: "info" } : { at: event.at, text: `serial port lost (${event.reason})`, kind: "fault" };
    case "error":
      return { at: event.at, text: event.operation === "open" ? `serial port open failed (${event.reason})` : "serial command failed", kind: "fault" };
    default:
      return undefined;
  }
}

/** Starts the inspector on a free loopback port for the running demo pipeline. */
export async function startDemoInspector(sources: DemoInspectorSources): Promise<DemoInspector> {
  const { pipeline, spool, tap, forward, path } = sources;
  const events: DemoEvent[] = [];
  // Health transitions are picked up at the next snapshot, after port events that came later: keep time order.
  const remember = (event: DemoEvent): void => {
    let at = events.length;
    while (at > 0 && (events[at - 1]?.at ?? 0) > event.at) at--;
    events.splice(at, 0, event);
    if (events.length > MAX_EVENTS) events.splice(0, events.length - MAX_EVENTS);
  };
  const subscription: Subscription = pipeline.source.events$.subscribe((event) => {
    const line = portEvent(event, path);
    if (line !== undefined) remember(line);
  });
  let transitionsSeen = 0;
  const node = `${hostname()} · pid ${process.pid}`;
  let state: InspectorSnapshot["state"] = "running";

  const snapshot = (): InspectorSnapshot => {
    // Health transitions are recorded by the pipeline; pick up the ones not yet shown.
    for (const t of pipeline.transitions.slice(transitionsSeen)) {
      remember({ at: t.at, text: `health ${t.from ?? "start"} → ${t.to}${t.message === "" ? "" : `: ${t.message}`}`, kind: t.to === "ok" ? "ok" : "fault" });
    }
    transitionsSeen = pipeline.transitions.length;
    const lane = pipelineOf(pipeline.graph, { id: "demo", node });
    const count = (stage: DemoStage, counter: string): number => lane.stages[DEMO_STAGE[stage]]?.counters[counter] ?? 0;
    const health = pipeline.health;
    const totals: Record<string, number> = {
      "events decoded": count("decode", "events"),
      "samples spooled": count("spool", "appended"),
      "invalid dropped": Object.values(pipeline.invalid).reduce((a, b) => a + b, 0),
      reconnects: count("source", "reconnects"),
    };
    const stored = spool.nextOffset - spool.firstOffset;
    const queues: InspectorSnapshot["queues"] = [];
    if (forward === undefined) {
      queues.push({ name: "spool", depth: stored, detail: `offsets ${spool.firstOffset}–${spool.nextOffset - 1}` });
    } else {
      const { forwarded, acked, pending } = forward.forwarder.counts();
      totals.forwarded = forwarded;
      totals.acked = acked;
      const backlog = Math.max(0, spool.nextOffset - Math.max(forward.from, spool.firstOffset) - forwarded);
      queues.push({ name: "spool → broker (not yet forwarded)", depth: backlog, detail: `${forward.forwarder.url}: forwarded ${forwarded}, acked ${acked}, awaiting ack ${pending}` });
      queues.push({ name: "spool", depth: stored, detail: `offsets ${spool.firstOffset}–${spool.nextOffset - 1}` });
    }
    const open = pipeline.source.isOpen;
    return {
      title: "manyfold demo",
      at: asyncScheduler.now(),
      state,
      pipelines: [lane],
      links: [],
      health: [
        { name: "sensor readings", status: health?.status ?? "starting", message: health?.message ?? "waiting for the first reading" },
        // Closed on purpose once the demo stops; closed while running means the device went away.
        { name: "serial port", status: open ? "ok" : state === "running" ? "reconnecting" : "closed", message: path },
      ],
      queues,
      envelopes: envelopesOf(tap, 50),
      events: [...events],
      totals,
    };
  };

  const server = await startInspector({ snapshot });
  return {
    url: server.url,
    get state() {
      return state;
    },
    set state(next) {
      state = next;
    },
    async close() {
      state = "stopped";
      await server.close();
      subscription.unsubscribe();
    },
  };
}
