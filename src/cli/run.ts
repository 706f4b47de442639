import { messageOf } from "../atom/lego-error.js";
import { EXIT, UsageError, type CliCommand, type CliIo } from "./command.js";
import { COMMANDS } from "./commands.js";

/**
 * The `manyfold` dispatcher: picks the command named by the first argument
 * and runs it with the rest. Usage mistakes exit with code 2 and a message
 * on stderr; any other failure exits with 1.
 */

function topLevelHelp(all: readonly CliCommand[]): string {
  const commands = all.filter((c) => c.hidden !== true);
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    "Usage: manyfold <command> [options]",
    "",
    "Commands:",
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    'Run "manyfold <command> --help" for the options of a command.',
    "",
  ].join("\n");
}

/** Runs `manyfold` with `argv` (the arguments after the program name); resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo, commands: readonly CliCommand[] = COMMANDS): Promise<number> {
  const [name, ...rest] = argv;
  if (name === "--help" || name === "-h" || name === "help") {
    io.out(topLevelHelp(commands));
    return EXIT.ok;
  }
  if (name === undefined) {
    io.err(`manyfold: missing command\n\n${topLevelHelp(commands)}`);
    return EXIT.usage;
  }
  try {
    const command = commands.find((c) => c.name === name);
    if (command === undefined) {
      const expected = commands.filter((c) => c.hidden !== true).map((c) => c.name).join(", ");
      throw new UsageError(`unknown command ${JSON.stringify(name)} (expected one of: ${expected})`, 'run "manyfold --help" for usage');
    }
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`manyfold: ${error.message}\n${error.hint === undefined ? "" : `${error.hint}\n`}`);
      return EXIT.usage;
    }
    io.err(`manyfold: ${messageOf(error)}\n`);
    return EXIT.failure;
  }
}
