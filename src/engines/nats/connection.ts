import { connect, type NatsConnection, type NodeConnectionOptions } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { BehaviorSubject, distinctUntilChanged, type Observable } from "rxjs";
import { LegoError } from "../../atom/lego-error.js";
import { legoMeter, type LegoDescriptor } from "../../atom/lego-descriptor.js";
import { optionalGroup, requireNonEmptyString, requireObject } from "../../atom/validate.js";
import type { TransportStatus } from "../../ports/transport.js";

/**
 * Server features that need a newer `nats-server` than some deployments run
 * (Debian ships 2.9.10). A 2.9 server silently ignores most of them (no
 * error, wrong behaviour), so every NATS lego that would use one calls
 * {@link NatsClient.requireFeature} first.
 */
export const NATS_FEATURES = {
  /** Per-message TTL (`Nats-TTL`), the stream's `allow_msg_ttl`. */
  "message-ttl": "2.11.0",
  /** Per-key TTL on KV (`create(key, value, ttl)`), built on message TTL. */
  "kv-per-key-ttl": "2.11.0",
  /** KV delete markers for expired keys (`markerTTL`, `subject_delete_marker_ttl`), so a watcher sees an expiry. */
  "kv-marker-ttl": "2.11.0",
  /** `term(reason)`: on 2.9 the message is redelivered instead of terminated with the reason. */
  "term-reason": "2.11.0",
  /** Consumers with several filter subjects (`filter_subjects`). */
  "multi-filter-consumers": "2.10.0",
  /** Stream subject transforms. */
  "subject-transforms": "2.10.0",
  /** Pull consumer priority groups (overflow / pinned clients). */
  "consumer-priority-groups": "2.11.0",
  /** Delayed delivery of a stream message at enqueue time (message scheduling). */
  "message-schedules": "2.12.0",
} as const;

/** A feature name of {@link NATS_FEATURES}. */
export type NatsFeature = keyof typeof NATS_FEATURES;

/** Options of {@link connectNats}: the client's own connection options plus a group label. */
export interface NatsConnectOptions extends NodeConnectionOptions {
  /** Label linking the connection to the component that owns it. */
  group?: string;
}

/**
 * A NATS connection with what every NATS lego needs: the server version and
 * feature checks, the connection state as a stream and JetStream handles.
 * Made by {@link connectNats}; shared by any number of NATS legos (closing a
 * lego does not close the connection).
 */
export interface NatsClient {
  /** The underlying `@nats-io/transport-node` connection. */
  readonly nc: NatsConnection;
  /** The JetStream client (publish, consumers). */
  readonly js: JetStreamClient;
  /** The version the connected server reports (`nc.info.version`), e.g. `"2.9.10"`. */
  readonly serverVersion: string;
  /**
   * The connection state: `connected` on subscribe (replayed), then
   * `reconnecting` on every disconnect, `connected` after each reconnect
   * (with `reconnects` counted), `closed` at the end (then it completes).
   */
  readonly status$: Observable<TransportStatus>;
  /** Descriptor with counters `disconnects`, `reconnects`. */
  readonly lego: LegoDescriptor;
  readonly group: string | undefined;
  /** Whether the connected server has `feature`. */
  supports(feature: NatsFeature): boolean;
  /** Throws `LegoError` `ENGINE_FEATURE_UNAVAILABLE` unless the connected server has `feature`. */
  requireFeature(feature: NatsFeature): void;
  /** The JetStream manager (streams, consumers), made once. */
  jetstreamManager(): Promise<JetStreamManager>;
  /** Drains and closes the connection. */
  close(): Promise<void>;
}

/** Compares dotted versions numerically (`"2.10.0" > "2.9.10"`); a pre-release suffix is ignored. */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string): number[] => (v.replace(/^v/, "").split(/[-+]/)[0] ?? "").split(".").map((part) => Number(part) || 0);
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/** Whether a server of `version` has `feature`. */
export function natsServerSupports(version: string, feature: NatsFeature): boolean {
  return compareVersions(version, NATS_FEATURES[feature]) >= 0;
}

/**
 * Connects to NATS (a URL, a list of URLs, or the client's options) and
 * resolves to a {@link NatsClient}: the raw connection plus server-version
 * detection, `requireFeature`, `status$` and reconnect counters. Defaults:
 * reconnect forever (`maxReconnectAttempts: -1`) every 250 ms, so legos on
 * it ride out a broker restart.
 *
 * Rejects with `LegoError` `ENGINE_UNAVAILABLE` when no server answers.
 *
 * ## Example
 * ```ts
 * const client = await connectNats("nats://127.0.0.1:4222");
 * client.status$.subscribe((s) => log(s.state, s.reconnects));
 * client.requireFeature("kv-per-key-ttl"); // throws on 2.9/2.10
 * ```
 *
 * @see {@link natsTransport}
 * @lego Transport
 */
export async function connectNats(servers: string | readonly string[] | NatsConnectOptions): Promise<NatsClient> {
  let options: NatsConnectOptions;
  if (typeof servers === "string") options = { servers: requireNonEmptyString("servers", servers) };
  else if (Array.isArray(servers)) {
    options = { servers: (servers as readonly string[]).map((s, i) => requireNonEmptyString(`servers[${i}]`, s)) };
  } else options = { ...(requireObject("options", servers) as NatsConnectOptions) };
  const group = optionalGroup(options.group);
  delete options.group;
  let nc: NatsConnection;
  try {
    nc = await connect({ maxReconnectAttempts: -1, reconnectTimeWait: 250, ...options });
  } catch (error) {
    throw new LegoError("ENGINE_UNAVAILABLE", `cannot connect to NATS at ${String(options.servers ?? "the default server")}`, {
      cause: error,
      group,
    });
  }
  return new Client(nc, group);
}

class Client implements NatsClient {
  readonly js: JetStreamClient;
  readonly lego: LegoDescriptor;
  readonly status$: Observable<TransportStatus>;
  readonly #state: BehaviorSubject<TransportStatus>;
  readonly #meter;
  #jsm: Promise<JetStreamManager> | undefined;

  constructor(
    readonly nc: NatsConnection,
    readonly group: string | undefined,
  ) {
    this.js = jetstream(nc);
    this.#meter = legoMeter("Transport", { name: "nats-connection", group }, ["disconnects", "reconnects"]);
    this.lego = this.#meter.descriptor;
    this.#state = new BehaviorSubject<TransportStatus>({ state: "connected", reconnects: 0 });
    this.status$ = this.#state.pipe(distinctUntilChanged((a, b) => a.state === b.state && a.reconnects === b.reconnects));
    void this.#follow();
  }

  get serverVersion(): string {
    return this.nc.info?.version ?? "0.0.0";
  }

  supports(feature: NatsFeature): boolean {
    return natsServerSupports(this.serverVersion, feature);
  }

  requireFeature(feature: NatsFeature): void {
    if (!(feature in NATS_FEATURES)) throw new RangeError(`feature must be one of ${Object.keys(NATS_FEATURES).join(", ")}`);
    if (!this.supports(feature)) {
      throw new LegoError(
        "ENGINE_FEATURE_UNAVAILABLE",
        `${feature} needs nats-server ${NATS_FEATURES[feature]} or later; the server runs ${this.serverVersion} (which would silently ignore it)`,
        { group: this.group },
      );
    }
  }

  jetstreamManager(): Promise<JetStreamManager> {
    this.#jsm ??= jetstreamManager(this.nc);
    return this.#jsm;
  }

  async close(): Promise<void> {
    if (this.nc.isClosed()) return;
    try {
      await this.nc.drain();
    } catch {
      await this.nc.close();
    }
    await this.nc.closed();
  }

  async #follow(): Promise<void> {
    let reconnects = 0;
    const set = (state: TransportStatus["state"]): void => {
      this.#state.next({ state, reconnects });
    };
    void this.nc.closed().then(() => {
      set("closed");
      this.#state.complete();
    });
    for await (const status of this.nc.status()) {
      switch (status.type) {
        case "disconnect":
          this.#meter.count("disconnects");
          set("reconnecting");
          break;
        case "reconnecting":
          set("reconnecting");
          break;
        case "reconnect":
          reconnects++;
          this.#meter.count("reconnects");
          set("connected");
          break;
        default:
          break;
      }
    }
  }
}
