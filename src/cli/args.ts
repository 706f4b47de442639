import { UsageError } from "./command.js";

/**
 * A strict command-line parser: every flag must be declared, boolean flags
 * take no value, string options take exactly one (`--layer local` or
 * `--layer=local`) and may be given once; `--` ends the flags; `-h` is
 * `--help`. Any other dash word is an error, so a typo never passes silently.
 */

/** The flags a command accepts: name (without dashes) → kind. */
export type FlagKinds = Readonly<Record<string, "boolean" | "string">>;

/** Parsed flags: `true` for a boolean flag that was given, the text for a string option. */
export type FlagValues<S extends FlagKinds> = { readonly [K in keyof S]?: S[K] extends "boolean" ? true : string };

export interface CommandLine<S extends FlagKinds> {
  readonly flags: FlagValues<S>;
  readonly positionals: readonly string[];
}

/**
 * Parses `argv` against `spec`. `command` is the command's full name
 * (`manyfold catalog list`), used in error messages and hints.
 *
 * @throws UsageError for an unknown flag, a missing or unexpected value, or a repeated option.
 */
export function parseCommandLine<S extends FlagKinds>(argv: readonly string[], spec: S, command: string): CommandLine<S> {
  const flags = new Map<string, string | true>();
  const positionals: string[] = [];
  const hint = `run "${command} --help" for usage`;
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] ?? "";
    if (word === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (word === "-h") {
      flags.set("help", true);
      continue;
    }
    if (!word.startsWith("-") || word === "-") {
      positionals.push(word);
      continue;
    }
    if (!word.startsWith("--")) throw new UsageError(`unknown option ${word} for "${command}"${known(spec)}`, hint);
    const equals = word.indexOf("=");
    const name = word.slice(2, equals === -1 ? undefined : equals);
    const kind = spec[name];
    if (kind === undefined) throw new UsageError(`unknown option --${name} for "${command}"${known(spec)}`, hint);
    if (flags.has(name)) throw new UsageError(`option --${name} is given more than once`, hint);
    if (kind === "boolean") {
      if (equals !== -1) throw new UsageError(`option --${name} takes no value`, hint);
      flags.set(name, true);
      continue;
    }
    const value = equals !== -1 ? word.slice(equals + 1) : argv[++i];
    if (value === undefined || (equals === -1 && value.startsWith("--"))) {
      throw new UsageError(`option --${name} needs a value`, hint);
    }
    flags.set(name, value);
  }
  return { flags: Object.fromEntries(flags) as FlagValues<S>, positionals };
}

function known(spec: FlagKinds): string {
  const names = Object.keys(spec).map((name) => `--${name}`);
  return names.length === 0 ? "" : ` (options: ${names.join(", ")})`;
}

/**
 * Checks a string option against its allowed values.
 * @throws UsageError naming the option and the allowed values.
 */
export function requireChoice<const V extends string>(option: string, value: string, allowed: readonly V[], command: string): V {
  if ((allowed as readonly string[]).includes(value)) return value as V;
  throw new UsageError(
    `unknown ${option} ${JSON.stringify(value)} (expected one of: ${allowed.join(", ")})`,
    `run "${command} --help" for usage`,
  );
}
