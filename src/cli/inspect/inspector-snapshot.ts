import { optional, requireNonEmptyString, requireObject, requirePositiveInteger, requireString } from "../../atom/validate.js";
import { PipelineGraph } from "../../local/graph.js";
import { SensorDebugTap } from "../../sensor/sensor-debug-tap.js";

/**
 * What the live inspector page shows, as plain JSON: one or more pipelines
 * (from their `lego` descriptors), links between them, health, queues,
 * coordination, recent events and the debug tap's recent envelopes. A
 * process (`manyfold demo --ui`) or a fleet of them (`manyfold fleet --ui`)
 * builds one of these per tick; the page only draws it.
 */

/** One lego of a pipeline, with its live counters. */
export interface InspectorStage {
  /** Unique across the snapshot: `${pipeline id}:${stage index}` from {@link pipelineOf}. */
  id: string;
  kind: string;
  name?: string;
  group?: string;
  counters: Record<string, number>;
  /** Ids of the stages it reads from; `[]` for a source. */
  after: string[];
}

/** One pipeline drawn as a lane. */
export interface InspectorPipeline {
  id: string;
  title: string;
  /** Process or host label shown beside the title. */
  node?: string;
  stages: InspectorStage[];
}

/** A stage-to-stage edge across pipelines (e.g. an Outbox → a consumer group, via a stream). */
export interface InspectorLink {
  from: string;
  to: string;
  label?: string;
}

export interface InspectorSnapshot {
  title: string;
  /** Epoch ms. */
  at: number;
  state: "starting" | "running" | "stopping" | "stopped";
  pipelines: InspectorPipeline[];
  links: InspectorLink[];
  health: { name: string; status: string; message?: string }[];
  queues: { name: string; depth: number; detail?: string }[];
  coordination?: { leader?: { id: string; token: number }; members: { id: string; status: string; role?: string }[] };
  /** Newest last, at most 50. */
  envelopes: { at: number; stage: string; stream: string; source: string; payload: string }[];
  /** Newest last, at most 50. */
  events: { at: number; text: string; kind?: "fault" | "info" | "ok" }[];
  /** Headline figures shown large at the top. */
  totals?: Record<string, number>;
}

/** The stages of `graph` as an inspector lane; stage ids are `${labels.id}:${index}`. */
export function pipelineOf(graph: PipelineGraph, labels: { id: string; title?: string; node?: string }): InspectorPipeline {
  if (!(graph instanceof PipelineGraph)) throw new TypeError("graph must be a PipelineGraph");
  requireObject("labels", labels);
  const id = requireNonEmptyString("labels.id", labels.id);
  const title = optional("labels.title", labels.title, requireString);
  const node = optional("labels.node", labels.node, requireString);
  const stages = graph.stages().map((stage): InspectorStage => {
    const entry: InspectorStage = {
      id: `${id}:${stage.index}`,
      kind: stage.kind,
      counters: { ...stage.counters },
      after: stage.after === undefined ? [] : [`${id}:${stage.after}`],
    };
    if (stage.name !== undefined) entry.name = stage.name;
    if (stage.group !== undefined) entry.group = stage.group;
    return entry;
  });
  const lane: InspectorPipeline = { id, title: title ?? graph.name, stages };
  if (node !== undefined) lane.node = node;
  return lane;
}

const MAX_PAYLOAD_CHARS = 200;
const utf8 = new TextDecoder("utf-8", { fatal: false });

/**
 * Bytes read as text (what a serial line usually is); other values as they
 * are. It looks at the holder's own value, since a Buffer's toJSON has
 * already turned `value` into `{ type: "Buffer", data: [...] }`.
 */
function readable(this: unknown, key: string, value: unknown): unknown {
  const original: unknown = typeof this === "object" && this !== null ? (this as Record<string, unknown>)[key] : value;
  if (original instanceof Uint8Array) return utf8.decode(original);
  if (typeof value === "bigint") return value.toString();
  return value;
}

/** `payload` as JSON of at most 200 characters (an ellipsis marks a cut). */
export function summarisePayload(payload: unknown): string {
  let text: string;
  try {
    // undefined, a function or a symbol have no JSON; the types do not say so.
    const json: unknown = JSON.stringify(payload, readable);
    text = typeof json === "string" ? json : String(payload);
  } catch {
    // A circular or otherwise unserialisable payload still gets a line.
    text = String(payload);
  }
  return text.length <= MAX_PAYLOAD_CHARS ? text : `${text.slice(0, MAX_PAYLOAD_CHARS - 1)}…`;
}

/** The tap's last `max` envelopes, oldest first, payloads summarised to at most 200 characters of JSON. */
export function envelopesOf(tap: SensorDebugTap, max = 50): InspectorSnapshot["envelopes"] {
  if (!(tap instanceof SensorDebugTap)) throw new TypeError("tap must be a SensorDebugTap");
  requirePositiveInteger("max", max);
  return tap
    .snapshot()
    .slice(-max)
    .map((envelope) => ({
      at: envelope.timestamp,
      stage: envelope.stage,
      stream: envelope.streamName,
      source: envelope.sourceId,
      payload: summarisePayload(envelope.payload),
    }));
}
