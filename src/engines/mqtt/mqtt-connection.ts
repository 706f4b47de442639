import { connect, type IClientOptions, type IClientPublishOptions, type IPublishPacket, type MqttClient } from "mqtt";
import { BehaviorSubject, type Observable, type SchedulerLike, type Subscription } from "rxjs";
import { legoMeter, type LegoDescriptor } from "../../atom/lego-descriptor.js";
import { LegoError, type LegoErrorCode } from "../../atom/lego-error.js";
import {
  optional,
  optionalGroup,
  requireBoolean,
  requireNonEmptyString,
  requireNonNegative,
  requireObject,
  requirePositive,
} from "../../atom/validate.js";
import { BackoffPolicy, delayForAttempt } from "../../policy/backoff-policy.js";
import type { MessageHeaders, TransportStatus } from "../../ports/transport.js";
import { unwrapEnvelope, wrapEnvelope } from "./mqtt-envelope.js";
import { MqttSubscriptions, type MqttPacketListener } from "./mqtt-subscriptions.js";
import { schedulerOption } from "../../time/scheduler.js";

/** Options of {@link connectMqtt}. */
export interface MqttConnectionOptions {
  /** Broker URL, e.g. `mqtt://127.0.0.1:1883`. */
  url: string;
  /** The session's client id; needed for a persistent session (`clean: false`). @default a random id */
  clientId?: string;
  /** `false` keeps the session (subscriptions, queued QoS 1 messages) while disconnected. @default true */
  clean?: boolean;
  /**
   * MQTT 5: how long (ms) the broker keeps a persistent session after the
   * connection drops (MQTT 5 ends it at once unless told otherwise; 3.1.1
   * keeps it forever). Rounded up to whole seconds.
   * @default forever when `clean: false`, else 0
   */
  sessionExpiry?: number;
  /** MQTT 5 (`5`) or 3.1.1 (`4`). @default 5 */
  protocolVersion?: 4 | 5;
  /** Waits between reconnection attempts (attempt 2 onward; the first is at once). @default exponential 100 ms × 2 up to 5 s */
  backoff?: BackoffPolicy;
  /** How long one connection attempt may take, in ms. @default 5000 */
  connectTimeout?: number;
  /**
   * How long (ms) a received message that no `fromMqtt` claims waits,
   * unacknowledged, for one to subscribe before it is acknowledged and
   * dropped (counted as `unclaimed`).
   * @default 10000
   */
  unclaimedTimeout?: number;
  /** Resolve `connectMqtt` only once connected (else at once, connecting in the background). @default true */
  waitForConnect?: boolean;
  /** Anything else for MQTT.js (`username`, `password`, `will`, TLS …); ours take precedence. */
  mqtt?: IClientOptions;
  /** Reconnect timers run here. @default asyncScheduler */
  scheduler?: SchedulerLike;
  group?: string;
}

/** Options of {@link MqttConnection.publish}. */
export interface MqttPublishOptions {
  /** @default 1 */
  qos?: 0 | 1;
  /** @default false */
  retain?: boolean;
  headers?: MessageHeaders;
  /** Application message id: user property `message-id` (MQTT 5) or in the envelope (3.1.1). */
  messageId?: string;
  /** Other MQTT 5 publish properties (responseTopic, correlationData, …). */
  properties?: IClientPublishOptions["properties"];
}

/** The header that carries an application message id. */
export const MESSAGE_ID_HEADER = "message-id";

/** Headers plus the message id, or `undefined` when there are none (an empty user-property list is a malformed packet to some brokers). */
function metaHeaders(options: MqttPublishOptions): MessageHeaders | undefined {
  const headers = options.messageId === undefined ? options.headers : { ...options.headers, [MESSAGE_ID_HEADER]: options.messageId };
  return headers === undefined || Object.keys(headers).length === 0 ? undefined : headers;
}

/** What a received PUBLISH carries besides its bytes: headers, message id, and the payload itself. */
export interface MqttMessageMeta {
  readonly headers: MessageHeaders;
  readonly messageId: string | undefined;
  readonly payload: Uint8Array;
}

/** Reads headers and the message id from MQTT 5 user properties, or from a 3.1.1 payload envelope. */
export function readMessageMeta(packet: IPublishPacket): MqttMessageMeta {
  const raw = typeof packet.payload === "string" ? new TextEncoder().encode(packet.payload) : new Uint8Array(packet.payload);
  const user = packet.properties?.userProperties;
  if (user !== undefined) {
    const headers: MessageHeaders = Object.fromEntries(
      Object.entries(user).map(([key, value]) => [key, Array.isArray(value) ? (value[0] ?? "") : value]),
    );
    return { headers, messageId: headers[MESSAGE_ID_HEADER], payload: raw };
  }
  const enveloped = unwrapEnvelope(raw);
  if (enveloped === undefined) return { headers: {}, messageId: undefined, payload: raw };
  return { headers: enveloped.headers, messageId: enveloped.headers[MESSAGE_ID_HEADER], payload: enveloped.payload };
}


/** A CONNACK refusal that retrying cannot cure: the error it ends the connection with, and why. */
export interface PermanentRefusal {
  readonly code: LegoErrorCode;
  readonly reason: string;
}

/**
 * CONNACK codes that refuse this client for good, by number: 3.1.1 return
 * codes are 1–5 and MQTT 5 refusal reasons are 0x80 and up, so one table
 * reads both — and also a 3.1.1-only broker's answer to an MQTT 5 CONNECT,
 * which MQTT.js reads as reason code 1.
 */
const PERMANENT_REFUSALS: ReadonlyMap<number, PermanentRefusal> = new Map([
  [1, { code: "ENGINE_FEATURE_UNAVAILABLE", reason: "unacceptable protocol version" }],
  [2, { code: "UNAUTHORIZED", reason: "identifier rejected" }],
  [4, { code: "UNAUTHORIZED", reason: "bad user name or password" }],
  [5, { code: "UNAUTHORIZED", reason: "not authorized" }],
  [0x84, { code: "ENGINE_FEATURE_UNAVAILABLE", reason: "unsupported protocol version" }],
  [0x85, { code: "UNAUTHORIZED", reason: "client identifier not valid" }],
  [0x86, { code: "UNAUTHORIZED", reason: "bad user name or password" }],
  [0x87, { code: "UNAUTHORIZED", reason: "not authorized" }],
  [0x8a, { code: "UNAUTHORIZED", reason: "banned" }],
  [0x8c, { code: "UNAUTHORIZED", reason: "bad authentication method" }],
] as const);

/**
 * Sorts a broker's CONNACK refusal: a {@link PermanentRefusal} (bad
 * credentials, a refused client id, a ban, a protocol version the broker
 * does not speak) ends the connection, since every retry would get the same
 * answer; `undefined` — server unavailable or busy, quota or connection
 * rate exceeded, and any code not known to be permanent — retries on the
 * backoff policy as a dropped connection does.
 */
export function classifyConnackRefusal(code: number): PermanentRefusal | undefined {
  return PERMANENT_REFUSALS.get(code);
}

/** A validated connection option set. */
interface Settings {
  readonly url: string;
  readonly clientOptions: IClientOptions;
  readonly backoff: BackoffPolicy;
  readonly waitForConnect: boolean;
  readonly unclaimedTimeout: number;
  readonly scheduler: SchedulerLike;
  readonly group: string | undefined;
}

/**
 * MQTT.js keeps its own reconnect timer only while `reconnectPeriod > 0`,
 * and only then remembers subscriptions to renew them; a period no timer
 * reaches (the largest a Node timer takes) keeps both behaviours while
 * reconnection itself runs on our scheduler with our {@link BackoffPolicy}.
 */
const NEVER_PERIOD = 2_147_483_647;

/** MQTT 5's "the session never expires" (0xFFFFFFFF seconds). */
const FOREVER_SECONDS = 0xffff_ffff;

const DEFAULT_BACKOFF = BackoffPolicy.exponential({ initialDelay: 100, multiplier: 2, maxDelay: 5000 });

function settingsOf(options: MqttConnectionOptions): Settings {
  requireObject("options", options);
  const url = requireNonEmptyString("url", options.url);
  const clientId = optional("clientId", options.clientId, requireNonEmptyString);
  const clean = optional("clean", options.clean, requireBoolean) ?? true;
  const protocolVersion = optional("protocolVersion", options.protocolVersion, (n, v) => {
    if (v !== 4 && v !== 5) throw new RangeError(`${n} must be 4 (MQTT 3.1.1) or 5, got ${String(v)}`);
    return v;
  });
  const sessionExpiry = optional("sessionExpiry", options.sessionExpiry, requireNonNegative);
  const connectTimeout = optional("connectTimeout", options.connectTimeout, requirePositive) ?? 5000;
  const backoff = options.backoff === undefined ? DEFAULT_BACKOFF : BackoffPolicy.from(options.backoff);
  const extra = optional("mqtt", options.mqtt, requireObject) as IClientOptions | undefined;
  const group = optionalGroup(options.group);
  const clientOptions: IClientOptions = {
    ...extra,
    protocolVersion: protocolVersion ?? 5,
    clean,
    connectTimeout,
    reconnectPeriod: NEVER_PERIOD,
    resubscribe: true,
  };
  if (clientId !== undefined) clientOptions.clientId = clientId;
  const expiry = sessionExpiry === undefined ? (clean ? 0 : FOREVER_SECONDS) : Math.min(FOREVER_SECONDS, Math.ceil(sessionExpiry / 1000));
  if (clientOptions.protocolVersion === 5 && expiry > 0) {
    clientOptions.properties = { ...clientOptions.properties, sessionExpiryInterval: expiry };
  }
  if (!clean && clientId === undefined) throw new TypeError("clientId must be given for a persistent session (clean: false)");
  return {
    url,
    clientOptions,
    backoff,
    waitForConnect: optional("waitForConnect", options.waitForConnect, requireBoolean) ?? true,
    unclaimedTimeout: optional("unclaimedTimeout", options.unclaimedTimeout, requireNonNegative) ?? 10_000,
    scheduler: schedulerOption(options.scheduler, group),
    group,
  };
}

/**
 * One MQTT client connection with its state as a stream, reconnecting with
 * the project's {@link BackoffPolicy} on a scheduler. QoS 1 messages the
 * client had not seen acknowledged are sent again after a reconnection (by
 * MQTT.js, from its in-memory store); across a process restart only a
 * durable outbox (a `LocalDurableSpool` forwarded by the `Outbox`) keeps them.
 *
 * @lego Transport
 */
export class MqttConnection {
  readonly client: MqttClient;
  readonly group: string | undefined;
  readonly lego: LegoDescriptor;
  /**
   * `connecting` → `connected` ⇄ `reconnecting` → `closed`, with the
   * reconnection count; completes once closed, also when the broker refused
   * this client for good (then {@link failure} says why).
   */
  readonly status$: Observable<TransportStatus>;
  readonly #status: BehaviorSubject<TransportStatus>;
  readonly #meter;
  readonly #settings: Settings;
  #attempt = 0;
  #reconnects = 0;
  #timer: Subscription | undefined;
  #closed = false;
  /** Set once the broker refused this client for good; then no reconnection follows. */
  #failure: LegoError | undefined;
  readonly #subscriptions = new MqttSubscriptions();
  /** Messages whose acknowledgement a listener still holds. */
  #held = 0;
  #unclaimed: { readonly packet: IPublishPacket; offer(filter: string): void } | undefined;

  constructor(options: MqttConnectionOptions) {
    this.#settings = settingsOf(options);
    this.group = this.#settings.group;
    this.#meter = legoMeter("Transport", { name: "mqtt", group: this.group }, ["connects", "reconnects", "errors", "unclaimed"]);
    this.lego = this.#meter.descriptor;
    this.#status = new BehaviorSubject<TransportStatus>({ state: "connecting", reconnects: 0 });
    this.status$ = this.#status.asObservable();
    this.client = connect(this.#settings.url, this.#settings.clientOptions);
    this.client.on("connect", () => {
      this.#attempt = 0;
      this.#meter.count("connects");
      this.#emit("connected");
    });
    // MQTT.js announces the CONNACK before it acts on it, and closes the
    // socket after a refusal: the close then ends the connection instead of
    // reconnecting when the refusal is permanent.
    this.client.on("packetreceive", (packet) => {
      if (packet.cmd !== "connack") return;
      const code = packet.reasonCode ?? packet.returnCode ?? 0;
      const refusal = code === 0 ? undefined : classifyConnackRefusal(code);
      if (refusal !== undefined) this.#failure ??= this.#refusalError(code, refusal);
    });
    this.client.on("close", () => {
      if (this.#failure === undefined) this.#scheduleReconnect();
      else if (!this.#closed) this.#refused();
    });
    // Ended through the client itself rather than close(): stop reconnecting.
    this.client.on("end", () => {
      this.#stop();
    });
    this.client.handleMessage = (packet, done) => {
      this.#dispatch(packet, done);
    };
    // Connection errors (refused, reset) end in "close", which reconnects;
    // a listener must exist or MQTT.js's EventEmitter would throw them.
    this.client.on("error", () => {
      this.#meter.count("errors");
    });
  }

  /**
   * Why the connection ended by itself: the broker refused this client for
   * good (`UNAUTHORIZED` for credentials, client id or a ban;
   * `ENGINE_FEATURE_UNAVAILABLE` for the protocol version), naming the
   * reason and the CONNACK code. `undefined` otherwise (open, or closed by `close()`).
   */
  get failure(): LegoError | undefined {
    return this.#failure;
  }

  /** True while the client holds a connection. */
  get connected(): boolean {
    return this.client.connected;
  }

  /** The protocol in use: 5 or 4 (3.1.1). */
  get protocolVersion(): 4 | 5 {
    return this.#settings.clientOptions.protocolVersion === 4 ? 4 : 5;
  }

  /**
   * Hands the PUBLISH packets matching `filter` to `listener` until
   * `remove()` is called. The broker subscription is made when the filter
   * gets its first listener (with an MQTT 5 subscription identifier derived
   * from the filter) and removed with its last, unless `keep`. A listener
   * that returns a Promise holds the packet's acknowledgement (PUBACK for
   * QoS 1) until it settles: that is how a subscriber acknowledges only what
   * it has processed. `ready` settles with the broker's SUBACK.
   */
  listen(
    filter: string,
    listener: MqttPacketListener,
    options: { qos: 0 | 1; keep?: boolean },
  ): { readonly ready: Promise<void>; remove(): void } {
    const first = this.#subscriptions.add(filter, listener);
    this.#unclaimed?.offer(filter);
    const ready = first ? this.#subscribeAtBroker(filter, options.qos) : Promise.resolve();
    return {
      ready,
      remove: () => {
        const last = this.#subscriptions.remove(filter, listener);
        if (last && options.keep !== true && this.client.connected) this.client.unsubscribe(filter);
      },
    };
  }

  #subscribeAtBroker(filter: string, qos: 0 | 1): Promise<void> {
    const properties = this.protocolVersion === 5 ? { subscriptionIdentifier: MqttSubscriptions.idOf(filter) } : undefined;
    return new Promise((resolve, reject) => {
      this.client.subscribe(filter, { qos, ...(properties === undefined ? {} : { properties }) }, (error, granted) => {
        const refused = granted?.some((grant) => grant.qos === 128) === true;
        if (error === null && !refused) {
          resolve();
          return;
        }
        const why = error === null ? "the broker refused it" : error.message;
        reject(new LegoError("ENGINE_UNAVAILABLE", `cannot subscribe to ${filter}: ${why}`, { cause: error, group: this.group }));
      });
    });
  }

  /**
   * Publishes one message and resolves when the broker has it: on PUBACK
   * for QoS 1 (across reconnections: MQTT.js resends it), once written for
   * QoS 0. Headers and the message id travel as MQTT 5 user properties, or
   * in a payload envelope on 3.1.1 (see {@link readMessageMeta}).
   */
  publish(topic: string, payload: Uint8Array, options: MqttPublishOptions = {}): Promise<void> {
    if (this.#closed) return Promise.reject(new LegoError("TRANSPORT_CLOSED", "the MQTT connection is closed", { group: this.group }));
    const headers = metaHeaders(options);
    const v5 = this.protocolVersion === 5;
    const body = !v5 && headers !== undefined ? wrapEnvelope(headers, payload) : payload;
    const publishOptions: IClientPublishOptions = { qos: options.qos ?? 1, retain: options.retain ?? false };
    if (v5 && (headers !== undefined || options.properties !== undefined)) {
      publishOptions.properties = { ...options.properties, ...(headers === undefined ? {} : { userProperties: { ...headers } }) };
    }
    return new Promise((resolve, reject) => {
      this.client.publish(topic, Buffer.from(body.buffer, body.byteOffset, body.byteLength), publishOptions, (error) => {
        // MQTT.js passes null or undefined on success, depending on the path.
        if (!(error instanceof Error)) resolve();
        else reject(new LegoError("PUBLISH_FAILED", `publish to ${topic} failed: ${error.message}`, { cause: error, group: this.group }));
      });
    });
  }

  /**
   * Resolves once connected (at once if already); rejects once closed, with
   * the broker's refusal ({@link failure}) or else `TRANSPORT_CLOSED`.
   */
  whenConnected(): Promise<void> {
    return new Promise((resolve, reject) => {
      const subscription = this.#status.subscribe((status) => {
        if (status.state === "connected") resolve();
        else if (status.state === "closed") reject(this.#failure ?? new LegoError("TRANSPORT_CLOSED", "the MQTT connection is closed", { group: this.group }));
        else return;
        queueMicrotask(() => { subscription.unsubscribe(); });
      });
    });
  }

  /** Disconnects (sending DISCONNECT when connected) and stops reconnecting. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#timer?.unsubscribe();
    // A message held for a manual ack blocks MQTT.js's packet stream, so a
    // polite DISCONNECT would wait behind it: leave at once instead (the
    // broker redelivers what was never acknowledged).
    await this.client.endAsync(!this.client.connected || this.#held > 0);
    this.#stop();
  }

  #refusalError(code: number, refusal: PermanentRefusal): LegoError {
    const which = this.protocolVersion === 5 ? `reason code 0x${code.toString(16).padStart(2, "0")}` : `return code ${code}`;
    const hint = refusal.code === "ENGINE_FEATURE_UNAVAILABLE" && this.protocolVersion === 5 ? "; the broker may speak only MQTT 3.1.1 (protocolVersion: 4)" : "";
    return new LegoError(
      refusal.code,
      `the MQTT broker refused the connection: ${refusal.reason} (CONNACK ${which}); not retrying${hint}`,
      { group: this.group },
    );
  }

  /** Ends a connection the broker refused for good: no reconnection, and MQTT.js's own timers cleared. */
  #refused(): void {
    this.#closed = true;
    this.#timer?.unsubscribe();
    this.client.end(true);
    this.#stop();
  }

  #stop(): void {
    this.#closed = true;
    this.#timer?.unsubscribe();
    this.#emit("closed");
    this.#status.complete();
  }

  #dispatch(packet: IPublishPacket, done: (error?: Error) => void): void {
    let claimed = false;
    let pending: Promise<void>[] | undefined;
    for (const listener of this.#subscriptions.listenersFor(packet)) {
      const answer = listener(packet);
      if (answer === false) continue;
      claimed = true;
      if (answer !== true) (pending ??= []).push(answer);
    }
    if (!claimed) {
      this.#holdUnclaimed(packet, done);
      return;
    }
    if (pending === undefined) done();
    else this.#ackWhenSettled(pending.length === 1 ? (pending[0] as Promise<void>) : Promise.all(pending), done);
  }

  /** Acknowledges (calls `done`) once a listener's hold settles. */
  #ackWhenSettled(hold: Promise<unknown>, done: (error?: Error) => void): void {
    this.#held += 1;
    hold.then(
      () => {
        this.#held -= 1;
        done();
      },
      (error: unknown) => {
        this.#held -= 1;
        done(error instanceof Error ? error : new Error(String(error)));
      },
    );
  }

  /**
   * A message nobody listens to yet — typically one a persistent session
   * redelivers right after CONNACK, before `fromMqtt` subscribed — is not
   * acknowledged at once (that would lose it): it waits, unacknowledged, for
   * a listener to claim it, for at most `unclaimedTimeout` ms. MQTT.js hands
   * messages over one at a time, so later ones wait behind it.
   */
  #holdUnclaimed(packet: IPublishPacket, done: (error?: Error) => void): void {
    const release = (): void => {
      this.#unclaimed = undefined;
      expiry.unsubscribe();
      done();
    };
    const expiry = this.#settings.scheduler.schedule(() => {
      this.#meter.count("unclaimed");
      release();
    }, this.#settings.unclaimedTimeout);
    this.#unclaimed = {
      packet,
      offer: (filter) => {
        const [listener] = this.#subscriptions.listenersFor(packet, filter);
        const answer = listener?.(packet) ?? false;
        if (answer === false) return;
        this.#unclaimed = undefined;
        expiry.unsubscribe();
        if (answer === true) done();
        else this.#ackWhenSettled(answer, done);
      },
    };
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#timer !== undefined) return;
    this.#attempt += 1;
    this.#emit("reconnecting");
    const delay = delayForAttempt(this.#settings.backoff, this.#attempt + 1);
    this.#timer = this.#settings.scheduler.schedule(() => {
      this.#timer = undefined;
      if (this.#closed) return;
      this.#reconnects += 1;
      this.#meter.count("reconnects");
      // Keep the stores: the QoS 1 messages still unacknowledged are resent.
      this.client.reconnect({ incomingStore: this.client.incomingStore, outgoingStore: this.client.outgoingStore });
    }, delay);
  }

  #emit(state: TransportStatus["state"]): void {
    if (this.#status.closed) return;
    const last = this.#status.getValue();
    if (last.state === state && last.reconnects === this.#reconnects) return;
    this.#status.next({ state, reconnects: this.#reconnects });
  }
}

/**
 * Connects to an MQTT broker (MQTT 5 by default, or 3.1.1) and resolves
 * once connected, or at once with `waitForConnect: false`. A refusal that
 * retrying cannot cure (credentials, client id, ban, protocol version)
 * rejects with that LegoError instead of retrying: see {@link MqttConnection.failure}.
 *
 * ## Example
 * ```ts
 * const connection = await connectMqtt({ url: "mqtt://127.0.0.1:1883", clientId: "device-7", clean: false });
 * connection.status$.subscribe((s) => console.log(s.state, s.reconnects));
 * ```
 */
export function connectMqtt(options: MqttConnectionOptions): Promise<MqttConnection> {
  // Constructed outside the Promise so that bad options throw at the call.
  const connection = new MqttConnection(options);
  if (options.waitForConnect === false) return Promise.resolve(connection);
  return connection.whenConnected().then(
    () => connection,
    async (error: unknown) => {
      await connection.close();
      throw error;
    },
  );
}

/** Checks the `connection` option every MQTT lego takes. */
export function requireMqttConnection(value: unknown): MqttConnection {
  if (!(value instanceof MqttConnection)) throw new TypeError("connection must be an MqttConnection (from connectMqtt)");
  return value;
}

/** Checks an optional QoS option (0 or 1; QoS 2 is not offered). @default 1 */
export function optionalQos(value: unknown): 0 | 1 {
  if (value === undefined) return 1;
  if (value !== 0 && value !== 1) throw new RangeError(`qos must be 0 or 1, got ${typeof value === "number" ? value : typeof value}`);
  return value;
}
