import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { optional, requireBoolean, requireObject } from "../atom/validate.js";
import { sleep } from "../time/sleep.js";

/** Options of {@link startMosquitto}. */
export interface MosquittoOptions {
  /**
   * Keep sessions and queued messages in a database in the data directory,
   * saved after every change, so a restarted broker still has them. (A
   * broker killed with SIGKILL loses what it had not saved yet.)
   * @default true
   */
  persistence?: boolean;
  /** Extra lines for the broker's configuration file. @default none */
  config?: readonly string[];
}

/** A `mosquitto` broker started for a test, on a free loopback port. */
export interface MosquittoBroker {
  /** `mqtt://127.0.0.1:PORT`. */
  readonly url: string;
  readonly port: number;
  /** The broker's own temporary directory (configuration, persistence, log). */
  readonly dataDir: string;
  /** The running process's id (changes on restart). */
  readonly pid: number | undefined;
  /** Sends a signal (default SIGKILL) and waits until the process has gone. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the broker again on the same port and data directory. */
  restart(): Promise<void>;
  /** Stops the broker and removes its directory. */
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1, as the OS hands one out. */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => {
      resolve(false);
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => { resolve(); }));
}

/**
 * Starts the system `mosquitto` (Debian package `mosquitto`) on a free
 * loopback port with its own data directory, and resolves once it accepts
 * connections. Tests use their own broker, never a shared one on 1883.
 *
 * ## Example
 * ```ts
 * const broker = await startMosquitto();
 * const client = await mqtt.connectAsync(broker.url);
 * await broker.kill("SIGKILL");
 * await broker.restart();
 * await broker.stop();
 * ```
 */
export async function startMosquitto(options: MosquittoOptions = {}): Promise<MosquittoBroker> {
  requireObject("options", options);
  const persistence = optional("persistence", options.persistence, requireBoolean) ?? true;
  const dataDir = mkdtempSync(join(tmpdir(), "manyfold-mosquitto-"));
  const port = await freeLoopbackPort();
  const configFile = join(dataDir, "mosquitto.conf");
  const lines = [
    `listener ${port} 127.0.0.1`,
    "allow_anonymous true",
    // Run as root, mosquitto would switch to the "mosquitto" user and could
    // not write its log and database in our directory: stay who we are.
    `user ${userInfo().username}`,
    "max_queued_messages 0",
    "max_inflight_messages 0",
    `log_dest file ${join(dataDir, "mosquitto.log")}`,
    ...(persistence
      ? ["persistence true", `persistence_location ${dataDir}/`, "autosave_on_changes true", "autosave_interval 1"]
      : ["persistence false"]),
    ...(options.config ?? []),
  ];
  writeFileSync(configFile, `${lines.join("\n")}\n`);

  let child: ChildProcess | undefined;
  const launch = async (): Promise<void> => {
    const started = spawn("mosquitto", ["-c", configFile], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    started.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const failed = new Promise<never>((_, reject) => {
      started.once("error", (error) => {
        reject(new Error(`cannot start mosquitto (install the Debian package mosquitto): ${error.message}`));
      });
      started.once("exit", (code) => {
        reject(new Error(`mosquitto exited with ${String(code)} before accepting connections: ${stderr.trim()}`));
      });
    });
    failed.catch(() => undefined);
    child = started;
    for (let waited = 0; !(await accepts(port)); waited += 10) {
      if (waited > 10_000) throw new Error(`mosquitto did not accept connections on ${port} within 10 s`);
      await Promise.race([sleep(10), failed]);
    }
  };
  await launch();

  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    dataDir,
    get pid() {
      return child?.pid;
    },
    async kill(signal = "SIGKILL") {
      if (child === undefined) return;
      const current = child;
      current.kill(signal);
      await exited(current);
    },
    async restart() {
      if (child !== undefined && child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await exited(child);
      }
      await launch();
    },
    async stop() {
      if (child !== undefined && child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await exited(child);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
