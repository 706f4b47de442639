import type { Observable } from "rxjs";

/** Headers of a message: string keys to string values. */
export type MessageHeaders = Readonly<Record<string, string>>;

/** A message received from a {@link Transport}. */
export interface TransportMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly headers: MessageHeaders;
  /** The application message id it was published with, when it had one. */
  readonly messageId?: string;
  /** Answers a request; present only on messages sent with {@link Transport.request}. */
  respond?(data: Uint8Array, options?: { headers?: MessageHeaders }): Promise<void>;
}

/** Options of {@link Transport.publish}. */
export interface PublishOptions {
  headers?: MessageHeaders;
  /**
   * Application message id, carried natively by each backend (NATS
   * `Nats-Msg-Id`, an MQTT 5 user property, a payload envelope on MQTT 3.1.1)
   * and surfaced as {@link TransportMessage.messageId}; an Inbox dedupes on it.
   */
  messageId?: string;
}

/** Options of {@link Transport.request}. */
export interface RequestOptions {
  /** Reject with `LegoError` `TIMEOUT` when no answer came within this many ms. */
  timeout: number;
  headers?: MessageHeaders;
}

/** Connection state, as a stream. */
export interface TransportStatus {
  readonly state: "connecting" | "connected" | "reconnecting" | "closed";
  /** Reconnections so far. */
  readonly reconnects: number;
}

/** What a backend promises about a published message. */
export type DeliveryGuarantee = "at-most-once" | "at-least-once";

/**
 * The port of the catalog's `Transport` / `PubSub` (capabilities `Publish`,
 * `Subscribe`): subjects, publish, subscriptions as Observables and
 * request/reply. In-process, NATS core and MQTT backends pass
 * `transportConformance` from `manyfold-rx/testing`.
 *
 * Subjects are `.`-separated tokens; in `subscribe`, `*` matches one token
 * and a final `>` one or more (NATS syntax; the MQTT backend maps `.`/`*`/`>`
 * to `/`/`+`/`#`). `publish` resolves once the backend has done what
 * {@link Transport.guarantee} promises: for `at-least-once` that is the
 * broker's acknowledgement, which is what an Outbox waits for.
 *
 * @lego Transport
 */
export interface Transport {
  readonly guarantee: DeliveryGuarantee;
  publish(subject: string, data: Uint8Array, options?: PublishOptions): Promise<void>;
  /**
   * Messages on subjects matching `subject` until unsubscribed. With
   * `queue`, subscribers sharing the name split the messages between them
   * (each message goes to one of them).
   */
  subscribe(subject: string, options?: { queue?: string }): Observable<TransportMessage>;
  /** Publishes with a reply address and resolves to the first answer; `NO_RESPONDERS` when nobody listens (where the backend can tell). */
  request(subject: string, data: Uint8Array, options: RequestOptions): Promise<TransportMessage>;
  readonly status$: Observable<TransportStatus>;
  close(): Promise<void>;
}
