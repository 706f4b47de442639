import { headers as natsHeaders, nuid, type Msg, type MsgHdrs, type Subscription } from "@nats-io/transport-node";
import { BehaviorSubject, Observable, type Subscriber } from "rxjs";
import { LegoError } from "../../atom/lego-error.js";
import { legoMeter, type LegoDescriptor, type LegoMeter } from "../../atom/lego-descriptor.js";
import { optional, optionalGroup, requireBoolean, requireNonEmptyString, requireObject, requirePositive } from "../../atom/validate.js";
import type {
  DeliveryGuarantee,
  MessageHeaders,
  PublishOptions,
  RequestOptions,
  Transport,
  TransportMessage,
  TransportStatus,
} from "../../ports/transport.js";
import type { NatsClient } from "./connection.js";
import { natsError, requireFilterSubject, requireNatsClient, requireSubject } from "./nats-shared.js";

/** Options of {@link natsTransport}. */
export interface NatsTransportOptions {
  /** The connection (from `connectNats`). */
  client: NatsClient;
  /** Close the connection when the transport is closed. @default false */
  closeClient?: boolean;
  /** Label linking the transport to the component that owns it. */
  group?: string;
}

/** The header that carries {@link PublishOptions.messageId} (JetStream dedupes on it). */
export const MESSAGE_ID_HEADER = "Nats-Msg-Id";
/** The header a request carries its correlation id in; a `respond()` copies it into the reply. */
export const CORRELATION_ID_HEADER = "Manyfold-Correlation-Id";

/** Record headers → NATS headers (undefined when there are none). */
export function toNatsHeaders(record: MessageHeaders | undefined, messageId?: string): MsgHdrs | undefined {
  const entries = record === undefined ? [] : Object.entries(record);
  if (entries.length === 0 && messageId === undefined) return undefined;
  const h = natsHeaders();
  for (const [key, value] of entries) h.set(key, value);
  if (messageId !== undefined) h.set(MESSAGE_ID_HEADER, messageId);
  return h;
}

/** NATS headers → a frozen record (the last value of repeated keys). */
export function fromNatsHeaders(h: MsgHdrs | undefined): MessageHeaders {
  const record: Record<string, string> = {};
  if (h !== undefined) for (const key of h.keys()) record[key] = h.last(key);
  return Object.freeze(record);
}

function validateHeaders(value: unknown): MessageHeaders | undefined {
  if (value === undefined) return undefined;
  const record = requireObject("headers", value);
  for (const [key, v] of Object.entries(record)) {
    if (typeof v !== "string") throw new TypeError(`headers.${key} must be a string`);
    if (!/^[!-9;-~]+$/.test(key)) throw new RangeError(`header name ${JSON.stringify(key)} must be printable ASCII without ':' or spaces`);
  }
  return record as MessageHeaders;
}

/**
 * The core of both NATS transports: subscriptions as Observables,
 * request/reply with deadlines and correlation ids, and the status stream.
 * Subclasses say how `publish` goes out.
 */
export abstract class NatsTransportBase implements Transport {
  abstract readonly guarantee: DeliveryGuarantee;
  readonly lego: LegoDescriptor;
  readonly group: string | undefined;
  readonly status$: Observable<TransportStatus>;
  readonly client: NatsClient;
  protected readonly meter: LegoMeter;
  readonly #closeClient: boolean;
  readonly #status: BehaviorSubject<TransportStatus>;
  readonly #subscribers = new Set<Subscriber<TransportMessage>>();
  readonly #following;
  #closed = false;

  protected constructor(kind: string, options: NatsTransportOptions, counters: readonly string[]) {
    requireObject("options", options);
    this.client = requireNatsClient("client", options.client);
    this.#closeClient = optional("closeClient", options.closeClient, requireBoolean) ?? false;
    this.group = optionalGroup(options.group);
    this.meter = legoMeter(kind, { name: kind === "Transport" ? "nats" : "jetstream", group: this.group }, [
      "published",
      "received",
      "requests",
      "failures",
      ...counters,
    ]);
    this.lego = this.meter.descriptor;
    this.#status = new BehaviorSubject<TransportStatus>({ state: "connected", reconnects: 0 });
    this.status$ = this.#status.asObservable();
    this.#following = this.client.status$.subscribe((status) => {
      if (!this.#closed) this.#status.next(status);
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  abstract publish(subject: string, data: Uint8Array, options?: PublishOptions): Promise<void>;

  /** Checks the arguments of `publish`; rejects when closed. */
  protected checkPublish(subject: string, data: Uint8Array, options: PublishOptions): { headers: MsgHdrs | undefined } {
    if (this.#closed) throw new LegoError("TRANSPORT_CLOSED", "the transport is closed", { group: this.group });
    requireSubject("subject", subject);
    if (!(data instanceof Uint8Array)) throw new TypeError("data must be a Uint8Array");
    requireObject("options", options);
    const headers = validateHeaders(options.headers);
    const messageId = optional("messageId", options.messageId, requireNonEmptyString);
    return { headers: toNatsHeaders(headers, messageId) };
  }

  subscribe(subject: string, options: { queue?: string } = {}): Observable<TransportMessage> {
    requireFilterSubject("subject", subject);
    requireObject("options", options);
    const queue = optional("queue", options.queue, requireNonEmptyString);
    return new Observable<TransportMessage>((subscriber) => {
      if (this.#closed) {
        subscriber.error(new LegoError("TRANSPORT_CLOSED", "the transport is closed", { group: this.group }));
        return undefined;
      }
      let subscription: Subscription;
      try {
        subscription = this.client.nc.subscribe(subject, {
          ...(queue === undefined ? {} : { queue }),
          callback: (error, msg) => {
            if (error !== null) {
              subscriber.error(natsError(error, "TRANSPORT_CLOSED", `subscription ${subject}`, this.group));
              return;
            }
            this.meter.count("received");
            subscriber.next(this.toMessage(msg));
          },
        });
      } catch (error) {
        subscriber.error(natsError(error, "TRANSPORT_CLOSED", `subscribe ${subject}`, this.group));
        return undefined;
      }
      this.#subscribers.add(subscriber);
      return () => {
        this.#subscribers.delete(subscriber);
        subscription.unsubscribe();
      };
    });
  }

  /**
   * Sends `data` with a fresh reply inbox and resolves to the first answer.
   * The request carries a correlation id header (`Manyfold-Correlation-Id`,
   * unless given) that `respond()` copies into the reply. Rejects with
   * `TIMEOUT` after `timeout` ms, `NO_RESPONDERS` at once when nobody
   * subscribes to the subject.
   */
  async request(subject: string, data: Uint8Array, options: RequestOptions): Promise<TransportMessage> {
    if (this.#closed) throw new LegoError("TRANSPORT_CLOSED", "the transport is closed", { group: this.group });
    requireSubject("subject", subject);
    if (!(data instanceof Uint8Array)) throw new TypeError("data must be a Uint8Array");
    requireObject("options", options);
    const timeout = requirePositive("timeout", options.timeout);
    const given = validateHeaders(options.headers) ?? {};
    const headers = { [CORRELATION_ID_HEADER]: nuid.next(), ...given };
    this.meter.count("requests");
    try {
      const reply = await this.client.nc.request(subject, data, { timeout, headers: toNatsHeaders(headers) ?? natsHeaders() });
      return this.toMessage(reply);
    } catch (error) {
      this.meter.count("failures");
      throw natsError(error, "PUBLISH_FAILED", `request ${subject}`, this.group);
    }
  }

  protected toMessage(msg: Msg): TransportMessage {
    const headers = fromNatsHeaders(msg.headers);
    const messageId = headers[MESSAGE_ID_HEADER];
    const message: { -readonly [K in keyof TransportMessage]: TransportMessage[K] } = {
      subject: msg.subject,
      data: msg.data,
      headers,
    };
    if (messageId !== undefined) message.messageId = messageId;
    if (msg.reply !== undefined && msg.reply !== "") {
      const correlation = headers[CORRELATION_ID_HEADER];
      message.respond = (data, options = {}): Promise<void> => {
        const replyHeaders = { ...(correlation === undefined ? {} : { [CORRELATION_ID_HEADER]: correlation }), ...validateHeaders(options.headers) };
        const h = toNatsHeaders(replyHeaders);
        if (!msg.respond(data, h === undefined ? undefined : { headers: h })) {
          return Promise.reject(new LegoError("TRANSPORT_CLOSED", "cannot respond: the connection is closed", { group: this.group }));
        }
        return Promise.resolve();
      };
    }
    return Object.freeze(message);
  }

  /** Completes every subscription, reports `closed` and (with `closeClient`) closes the connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const subscriber of [...this.#subscribers]) subscriber.complete();
    this.#subscribers.clear();
    this.#following.unsubscribe();
    if (this.#closeClient) await this.client.close();
    const last = this.#status.getValue();
    this.#status.next({ state: "closed", reconnects: last.reconnects });
    this.#status.complete();
  }
}

/**
 * The core-NATS backend of the {@link Transport} port (`PubSub`, `Bridge`,
 * `RPC`): `publish` hands the message to the connection (at-most-once: a
 * message published while nobody subscribes, or while the connection is
 * down beyond the client's buffer, is gone), `subscribe` is a NATS
 * subscription (with `queue`, a queue group), `request` a request/reply with
 * a deadline. The message id travels as the `Nats-Msg-Id` header.
 *
 * ## Example
 * ```ts
 * const transport = natsTransport({ client: await connectNats(url) });
 * transport.subscribe("orders.*").subscribe((m) => handle(m));
 * await transport.publish("orders.new", bytes, { messageId: "p1:42" });
 * const answer = await transport.request("prices.get", query, { timeout: 500 });
 * ```
 *
 * @see {@link jetStreamTransport} for publishes acknowledged by a stream
 * @lego Transport
 */
export class NatsTransport extends NatsTransportBase {
  readonly guarantee = "at-most-once" as const;

  constructor(options: NatsTransportOptions) {
    super("Transport", options, []);
  }

  publish(subject: string, data: Uint8Array, options: PublishOptions = {}): Promise<void> {
    try {
      const { headers } = this.checkPublish(subject, data, options);
      this.client.nc.publish(subject, data, headers === undefined ? undefined : { headers });
      this.meter.count("published");
      return Promise.resolve();
    } catch (error) {
      if (error instanceof TypeError || error instanceof RangeError) return Promise.reject(error);
      this.meter.count("failures");
      return Promise.reject(natsError(error, "TRANSPORT_CLOSED", `publish ${subject}`, this.group));
    }
  }
}

/** Makes a {@link NatsTransport}. */
export function natsTransport(options: NatsTransportOptions): NatsTransport {
  return new NatsTransport(options);
}
