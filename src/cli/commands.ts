import { catalogCommand } from "./catalog-command.js";
import type { CliCommand } from "./command.js";
import { demoCommand } from "./demo-command.js";
import { fleetCommand } from "./fleet/fleet-command.js";
import { fleetNodeCommand } from "./fleet/fleet-node-command.js";
import { inspectCommand } from "./inspect-command.js";
import { spoolCommand } from "./spool-command.js";

/**
 * Every `manyfold` command, in the order `manyfold --help` lists them. A new
 * command is a module under src/cli/ exporting a {@link CliCommand}, added
 * here with one line.
 */
export const COMMANDS: readonly CliCommand[] = [demoCommand, fleetCommand, inspectCommand, catalogCommand, spoolCommand, fleetNodeCommand];
