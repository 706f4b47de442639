import { asyncScheduler } from "rxjs";
import type { SensorDebugTap } from "../../sensor/sensor-debug-tap.js";
import { startInspector, type InspectorServer } from "../inspect/inspector-server.js";
import { envelopesOf, pipelineOf, type InspectorLink, type InspectorPipeline, type InspectorSnapshot, type InspectorStage } from "../inspect/inspector-snapshot.js";
import type { FleetDevice } from "./fleet-device.js";
import type { FleetNode } from "./fleet-nodes.js";
import { FOLDED_STREAM, READINGS_STREAM, type ReportedStage } from "./fleet-plan.js";
import type { Fleet } from "./fleet-state.js";

/**
 * The fleet as the inspector page draws it: each device's pipeline (this
 * process) ending in its Outbox, each worker's and aggregator's pipeline
 * as its process last reported it, and the streams between them as links.
 */

/** A device's sensor pipeline with its Outbox appended after the spool. */
function deviceLane(device: FleetDevice): InspectorPipeline {
  const lane = pipelineOf(device.pipeline.graph, { id: device.id, title: `${device.id} · sensor → spool → Outbox`, node: "fleet process" });
  const spool = lane.stages.find((stage) => stage.kind === "LocalDurableSpool") ?? lane.stages.at(-1);
  const outbox = device.outbox.lego;
  lane.stages.push({
    id: `${device.id}:outbox`,
    kind: outbox.kind,
    ...(outbox.name === undefined ? {} : { name: outbox.name }),
    counters: { ...outbox.counters },
    after: spool === undefined ? [] : [spool.id],
  });
  return lane;
}

/** A node's pipeline, a chain of the stages it reported (empty while it is down). */
function nodeLane(node: FleetNode): InspectorPipeline {
  const reported: readonly ReportedStage[] = node.last?.stages ?? [];
  const stages = reported.map((stage, index): InspectorStage => ({
    id: `${node.id}:${index}`,
    kind: stage.kind,
    ...(stage.name === undefined ? {} : { name: stage.name }),
    counters: { ...stage.counters },
    after: index === 0 ? [] : [`${node.id}:${index - 1}`],
  }));
  const title = node.role === "worker" ? `${node.id} · consumer group → Inbox → folded log` : `${node.id} · view → election → fenced summary`;
  return { id: node.id, title, node: `pid ${String(node.pid)} · ${node.state}${node.last?.leading === true ? " · LEADER" : ""}`, stages };
}

function links(fleet: Fleet, lanes: readonly InspectorPipeline[]): InspectorLink[] {
  const has = (id: string): boolean => lanes.some((lane) => lane.stages.some((stage) => stage.id === id));
  const result: InspectorLink[] = [];
  const workers = fleet.nodes.filter((node) => node.role === "worker");
  const aggregators = fleet.nodes.filter((node) => node.role === "aggregator");
  for (const device of fleet.devices) {
    for (const worker of workers) result.push({ from: `${device.id}:outbox`, to: `${worker.id}:0`, label: READINGS_STREAM });
  }
  for (const worker of workers) {
    for (const aggregator of aggregators) result.push({ from: `${worker.id}:2`, to: `${aggregator.id}:0`, label: FOLDED_STREAM });
  }
  return result.filter((link) => has(link.from) && has(link.to));
}

/** The snapshot the page shows now. */
export function fleetSnapshot(fleet: Fleet, state: InspectorSnapshot["state"], tap?: SensorDebugTap): InspectorSnapshot {
  const lanes = [...fleet.devices.map(deviceLane), ...fleet.nodes.map(nodeLane)];
  const leader = fleet.leader();
  return {
    title: "manyfold fleet",
    at: asyncScheduler.now(),
    state,
    pipelines: lanes,
    links: links(fleet, lanes),
    health: [
      { name: "NATS server", status: fleet.brokerState === "up" ? "ok" : "degraded", message: fleet.brokerState },
      ...fleet.devices.map((device) => ({
        name: device.id,
        status: device.pipeline.source.isOpen ? (device.pipeline.health?.status ?? "starting") : "fault",
        message: device.pipeline.source.isOpen ? (device.pipeline.health?.message ?? "") : "unplugged: reconnecting",
      })),
      ...fleet.nodes.map((node) => ({ name: node.id, status: node.state === "up" ? "ok" : node.state === "starting" ? "degraded" : "fault", message: node.state })),
    ],
    queues: [
      ...fleet.devices.map((device) => ({ name: `${device.id} spool → JetStream`, depth: device.recorded() - device.forwarded(), detail: "recorded, not yet confirmed" })),
      ...fleet.nodes
        .filter((node) => node.role === "worker")
        .map((node) => ({ name: `${node.id} in flight`, depth: node.last?.counts.inFlight ?? 0, detail: "delivered, not yet acked" })),
    ],
    coordination: {
      ...(leader?.last?.token === undefined ? {} : { leader: { id: leader.id, token: leader.last.token } }),
      members: [
        ...fleet.nodes.map((node) => ({ id: node.id, status: node.state, role: node.role === "aggregator" && node.last?.leading === true ? "leader" : node.role })),
        ...fleet.devices.map((device) => ({ id: device.id, status: device.pipeline.source.isOpen ? "up" : "unplugged", role: "device" })),
      ],
    },
    envelopes: tap === undefined ? [] : envelopesOf(tap, 30),
    events: fleet.events.slice(-50).map((event) => ({ at: fleet.startedAt + event.atMs, text: event.text, kind: event.kind })),
    totals: {
      recorded: fleet.recorded(),
      forwarded: fleet.forwarded(),
      folded: fleet.total("processed"),
      redeliveries: fleet.total("redeliveries"),
      "leader changes": Math.max(0, fleet.leaders.length - 1),
      "fenced writes rejected": fleet.total("fenced"),
    },
  };
}

/** Serves the fleet's inspector page on a free loopback port. */
export function startFleetInspector(fleet: Fleet, state: () => InspectorSnapshot["state"], tap?: SensorDebugTap): Promise<InspectorServer> {
  return startInspector({ snapshot: () => fleetSnapshot(fleet, state(), tap) });
}
