/**
 * `npm test` runs this first: it finds the system tools the tests need and,
 * when one is missing, installs it with apt-get (running as root on
 * Debian/Ubuntu) or stops before the tests with one line saying what to
 * install. Tests then use the real tools; none is skipped for lack of one.
 */
import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync } from "node:fs";
import { delimiter, join } from "node:path";

/** A system tool, the Debian package that has it, and which tests need it. */
interface Tool {
  readonly command: string;
  readonly aptPackage: string;
  readonly neededBy: string;
}

export const TOOLS: readonly Tool[] = [
  { command: "socat", aptPackage: "socat", neededBy: "serial tests over a pseudo-terminal pair" },
  { command: "nats-server", aptPackage: "nats-server", neededBy: "NATS and JetStream backend tests" },
  { command: "mosquitto", aptPackage: "mosquitto", neededBy: "MQTT backend tests" },
  // playwright-core drives the system's browser (it downloads none): the test launches /usr/bin/chromium.
  { command: "chromium", aptPackage: "chromium", neededBy: "the inspector's headless-browser test" },
];

/** Where Debian puts daemons (`/usr/sbin`) is not on every user's PATH. */
const EXTRA_DIRS = ["/usr/local/sbin", "/usr/sbin", "/sbin"];

export function findTool(command: string): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(delimiter).filter(Boolean), ...EXTRA_DIRS];
  for (const dir of dirs) {
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; try the next directory
    }
  }
  return undefined;
}

function canInstall(): boolean {
  return process.getuid?.() === 0 && existsSync("/etc/debian_version") && findTool("apt-get") !== undefined;
}

function aptInstall(packages: readonly string[]): boolean {
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const update = spawnSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
  if (update.status !== 0) return false;
  const install = spawnSync("apt-get", ["install", "-y", "-qq", ...packages], { stdio: "inherit", env });
  return install.status === 0;
}

function main(): number {
  const missing = TOOLS.filter((tool) => findTool(tool.command) === undefined);
  if (missing.length === 0) return 0;
  const packages = missing.map((tool) => tool.aptPackage);
  const command = `apt-get install -y ${packages.join(" ")}`;
  if (!canInstall()) {
    const why = missing.map((tool) => `${tool.command} (${tool.neededBy})`).join(", ");
    process.stderr.write(`npm test needs ${why}: install with \`sudo ${command}\`, then run npm test again.\n`);
    return 1;
  }
  process.stderr.write(`npm test: installing ${packages.join(", ")} with apt-get\n`);
  if (!aptInstall(packages)) {
    process.stderr.write(`npm test: \`${command}\` failed; install ${packages.join(" ")} and run npm test again.\n`);
    return 1;
  }
  const still = missing.filter((tool) => findTool(tool.command) === undefined);
  if (still.length > 0) {
    process.stderr.write(`npm test: ${still.map((t) => t.command).join(", ")} still not found after apt-get install.\n`);
    return 1;
  }
  return 0;
}

process.exitCode = main();
