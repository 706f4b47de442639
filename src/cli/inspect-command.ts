import type { CliCommand } from "./command.js";
import { runDemo } from "./demo-command.js";

const HELP = `Usage: manyfold inspect [demo options]

Runs the demo pipeline with the live inspector on and the status line off,
until Ctrl-C or --duration. The inspector listens on a free loopback port and
prints its address (inspector: http://127.0.0.1:PORT/): open it in a browser
to watch the pipeline topology drawn from its legos with live counters,
health, queues, recent events and the debug tap's envelopes.

It takes the options of manyfold demo (--duration, --port, --baud, --data,
--transport, --forward, --json …; see manyfold demo --help); it is
manyfold demo --ui without the status line.

To inspect a fleet of processes, use manyfold fleet --ui.
`;

/** `manyfold inspect`: the demo pipeline, watched in the browser. */
export const inspectCommand: CliCommand = {
  name: "inspect",
  summary: "run the demo pipeline with the live inspector page on a loopback port",
  run: (argv, io) => runDemo(argv, io, { command: "manyfold inspect", help: HELP, ui: true, statusLine: false }),
};
