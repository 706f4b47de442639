import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LegoError } from "../atom/lego-error.js";
import { optional, requireBoolean, requireNonEmptyString, requirePositiveInteger, requireString } from "../atom/validate.js";
import { sleep } from "../time/sleep.js";

/** Options of {@link startNatsServer}. */
export interface NatsServerOptions {
  /** Enable JetStream (`-js`). @default true */
  jetstream?: boolean;
  /** JetStream store directory (`-sd`); kept by `stop()` when given. @default a fresh directory under the OS temp dir, removed by `stop()` */
  dataDir?: string;
  /** More command-line arguments for `nats-server` (e.g. `["--max_payload", "1MB"]`). @default [] */
  args?: readonly string[];
  /** The server binary. @default "nats-server" */
  binary?: string;
  /** How long to wait for the server to answer `/healthz`, in ms. @default 10000 */
  startTimeout?: number;
  /**
   * Also listen for MQTT 3.1.1 clients on a free loopback port
   * ({@link NatsServer.mqttUrl}); MQTT topic `a/b` arrives as subject `a.b`.
   * The listener keeps its sessions in JetStream, so this needs `jetstream`;
   * nats-server 2.9 refuses MQTT 5 and QoS 2.
   * @default false
   */
  mqtt?: boolean;
}

/** A `nats-server` process started by {@link startNatsServer}. */
export interface NatsServer {
  /** Client URL, e.g. `nats://127.0.0.1:43121` (the same after `restart()`). */
  readonly url: string;
  /** Monitoring URL, e.g. `http://127.0.0.1:38211` (the same after `restart()`). */
  readonly monitorUrl: string;
  /** Client port. */
  readonly port: number;
  /** MQTT listener URL, e.g. `mqtt://127.0.0.1:41883` (the same after `restart()`), when started with `mqtt: true`. */
  readonly mqttUrl: string | undefined;
  /** Process id of the current process (changes on `restart()`). */
  readonly pid: number;
  /** The JetStream store directory. */
  readonly dataDir: string;
  /** Whether the process is running. */
  readonly running: boolean;
  /** Terminates the server (SIGTERM, then SIGKILL after 5 s) and removes the temp directories it made. Idempotent. */
  stop(): Promise<void>;
  /** Sends `signal` (default SIGKILL) and waits until the process exited; the data directory stays. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /**
   * Starts the server again on the same ports and data directory (so clients
   * reconnect and JetStream state survives); stops a running one first
   * (SIGTERM).
   */
  restart(): Promise<void>;
}

/** Options of {@link startNatsCluster}. */
export interface NatsClusterOptions {
  /** Cluster name. @default "manyfold" */
  name?: string;
  /** More command-line arguments for each node. @default [] */
  args?: readonly string[];
  /** The server binary. @default "nats-server" */
  binary?: string;
  /** How long to wait for the cluster to elect a JetStream meta leader, in ms. @default 20000 */
  startTimeout?: number;
}

/** A loopback JetStream cluster started by {@link startNatsCluster}. */
export interface NatsCluster {
  /** The nodes, each a {@link NatsServer} (`kill`, `restart`, `url`, …). */
  readonly nodes: readonly NatsServer[];
  /** Every node's client URL: give all of them to a client so it fails over. */
  readonly urls: readonly string[];
  /** Restarts node `i` on its ports and store directory. */
  restart(i: number): Promise<void>;
  /** The `server_name` of the current JetStream meta leader, if any node knows one. */
  metaLeader(): Promise<string | undefined>;
  /** Resolves once some node reports a JetStream meta leader (after a kill, for instance). */
  ready(timeout?: number): Promise<void>;
  /** Stops every node and removes the cluster's temp directory. */
  stop(): Promise<void>;
}

const POLL_MS = 20;
const INSTALL_HINT = "install it (Debian/Ubuntu: apt-get install nats-server) or put it on PATH";

/** Whether the `nats-server` binary (or `binary`) can be run. */
export function natsServerAvailable(binary = "nats-server"): boolean {
  const result = spawnSync(binary, ["--version"], { stdio: "ignore" });
  return result.error === undefined && result.status === 0;
}

/** The version `nats-server --version` prints (e.g. `"2.9.10"`), or `undefined` when the binary is missing. */
export function natsServerVersion(binary = "nats-server"): string | undefined {
  const result = spawnSync(binary, ["--version"], { encoding: "utf8" });
  if (result.error !== undefined || result.status !== 0) return undefined;
  return /v?(\d+\.\d+\.\d+\S*)/.exec(result.stdout)?.[1];
}

function requireBinary(binary: string): void {
  if (!natsServerAvailable(binary)) {
    throw new LegoError("ENGINE_UNAVAILABLE", `cannot run ${JSON.stringify(binary)}: ${INSTALL_HINT}`);
  }
}

/** A free loopback TCP port (the OS picks it; it is released before returning). */
async function freePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => { resolve(port); });
    });
  });
}

async function httpJson(url: string): Promise<unknown> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
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

async function healthy(monitorUrl: string, jetstream: boolean): Promise<boolean> {
  try {
    // the full check: JetStream enabled and every stream and consumer recovered (after a restart)
    const body = (await httpJson(`${monitorUrl}/healthz${jetstream ? "" : "?js-server-only=true"}`)) as { status?: unknown };
    return body.status === "ok";
  } catch {
    return false;
  }
}

interface Spec {
  readonly binary: string;
  readonly args: () => string[];
  readonly jetstream: boolean;
  readonly startTimeout: number;
  /** Where `--ports_file_dir` writes (dynamic ports only). */
  readonly portsDir?: string;
  /** The MQTT listener's port, when there is one. */
  readonly mqttPort?: number;
}

/** One server process that can be killed and started again with the same arguments. */
class NatsProcess implements NatsServer {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private output = "";
  url = "";
  monitorUrl = "";
  port = 0;
  monitorPort = 0;

  constructor(
    private readonly spec: Spec,
    readonly dataDir: string,
    private readonly cleanup: readonly string[],
  ) {}

  get mqttUrl(): string | undefined {
    return this.spec.mqttPort === undefined ? undefined : `mqtt://127.0.0.1:${this.spec.mqttPort}`;
  }

  get pid(): number {
    return this.child?.pid ?? -1;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<void> {
    const args = this.spec.args();
    if (this.port !== 0) args.push("-p", String(this.port), "-m", String(this.monitorPort));
    else if (this.spec.portsDir !== undefined) args.push("-p", "-1", "-m", "-1", "--ports_file_dir", this.spec.portsDir);
    this.output = "";
    const child = spawn(this.spec.binary, args, { stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    const keep = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString("utf8")).slice(-4000);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    this.exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once("exit", () => { resolve(); });
    });
    const spawned = await new Promise<Error | undefined>((resolve) => {
      child.once("spawn", () => { resolve(undefined); });
      child.once("error", (error) => { resolve(error); });
    });
    if (spawned !== undefined) {
      throw new LegoError("ENGINE_UNAVAILABLE", `cannot run ${JSON.stringify(this.spec.binary)}: ${INSTALL_HINT}`, {
        cause: spawned,
      });
    }
    const attempts = Math.ceil(this.spec.startTimeout / POLL_MS);
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (!this.running) {
        throw new LegoError("ENGINE_UNAVAILABLE", `nats-server exited during start-up: ${this.output.trim()}`);
      }
      if (this.port === 0) this.readPortsFile();
      // /healthz can answer before the MQTT listener is up (after a restart on fixed ports)
      if (this.port !== 0 && (await healthy(this.monitorUrl, this.spec.jetstream)) && (this.spec.mqttPort === undefined || (await accepts(this.spec.mqttPort)))) {
        return;
      }
      await sleep(POLL_MS);
    }
    await this.kill("SIGKILL");
    throw new LegoError("TIMEOUT", `nats-server did not become healthy within ${this.spec.startTimeout} ms: ${this.output.trim()}`);
  }

  /** Sets fixed ports (a cluster node's, known before it starts). */
  fixPorts(port: number, monitorPort: number): void {
    this.port = port;
    this.monitorPort = monitorPort;
    this.url = `nats://127.0.0.1:${port}`;
    this.monitorUrl = `http://127.0.0.1:${monitorPort}`;
  }

  private readPortsFile(): void {
    const dir = this.spec.portsDir;
    if (dir === undefined) return;
    const file = join(dir, `nats-server_${this.pid}.ports`);
    if (!existsSync(file)) return;
    let ports: { nats?: string[]; monitoring?: string[] };
    try {
      ports = JSON.parse(readFileSync(file, "utf8")) as typeof ports;
    } catch {
      return; // being written
    }
    const client = ports.nats?.[0];
    const monitor = ports.monitoring?.[0];
    if (client === undefined || monitor === undefined) return;
    this.fixPorts(Number(new URL(client).port), Number(new URL(monitor).port));
  }

  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    if (this.running) this.child?.kill(signal);
    await this.exited;
  }

  async restart(): Promise<void> {
    if (this.running) await this.terminate();
    await this.start();
  }

  private async terminate(): Promise<void> {
    if (!this.running) return;
    this.child?.kill("SIGTERM");
    const stopped = await Promise.race([this.exited.then(() => true), sleep(5000).then(() => false)]);
    if (!stopped) await this.kill("SIGKILL");
  }

  async stop(): Promise<void> {
    await this.terminate();
    for (const dir of this.cleanup) rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Starts the system `nats-server` on free loopback ports with its own temp
 * store directory, and resolves once `/healthz` answers (with JetStream
 * enabled, unless `jetstream: false`). For engine tests and benchmarks:
 * each test file starts its own server and stops it.
 *
 * Rejects with `LegoError` `ENGINE_UNAVAILABLE` when the binary is missing
 * (Debian package `nats-server`) or exits during start-up, `TIMEOUT` when it
 * does not become healthy in time.
 *
 * ## Example
 * ```ts
 * const server = await startNatsServer();
 * const nc = await connectNats(server.url);
 * // an MQTT 3.1.1 listener as well: startNatsServer({ mqtt: true }) → server.mqttUrl
 * // … kill the broker and bring it back on the same port and data dir:
 * await server.kill("SIGKILL");
 * await server.restart();
 * await server.stop();
 * ```
 */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const jetstream = optional("jetstream", options.jetstream, requireBoolean) ?? true;
  const givenDir = optional("dataDir", options.dataDir, requireNonEmptyString);
  const binary = optional("binary", options.binary, requireNonEmptyString) ?? "nats-server";
  const startTimeout = optional("startTimeout", options.startTimeout, requirePositiveInteger) ?? 10_000;
  const extra = (options.args ?? []).map((arg, i) => requireString(`args[${i}]`, arg));
  const mqtt = optional("mqtt", options.mqtt, requireBoolean) ?? false;
  if (mqtt && !jetstream) throw new RangeError("mqtt: the MQTT listener needs JetStream (jetstream: true)");
  requireBinary(binary);
  const root = mkdtempSync(join(tmpdir(), "manyfold-nats-"));
  const dataDir = givenDir ?? join(root, "data");
  mkdirSync(dataDir, { recursive: true });
  const portsDir = join(root, "ports");
  mkdirSync(portsDir);
  // The MQTT listener is configured only in a config file (and needs a server_name); the flags still set the rest.
  const mqttPort = mqtt ? await freePort() : undefined;
  const config = join(root, "mqtt.conf");
  if (mqttPort !== undefined) {
    writeFileSync(config, [`server_name: ${JSON.stringify(`manyfold-${mqttPort}`)}`, `mqtt { listen: "127.0.0.1:${mqttPort}" }`, ""].join("\n"));
  }
  const spec: Spec = {
    binary,
    jetstream,
    startTimeout,
    portsDir,
    ...(mqttPort === undefined ? {} : { mqttPort }),
    args: () => ["-a", "127.0.0.1", ...(mqttPort === undefined ? [] : ["-c", config]), ...(jetstream ? ["-js", "-sd", dataDir] : []), ...extra],
  };
  const server = new NatsProcess(spec, dataDir, [root]);
  try {
    await server.start();
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

interface JszMeta {
  meta_cluster?: { leader?: string };
}

/**
 * Starts an `n`-node JetStream cluster on loopback (each node with its own
 * `server_name`, client, monitor and route ports and store directory, all
 * routes known to all nodes), and resolves once a node reports a JetStream
 * meta leader (`/jsz`), which is when streams can be created.
 *
 * ## Example
 * ```ts
 * const cluster = await startNatsCluster(3);
 * const nc = await connectNats({ servers: [...cluster.urls] });
 * await cluster.nodes[0].kill("SIGKILL");
 * await cluster.restart(0);
 * await cluster.stop();
 * ```
 */
export async function startNatsCluster(n = 3, options: NatsClusterOptions = {}): Promise<NatsCluster> {
  requirePositiveInteger("n", n);
  const name = optional("name", options.name, requireNonEmptyString) ?? "manyfold";
  const binary = optional("binary", options.binary, requireNonEmptyString) ?? "nats-server";
  const startTimeout = optional("startTimeout", options.startTimeout, requirePositiveInteger) ?? 20_000;
  const extra = (options.args ?? []).map((arg, i) => requireString(`args[${i}]`, arg));
  requireBinary(binary);
  const root = mkdtempSync(join(tmpdir(), "manyfold-nats-cluster-"));
  const ports: { client: number; http: number; route: number }[] = [];
  const taken = new Set<number>();
  const pick = async (): Promise<number> => {
    for (;;) {
      const port = await freePort();
      if (!taken.has(port)) {
        taken.add(port);
        return port;
      }
    }
  };
  for (let i = 0; i < n; i++) ports.push({ client: await pick(), http: await pick(), route: await pick() });
  const routes = ports.map((p) => `nats-route://127.0.0.1:${p.route}`);
  const nodes: NatsProcess[] = ports.map((p, i) => {
    const dir = join(root, `n${i}`);
    mkdirSync(dir, { recursive: true });
    const config = join(root, `n${i}.conf`);
    writeFileSync(
      config,
      [
        `server_name: n${i}`,
        `listen: 127.0.0.1:${p.client}`,
        `http: 127.0.0.1:${p.http}`,
        `jetstream { store_dir: ${JSON.stringify(dir)} }`,
        `cluster {`,
        `  name: ${JSON.stringify(name)}`,
        `  listen: 127.0.0.1:${p.route}`,
        `  routes: [${routes.map((r) => JSON.stringify(r)).join(", ")}]`,
        `}`,
        "",
      ].join("\n"),
    );
    const node = new NatsProcess(
      { binary, jetstream: true, startTimeout, args: () => ["-c", config, ...extra] },
      dir,
      [],
    );
    // start() passes these as -p/-m too: the same values as the config's
    node.fixPorts(p.client, p.http);
    return node;
  });

  const metaLeader = async (): Promise<string | undefined> => {
    for (const node of nodes) {
      if (!node.running) continue;
      try {
        const jsz = (await httpJson(`${node.monitorUrl}/jsz`)) as JszMeta;
        const leader = jsz.meta_cluster?.leader;
        if (typeof leader === "string" && leader !== "") return leader;
      } catch {
        // not up yet
      }
    }
    return undefined;
  };
  const ready = async (timeout = startTimeout): Promise<void> => {
    for (let waited = 0; waited < timeout; waited += 50) {
      if ((await metaLeader()) !== undefined) return;
      await sleep(50);
    }
    throw new LegoError("TIMEOUT", `no JetStream meta leader within ${timeout} ms`);
  };
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((node) => node.stop()));
    rmSync(root, { recursive: true, force: true });
  };
  try {
    await Promise.all(nodes.map((node) => node.start()));
    await ready();
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    nodes,
    urls: nodes.map((node) => node.url),
    async restart(i: number): Promise<void> {
      const node = nodes[i];
      if (node === undefined) throw new RangeError(`restart: no node ${i} (cluster of ${n})`);
      await node.restart();
    },
    metaLeader,
    ready,
    stop,
  };
}
