import { asyncScheduler, firstValueFrom, interval, timer } from "rxjs";
import { isLegoError, messageOf } from "../../atom/lego-error.js";
import { parseCommandLine, requireChoice } from "../args.js";
import { EXIT, UsageError, type CliCommand, type CliIo } from "../command.js";
import { startFleetAggregator, type FleetAggregator } from "./fleet-aggregator.js";
import type { NodeCommand, NodeReport } from "./fleet-plan.js";
import { startFleetWorker, type FleetWorker } from "./fleet-worker.js";

const COMMAND = "manyfold fleet-node";
const FLAGS = { nats: "string", id: "string", dir: "string", help: "boolean" } as const;
const HELP = `Usage: manyfold fleet-node worker|aggregator --nats URL --id ID [--dir DIR]

One process of \`manyfold fleet\`, started by it with an IPC channel to report
on; not meant to be run by hand.
`;

/** How often a node reports its counters to the fleet, ms. */
const REPORT_EVERY = 250;

function send(report: NodeReport): void {
  process.send?.(report);
}

/** How long a node keeps trying to open its streams and buckets, ms. */
const OPEN_PATIENCE = 30_000;

/**
 * Starts the node, trying again while JetStream cannot answer: a node
 * restarted while the broker restarts finds it recovering its streams.
 */
async function whenReachable<T>(id: string, start: () => Promise<T>): Promise<T> {
  const deadline = asyncScheduler.now() + OPEN_PATIENCE;
  for (;;) {
    try {
      return await start();
    } catch (error) {
      if (!isLegoError(error, "ENGINE_UNAVAILABLE") || asyncScheduler.now() > deadline) throw error;
      send({ type: "event", id, kind: "info", text: `${id} waits for JetStream: ${messageOf(error)}` });
      await firstValueFrom(timer(250));
    }
  }
}

async function runNode(argv: readonly string[], io: CliIo): Promise<number> {
  const { flags, positionals } = parseCommandLine(argv, FLAGS, COMMAND);
  if (flags.help === true) {
    io.out(HELP);
    return EXIT.ok;
  }
  const role = requireChoice("role", positionals[0] ?? "", ["worker", "aggregator"] as const, COMMAND);
  if (flags.nats === undefined || flags.id === undefined) throw new UsageError("--nats and --id are required", `run "${COMMAND} --help" for usage`);
  if (role === "aggregator" && flags.dir === undefined) throw new UsageError("an aggregator needs --dir (where its view lives)");
  const id = flags.id;
  const { connectNats } = await import("../../engines/nats/index.js");
  // The fleet restarts the broker on purpose: reconnect for as long as it takes.
  // waitOnFirstConnect: a node restarted while the broker restarts keeps trying.
  const client = await connectNats({ servers: flags.nats, maxReconnectAttempts: -1, reconnectTimeWait: 200, waitOnFirstConnect: true, name: id, group: id });
  const node = await whenReachable<FleetWorker | FleetAggregator>(id, () =>
    role === "worker" ? startFleetWorker(client, id) : startFleetAggregator(client, id, flags.dir ?? "", send),
  );
  // The only command so far; workers have no write to stop at.
  process.on("message", (_command: NodeCommand) => {
    node.pauseAtWrite?.();
  });
  const reporting = interval(REPORT_EVERY).subscribe(() => {
    void Promise.resolve(node.report())
      .then(send)
      .catch(() => undefined);
  });
  send({ type: "event", id, kind: "info", text: `${id} started (pid ${process.pid})` });

  // Stop on SIGTERM, or when the fleet went away (the IPC channel closed), so no node outlives it.
  await new Promise<void>((resolve) => {
    process.once("SIGTERM", () => { resolve(); });
    process.once("SIGINT", () => { resolve(); });
    process.once("disconnect", () => { resolve(); });
  });
  reporting.unsubscribe();
  try {
    await node.close();
    await client.close();
  } catch (error) {
    io.err(`${id}: ${messageOf(error)}\n`);
  }
  if (process.connected) process.disconnect();
  return EXIT.ok;
}

/** `manyfold fleet-node`: one worker or aggregator process of the fleet (internal). */
export const fleetNodeCommand: CliCommand = {
  name: "fleet-node",
  summary: "one process of the fleet (started by manyfold fleet)",
  hidden: true,
  run: runNode,
};
