import { resolve } from "node:path";
import { asyncScheduler, filter, firstValueFrom, interval, race, take, timer } from "rxjs";
import { messageOf } from "../atom/lego-error.js";
import { LocalDurableSpool } from "../durable/local-durable-spool.js";
import { sensorEventCodec } from "../sensor/sensor-codecs.js";
import { SensorDebugTap } from "../sensor/sensor-debug-tap.js";
import type { SensorEvent } from "../sensor/sensor-event.js";
import { simulatedSerialDevice, type SimulatedSerialDevice } from "../testing/simulated-serial-device.js";
import { parseCommandLine, requireChoice } from "./args.js";
import { EXIT, UsageError, type CliCommand, type CliIo } from "./command.js";
import { demoScript } from "./demo-device.js";
import { DEMO_STAGE, demoPipeline, type DemoPipeline, type DemoStage } from "./demo-pipeline.js";
import { parseDuration } from "./duration.js";
import { checkForwardUrl, startForwarder, type DemoForwarder } from "./demo-forward.js";
import { startDemoInspector, type DemoInspector } from "./inspect/demo-inspector.js";

const COMMAND = "manyfold demo";
const FLAGS = {
  duration: "string",
  port: "string",
  baud: "string",
  data: "string",
  transport: "string",
  forward: "string",
  graph: "boolean",
  ui: "boolean",
  json: "boolean",
  help: "boolean",
} as const;

const HELP = `Usage: manyfold demo [options]

Runs a live sensor pipeline on embedded defaults: a simulated UART
temperature/humidity sensor (JSON lines, with injected faults) →
fromSerialPort → delimited → decodeJsonEvents → thresholdFilter → rateMatch
→ spool.record() into LevelDB, with sensorHealth watching the readings.

Options:
  --duration D      stop after D (500ms, 5s, 2m; a bare number is seconds); default: until Ctrl-C
  --port PATH       read a real device at PATH instead of the simulator
  --baud N          line speed for --port (default 9600)
  --data DIR        where the spool lives (default ./data)
  --transport T     simulator transport: auto | socat | mock (default auto: socat when installed)
  --forward URL     forward the spool to a broker while the demo runs (store-and-forward
                    through an Outbox), counts in the status line and summary:
                    mqtt://HOST:PORT (or mqtts://) publishes to topic manyfold/demo/ambient;
                    nats://HOST:PORT (or tls://) appends to the JetStream stream that takes
                    subject manyfold.demo.ambient (creates stream MANYFOLD_DEMO if none does)
  --graph           print the pipeline as a Mermaid graph after the run
  --ui              serve the live inspector page on a free loopback port (prints its address)
  --json            print the summary as one JSON line
  -h, --help        this help

Ctrl-C stops cleanly: the port is closed and the spool flushed.
Replay what was stored with: manyfold spool replay DIR
`;

/** Everything the summary reports; also printed as JSON with --json. */
export interface DemoSummary {
  transport: "socat" | "mock" | "device";
  path: string;
  durationMs: number;
  linesSent: number | undefined;
  framed: number;
  invalid: number;
  invalidByReason: Record<string, number>;
  decoded: number;
  passedThreshold: number;
  matched: number;
  spooled: number;
  spool: { location: string; firstOffset: number; nextOffset: number };
  reconnects: number;
  health: string | undefined;
  transitions: { from: string | undefined; to: string; atMs: number }[];
  stoppedBy: "duration" | "signal" | "error";
  error?: string;
  forward?: { url: string; subject: string; forwarded: number; acked: number; pending: number };
}

interface DemoSettings {
  durationMs: number | undefined;
  port: string | undefined;
  baudRate: number;
  dataDir: string;
  transport: "auto" | "socat" | "mock";
  forward: string | undefined;
  graph: boolean;
  ui: boolean;
  json: boolean;
}

function settingsFrom(argv: readonly string[], command: string): DemoSettings | undefined {
  const { flags, positionals } = parseCommandLine(argv, FLAGS, command);
  if (flags.help === true) return undefined;
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`, `run "${command} --help" for usage`);
  const baudRate = flags.baud === undefined ? 9600 : Number(flags.baud);
  if (!Number.isInteger(baudRate) || baudRate <= 0) throw new UsageError(`--baud must be a positive integer, got ${JSON.stringify(flags.baud)}`);
  if (flags.baud !== undefined && flags.port === undefined) throw new UsageError("--baud needs --port (the simulator sets its own speed)");
  if (flags.transport !== undefined && flags.port !== undefined) throw new UsageError("--transport is for the simulator; it cannot be combined with --port");
  return {
    durationMs: flags.duration === undefined ? undefined : parseDuration("--duration", flags.duration, command),
    port: flags.port,
    baudRate,
    dataDir: resolve(flags.data ?? "data"),
    transport: requireChoice("--transport", flags.transport ?? "auto", ["auto", "socat", "mock"] as const, command),
    forward: flags.forward === undefined ? undefined : checkForwardUrl(flags.forward),
    graph: flags.graph === true,
    ui: flags.ui === true,
    json: flags.json === true,
  };
}

function count(pipeline: DemoPipeline, stage: DemoStage, counter: string): number {
  return pipeline.graph.stages()[DEMO_STAGE[stage]]?.counters[counter] ?? 0;
}

/** The status line: rates over the last second, totals, spool, health. */
function statusLine(
  pipeline: DemoPipeline,
  spool: LocalDurableSpool<SensorEvent>,
  previous: { decoded: number; spooled: number },
  forwarder: DemoForwarder | undefined,
): string {
  const decoded = count(pipeline, "decode", "events");
  const spooled = count(pipeline, "spool", "appended");
  const invalid = Object.values(pipeline.invalid).reduce((a, b) => a + b, 0);
  const line =
    `in ${String(decoded - previous.decoded).padStart(3)}/s  out ${String(spooled - previous.spooled).padStart(3)}/s  ` +
    `invalid ${invalid}  dropped ${count(pipeline, "deadband", "suppressed") + count(pipeline, "match", "dropped")}  ` +
    `spool ${spool.nextOffset - spool.firstOffset} @ ${spool.nextOffset - 1}  ` +
    `health ${pipeline.health?.status ?? "-"}  reconnects ${count(pipeline, "source", "reconnects")}` +
    forwardStatus(forwarder);
  previous.decoded = decoded;
  previous.spooled = spooled;
  return line;
}

function forwardStatus(forwarder: DemoForwarder | undefined): string {
  if (forwarder === undefined) return "";
  const { forwarded, acked, pending } = forwarder.counts();
  return `  forwarded ${forwarded} acked ${acked} pending ${pending}`;
}

function summaryOf(
  pipeline: DemoPipeline,
  spool: LocalDurableSpool<SensorEvent>,
  device: SimulatedSerialDevice | undefined,
  settings: DemoSettings,
  run: { startedAt: number; elapsedMs: number; stoppedBy: DemoSummary["stoppedBy"]; error: unknown },
  forwarder?: DemoForwarder,
): DemoSummary {
  const summary: DemoSummary = {
    transport: device?.transport ?? "device",
    path: pipeline.source.path,
    durationMs: Math.round(run.elapsedMs),
    linesSent: device?.sentLines.length,
    framed: count(pipeline, "frame", "messages"),
    invalid: Object.values(pipeline.invalid).reduce((a, b) => a + b, 0),
    invalidByReason: { ...pipeline.invalid },
    decoded: count(pipeline, "decode", "events"),
    passedThreshold: count(pipeline, "deadband", "passed"),
    matched: count(pipeline, "match", "released"),
    spooled: count(pipeline, "spool", "appended"),
    spool: { location: settings.dataDir, firstOffset: spool.firstOffset, nextOffset: spool.nextOffset },
    reconnects: count(pipeline, "source", "reconnects"),
    health: pipeline.health?.status,
    transitions: pipeline.transitions.map((t) => ({ from: t.from, to: t.to, atMs: Math.max(0, Math.round(t.at - run.startedAt)) })),
    stoppedBy: run.stoppedBy,
  };
  if (run.error !== undefined) summary.error = messageOf(run.error);
  if (forwarder !== undefined) summary.forward = { url: forwarder.url, subject: forwarder.subject, ...forwarder.counts() };
  return summary;
}

function formatSummary(summary: DemoSummary): string {
  const transitions = summary.transitions.map((t) => `${t.from ?? "start"}→${t.to} at ${(t.atMs / 1000).toFixed(2)}s`).join(", ");
  const reasons = Object.entries(summary.invalidByReason)
    .map(([reason, n]) => `${reason} ${n}`)
    .join(", ");
  const rows: [string, string][] = [
    ["lines sent by device", summary.linesSent === undefined ? "(real device)" : String(summary.linesSent)],
    ["messages framed", String(summary.framed)],
    ["invalid (dropped)", `${summary.invalid}${reasons === "" ? "" : `  (${reasons})`}`],
    ["events decoded", String(summary.decoded)],
    ["passed the deadband", String(summary.passedThreshold)],
    ["rate-matched out", String(summary.matched)],
    ["samples spooled", `${summary.spooled}  (spool holds offsets ${summary.spool.firstOffset}–${summary.spool.nextOffset - 1} in ${summary.spool.location})`],
    ["reconnects", String(summary.reconnects)],
    ["health", `${summary.health ?? "-"}${transitions === "" ? "" : `  (${transitions})`}`],
  ];
  if (summary.forward !== undefined) {
    const f = summary.forward;
    rows.push(["forwarded", `${f.forwarded} to ${f.url} (${f.subject}): acked ${f.acked}, pending ${f.pending}`]);
  }
  const width = Math.max(...rows.map(([k]) => k.length));
  return [
    `summary (${(summary.durationMs / 1000).toFixed(1)} s, ${summary.transport}, stopped by ${summary.stoppedBy})`,
    ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`),
    ...(summary.error === undefined ? [] : [`  error  ${summary.error}`]),
  ].join("\n");
}

async function startDevice(settings: DemoSettings, io: CliIo): Promise<SimulatedSerialDevice | undefined> {
  if (settings.port !== undefined) {
    io.out(`reading the device at ${settings.port} (${settings.baudRate} baud)\n`);
    return undefined;
  }
  const device = simulatedSerialDevice(demoScript(), { transport: settings.transport, loop: true });
  await device.start();
  io.out(
    device.transport === "socat"
      ? `simulated UART sensor on a real pseudo-terminal (socat): ${device.path}\n`
      : `simulated UART sensor on the in-process mock binding (socat is not installed): ${device.path}\n`,
  );
  return device;
}

/** Waits until the source reports its port closed after unsubscribe, at most `ms`. */
async function portClosed(pipeline: DemoPipeline, ms: number): Promise<boolean> {
  return firstValueFrom(
    race(
      pipeline.source.events$.pipe(
        filter((event) => event.type === "closed"),
        take(1),
      ),
      timer(ms),
    ),
    { defaultValue: 0 },
  ).then((event) => typeof event === "object");
}

/** How a command runs the demo: `manyfold inspect` is the demo with the inspector on and no status line. */
export interface DemoMode {
  readonly command: string;
  readonly help: string;
  readonly ui: boolean;
  readonly statusLine: boolean;
}

const DEMO_MODE: DemoMode = { command: COMMAND, help: HELP, ui: false, statusLine: true };

/** The outbox name demo-forward.ts gives its Outbox: its cursor says where this run's forwarding starts. */
const FORWARD_CURSOR = "forward";

export async function runDemo(argv: readonly string[], io: CliIo, mode: DemoMode = DEMO_MODE): Promise<number> {
  const settings = settingsFrom(argv, mode.command);
  if (settings === undefined) {
    io.out(mode.help);
    return EXIT.ok;
  }
  const ui = settings.ui || mode.ui;
  const device = await startDevice(settings, io);
  const spool = await LocalDurableSpool.open<SensorEvent>({
    location: settings.dataDir,
    name: "ambient",
    codec: sensorEventCodec(),
    durability: "sync",
    group: "ambient",
  });
  io.out(`spooling to ${settings.dataDir} (next offset ${spool.nextOffset})\n`);
  const port = device?.portOptions ?? { path: settings.port ?? "", baudRate: settings.baudRate, binding: undefined };
  const tap = ui ? new SensorDebugTap({ historySize: 200, group: "ambient" }) : undefined;
  const pipeline = demoPipeline({ port, spool, ...(tap === undefined ? {} : { debugTap: tap }) });
  let forwarder: DemoForwarder | undefined;
  let inspector: DemoInspector | undefined;
  // Time comes from the scheduler, as everywhere else: health statuses are stamped with it too.
  const startedAt = asyncScheduler.now();
  const interactive = process.stdout.isTTY;

  let stop: (reason: DemoSummary["stoppedBy"], error?: unknown) => void = () => undefined;
  const stopped = new Promise<{ reason: DemoSummary["stoppedBy"]; error: unknown }>((resolveStop) => {
    stop = (reason, error) => {
      resolveStop({ reason, error });
    };
  });
  const onSignal = (): void => {
    stop("signal");
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  const subscription = pipeline.start((error) => {
    stop("error", error);
  });
  if (settings.forward !== undefined) {
    const forwardFrom = tap === undefined ? 0 : await spool.checkpoints.nextOffset(FORWARD_CURSOR);
    forwarder = await startForwarder(settings.forward, spool, (error) => {
      stop("error", error);
    });
    io.out(`forwarding the spool to ${settings.forward} (subject ${forwarder.subject})\n`);
    if (tap !== undefined) inspector = await startDemoInspector({ pipeline, spool, tap, forward: { forwarder, from: forwardFrom }, path: pipeline.source.path });
  } else if (tap !== undefined) {
    inspector = await startDemoInspector({ pipeline, spool, tap, path: pipeline.source.path });
  }
  if (inspector !== undefined) io.out(`inspector: ${inspector.url}\n`);
  if (device !== undefined) {
    device.play().catch((error: unknown) => {
      stop("error", error);
    });
  }
  const previous = { decoded: 0, spooled: 0 };
  if (mode.statusLine) {
    subscription.add(
      interval(1_000).subscribe(() => {
        const line = statusLine(pipeline, spool, previous, forwarder);
        io.out(interactive ? `\r${line}   ` : `${line}\n`);
      }),
    );
  }
  if (settings.durationMs !== undefined) {
    subscription.add(timer(settings.durationMs).subscribe(() => { stop("duration"); }));
  }

  const { reason, error } = await stopped;
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  if (inspector !== undefined) inspector.state = "stopping";
  if (interactive && mode.statusLine) io.out("\n");
  // Only an open port reports `closed` when unsubscribed: stopped while the device is
  // unplugged (reconnecting), there is nothing to close, so nothing to wait for.
  const portWasOpen = pipeline.source.isOpen;
  const closed = portWasOpen ? portClosed(pipeline, 2_000) : Promise.resolve(true);
  subscription.unsubscribe();
  const portWasClosed = await closed;
  await forwarder?.close();
  await spool.close();
  await device?.stop();
  await inspector?.close();
  const summary = summaryOf(pipeline, spool, device, settings, {
    startedAt,
    elapsedMs: asyncScheduler.now() - startedAt,
    stoppedBy: reason,
    error,
  }, forwarder);
  io.out(`${formatSummary(summary)}\n\n${pipeline.graph.toText()}\n`);
  if (settings.graph) io.out(`\n${pipeline.graph.toMermaid()}\n`);
  io.out(
    `shutdown: ${portWasClosed ? (portWasOpen ? "port closed" : "port closed (it was not open: the device was unplugged)") : "port close not confirmed"}, spool flushed and closed ` +
      `(${summary.spool.nextOffset - summary.spool.firstOffset} records in ${settings.dataDir})\n`,
  );
  if (settings.json) io.out(`${JSON.stringify(summary)}\n`);
  return reason === "error" ? EXIT.failure : EXIT.ok;
}

/** `manyfold demo`: the main job — a live sensor pipeline on embedded defaults. */
export const demoCommand: CliCommand = {
  name: "demo",
  summary: "run a live sensor pipeline on a simulated UART sensor, spooled to LevelDB",
  run: (argv, io) => runDemo(argv, io),
};
