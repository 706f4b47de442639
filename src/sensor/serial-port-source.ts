import { lstat, stat } from "node:fs/promises";
import {
  Observable,
  share,
  Subject,
  type SchedulerAction,
  type SchedulerLike,
  type Subscriber,
  type Subscription,
} from "rxjs";
import { legoMeter, withLego, derivedName, type LegoMeter, type LegoObservable } from "../atom/lego-descriptor.js";
import { LegoError, messageOf } from "../atom/lego-error.js";
import {
  optional,
  optionalGroup,
  requireBoolean,
  requireNonEmptyString,
  requireObject,
  requirePositive,
  requirePositiveInteger,
} from "../atom/validate.js";
import { BoundedRingBuffer } from "../local/bounded-ring-buffer.js";
import { BackoffPolicy, delayForAttempt } from "../policy/backoff-policy.js";
import { RetryPolicy } from "../policy/retry-policy.js";
import { schedulerOption } from "../time/scheduler.js";

// ---------------------------------------------------------------------------
// Bindings: the structural part of serialport's binding interface we use.
// ---------------------------------------------------------------------------

/**
 * An open port as a serialport binding hands it out (`BindingPortInterface`
 * of `@serialport/bindings-interface`, reduced to what {@link fromSerialPort}
 * uses). serialport's real bindings, `@serialport/binding-mock` and the
 * testing kit's simulated device all fit.
 */
export interface SerialBindingPort {
  readonly isOpen: boolean;
  /** Resolves with at least one byte; rejects with `canceled: true` when the port was closed under it. */
  read(buffer: Buffer, offset: number, length: number): Promise<{ bytesRead: number }>;
  /** Resolves once the OS took the bytes; never called while another write is in flight. */
  write(buffer: Buffer): Promise<void>;
  /** Resolves once written bytes were transmitted. */
  drain(): Promise<void>;
  close(): Promise<void>;
}

/** A serialport binding (`BindingInterface`): what opens ports. */
export interface SerialBinding {
  open(options: SerialOpenOptions): Promise<SerialBindingPort>;
  /**
   * The identity of the device at `path` now, or `undefined` when the path
   * is gone: what the presence check compares (see `presenceCheck`). A
   * binding whose paths are not files (a simulation) supplies it; without
   * it the device node is `stat`ed on the filesystem.
   */
  deviceIdentity?(path: string): Promise<string | undefined>;
}

/** Line settings of a serial port, passed to the binding on every open. */
export interface SerialLineSettings {
  /** Bits per character. @default 8 */
  dataBits?: 5 | 6 | 7 | 8;
  /** Stop bits. @default 1 */
  stopBits?: 1 | 1.5 | 2;
  /** Parity. @default "none" */
  parity?: "none" | "even" | "odd" | "mark" | "space";
  /** RTS/CTS hardware flow control. @default false */
  rtscts?: boolean;
  /** XON software flow control. @default false */
  xon?: boolean;
  /** XOFF software flow control. @default false */
  xoff?: boolean;
  /** XANY software flow control. @default false */
  xany?: boolean;
  /** Drop DTR on close. @default true */
  hupcl?: boolean;
  /** Lock the port so no other process opens it (not supported as `false` on Windows). @default true */
  lock?: boolean;
}

/** The options a binding's `open` receives. */
export interface SerialOpenOptions extends SerialLineSettings {
  path: string;
  baudRate: number;
  /** Binding-specific extras (e.g. `vmin`/`vtime` on Linux). */
  [option: string]: unknown;
}

// ---------------------------------------------------------------------------
// Options and events
// ---------------------------------------------------------------------------

/** Options of {@link fromSerialPort}. */
export interface SerialPortSourceOptions extends SerialLineSettings {
  /** The device path (`/dev/ttyUSB0`, `COM3`, a pty link…). */
  path: string;
  /** Line speed, a positive integer. */
  baudRate: number;
  /**
   * The binding that opens the port. Pass `MockBinding` from
   * `@serialport/binding-mock` (or a simulated device's binding) in tests.
   * @default serialport's auto-detected real binding, loaded on first subscribe
   */
  binding?: SerialBinding | undefined;
  /** Extra binding-specific open options (e.g. `{ vmin: 1, vtime: 0 }` on Linux); the named options win. @default {} */
  bindingOptions?: Readonly<Record<string, unknown>>;
  /**
   * How many consecutive failed opens are allowed, and which open errors are
   * worth another try (`retryOn` receives the binding's error; see
   * {@link serialOpenFailureReason}). The count restarts after every
   * successful open. The default retries forever, so a long-running sensor
   * loop survives any unplug (the capped backoff keeps the attempts cheap);
   * pass `RetryPolicy.attempts(n)` to give up and error instead.
   * @default RetryPolicy.forever()
   */
  retry?: RetryPolicy;
  /**
   * The wait before each open attempt: `delayForAttempt(backoff, n)` before
   * attempt n of the first connection (so attempt 1 is immediate), and
   * `delayForAttempt(backoff, n + 1)` before reopen n after a lost
   * connection — the lost connection counts as a failure, so a port that
   * opens and dies at once cannot spin.
   * With the defaults a lost device is looked for every 2 s at most, for ever.
   * @default BackoffPolicy.exponential({ initialDelay: 100, multiplier: 2, maxDelay: 2000 })
   */
  backoff?: BackoffPolicy;
  /** Where the waits between attempts are scheduled and where event times come from. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /**
   * Commands to write while the source is subscribed (duplex). A command that
   * arrives while no port is open waits for the next open (at most
   * `maxPendingWrites` wait; beyond that the oldest is dropped, counted in
   * `commandsDropped` and reported on `events$`). A commands error errors the
   * source.
   * @default undefined
   */
  commands?: Observable<Uint8Array | string>;
  /**
   * While a port is open, check every `presenceCheck` ms that its path still
   * exists and is still the same device node, and treat a vanished or
   * replaced node as a lost connection. serialport's Linux binding can miss
   * a hang-up: a read that starts after the device went away loops on
   * end-of-file and never settles (serialport/bindings-cpp#162), so a USB
   * adapter pulled mid-stream could go unnoticed — and one pulled and
   * plugged back between two checks leaves a path that exists again. The
   * node's identity (`fs.stat`: device, inode, rdev and ctime, plus the
   * inode and ctime of a symlink on the path) is taken when the port opens;
   * a re-plug makes a new node, so a different identity is noticed even
   * when the path never looked absent. A binding may supply the identity
   * (`binding.deviceIdentity`). `false` turns the check off.
   * @default 1000 with serialport's real binding on a filesystem path (one starting with "/") or a binding with `deviceIdentity`, else false
   */
  presenceCheck?: number | false;
  /** The largest chunk read at once, in bytes. @default 65536 */
  readSize?: number;
  /** Bound on writes queued behind the one in flight, and on commands waiting for a port. @default 64 */
  maxPendingWrites?: number;
  /** Label shown in the pipeline view. @default `<group>.serial_port_source` when grouped */
  name?: string;
  /** Group label; a `ManualClock` scheduler without a group adopts it. @default undefined */
  group?: string;
}

/** Why a serial port did not open, as far as the OS message tells. */
export type SerialOpenFailureReason = "not-found" | "permission-denied" | "busy" | "other";

/**
 * What a {@link SerialPortSource} reports on `events$`. `at` is the
 * scheduler's `now()`.
 *
 * Order: `opening` → `open` | `error` (operation `open`); after a failed open
 * that will be retried, `reconnecting` → `opening` …; after `open`, a lost
 * connection reports `closed` (reason `disconnected`) → `reconnecting` →
 * `opening` …; unsubscribing reports `closed` (reason `unsubscribed`) when a
 * port was open. When the retry policy is spent, the last `error` event is
 * followed by the source's error.
 */
export type SerialPortEvent =
  | { readonly type: "opening"; readonly at: number; readonly attempt: number }
  | { readonly type: "open"; readonly at: number; readonly attempt: number; readonly reconnect: boolean }
  | {
      readonly type: "error";
      readonly at: number;
      readonly operation: "open";
      readonly attempt: number;
      readonly reason: SerialOpenFailureReason;
      readonly error: unknown;
    }
  | { readonly type: "error"; readonly at: number; readonly operation: "command"; readonly error: unknown }
  | { readonly type: "reconnecting"; readonly at: number; readonly attempt: number; readonly delay: number }
  | {
      readonly type: "closed";
      readonly at: number;
      readonly reason: "disconnected" | "unsubscribed";
      readonly error?: unknown;
    };

/** The duplex and status members of a {@link SerialPortSource}. */
export interface SerialPortControls {
  /** The device path. */
  readonly path: string;
  /** True while a port is open. */
  readonly isOpen: boolean;
  /** Connection events (hot, never completes); see {@link SerialPortEvent} for the order. */
  readonly events$: Observable<SerialPortEvent>;
  /**
   * Writes to the port open now (strings as UTF-8) and resolves once the
   * bytes were drained to the device. Writes go out one at a time, in call
   * order. Rejects with `LegoError` `SERIAL_CLOSED` when no port is open (or
   * it closes before the write's turn) and `SERIAL_WRITE_FAILED` when the
   * write fails or `maxPendingWrites` writes are already waiting; a failed
   * write also counts as a lost connection.
   */
  write(data: Uint8Array | string): Promise<void>;
}

/** The Observable {@link fromSerialPort} returns: byte chunks plus the duplex and status members. */
export type SerialPortSource = LegoObservable<Uint8Array> & SerialPortControls;

const COUNTERS = [
  "opens",
  "reconnects",
  "openFailures",
  "disconnects",
  "bytesIn",
  "bytesOut",
  "writeFailures",
  "commandsDropped",
] as const;

/**
 * Retry forever: a long-running sensor loop outlives any number of unplugs
 * (the device may come back in an hour); the backoff is capped, so a device
 * that returns is found again within `maxDelay`. Pass `retry` to give up.
 */
const DEFAULT_RETRY = RetryPolicy.forever();
const DEFAULT_BACKOFF = BackoffPolicy.exponential({ initialDelay: 100, multiplier: 2, maxDelay: 2000 });

// ---------------------------------------------------------------------------
// The pure part: when to try again
// ---------------------------------------------------------------------------

/** What {@link SerialOpenAttempts} decides after a failure or a lost connection. */
export type SerialRetryDecision =
  | { readonly retry: true; readonly attempt: number; readonly delay: number }
  | { readonly retry: false; readonly attempts: number };

/**
 * Counts consecutive open attempts of a serial connection and decides when
 * to try again (no IO, no RxJS). A "streak" starts at subscribe and at each
 * lost connection and ends with a successful open.
 *
 * @internal Exported for tests; {@link fromSerialPort} owns one per connection.
 */
export class SerialOpenAttempts {
  private failures = 0;
  private afterLoss = false;

  constructor(
    private readonly retry: RetryPolicy,
    private readonly backoff: BackoffPolicy,
  ) {}

  /** The number (1-based) of the attempt in progress or about to start. */
  get attempt(): number {
    return this.failures + 1;
  }

  /** True when the current streak began with a lost connection. */
  get reconnecting(): boolean {
    return this.afterLoss;
  }

  /** An open succeeded: the next streak gets a full budget. */
  opened(): void {
    this.failures = 0;
  }

  /** An open failed with `error`: retry (when and as which attempt) or give up. */
  failed(error: unknown): SerialRetryDecision {
    this.failures++;
    if (this.failures >= this.retry.maxAttempts || !this.retry.retryOn(error)) {
      return { retry: false, attempts: this.failures };
    }
    return { retry: true, attempt: this.failures + 1, delay: this.delayBefore(this.failures + 1) };
  }

  /** An open connection was lost: the first reopen waits like a retry. */
  lost(): SerialRetryDecision {
    this.failures = 0;
    this.afterLoss = true;
    return { retry: true, attempt: 1, delay: this.delayBefore(1) };
  }

  private delayBefore(attempt: number): number {
    return delayForAttempt(this.backoff, this.afterLoss ? attempt + 1 : attempt);
  }
}

/**
 * Classifies a binding's open error from its `code` or OS message:
 * `not-found` (no such file/device), `permission-denied`, `busy` (locked or
 * in use) or `other`. Useful in a `retryOn` that gives up on some reasons.
 */
export function serialOpenFailureReason(error: unknown): SerialOpenFailureReason {
  const code = typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
  const text = `${typeof code === "string" ? code : ""} ${messageOf(error)}`;
  if (/ENOENT|ENODEV|ENXIO|no such (file|device)|does not exist|cannot find|not found/i.test(text)) return "not-found";
  if (/EACCES|EPERM|permission denied|access (is )?denied|not permitted/i.test(text)) return "permission-denied";
  if (/EBUSY|EAGAIN|lock|busy|resource temporarily unavailable/i.test(text)) return "busy";
  return "other";
}

const REASON_TEXT: Record<SerialOpenFailureReason, string> = {
  "not-found": "no such device",
  "permission-denied": "permission denied",
  busy: "the port is busy (locked or in use by another process)",
  other: "the port could not be opened",
};

function openFailedError(path: string, attempts: number, error: unknown, group: string | undefined): LegoError {
  const tries = attempts === 1 ? "1 attempt" : `${attempts} attempts`;
  return new LegoError(
    "SERIAL_OPEN_FAILED",
    `cannot open serial port ${path}: ${REASON_TEXT[serialOpenFailureReason(error)]} (${tries}; ${messageOf(error)})`,
    { cause: error, group },
  );
}

function isCanceled(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { canceled?: unknown }).canceled === true;
}

function toBuffer(data: Uint8Array | string): Buffer {
  if (typeof data === "string") return Buffer.from(data, "utf8");
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

const ignore = (): void => undefined;

async function closeQuietly(port: SerialBindingPort): Promise<void> {
  // A port that died under us often refuses to close; the fd is gone either way.
  if (port.isOpen) await port.close().catch(ignore);
}

let realBinding: Promise<SerialBinding> | undefined;

/** serialport's auto-detected binding, imported on first use so importing manyfold-rx loads no native code. */
function defaultBinding(): Promise<SerialBinding> {
  realBinding ??= import("serialport").then((module) => module.SerialPort.binding as unknown as SerialBinding);
  return realBinding;
}

// ---------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------

interface Config {
  readonly path: string;
  readonly openOptions: SerialOpenOptions;
  readonly binding: SerialBinding | undefined;
  readonly retry: RetryPolicy;
  readonly backoff: BackoffPolicy;
  readonly scheduler: SchedulerLike;
  readonly commands: Observable<Uint8Array | string> | undefined;
  readonly readSize: number;
  readonly maxPendingWrites: number;
  readonly presenceCheck: number | undefined;
  readonly name: string | undefined;
  readonly group: string | undefined;
}

const LINE_CHOICES = {
  dataBits: [5, 6, 7, 8],
  stopBits: [1, 1.5, 2],
  parity: ["none", "even", "odd", "mark", "space"],
} as const;
const FLAGS = ["rtscts", "xon", "xoff", "xany", "hupcl", "lock"] as const;

function requireChoice(name: keyof typeof LINE_CHOICES, value: unknown): void {
  const allowed: readonly unknown[] = LINE_CHOICES[name];
  const type = typeof allowed[0];
  if (typeof value !== type) throw new TypeError(`${name} must be one of ${allowed.join(" | ")}, got ${typeof value}`);
  if (!allowed.includes(value)) throw new RangeError(`${name} must be one of ${allowed.join(" | ")}, got ${String(value)}`);
}

function presenceCheckOption(value: unknown, realFilesystemPath: boolean): number | undefined {
  if (value === false) return undefined;
  if (value === undefined) return realFilesystemPath ? 1000 : undefined;
  if (typeof value !== "number") throw new TypeError(`presenceCheck must be a number of ms or false, got ${typeof value}`);
  return requirePositive("presenceCheck", value);
}

function validate(options: SerialPortSourceOptions): Config {
  requireObject("options", options);
  const group = optionalGroup(options.group);
  const path = requireNonEmptyString("path", options.path);
  const baudRate = requirePositiveInteger("baudRate", options.baudRate);
  const extra = optional("bindingOptions", options.bindingOptions, requireObject) ?? {};
  const openOptions: SerialOpenOptions = { ...extra, path, baudRate };
  for (const name of Object.keys(LINE_CHOICES) as (keyof typeof LINE_CHOICES)[]) {
    const value = options[name];
    if (value === undefined) continue;
    requireChoice(name, value);
    (openOptions as Record<string, unknown>)[name] = value;
  }
  for (const name of FLAGS) {
    const value = optional(name, options[name], requireBoolean);
    if (value !== undefined) openOptions[name] = value;
  }
  const binding = options.binding;
  if (binding !== undefined && (typeof binding !== "object" || typeof (binding as { open?: unknown }).open !== "function")) {
    throw new TypeError("binding must be a serialport binding (an object with open())");
  }
  const commands = options.commands;
  if (commands !== undefined && typeof (commands as { subscribe?: unknown }).subscribe !== "function") {
    throw new TypeError("commands must be an Observable");
  }
  return {
    path,
    openOptions,
    binding,
    retry: options.retry === undefined ? DEFAULT_RETRY : RetryPolicy.from(options.retry, "retry"),
    backoff: options.backoff === undefined ? DEFAULT_BACKOFF : BackoffPolicy.from(options.backoff, "backoff"),
    scheduler: schedulerOption(options.scheduler, group),
    commands,
    readSize: optional("readSize", options.readSize, requirePositiveInteger) ?? 65_536,
    presenceCheck: presenceCheckOption(
      options.presenceCheck,
      (binding === undefined && path.startsWith("/")) || typeof binding?.deviceIdentity === "function",
    ),
    maxPendingWrites: optional("maxPendingWrites", options.maxPendingWrites, requirePositiveInteger) ?? 64,
    name: optional("name", options.name, requireNonEmptyString) ?? derivedName(group, "serial_port_source"),
    group,
  };
}

// ---------------------------------------------------------------------------
// One connection: open, read, write, reopen — for one subscription
// ---------------------------------------------------------------------------

class SerialConnection {
  private port: SerialBindingPort | undefined;
  private stopped = false;
  private wait: Subscription | undefined;
  private presence: Subscription | undefined;
  private inFlight: Promise<void> = Promise.resolve();
  private commandsSubscription: Subscription | undefined;
  private writeChain: Promise<void> = Promise.resolve();
  private queuedWrites = 0;
  private readonly attempts: SerialOpenAttempts;
  private readonly waitingCommands: BoundedRingBuffer<Buffer>;

  constructor(
    private readonly config: Config,
    private readonly meter: LegoMeter,
    private readonly events: Subject<SerialPortEvent>,
    private readonly subscriber: Subscriber<Uint8Array>,
  ) {
    this.attempts = new SerialOpenAttempts(config.retry, config.backoff);
    this.waitingCommands = new BoundedRingBuffer({ capacity: config.maxPendingWrites, overflow: "drop_oldest" });
  }

  get isOpen(): boolean {
    return this.port !== undefined;
  }

  /** Opens now, or once `previous` (the last connection's close, if still running) settled, so a lock is free. */
  start(previous: Promise<void> | undefined): void {
    if (this.config.commands !== undefined) {
      this.commandsSubscription = this.config.commands.subscribe({
        next: (command) => {
          this.command(toBuffer(command));
        },
        error: (error: unknown) => {
          this.subscriber.error(error);
        },
      });
    }
    if (previous === undefined) this.open();
    else
      void previous.then(() => {
        this.open();
      });
  }

  /** Cancels any wait, closes the open port (or the one still opening); resolves once it is closed. */
  stop(): Promise<void> {
    this.stopped = true;
    this.wait?.unsubscribe();
    this.presence?.unsubscribe();
    this.commandsSubscription?.unsubscribe();
    this.waitingCommands.drain();
    const port = this.port;
    this.port = undefined;
    if (port === undefined) return this.inFlight;
    this.emit({ type: "closed", at: this.now(), reason: "unsubscribed" });
    return Promise.all([closeQuietly(port), this.inFlight]).then(ignore);
  }

  write(data: Buffer): Promise<void> {
    const port = this.port;
    if (port === undefined) return Promise.reject(this.closedError());
    if (this.queuedWrites > this.config.maxPendingWrites) {
      this.meter.count("writeFailures");
      return Promise.reject(
        new LegoError(
          "SERIAL_WRITE_FAILED",
          `serial port ${this.config.path}: ${this.config.maxPendingWrites} writes are already waiting (maxPendingWrites)`,
          { group: this.config.group },
        ),
      );
    }
    this.queuedWrites++;
    const result = this.writeChain.then(() => this.writeNow(port, data));
    this.writeChain = result.then(ignore, ignore).finally(() => {
      this.queuedWrites--;
    });
    return result;
  }

  private async writeNow(port: SerialBindingPort, data: Buffer): Promise<void> {
    if (this.port !== port) throw this.closedError();
    try {
      await port.write(data);
      await port.drain();
    } catch (error) {
      if (this.port !== port || isCanceled(error)) throw this.closedError(error);
      this.meter.count("writeFailures");
      this.lose(port, error);
      throw new LegoError("SERIAL_WRITE_FAILED", `write to serial port ${this.config.path} failed: ${messageOf(error)}`, {
        cause: error,
        group: this.config.group,
      });
    }
    this.meter.count("bytesOut", data.byteLength);
  }

  private command(data: Buffer): void {
    if (this.port === undefined) {
      const dropped = this.waitingCommands.dropped;
      this.waitingCommands.push(data);
      if (this.waitingCommands.dropped > dropped) this.commandDropped("no port open and maxPendingWrites commands waiting");
      return;
    }
    this.write(data).catch((error: unknown) => {
      this.meter.count("commandsDropped");
      this.emit({ type: "error", at: this.now(), operation: "command", error });
    });
  }

  private commandDropped(why: string): void {
    this.meter.count("commandsDropped");
    const error = new LegoError("SERIAL_WRITE_FAILED", `serial port ${this.config.path}: command dropped (${why})`, {
      group: this.config.group,
    });
    this.emit({ type: "error", at: this.now(), operation: "command", error });
  }

  private open(): void {
    if (this.stopped) return;
    const attempt = this.attempts.attempt;
    this.emit({ type: "opening", at: this.now(), attempt });
    this.inFlight = this.openPort().then(
        (port) => this.opened(port, attempt),
        (error: unknown) => {
          this.openFailed(error, attempt);
        },
      );
  }

  /**
   * Calls a given binding's `open` synchronously (an async function runs
   * until its first await), so attempts line up with scheduler time.
   */
  private async openPort(): Promise<SerialBindingPort> {
    const options = { ...this.config.openOptions };
    const binding = this.config.binding ?? (await defaultBinding());
    return binding.open(options);
  }

  /** Takes the port into use; when unsubscribed meanwhile, closes it (the returned Promise settles then). */
  private async opened(port: SerialBindingPort, attempt: number): Promise<void> {
    if (this.stopped) {
      await closeQuietly(port);
      return;
    }
    this.port = port;
    this.attempts.opened();
    const reconnect = this.attempts.reconnecting;
    this.meter.count("opens");
    if (reconnect) this.meter.count("reconnects");
    this.emit({ type: "open", at: this.now(), attempt, reconnect });
    void this.readLoop(port);
    this.watchPresence(port);
    for (const command of this.waitingCommands.drain()) this.command(command);
  }

  private openFailed(error: unknown, attempt: number): void {
    if (this.stopped) return;
    this.meter.count("openFailures");
    this.emit({ type: "error", at: this.now(), operation: "open", attempt, reason: serialOpenFailureReason(error), error });
    const decision = this.attempts.failed(error);
    if (!decision.retry) {
      this.subscriber.error(openFailedError(this.config.path, decision.attempts, error, this.config.group));
      return;
    }
    this.reopenAfter(decision.attempt, decision.delay);
  }

  private reopenAfter(attempt: number, delay: number): void {
    if (this.stopped) return;
    this.emit({ type: "reconnecting", at: this.now(), attempt, delay });
    this.wait = this.config.scheduler.schedule(() => {
      this.wait = undefined;
      this.open();
    }, delay);
  }

  private async readLoop(port: SerialBindingPort): Promise<void> {
    const buffer = Buffer.allocUnsafe(this.config.readSize);
    for (;;) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await port.read(buffer, 0, buffer.byteLength));
      } catch (error) {
        // A canceled read is our own close; anything else (EIO when a pty's
        // other end dies, EBADF, ENXIO on USB unplug) is a lost device.
        if (this.port === port && !isCanceled(error)) this.lose(port, error);
        return;
      }
      if (this.port !== port) return;
      if (bytesRead === 0) {
        this.lose(port, new Error("end of file"));
        return;
      }
      this.meter.count("bytesIn", bytesRead);
      // Copy: the read buffer is reused, and downstream may keep chunks.
      this.subscriber.next(Buffer.from(buffer.subarray(0, bytesRead)));
    }
  }

  /**
   * Checks now and then that the port's path still exists and still is the
   * device node that was opened (see `presenceCheck`): the identity taken
   * at open is the baseline; absence or another identity is a lost device.
   */
  private watchPresence(port: SerialBindingPort): void {
    const period = this.config.presenceCheck;
    if (period === undefined) return;
    const identify = (): Promise<string | undefined> =>
      this.config.binding?.deviceIdentity !== undefined
        ? this.config.binding.deviceIdentity(this.config.path)
        : fileIdentity(this.config.path);
    let baseline: Promise<string | undefined> | undefined = identify().catch(() => undefined);
    const check = (): void => {
      const opened = baseline;
      if (opened === undefined) return;
      void Promise.all([opened, identify()]).then(
        ([before, now]) => {
          if (now === undefined) this.lose(port, osErrorLike(`device ${this.config.path} is gone`, "ENOENT"));
          else if (before === undefined) baseline = Promise.resolve(now);
          else if (now !== before) this.lose(port, osErrorLike(`device ${this.config.path} was re-plugged (another device node)`, "ENODEV"));
        },
        ignore,
      );
    };
    this.presence = this.config.scheduler.schedule(function (this: SchedulerAction<undefined>) {
      check();
      this.schedule(undefined, period);
    }, period);
  }

  private lose(port: SerialBindingPort, error: unknown): void {
    if (this.port !== port) return;
    this.port = undefined;
    this.presence?.unsubscribe();
    this.meter.count("disconnects");
    this.emit({ type: "closed", at: this.now(), reason: "disconnected", error });
    const decision = this.attempts.lost();
    void closeQuietly(port).then(() => {
      if (decision.retry) this.reopenAfter(decision.attempt, decision.delay);
    });
  }

  private closedError(cause?: unknown): LegoError {
    return new LegoError("SERIAL_CLOSED", `serial port ${this.config.path} is not open`, {
      cause,
      group: this.config.group,
    });
  }

  private now(): number {
    return this.config.scheduler.now();
  }

  private emit(event: SerialPortEvent): void {
    this.events.next(event);
  }
}

// ---------------------------------------------------------------------------
// The factory
// ---------------------------------------------------------------------------

/**
 * An Observable of byte chunks read from a serial port (`SerialPortSource`):
 * it opens the port on subscribe, reopens it with backoff after it closes or
 * errors (a device unplugged, a pty whose other end died) until
 * unsubscribed, and closes it on unsubscribe. `write()` and the `commands`
 * option make it duplex.
 *
 * Subscriptions share one connection (a port can be opened once): the first
 * subscriber opens it, the last unsubscribe closes it. When the retry policy
 * is spent the source errors with `LegoError` `SERIAL_OPEN_FAILED` whose
 * message says why (no such device, permission denied, busy, the OS
 * message) and whose `cause` is the binding's error; subscribing again
 * starts afresh.
 *
 * ```
 * device:  --ab--c---X(unplugged)····(back)--d--e-->
 * source:  --ab--c-----------------------------d--e-->   events: open … closed, reconnecting, opening, error …, open
 * ```
 *
 * Counters on `lego.counters`: `opens`, `reconnects`, `openFailures`,
 * `disconnects`, `bytesIn`, `bytesOut`, `writeFailures`, `commandsDropped`.
 *
 * ## Example
 * ```ts
 * const port = fromSerialPort({ path: "/dev/ttyUSB0", baudRate: 115200, group: "ambient" });
 * port.events$.subscribe((e) => log(e.type));
 * port.pipe(delimited({ mode: "text" }), decodeJsonEvents()).subscribe(handle);
 * await port.write("STATUS\n"); // once open
 * ```
 * @see {@link delimited} to cut the chunks into messages.
 * @lego SerialPortSource
 */
export function fromSerialPort(options: SerialPortSourceOptions): SerialPortSource {
  const config = validate(options);
  const meter = legoMeter("SerialPortSource", { name: config.name, group: config.group }, COUNTERS);
  const events = new Subject<SerialPortEvent>();
  let connection: SerialConnection | undefined;
  let closing: Promise<void> | undefined;

  const source = new Observable<Uint8Array>((subscriber) => {
    const current = new SerialConnection(config, meter, events, subscriber);
    connection = current;
    current.start(closing);
    return () => {
      const closed = current.stop();
      closing = closed;
      void closed.then(() => {
        if (closing === closed) closing = undefined;
      });
      if (connection === current) connection = undefined;
    };
  }).pipe(share());

  Object.defineProperties(source, {
    path: { value: config.path, enumerable: true },
    isOpen: { get: () => connection?.isOpen ?? false, enumerable: true },
    events$: { value: events.asObservable(), enumerable: true },
    write: {
      value: (data: Uint8Array | string): Promise<void> => {
        if (typeof data !== "string" && !(data instanceof Uint8Array)) {
          return Promise.reject(new TypeError("data must be a Uint8Array or a string"));
        }
        if (connection === undefined) {
          return Promise.reject(
            new LegoError("SERIAL_CLOSED", `serial port ${config.path} is not open (not subscribed)`, { group: config.group }),
          );
        }
        return connection.write(toBuffer(data));
      },
    },
  });
  return withLego(source, meter.descriptor) as SerialPortSource;
}

/** An Error with an errno-style `code`, as the OS reports a vanished device. */
function osErrorLike(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/**
 * The identity of the device node at `path` (following a symlink, whose own
 * inode and ctime are included), or `undefined` when the path is gone.
 */
async function fileIdentity(path: string): Promise<string | undefined> {
  try {
    const [link, node] = await Promise.all([lstat(path), stat(path)]);
    const linkPart = link.isSymbolicLink() ? `${link.ino}@${link.ctimeMs}>` : "";
    return `${linkPart}${node.dev}:${node.ino}:${node.rdev}@${node.ctimeMs}`;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw error;
  }
}
