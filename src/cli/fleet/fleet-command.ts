import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { asyncScheduler, interval, timer, type Subscription } from "rxjs";
import { messageOf } from "../../atom/lego-error.js";
import type { NatsClient } from "../../engines/nats/index.js";
import { natsServerAvailable, natsServerVersion, startNatsServer, type NatsServer } from "../../testing/nats-server.js";
import { parseCommandLine, requireChoice } from "../args.js";
import { SensorDebugTap } from "../../sensor/sensor-debug-tap.js";
import { EXIT, UsageError, type CliCommand, type CliIo } from "../command.js";
import type { InspectorServer } from "../inspect/inspector-server.js";
import type { InspectorSnapshot } from "../inspect/inspector-snapshot.js";
import { parseDuration } from "../duration.js";
import { auditFleet, type FleetAudit } from "./fleet-audit.js";
import { prepareFleetStreams, type FleetStreams } from "./fleet-broker.js";
import { startFleetDevice } from "./fleet-device.js";
import { startFleetInspector } from "./fleet-inspector.js";
import { faultPlan, MIN_FLEET_DURATION, UNPLUG_FOR, type FleetFault } from "./fleet-faults.js";
import { FleetNode } from "./fleet-nodes.js";
import { Fleet, type FleetEvent } from "./fleet-state.js";
import { LEASE_TTL, SUMMARY_KEY, type FleetSummaryRecord } from "./fleet-plan.js";

const COMMAND = "manyfold fleet";
const FLAGS = {
  duration: "string",
  nats: "string",
  transport: "string",
  ui: "boolean",
  json: "boolean",
  keep: "boolean",
  help: "boolean",
} as const;

const HELP = `Usage: manyfold fleet [options]

Runs a small distributed system on this machine and breaks it on purpose:
  3 simulated UART sensor devices, each: sensor pipeline → LevelDB spool → Outbox → JetStream
  2 workers (processes) sharing one consumer group: Inbox → folded log (each reading's effect)
  2 aggregator candidates (processes): MaterializedView of the folded log; the one elected
    (LeaderElection, 3 s lease) writes a summary every second to a fenced register
Faults on a schedule: a worker is SIGKILLed and restarted, the NATS server is restarted,
a device is unplugged, the leader is paused (SIGSTOP) past its lease. At the end it drains
and checks three records against each other: lost 0, duplicated 0.

Options:
  --duration D      how long the devices record (10s or more; 500ms, 30s, 2m); default 30s
  --nats URL        use this NATS server (JetStream enabled); default: start a local
                    nats-server on a free port with a temporary store (the broker restart
                    fault needs a server the fleet started)
  --transport T     simulated sensors: auto | socat | mock (default auto: socat when installed)
  --ui              serve the live inspector page on a loopback port (printed)
  --json            print the summary as one JSON line
  --keep            keep the run's directory (spools, views, JetStream store)
  -h, --help        this help

Ctrl-C stops early: everything is stopped and no process is left behind.
`;

interface FleetSettings {
  durationMs: number;
  nats: string | undefined;
  transport: "auto" | "socat" | "mock";
  ui: boolean;
  json: boolean;
  keep: boolean;
}

/** Everything the summary reports; printed as JSON with --json. */
export interface FleetSummary extends FleetAudit {
  readonly durationMs: number;
  /** `pids`: the server processes the fleet started (one per start), all stopped at the end. */
  readonly broker: { readonly url: string; readonly owned: boolean; readonly restarts: number; readonly pids: readonly number[] };
  readonly leaders: readonly string[];
  readonly leaderChanges: number;
  readonly fencedRejected: number;
  readonly redeliveries: number;
  readonly inboxDuplicates: number;
  /** Appends the folded log dropped as repeats of a message id (an effect redone after a crash, caught by JetStream). */
  readonly logDuplicates: number;
  readonly faults: readonly FleetEvent[];
  readonly processes: readonly { readonly id: string; readonly pids: readonly number[] }[];
  readonly directory: string | undefined;
  readonly stoppedBy: "duration" | "signal" | "error";
  readonly error?: string;
}

function settingsFrom(argv: readonly string[]): FleetSettings | undefined {
  const { flags, positionals } = parseCommandLine(argv, FLAGS, COMMAND);
  if (flags.help === true) return undefined;
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`, `run "${COMMAND} --help" for usage`);
  const durationMs = flags.duration === undefined ? 30_000 : parseDuration("--duration", flags.duration, COMMAND);
  if (durationMs < MIN_FLEET_DURATION) {
    throw new UsageError(`--duration must be at least ${MIN_FLEET_DURATION / 1000}s (every fault needs time to happen and heal)`);
  }
  if (flags.nats !== undefined && !/^(nats|tls):\/\/./.test(flags.nats)) {
    throw new UsageError(`--nats: unsupported URL ${JSON.stringify(flags.nats)}`, "use nats://HOST:PORT");
  }
  return {
    durationMs,
    nats: flags.nats,
    transport: requireChoice("--transport", flags.transport ?? "auto", ["auto", "socat", "mock"] as const, COMMAND),
    ui: flags.ui === true,
    json: flags.json === true,
    keep: flags.keep === true,
  };
}

function statusLine(fleet: Fleet): string {
  const folded = fleet.total("processed");
  const leader = fleet.leader();
  const workers = fleet.nodes.filter((node) => node.role === "worker").map((node) => `${node.id.replace("worker-", "w")} ${node.state}`);
  const devices = fleet.devices.map((device) => `${device.id.replace("device-", "d")} ${device.pipeline.source.isOpen ? "up" : "unplugged"}`);
  return (
    `${(fleet.elapsed() / 1000).toFixed(1).padStart(5)}s  recorded ${fleet.recorded()}  forwarded ${fleet.forwarded()}  folded ${folded}  ` +
    `leader ${leader === undefined ? "-" : `${leader.id} (token ${String(leader.last?.token)})`}  ` +
    `broker ${fleet.brokerState}  ${workers.join(", ")}  ${devices.join(", ")}`
  );
}

/** Applies one scheduled fault and schedules its undoing. */
async function inject(fleet: Fleet, fault: FleetFault, server: NatsServer | undefined): Promise<void> {
  switch (fault.kind) {
    case "kill-worker": {
      const worker = fleet.node("worker-1");
      if (worker === undefined) return;
      // Kill it while it holds readings (up to 2 s later), so the group has something to hand over.
      await waitUntil(() => (worker.last?.counts.inFlight ?? 0) > 0, 2_000);
      const held = worker.last?.counts.inFlight ?? 0;
      fleet.note(`FAULT worker-1 SIGKILLed (pid ${String(worker.pid)}) holding ${held} reading${held === 1 ? "" : "s"}: they go to worker-2 after ack_wait`, "fault");
      await worker.kill();
      await sleepFor(fault.lasts);
      worker.start();
      fleet.note("worker-1 restarted", "ok");
      return;
    }
    case "restart-broker": {
      if (server === undefined) return;
      fleet.note("FAULT NATS server restarting (same port, same JetStream store)", "fault");
      fleet.brokerState = "restarting";
      await server.restart();
      fleet.brokerPids.push(server.pid);
      fleet.brokerRestarts++;
      fleet.brokerState = "up";
      fleet.note("NATS server back: clients reconnect, Outboxes resend what was not acknowledged", "ok");
      return;
    }
    case "unplug-device":
      // The device's own script unplugs it at this moment; its source reports it (see watchDevices).
      return;
    case "pause-leader": {
      // Right after the broker restart the leader may have stepped down (it could not renew):
      // wait for the next one rather than skip the fault.
      await waitUntil(() => fleet.leader() !== undefined, 10_000);
      const leader = fleet.leader();
      if (leader === undefined) {
        fleet.note("no leader to pause within 10 s: fault skipped");
        return;
      }
      // Stop it between its leadership check and its write: the gap fencing exists for.
      leader.send({ type: "pause-at-write" });
      const token = await fleet.atWrite(leader, 3_000);
      leader.pause();
      fleet.note(
        `FAULT ${leader.id} (leader, token ${String(token ?? leader.last?.token)}) SIGSTOPped ${token === undefined ? "" : "between its leadership check and its summary write, "}until the lease moves`,
        "fault",
      );
      // Paused until another candidate holds the lease (at most `lasts`), so its wake-up write is late.
      const pausedAt = fleet.elapsed();
      await waitUntil(() => fleet.leader() !== undefined, fault.lasts);
      const successor = fleet.leader();
      if (successor !== undefined) {
        fleet.note(`lease moved to ${successor.id} (token ${String(successor.last?.token)}) ${((fleet.elapsed() - pausedAt) / 1000).toFixed(1)} s after the pause (lease ${LEASE_TTL / 1000} s)`, "ok");
        // Until the new leader's first write the store has not seen its token; wake the old one after it.
        const written = successor.counts().summaries ?? 0;
        await waitUntil(() => (successor.counts().summaries ?? 0) > written, 3_000);
      }
      leader.resume();
      fleet.note(`${leader.id} resumed (SIGCONT): its summary write goes out with the old token`, "info");
      return;
    }
  }
}

function sleepFor(ms: number): Promise<void> {
  return new Promise((resolve) => timer(ms).subscribe(() => { resolve(); }));
}

/** Resolves once `condition` holds (looked at every 50 ms) or after `ms`. */
async function waitUntil(condition: () => boolean, ms: number): Promise<void> {
  for (let waited = 0; !condition() && waited < ms; waited += 50) await sleepFor(50);
}

/** Reports each device's unplug and replug as its serial source sees them. */
function watchDevices(fleet: Fleet): Subscription[] {
  return fleet.devices.map((device) => {
    let unplugged = false;
    return device.pipeline.source.events$.subscribe((event) => {
      if (event.type === "reconnecting" && !unplugged) {
        unplugged = true;
        fleet.note(`FAULT ${device.id} unplugged: its port is gone, the pipeline reconnects with backoff`, "fault");
      } else if (event.type === "open" && event.reconnect && unplugged) {
        unplugged = false;
        fleet.note(`${device.id} plugged back in: port reopened, recording goes on`, "ok");
      }
    });
  });
}

async function latestSummary(streams: FleetStreams): Promise<FleetSummaryRecord | undefined> {
  const entry = await streams.summaries.get(SUMMARY_KEY).catch(() => undefined);
  return entry?.value.value;
}

/** Waits until the leader's summary counts every recorded reading (or `ms` passed); returns the last summary seen. */
async function converged(fleet: Fleet, streams: FleetStreams, ms: number): Promise<FleetSummaryRecord | undefined> {
  const recorded = fleet.recorded();
  const deadline = asyncScheduler.now() + ms;
  let summary = await latestSummary(streams);
  while (asyncScheduler.now() < deadline) {
    const counted = Object.values(summary?.devices ?? {}).reduce((sum, stats) => sum + stats.count, 0);
    if (counted >= recorded) return summary;
    await sleepFor(250);
    summary = await latestSummary(streams);
  }
  return summary;
}

async function startBroker(settings: FleetSettings, dir: string, io: CliIo): Promise<{ url: string; server: NatsServer | undefined }> {
  if (settings.nats !== undefined) {
    io.out(`using the NATS server at ${settings.nats} (the broker-restart fault is skipped: it is not ours to restart)\n`);
    return { url: settings.nats, server: undefined };
  }
  if (!natsServerAvailable()) {
    throw new Error("nats-server is not installed: install it (sudo apt-get install -y nats-server) or pass --nats URL");
  }
  const server = await startNatsServer({ dataDir: join(dir, "jetstream") });
  io.out(`started a local nats-server ${natsServerVersion() ?? ""} on ${server.url} (JetStream store in ${server.dataDir})\n`);
  return { url: server.url, server };
}

function formatSummary(summary: FleetSummary): string {
  const rows: [string, string][] = [
    ["readings recorded", `${summary.recorded}  (${Object.entries(summary.devices).map(([id, d]) => `${id} ${d.recorded}`).join(", ")})`],
    ["forwarded (acked by JetStream)", String(summary.forwarded)],
    ["folded (effects in the log)", String(summary.folded)],
    ["counted by the leader's view", `${summary.summarised}  (count and temperature sum per device ${summary.summaryExact ? "match the spools exactly" : "DO NOT match the spools"})`],
    ["lost", String(summary.lost)],
    ["duplicated effects", String(summary.duplicated)],
    ["leaders", `${summary.leaders.join(" → ") || "-"}  (${summary.leaderChanges} change${summary.leaderChanges === 1 ? "" : "s"})`],
    ["fenced writes rejected", String(summary.fencedRejected)],
    ["redeliveries", `${summary.redeliveries}  (repeats skipped by the Inbox ${summary.inboxDuplicates}, by the log's message-id window ${summary.logDuplicates})`],
    ["broker restarts", `${summary.broker.restarts}${summary.broker.owned ? "" : " (external server)"}`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return [
    `summary (${(summary.durationMs / 1000).toFixed(1)} s, stopped by ${summary.stoppedBy})`,
    ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`),
    ...(summary.error === undefined ? [] : [`  error  ${summary.error}`]),
    `  faults: ${summary.faults.map((f) => `${(f.atMs / 1000).toFixed(1)}s ${f.text.replace(/^FAULT /, "")}`).join("; ") || "-"}`,
  ].join("\n");
}

async function runFleet(argv: readonly string[], io: CliIo): Promise<number> {
  const settings = settingsFrom(argv);
  if (settings === undefined) {
    io.out(HELP);
    return EXIT.ok;
  }
  const dir = mkdtempSync(join(tmpdir(), "manyfold-fleet-"));
  const interactive = process.stdout.isTTY;
  let statusShown = false;
  const fleet = new Fleet((event) => {
    const line = `${(event.atMs / 1000).toFixed(1).padStart(5)}s  ${event.kind === "fault" ? "!" : event.kind === "ok" ? "✓" : "·"} ${event.text}`;
    io.out(interactive && statusShown ? `\r\x1b[2K${line}\n` : `${line}\n`);
  });
  let stop: (reason: FleetSummary["stoppedBy"], error?: unknown) => void = () => undefined;
  const stopped = new Promise<{ reason: FleetSummary["stoppedBy"]; error: unknown }>((resolve) => {
    stop = (reason, error) => { resolve({ reason, error }); };
  });
  const onSignal = (): void => { stop("signal"); };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  const subscriptions: Subscription[] = [];
  let server: NatsServer | undefined;
  let client: NatsClient | undefined;
  let streams: FleetStreams | undefined;
  const firstOffsets = new Map<string, number>();
  let outcome: { reason: FleetSummary["stoppedBy"]; error: unknown } = { reason: "duration", error: undefined };
  let audit: FleetAudit | undefined;
  let url = settings.nats ?? "";
  let inspector: InspectorServer | undefined;
  let state: InspectorSnapshot["state"] = "starting";
  const tap = settings.ui ? new SensorDebugTap({ historySize: 200 }) : undefined;
  try {
    if (settings.ui) {
      inspector = await startFleetInspector(fleet, () => state, tap);
      io.out(`inspector: ${inspector.url}\n`);
    }
    const broker = await startBroker(settings, dir, io);
    server = broker.server;
    url = broker.url;
    if (server !== undefined) fleet.brokerPids.push(server.pid);
    const { connectNats } = await import("../../engines/nats/index.js");
    client = await connectNats({ servers: url, maxReconnectAttempts: -1, reconnectTimeWait: 200, name: "fleet" });
    streams = await prepareFleetStreams(client);
    const nodeArgs = ["--nats", url, "--dir", join(dir, "views")];
    for (const [id, role] of [["worker-1", "worker"], ["worker-2", "worker"], ["aggregator-1", "aggregator"], ["aggregator-2", "aggregator"]] as const) {
      const node = new FleetNode(id, role, nodeArgs, {
        message: (from, message) => {
          fleet.heard(from, message);
        },
        exited: (from, code, signal) => {
          // A supervisor's job: say so and start it again.
          fleet.note(`${from.id} exited unexpectedly (${signal ?? `code ${String(code)}`}); restarting it`, "fault");
          from.start();
        },
      });
      fleet.nodes.push(node);
      node.start();
    }
    const plan = faultPlan(settings.durationMs, server !== undefined);
    const unplugAt = plan.find((fault) => fault.kind === "unplug-device")?.at;
    for (const [index, phase] of [0, 97, 211].entries()) {
      const id = `device-${index + 1}`;
      const device = await startFleetDevice({
        id,
        dir: join(dir, "devices"),
        client,
        transport: settings.transport,
        phase,
        unplugAt: id === "device-2" ? unplugAt : undefined,
        unplugFor: UNPLUG_FOR,
        onError: (error) => {
          stop("error", error);
        },
        debugTap: tap,
      });
      firstOffsets.set(id, device.spool.firstOffset);
      fleet.devices.push(device);
    }
    fleet.note(`3 devices recording (${fleet.devices[0]?.serial.transport ?? "?"} serial), 2 workers, 2 aggregator candidates started`);
    subscriptions.push(...watchDevices(fleet));
    state = "running";
    for (const fault of plan) {
      subscriptions.push(
        timer(fault.at).subscribe(() => {
          inject(fleet, fault, server).catch((error: unknown) => { fleet.note(`fault "${fault.label}" failed: ${messageOf(error)}`); });
        }),
      );
    }
    subscriptions.push(
      interval(1_000).subscribe(() => {
        statusShown = true;
        const line = statusLine(fleet);
        io.out(interactive ? `\r\x1b[2K${line}` : `${line}\n`);
      }),
      timer(settings.durationMs).subscribe(() => { stop("duration"); }),
    );
    outcome = await stopped;
    if (interactive) io.out("\n");
    for (const subscription of subscriptions) subscription.unsubscribe();

    state = "stopping";
    fleet.note("recording stopped; draining: the Outboxes finish forwarding, the workers folding, the leader counting");
    for (const node of fleet.nodes) if (node.state === "paused") node.resume();
    await Promise.all(fleet.devices.map((device) => device.stopRecording()));
    const patience = outcome.reason === "signal" ? 3_000 : 30_000;
    await Promise.all(fleet.devices.map((device) => device.drained(patience)));
    const summary = await converged(fleet, streams, patience);
    audit = await auditFleet(fleet.devices, firstOffsets, streams.folded, summary);
  } catch (error) {
    outcome = { reason: "error", error };
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    for (const subscription of subscriptions) subscription.unsubscribe();
    await Promise.all(fleet.nodes.map((node) => node.stop()));
    await Promise.all(fleet.devices.map((device) => device.close().catch(() => undefined)));
    await streams?.folded.close().catch(() => undefined);
    await client?.close().catch(() => undefined);
    await server?.stop();
    if (!settings.keep) rmSync(dir, { recursive: true, force: true });
    state = "stopped";
    await inspector?.close();
  }

  const summary: FleetSummary = {
    ...(audit ?? { recorded: 0, forwarded: 0, folded: 0, lost: 0, duplicated: 0, summarised: 0, summaryExact: false, devices: {} }),
    durationMs: Math.round(fleet.elapsed()),
    broker: { url, owned: server !== undefined, restarts: fleet.brokerRestarts, pids: fleet.brokerPids },
    leaders: fleet.leaders,
    leaderChanges: Math.max(0, fleet.leaders.length - 1),
    fencedRejected: fleet.total("fenced"),
    redeliveries: fleet.total("redeliveries"),
    inboxDuplicates: fleet.total("duplicates"),
    logDuplicates: fleet.total("appendDuplicates"),
    faults: fleet.events.filter((event) => event.kind === "fault"),
    processes: fleet.nodes.map((node) => ({ id: node.id, pids: node.pids })),
    directory: settings.keep ? dir : undefined,
    stoppedBy: outcome.reason,
    ...(outcome.error === undefined ? {} : { error: messageOf(outcome.error) }),
  };
  io.out(`${formatSummary(summary)}\n`);
  io.out(`shutdown: ${fleet.nodes.length} node processes and the devices stopped${server === undefined ? "" : ", nats-server stopped"}${settings.keep ? `; kept ${dir}` : ""}\n`);
  if (settings.json) io.out(`${JSON.stringify(summary)}\n`);
  const proven = audit !== undefined && audit.lost === 0 && audit.duplicated === 0 && audit.summaryExact;
  return outcome.reason === "error" || !proven ? EXIT.failure : EXIT.ok;
}

/** `manyfold fleet`: a distributed main job a new user can watch, with faults on a schedule. */
export const fleetCommand: CliCommand = {
  name: "fleet",
  summary: "run 3 devices, 2 workers and an elected aggregator over NATS JetStream, with faults",
  run: runFleet,
};
