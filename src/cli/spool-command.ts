import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { LocalDurableSpool } from "../durable/local-durable-spool.js";
import { jsonCodec } from "../local/value-codecs.js";
import { parseCommandLine } from "./args.js";
import { EXIT, UsageError, type CliCommand, type CliIo } from "./command.js";

const COMMAND = "manyfold spool replay";
const FLAGS = { from: "string", name: "string", json: "boolean", limit: "string", help: "boolean" } as const;

const HELP = `Usage: manyfold spool replay DIR [options]

Prints the records a spool stored in DIR (e.g. the demo's ./data), oldest
first, one per line: offset, time appended, value. Progress goes to stderr
on long replays.

Options:
  --from N      start at offset N (default: the oldest kept)
  --limit N     print at most N records
  --name NAME   the spool's name inside DIR (default ambient, the demo's)
  --json        one JSON object per record: {"offset","appendedAt","value"}
  -h, --help    this help
`;

const PROGRESS_EVERY = 10_000;

function nonNegativeInteger(option: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${option} must be a non-negative integer, got ${JSON.stringify(text)}`, `run "${COMMAND} --help" for usage`);
  return n;
}

async function replay(argv: readonly string[], io: CliIo): Promise<number> {
  const { flags, positionals } = parseCommandLine(argv, FLAGS, COMMAND);
  if (flags.help === true) {
    io.out(HELP);
    return EXIT.ok;
  }
  const [dir, extra] = positionals;
  if (dir === undefined) throw new UsageError("missing DIR (the spool's folder, e.g. ./data)", `run "${COMMAND} --help" for usage`);
  if (extra !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(extra)}`, `run "${COMMAND} --help" for usage`);
  const location = resolve(dir);
  if (!existsSync(location)) {
    io.err(`manyfold: no spool at ${location}\n`);
    return EXIT.failure;
  }
  const from = nonNegativeInteger("--from", flags.from);
  const limit = nonNegativeInteger("--limit", flags.limit) ?? Infinity;
  // Values are read as plain JSON so any spool prints, whatever codec wrote it (sensor codecs are JSON too).
  const spool = await LocalDurableSpool.open({ location, name: flags.name ?? "ambient", codec: jsonCodec() });
  const total = Math.max(0, spool.nextOffset - Math.max(from ?? 0, spool.firstOffset));
  const showProgress = total > PROGRESS_EVERY;
  let printed = 0;
  try {
    await new Promise<void>((done, fail) => {
      const subscription = spool.replay(from === undefined ? {} : { from }).subscribe({
        next: (record) => {
          io.out(
            flags.json === true
              ? `${JSON.stringify({ offset: record.offset, appendedAt: record.appendedAt, value: record.value })}\n`
              : `${record.offset}\t${new Date(record.appendedAt).toISOString()}\t${JSON.stringify(record.value)}\n`,
          );
          printed++;
          if (showProgress && printed % PROGRESS_EVERY === 0) io.err(`replayed ${printed}/${total}\n`);
          if (printed >= limit) {
            subscription.unsubscribe();
            done();
          }
        },
        error: fail,
        complete: done,
      });
    });
  } finally {
    await spool.close();
  }
  io.err(`${printed} record${printed === 1 ? "" : "s"} from ${location} (offsets ${spool.firstOffset}–${spool.nextOffset - 1})\n`);
  return EXIT.ok;
}

/** `manyfold spool replay DIR`: prints what a spool stored. */
export const spoolCommand: CliCommand = {
  name: "spool",
  summary: "replay what a spool stored: manyfold spool replay DIR",
  run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === "replay") return replay(rest, io);
    if (sub === "--help" || sub === "-h" || sub === undefined) {
      io.out(HELP);
      return sub === undefined ? EXIT.usage : EXIT.ok;
    }
    throw new UsageError(`unknown spool command ${JSON.stringify(sub)} (expected: replay)`, 'run "manyfold spool --help" for usage');
  },
};
