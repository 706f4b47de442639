import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { asyncScheduler, type SchedulerLike } from "rxjs";
import {
  optional,
  requireFunction,
  requireNonEmptyString,
  requireNonNegative,
  requireNonNegativeInteger,
  requireObject,
  requireOneOf,
  requirePositiveInteger,
  requireString,
  requireBoolean,
} from "../atom/validate.js";
import type { SerialBinding, SerialBindingPort, SerialOpenOptions } from "../sensor/serial-port-source.js";
import { schedulerOption } from "../time/scheduler.js";
import { sleep } from "../time/sleep.js";

/**
 * One step of a device script. Steps run in order; every write after the
 * first waits `every` ms (the device's, or the step's own for `lines`).
 *
 * - `{ line }` — one line (the line ending is added).
 * - `{ lines, every? }` — several lines, one write each, `every` ms apart.
 * - `{ bytes }` — raw bytes, as they are.
 * - `{ garbage: n, terminated? }` — `n` bytes that can never be valid UTF-8
 *   (0xC0, 0xC1, 0xF5–0xFF, from a seeded generator), then the line ending
 *   unless `terminated: false`.
 * - `{ splitUtf8, gap? }` — a line written in two writes `gap` ms apart
 *   (default 20), cut inside its first multi-byte character (a `RangeError`
 *   at construction when it has none).
 * - `{ unplug: ms }` — the path disappears for `ms`, then returns (socat is
 *   killed and restarted on the same link; the mock makes the host's read
 *   fail with EIO and its opens fail with ENOENT meanwhile).
 * - `{ silence: ms }` — nothing for `ms`.
 * - `{ burst }` — several lines in a single write.
 */
export type DeviceStep =
  | { readonly line: string }
  | { readonly lines: readonly string[]; readonly every?: number }
  | { readonly bytes: Uint8Array }
  | { readonly garbage: number; readonly terminated?: boolean }
  | { readonly splitUtf8: string; readonly gap?: number }
  | { readonly unplug: number }
  | { readonly silence: number }
  | { readonly burst: readonly string[] };

/** What the device answers to a command: text (sent as a line), bytes (as they are), several, or nothing. */
export type DeviceReply = string | Uint8Array | readonly (string | Uint8Array)[] | undefined;

/** Options of {@link simulatedSerialDevice}. */
export interface SimulatedSerialDeviceOptions {
  /** `"socat"`: a real pseudo-terminal pair; `"mock"`: `@serialport/binding-mock`; `"auto"`: socat when installed. @default "auto" */
  transport?: "auto" | "socat" | "mock";
  /** Pause before each write after the first, in ms. @default 0 */
  every?: number;
  /** Appended to each line the device writes. @default "\n" */
  lineEnding?: string;
  /** Answers each command (text between `commandDelimiter`s, delimiter excluded) written to the device. @default undefined */
  respond?: (command: string) => DeviceReply;
  /** What ends a command written to the device. @default "\n" */
  commandDelimiter?: string;
  /** Line speed of the device end, and of {@link SimulatedSerialDevice.portOptions}. @default 9600 */
  baudRate?: number;
  /** Play the script again and again until stopped. @default false */
  loop?: boolean;
  /** Seed of the garbage generator. @default 1 */
  seed?: number;
  /** Where the socat links are made. @default a fresh directory under the OS temp dir, removed by `stop()` */
  directory?: string;
  /** Where the script's pauses are scheduled and `at` times come from. @default asyncScheduler */
  scheduler?: SchedulerLike;
}

/** One write the device made. */
export interface SentRecord {
  /** Scheduler time when the write was handed to the line. */
  readonly at: number;
  readonly kind: "line" | "bytes" | "garbage" | "split" | "burst" | "reply";
  readonly bytes: Uint8Array;
  /** The complete lines (without line ending) this write finished, for comparing with what arrived. */
  readonly lines: readonly string[];
  /** Index of the script step, or -1 for a reply. */
  readonly step: number;
}

/** One command the device received. */
export interface ReceivedCommand {
  readonly at: number;
  readonly text: string;
  readonly bytes: Uint8Array;
}

/** One unplug: when the path went away and when it came back (existed again). */
export interface UnplugRecord {
  readonly at: number;
  readonly until: number | undefined;
}

/** A scriptable serial device behind a real serial path, from {@link simulatedSerialDevice}. */
export interface SimulatedSerialDevice {
  readonly transport: "socat" | "mock";
  /** The path a host opens (a pty link with socat, a mock path otherwise). */
  readonly path: string;
  /** The binding a host must use: the device's mock binding, or `undefined` for serialport's real one. */
  readonly binding: SerialBinding | undefined;
  /** `{ path, baudRate, binding }` to spread into `fromSerialPort` options. */
  readonly portOptions: { readonly path: string; readonly baudRate: number; readonly binding: SerialBinding | undefined };
  /** Every write, in order. */
  readonly sent: readonly SentRecord[];
  /** Every complete line written, in order. */
  readonly sentLines: readonly string[];
  /** Every command received, in order. */
  readonly received: readonly ReceivedCommand[];
  readonly unplugs: readonly UnplugRecord[];
  /** Settles when the script finished playing (rejects when the device failed). */
  readonly done: Promise<void>;
  /** Powers the device on: the path exists and commands are answered; resolves once a host can open it. */
  start(): Promise<void>;
  /** Plays the script (starting the device if needed); resolves when it finished. */
  play(): Promise<void>;
  /** Powers off: stops the script, the path disappears, socat is killed, its directory removed. */
  stop(): Promise<void>;
}

// ---------------------------------------------------------------------------
// Transports
// ---------------------------------------------------------------------------

interface Transport {
  readonly kind: "socat" | "mock";
  readonly path: string;
  readonly binding: SerialBinding | undefined;
  /** The path appears (`present` is called then); resolves once the device end is ready too. */
  plug(present?: () => void): Promise<void>;
  /** The path disappears; an open host sees its port fail. */
  unplug(): Promise<void>;
  /** Writes into the line (lost when no host listens, as on a real wire). */
  write(bytes: Buffer): Promise<void>;
  /** Unplugs for good and removes what was made. */
  dispose(): Promise<void>;
}

const ignore = (): void => undefined;

function osError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

async function loadSerialport(): Promise<typeof import("serialport")> {
  return import("serialport");
}

/** socat processes alive in this process, killed if it exits first. */
const liveSocats = new Set<ChildProcess>();
let exitHookInstalled = false;

function track(child: ChildProcess): void {
  liveSocats.add(child);
  child.once("exit", () => liveSocats.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once("exit", () => {
      for (const socat of liveSocats) socat.kill("SIGKILL");
    });
  }
}

/** True when the `socat` command can run here (a pseudo-terminal pair needs it). */
export function socatAvailable(): boolean {
  if (process.platform === "win32") return false;
  const result = spawnSync("socat", ["-V"], { stdio: "ignore" });
  return result.error === undefined && result.status === 0;
}

/**
 * One socat process linking two ptys. It runs with `-x`, so its log tells
 * how many bytes it passed from the device to the host: an unplug can wait
 * until everything the device wrote is on the host's side, as a cable pulled
 * after the last byte left the UART.
 */
class Socat {
  /** Bytes socat wrote to the host's pty so far. */
  private forwarded = 0;
  private readonly waiters = new Set<{ bytes: number; resolve: () => void }>();
  private partial = "";
  private head = "";
  private started = false;
  readonly process: ChildProcess;
  readonly ready: Promise<void>;

  constructor(devicePath: string, hostPath: string) {
    this.process = spawn(
      "socat",
      ["-d", "-d", "-x", `pty,raw,echo=0,link=${devicePath}`, `pty,raw,echo=0,link=${hostPath}`],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    track(this.process);
    this.ready = this.whenReady();
    this.ready.catch(ignore);
  }

  get alive(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  /** Resolves once socat passed `bytes` device bytes on (or `within` ms passed, or it died). */
  async forwardedAtLeast(bytes: number, within: number): Promise<void> {
    if (this.forwarded >= bytes || !this.alive) return;
    const abort = new AbortController();
    await Promise.race([
      new Promise<void>((resolve) => this.waiters.add({ bytes, resolve })),
      sleep(within, asyncScheduler, abort.signal).catch(ignore),
    ]);
    abort.abort();
  }

  async kill(): Promise<void> {
    if (!this.alive) return;
    const exited = new Promise<void>((resolve) => {
      this.process.once("exit", () => {
        resolve();
      });
    });
    this.process.kill("SIGTERM");
    await exited;
  }

  private whenReady(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const abort = new AbortController();
      const fail = (why: string): void => {
        abort.abort();
        reject(new Error(`socat did not start (${why}): ${this.head.trim()}`));
      };
      this.process.stderr?.on("data", (chunk: Buffer) => {
        this.read(chunk.toString("latin1"));
        if (this.started) {
          abort.abort();
          resolve();
        }
      });
      this.process.once("error", (error) => {
        fail(error.message);
      });
      this.process.once("exit", (code) => {
        for (const waiter of this.waiters) waiter.resolve();
        fail(`exited with ${String(code)}`);
      });
      // A safety net on real time: socat starts in milliseconds.
      sleep(5000, asyncScheduler, abort.signal).then(() => {
        fail("no transfer loop after 5 s");
      }, ignore);
    });
  }

  /** Parses socat's log: the start line, then `> <date> <time>  length=N from=A to=B` per device→host transfer. */
  private read(text: string): void {
    const lines = (this.partial + text).split("\n");
    this.partial = lines.pop() ?? "";
    for (const line of lines) {
      if (!this.started) {
        this.head += `${line}\n`;
        this.started = line.includes("starting data transfer loop");
        continue;
      }
      const transfer = /^> \S+ \S+\s+length=\d+ from=\d+ to=(\d+)/.exec(line);
      if (transfer?.[1] === undefined) continue;
      this.forwarded = Number(transfer[1]) + 1;
      for (const waiter of this.waiters) {
        if (this.forwarded >= waiter.bytes) {
          this.waiters.delete(waiter);
          waiter.resolve();
        }
      }
    }
  }
}

/**
 * A pty pair made by `socat`: the device writes into `<dir>/device`, the host
 * opens `<dir>/host` with serialport's real bindings.
 */
class SocatTransport implements Transport {
  readonly kind = "socat";
  readonly binding = undefined;
  readonly path: string;
  private readonly devicePath: string;
  private socat: Socat | undefined;
  private port: SerialBindingPort | undefined;
  /** Bytes the device wrote through the current socat. */
  private written = 0;

  constructor(
    private readonly directory: string,
    private readonly ownsDirectory: boolean,
    private readonly baudRate: number,
    private readonly onData: (bytes: Buffer) => void,
  ) {
    this.path = join(directory, "host");
    this.devicePath = join(directory, "device");
  }

  async plug(present?: () => void): Promise<void> {
    if (this.socat !== undefined) return;
    const socat = new Socat(this.devicePath, this.path);
    this.socat = socat;
    this.written = 0;
    await socat.ready;
    present?.();
    const { SerialPort } = await loadSerialport();
    const port = await (SerialPort.binding as unknown as SerialBinding).open({
      path: this.devicePath,
      baudRate: this.baudRate,
      lock: false,
    });
    this.port = port;
    void this.readLoop(port);
  }

  private async readLoop(port: SerialBindingPort): Promise<void> {
    const buffer = Buffer.alloc(4096);
    for (;;) {
      try {
        const { bytesRead } = await port.read(buffer, 0, buffer.byteLength);
        if (this.port !== port) return;
        this.onData(Buffer.from(buffer.subarray(0, bytesRead)));
      } catch {
        return; // closed by unplug, or socat went away
      }
    }
  }

  async unplug(): Promise<void> {
    const port = this.port;
    const socat = this.socat;
    this.port = undefined;
    this.socat = undefined;
    if (socat !== undefined && port !== undefined) {
      // Pull the cable after the last byte left: socat passed it on, and the host had a moment to read it.
      await socat.forwardedAtLeast(this.written, 2000);
      await sleep(30, asyncScheduler);
    }
    if (port?.isOpen === true) await port.close().catch(ignore);
    await socat?.kill();
    // socat unlinks its links on exit; make sure, so the path really disappears.
    rmSync(this.path, { force: true });
    rmSync(this.devicePath, { force: true });
  }

  async write(bytes: Buffer): Promise<void> {
    const port = this.port;
    if (port === undefined) return;
    await port.write(bytes);
    await port.drain();
    this.written += bytes.byteLength;
  }

  async dispose(): Promise<void> {
    await this.unplug();
    if (this.ownsDirectory) rmSync(this.directory, { recursive: true, force: true });
  }
}

/** The host's side of a mock port: fails like a real tty when the device is unplugged. */
class SimulatedHostPort implements SerialBindingPort {
  private dead: Error | undefined;
  private readonly death: Promise<never>;
  private kill: (error: Error) => void = ignore;

  constructor(
    private readonly inner: MockPort,
    private readonly onWrite: (bytes: Buffer) => void,
  ) {
    this.death = new Promise<never>((_resolve, reject) => {
      this.kill = reject;
    });
    this.death.catch(ignore);
  }

  get isOpen(): boolean {
    return this.inner.isOpen && this.dead === undefined;
  }

  get openOptions(): unknown {
    return this.inner.openOptions;
  }

  emit(bytes: Buffer): void {
    if (this.isOpen) this.inner.emitData(bytes);
  }

  /** Resolves once the host read what was emitted (or stopped reading for a while), like bytes leaving a UART. */
  async delivered(): Promise<void> {
    for (let turn = 0; turn < 100 && this.isOpen && this.inner.port.data.byteLength > 0; turn++) {
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** The device went away: reads fail with EIO, the mock port is released. */
  unplug(): void {
    if (this.dead !== undefined) return;
    this.dead = osError("EIO: i/o error, read", "EIO");
    this.kill(this.dead);
    if (this.inner.isOpen) void this.inner.close().catch(ignore);
  }

  read(buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }> {
    if (this.dead !== undefined) return Promise.reject(this.dead);
    return Promise.race([this.inner.read(buffer, offset, length), this.death]);
  }

  async write(buffer: Buffer): Promise<void> {
    if (this.dead !== undefined) throw osError("EIO: i/o error, write", "EIO");
    await this.inner.write(buffer);
    this.onWrite(Buffer.from(buffer));
  }

  async drain(): Promise<void> {
    if (this.dead !== undefined) throw osError("EIO: i/o error, drain", "EIO");
    await this.inner.drain();
  }

  async close(): Promise<void> {
    if (this.inner.isOpen) await this.inner.close();
    else if (this.dead === undefined) throw new Error("Port is not open");
  }

  update(options: { baudRate: number }): Promise<void> {
    return this.inner.update(options);
  }

  set(options: Record<string, boolean>): Promise<void> {
    return this.inner.set(options);
  }

  get(): Promise<{ cts: boolean; dsr: boolean; dcd: boolean }> {
    return this.inner.get();
  }

  getBaudRate(): Promise<{ baudRate: number }> {
    return this.inner.getBaudRate();
  }

  flush(): Promise<void> {
    return this.inner.flush();
  }
}

type MockBindingType = (typeof import("serialport"))["SerialPortMock"]["binding"];
type MockPort = Awaited<ReturnType<MockBindingType["open"]>>;

let mockPaths = 0;

/** `@serialport/binding-mock` behind a binding that can be unplugged. */
class MockTransport implements Transport {
  readonly kind = "mock";
  readonly path = `/dev/ttySIM${++mockPaths}`;
  readonly binding: SerialBinding;
  private plugged = false;
  private created = false;
  /** Counts plugs: each plug is a new device node, as a re-plugged USB adapter is. */
  private generation = 0;
  private readonly hosts = new Set<SimulatedHostPort>();

  constructor(private readonly onData: (bytes: Buffer) => void) {
    this.binding = {
      open: (options) => this.open(options),
      // The mock path is no file: say what fs.stat would, so the presence check works as over socat.
      deviceIdentity: (path) => Promise.resolve(path === this.path && this.plugged ? `${this.path}#${this.generation}` : undefined),
    };
  }

  private async open(options: SerialOpenOptions): Promise<SerialBindingPort> {
    const { SerialPortMock } = await loadSerialport();
    const mock = SerialPortMock.binding;
    if (options.path !== this.path) return mock.open(options);
    if (!this.isPlugged()) throw osError(`Error: No such file or directory, cannot open ${this.path}`, "ENOENT");
    const host = new SimulatedHostPort(await mock.open(options), this.onData);
    if (!this.isPlugged()) {
      // Unplugged while the open was in flight.
      host.unplug();
      throw osError(`Error: No such file or directory, cannot open ${this.path}`, "ENOENT");
    }
    this.hosts.add(host);
    return host;
  }

  private isPlugged(): boolean {
    return this.plugged;
  }

  async plug(present?: () => void): Promise<void> {
    if (!this.created) {
      const { SerialPortMock } = await loadSerialport();
      SerialPortMock.binding.createPort(this.path, { echo: false, record: false, maxReadSize: 65_536 });
      this.created = true;
    }
    this.plugged = true;
    this.generation++;
    present?.();
  }

  unplug(): Promise<void> {
    this.plugged = false;
    for (const host of this.hosts) host.unplug();
    this.hosts.clear();
    return Promise.resolve();
  }

  async write(bytes: Buffer): Promise<void> {
    for (const host of this.hosts) {
      if (host.isOpen) host.emit(bytes);
      else this.hosts.delete(host);
    }
    await Promise.all([...this.hosts].map((host) => host.delivered()));
  }

  dispose(): Promise<void> {
    return this.unplug();
  }
}

// ---------------------------------------------------------------------------
// The device
// ---------------------------------------------------------------------------

/** mulberry32: a small seeded generator, so garbage is the same on every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Bytes that never occur in valid UTF-8. */
const INVALID_UTF8 = [0xc0, 0xc1, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0xff];

/** Where to cut `text`'s UTF-8 bytes so the first multi-byte character is split. */
function utf8SplitPoint(bytes: Buffer): number {
  const lead = bytes.findIndex((byte) => byte >= 0xc0);
  return lead === -1 ? -1 : lead + 1;
}

function validateStep(step: DeviceStep, index: number): void {
  const name = `script[${index}]`;
  const record = requireObject(name, step);
  if ("line" in record) requireString(`${name}.line`, record.line);
  else if ("lines" in record) {
    if (!Array.isArray(record.lines)) throw new TypeError(`${name}.lines must be an array of strings`);
    record.lines.forEach((line: unknown, i) => requireString(`${name}.lines[${i}]`, line));
    optional(`${name}.every`, record.every, requireNonNegative);
  } else if ("bytes" in record) {
    if (!(record.bytes instanceof Uint8Array)) throw new TypeError(`${name}.bytes must be a Uint8Array`);
  } else if ("garbage" in record) {
    requirePositiveInteger(`${name}.garbage`, record.garbage);
    optional(`${name}.terminated`, record.terminated, requireBoolean);
  } else if ("splitUtf8" in record) {
    const text = requireString(`${name}.splitUtf8`, record.splitUtf8);
    if (utf8SplitPoint(Buffer.from(text)) === -1) {
      throw new RangeError(`${name}.splitUtf8 must contain a multi-byte character`);
    }
    optional(`${name}.gap`, record.gap, requireNonNegative);
  } else if ("unplug" in record) requireNonNegative(`${name}.unplug`, record.unplug);
  else if ("silence" in record) requireNonNegative(`${name}.silence`, record.silence);
  else if ("burst" in record) {
    if (!Array.isArray(record.burst)) throw new TypeError(`${name}.burst must be an array of strings`);
    record.burst.forEach((line: unknown, i) => requireString(`${name}.burst[${i}]`, line));
  } else {
    throw new TypeError(`${name} must be one of line, lines, bytes, garbage, splitUtf8, unplug, silence, burst`);
  }
}

/**
 * A scriptable serial device behind a real serial path: it writes lines or
 * bytes at a rate and faults on cue (garbage, a UTF-8 character split across
 * writes, an unplug and re-plug, silence, a burst), answers commands written
 * to it, and records what it sent and received so a test can compare them
 * with what arrived.
 *
 * It runs over a real pseudo-terminal pair made with `socat` where socat is
 * installed (the host opens {@link SimulatedSerialDevice.path} with
 * serialport's real bindings), and over `@serialport/binding-mock` otherwise
 * (the host must use {@link SimulatedSerialDevice.binding}) — the same script
 * either way. Like a real wire, bytes written while no host has the port
 * open are lost; start the script with `play()` once the host is open.
 *
 * ## Example
 * ```ts
 * const device = simulatedSerialDevice(
 *   [{ lines: ['{"t":1}', '{"t":2}'], every: 10 }, { unplug: 300 }, { line: '{"t":3}' }],
 *   { respond: (command) => (command === "PING" ? "PONG" : undefined) },
 * );
 * await device.start();
 * const port = fromSerialPort({ ...device.portOptions, backoff: BackoffPolicy.fixed(50) });
 * port.subscribe(handle);
 * await firstValueFrom(port.events$.pipe(filter((e) => e.type === "open")));
 * await device.play();
 * await device.stop();
 * ```
 */
export function simulatedSerialDevice(
  script: readonly DeviceStep[],
  options: SimulatedSerialDeviceOptions = {},
): SimulatedSerialDevice {
  if (!Array.isArray(script)) throw new TypeError("script must be an array of steps");
  script.forEach(validateStep);
  requireObject("options", options);
  const every = optional("every", options.every, requireNonNegative) ?? 0;
  const lineEnding = optional("lineEnding", options.lineEnding, requireString) ?? "\n";
  const respond = optional("respond", options.respond, (n, v) => requireFunction(n, v as (command: string) => DeviceReply));
  const commandDelimiter = optional("commandDelimiter", options.commandDelimiter, requireNonEmptyString) ?? "\n";
  const baudRate = optional("baudRate", options.baudRate, requirePositiveInteger) ?? 9600;
  const loop = optional("loop", options.loop, requireBoolean) ?? false;
  const random = seeded(optional("seed", options.seed, requireNonNegativeInteger) ?? 1);
  const scheduler = schedulerOption(options.scheduler, undefined);
  const choice = optional("transport", options.transport, (n, v) => requireOneOf(n, v, ["auto", "socat", "mock"] as const)) ?? "auto";
  const directory = optional("directory", options.directory, requireNonEmptyString);

  const sent: SentRecord[] = [];
  const received: ReceivedCommand[] = [];
  const unplugs: { at: number; until: number | undefined }[] = [];
  const stopping = new AbortController();
  let pendingCommand = Buffer.alloc(0);
  let writes: Promise<void> = Promise.resolve();
  let wrote = false;
  let started: Promise<void> | undefined;
  let playing: Promise<void> | undefined;
  let settleDone: { resolve: () => void; reject: (error: unknown) => void } = { resolve: ignore, reject: ignore };
  const done = new Promise<void>((resolve, reject) => {
    settleDone = { resolve, reject };
  });
  done.catch(ignore); // awaited by whoever cares; not an unhandled rejection otherwise

  const useSocat = choice === "socat" || (choice === "auto" && socatAvailable());
  const onData = (bytes: Buffer): void => {
    pendingCommand = Buffer.concat([pendingCommand, bytes]);
    const delimiter = Buffer.from(commandDelimiter);
    for (let end = pendingCommand.indexOf(delimiter); end !== -1; end = pendingCommand.indexOf(delimiter)) {
      const command = Buffer.from(pendingCommand.subarray(0, end));
      pendingCommand = pendingCommand.subarray(end + delimiter.byteLength);
      const text = command.toString("utf8");
      received.push({ at: scheduler.now(), text, bytes: command });
      if (respond !== undefined) reply(respond(text));
    }
  };
  const transport: Transport = useSocat
    ? new SocatTransport(
        directory ?? mkdtempSync(join(tmpdir(), "manyfold-serial-")),
        directory === undefined,
        baudRate,
        onData,
      )
    : new MockTransport(onData);

  function send(kind: SentRecord["kind"], bytes: Buffer, lines: readonly string[], step: number): Promise<void> {
    sent.push({ at: scheduler.now(), kind, bytes, lines, step });
    const write = writes.then(() => transport.write(bytes));
    writes = write.catch(ignore);
    return write;
  }

  function reply(answer: DeviceReply): void {
    if (answer === undefined) return;
    const parts = typeof answer === "string" || answer instanceof Uint8Array ? [answer] : answer;
    for (const part of parts) {
      const isText = typeof part === "string";
      const bytes = isText ? Buffer.from(part + lineEnding) : Buffer.from(part);
      send("reply", bytes, isText ? [part] : [], -1).catch(ignore);
    }
  }

  const line = (text: string): Buffer => Buffer.from(text + lineEnding);

  async function pace(ms: number): Promise<void> {
    if (wrote && ms > 0) await sleep(ms, scheduler, stopping.signal);
    wrote = true;
  }

  async function runStep(step: DeviceStep, index: number): Promise<void> {
    if ("line" in step) {
      await pace(every);
      await send("line", line(step.line), [step.line], index);
    } else if ("lines" in step) {
      for (const text of step.lines) {
        await pace(step.every ?? every);
        await send("line", line(text), [text], index);
      }
    } else if ("bytes" in step) {
      await pace(every);
      await send("bytes", Buffer.from(step.bytes), [], index);
    } else if ("garbage" in step) {
      await pace(every);
      const noise = Array.from({ length: step.garbage }, () => INVALID_UTF8[Math.floor(random() * INVALID_UTF8.length)] ?? 0xff);
      const ending = step.terminated === false ? Buffer.alloc(0) : Buffer.from(lineEnding);
      await send("garbage", Buffer.concat([Buffer.from(noise), ending]), [], index);
    } else if ("splitUtf8" in step) {
      await pace(every);
      const bytes = line(step.splitUtf8);
      const cut = utf8SplitPoint(bytes);
      await send("split", bytes.subarray(0, cut), [], index);
      await sleep(step.gap ?? 20, scheduler, stopping.signal);
      await send("split", bytes.subarray(cut), [step.splitUtf8], index);
    } else if ("unplug" in step) {
      await writes;
      await transport.unplug();
      const record: { at: number; until: number | undefined } = { at: scheduler.now(), until: undefined };
      unplugs.push(record);
      await sleep(step.unplug, scheduler, stopping.signal);
      await transport.plug(() => {
        record.until = scheduler.now();
      });
    } else if ("silence" in step) {
      await sleep(step.silence, scheduler, stopping.signal);
    } else {
      await pace(every);
      await send("burst", Buffer.concat(step.burst.map(line)), step.burst, index);
    }
  }

  async function run(): Promise<void> {
    await start();
    do {
      for (const [index, step] of script.entries()) {
        if (stopping.signal.aborted) return;
        await runStep(step, index);
      }
      await writes;
    } while (loop && !stopping.signal.aborted && script.length > 0);
  }

  function start(): Promise<void> {
    if (stopping.signal.aborted) return Promise.reject(new Error("the simulated device was stopped"));
    started ??= transport.plug();
    return started;
  }

  function play(): Promise<void> {
    playing ??= run().then(
      () => {
        settleDone.resolve();
      },
      (error: unknown) => {
        // Stopping interrupts the script on purpose: that ends it, it does not fail it.
        if (stopping.signal.aborted) settleDone.resolve();
        else settleDone.reject(error);
      },
    );
    return playing.then(() => done);
  }

  async function stop(): Promise<void> {
    if (!stopping.signal.aborted) stopping.abort(new Error("the simulated device was stopped"));
    await started?.catch(ignore);
    await playing;
    await writes;
    await transport.dispose();
  }

  return {
    transport: transport.kind,
    path: transport.path,
    binding: transport.binding,
    portOptions: { path: transport.path, baudRate, binding: transport.binding },
    sent,
    get sentLines() {
      return sent.flatMap((record) => record.lines);
    },
    received,
    unplugs,
    done,
    start,
    play,
    stop,
  };
}
