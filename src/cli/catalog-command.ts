import { isLegoError } from "../atom/lego-error.js";
import {
  LAYERS,
  ROLES,
  allLegos,
  catalogStatus,
  dependenciesOf,
  dependencyClosureOf,
  dependentsOf,
  getLego,
  isImplemented,
  toDot,
  toMermaid,
  type CatalogGraphOptions,
} from "../catalog/index.js";
import { parseCommandLine, requireChoice, type FlagKinds, type FlagValues } from "./args.js";
import { formatLego, formatLegoTable, formatNameList, formatPropertyLaw, formatStatus, wrap } from "./catalog-format.js";
import { EXIT, UsageError, type CliCommand, type CliIo } from "./command.js";

/** `manyfold catalog …`: browse the lego catalog. */

/** A subcommand as written: its flags, how many NAMEs it takes, and what it does. */
interface SubcommandDefinition<S extends FlagKinds> {
  readonly name: string;
  readonly usage: string;
  readonly description: string;
  readonly flags: S;
  /** How many NAME arguments it takes. */
  readonly names: "one" | "none" | "any";
  run(flags: FlagValues<S>, names: readonly string[], io: CliIo): void;
}

/** A subcommand ready to run on raw arguments (its flag types erased). */
interface Subcommand {
  readonly name: string;
  readonly usage: string;
  readonly description: string;
  execute(argv: readonly string[], io: CliIo): number;
}

const COMMON = { json: "boolean", help: "boolean" } as const;
const FORMATS = ["mermaid", "dot"] as const;
const ALL_NAMES_HINT = 'run "manyfold catalog list" to see every name';

function subcommand<S extends FlagKinds & { readonly help: "boolean" }>(definition: SubcommandDefinition<S>): Subcommand {
  const command = `manyfold catalog ${definition.name}`;
  return {
    name: definition.name,
    usage: definition.usage,
    description: definition.description,
    execute(argv, io) {
      const { flags, positionals } = parseCommandLine(argv, definition.flags, command);
      if (flags.help === true) {
        io.out([`Usage: ${definition.usage}`, "", ...wrap(definition.description, ""), ""].join("\n"));
        return EXIT.ok;
      }
      checkNameCount(command, definition.names, positionals);
      definition.run(flags, positionals, io);
      return EXIT.ok;
    },
  };
}

/** `--seed` → the seed's own graph; otherwise every edge. */
function graphFlag(seed: boolean | undefined): CatalogGraphOptions {
  return { graph: seed === true ? "seed" : "all" };
}

function printJson(io: CliIo, value: unknown): void {
  io.out(`${JSON.stringify(value, null, 2)}\n`);
}

/** Runs a catalog lookup, turning an unknown lego name into a usage error. */
function lookup<T>(query: () => T): T {
  try {
    return query();
  } catch (error) {
    if (isLegoError(error, "UNKNOWN_LEGO")) throw new UsageError(error.message, ALL_NAMES_HINT);
    throw error;
  }
}

const list = subcommand({
  name: "list",
  usage: "manyfold catalog list [--layer LAYER] [--role ROLE] [--implemented | --catalog-only] [--json]",
  description: "Lists legos sorted by name, optionally only one layer, one role, or only implemented (or catalog-only) ones.",
  flags: { ...COMMON, layer: "string", role: "string", implemented: "boolean", "catalog-only": "boolean" },
  names: "none",
  run(flags, _names, io) {
    const command = "manyfold catalog list";
    const layer = flags.layer === undefined ? undefined : requireChoice("layer", flags.layer, LAYERS, command);
    const role = flags.role === undefined ? undefined : requireChoice("role", flags.role, ROLES, command);
    if (flags.implemented === true && flags["catalog-only"] === true) {
      throw new UsageError("--implemented and --catalog-only exclude each other", `run "${command} --help" for usage`);
    }
    const legos = allLegos().filter(
      (lego) =>
        (layer === undefined || lego.layer === layer) &&
        (role === undefined || lego.role === role) &&
        (flags.implemented !== true || isImplemented(lego)) &&
        (flags["catalog-only"] !== true || !isImplemented(lego)),
    );
    if (flags.json === true) printJson(io, legos);
    else io.out(formatLegoTable(legos));
  },
});

const show = subcommand({
  name: "show",
  usage: "manyfold catalog show NAME [--json]",
  description: "Shows every field of one lego and the legos that require it.",
  flags: COMMON,
  names: "one",
  run(flags, [name = ""], io) {
    const lego = lookup(() => getLego(name));
    if (flags.json === true) printJson(io, lego);
    else {
      io.out(formatLego(lego, dependentsOf(name)));
      if (lego.layer === "property") io.out(formatPropertyLaw(lego.name));
    }
  },
});

const deps = subcommand({
  name: "deps",
  usage: "manyfold catalog deps NAME [--closure] [--seed] [--json]",
  description:
    "Lists what NAME requires directly, or with --closure everything it requires, dependency-first; with --seed only along the seed's own graph.",
  flags: { ...COMMON, closure: "boolean", seed: "boolean" },
  names: "one",
  run(flags, [name = ""], io) {
    const graph = graphFlag(flags.seed);
    const legos = lookup(() => (flags.closure === true ? dependencyClosureOf(name, graph) : dependenciesOf(name, graph)));
    if (flags.json === true) printJson(io, legos);
    else io.out(formatNameList(legos, `${name} requires nothing`));
  },
});

const dependents = subcommand({
  name: "dependents",
  usage: "manyfold catalog dependents NAME [--seed] [--json]",
  description: "Lists the legos that require NAME directly; with --seed only along the seed's own graph.",
  flags: { ...COMMON, seed: "boolean" },
  names: "one",
  run(flags, [name = ""], io) {
    const legos = lookup(() => dependentsOf(name, graphFlag(flags.seed)));
    if (flags.json === true) printJson(io, legos);
    else io.out(formatNameList(legos, `no lego requires ${name}`));
  },
});

const graph = subcommand({
  name: "graph",
  usage: "manyfold catalog graph [NAME…] [--format mermaid|dot] [--seed] [--json]",
  description:
    "Prints the dependency graph (A --> B: A requires B), layers as subgraphs, implemented legos marked ✓, edges added beyond the seed's graph dashed; with NAMEs only they and their dependency closure; with --seed the seed's own graph alone. Default format: mermaid.",
  flags: { ...COMMON, format: "string", seed: "boolean" },
  names: "any",
  run(flags, names, io) {
    const format = requireChoice("format", flags.format ?? "mermaid", FORMATS, "manyfold catalog graph");
    const graph = graphFlag(flags.seed);
    const text = lookup(() => (format === "dot" ? toDot(names, graph) : toMermaid(names, graph)));
    if (flags.json === true) printJson(io, { format, graph: graph.graph, names, text });
    else io.out(text);
  },
});

const status = subcommand({
  name: "status",
  usage: "manyfold catalog status [--json]",
  description: "Counts implemented and catalog-only legos per layer and overall.",
  flags: COMMON,
  names: "none",
  run(flags, _names, io) {
    const counts = catalogStatus();
    if (flags.json === true) printJson(io, counts);
    else io.out(formatStatus(counts));
  },
});

const SUBCOMMANDS: readonly Subcommand[] = [list, show, deps, dependents, graph, status];

function catalogHelp(): string {
  const width = Math.max(...SUBCOMMANDS.map((s) => s.name.length));
  return [
    "Usage: manyfold catalog <command> [options]",
    "",
    "Browse the distributed-systems lego catalog: what each lego promises, what",
    "it requires, and which ones this library implements.",
    "",
    "Commands:",
    ...SUBCOMMANDS.map((s) => `  ${s.name.padEnd(width)}  ${s.usage.replace(/^manyfold catalog \S+ ?/, "")}`),
    "",
    "Every command takes --json (machine-readable output) and --help.",
    ...wrap(`Layers: ${LAYERS.join(", ")}`, ""),
    ...wrap(`Roles: ${ROLES.join(", ")}`, ""),
    "Exit codes: 0 success, 2 unknown command, option, value or lego name.",
    "",
  ].join("\n");
}

function checkNameCount(command: string, expected: "one" | "none" | "any", names: readonly string[]): void {
  const hint = `run "${command} --help" for usage`;
  if (expected === "one" && names.length !== 1) {
    throw new UsageError(
      names.length === 0 ? `"${command}" needs a lego NAME` : `"${command}" takes one NAME, got ${names.length}`,
      hint,
    );
  }
  if (expected === "none" && names.length > 0) {
    throw new UsageError(`"${command}" takes no arguments, got ${JSON.stringify(names[0])}`, hint);
  }
}

function runCatalog(argv: readonly string[], io: CliIo): number {
  const [first, ...rest] = argv;
  if (first === "--help" || first === "-h" || first === "help") {
    io.out(catalogHelp());
    return EXIT.ok;
  }
  if (first === undefined) {
    io.err(`manyfold: "manyfold catalog" needs a command\n\n${catalogHelp()}`);
    return EXIT.usage;
  }
  const sub = SUBCOMMANDS.find((s) => s.name === first);
  if (sub === undefined) {
    throw new UsageError(
      `unknown catalog command ${JSON.stringify(first)} (expected one of: ${SUBCOMMANDS.map((s) => s.name).join(", ")})`,
      'run "manyfold catalog --help" for usage',
    );
  }
  return sub.execute(rest, io);
}

export const catalogCommand: CliCommand = {
  name: "catalog",
  summary: "browse the lego catalog: list, show, deps, dependents, graph, status",
  run: runCatalog,
};
