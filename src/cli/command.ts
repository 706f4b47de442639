/**
 * What every `manyfold` command is made of. A command is a module exporting
 * a {@link CliCommand}; `commands.ts` lists them, `run.ts` dispatches.
 */

/** Where a command writes. `main.ts` binds these to the process streams. */
export interface CliIo {
  /** Writes to standard output (the command's result). */
  out(text: string): void;
  /** Writes to standard error (diagnostics, usage errors). */
  err(text: string): void;
}

/** One top-level command (`catalog`, `demo`, …). */
export interface CliCommand {
  /** The word after `manyfold`. */
  readonly name: string;
  /** One line for `manyfold --help`. */
  readonly summary: string;
  /** Left out of `manyfold --help` (a process another command starts). */
  readonly hidden?: boolean;
  /** Runs with the arguments after the command name; resolves to the exit code. */
  run(argv: readonly string[], io: CliIo): number | Promise<number>;
}

/** Exit codes of `manyfold`. */
export const EXIT = Object.freeze({
  ok: 0,
  /** Something failed while running a valid command. */
  failure: 1,
  /** The command line was wrong: unknown command, flag, option value or lego name. */
  usage: 2,
});

/**
 * A mistake in the command line. `run.ts` prints its message and `hint` to
 * stderr and exits with {@link EXIT.usage}.
 */
export class UsageError extends Error {
  override readonly name = "UsageError";
  /** Where to look for the right usage, e.g. `manyfold catalog list --help`. */
  readonly hint: string | undefined;

  constructor(message: string, hint?: string) {
    super(message);
    this.hint = hint;
  }
}
