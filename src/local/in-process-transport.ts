import { BehaviorSubject, Observable, asyncScheduler, type SchedulerLike, type Subscriber, type Subscription } from "rxjs";
import { legoMeter, type LegoDescriptor, type LegoMeter } from "../atom/lego-descriptor.js";
import { LegoError } from "../atom/lego-error.js";
import { optional, optionalGroup, requireNonEmptyString, requireObject, requirePositive, requireString } from "../atom/validate.js";
import type {
  DeliveryGuarantee,
  MessageHeaders,
  PublishOptions,
  RequestOptions,
  Transport,
  TransportMessage,
  TransportStatus,
} from "../ports/transport.js";
import { schedulerOption } from "../time/scheduler.js";

/** Options of {@link InProcessTransport}. */
export interface InProcessTransportOptions {
  /** Where request timeouts are timed. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /** Label shown in the pipeline view. @default undefined */
  name?: string;
  /** Label linking the transport to the component that owns it. @default undefined */
  group?: string;
}

/** Options of {@link InProcessTransport.subscribe}. */
export interface InProcessSubscribeOptions {
  /** Queue group: subscribers sharing the name (and subject) split the messages, round robin. @default undefined */
  queue?: string;
}

const WILDCARD_ONE = "*";
const WILDCARD_TAIL = ">";

/** Splits a subject into tokens, checking it: `TypeError`/`RangeError` naming `name`. */
function tokensOf(name: string, subject: unknown, wildcards: boolean): string[] {
  const text = requireNonEmptyString(name, subject);
  const tokens = text.split(".");
  tokens.forEach((token, index) => {
    if (token.length === 0) throw new RangeError(`${name} must not have empty tokens, got ${JSON.stringify(text)}`);
    if (/\s/.test(token)) throw new RangeError(`${name} must not contain whitespace, got ${JSON.stringify(text)}`);
    const wild = token === WILDCARD_ONE || token === WILDCARD_TAIL;
    if (!wildcards && (wild || token.includes(WILDCARD_ONE) || token.includes(WILDCARD_TAIL))) {
      throw new RangeError(`${name} must not contain wildcards when publishing, got ${JSON.stringify(text)}`);
    }
    if (wildcards && token === WILDCARD_TAIL && index !== tokens.length - 1) {
      throw new RangeError(`${name} may use ">" only as its last token, got ${JSON.stringify(text)}`);
    }
  });
  return tokens;
}

/**
 * Whether a concrete subject matches a subscription pattern (NATS rules):
 * `*` matches exactly one token, a final `>` one or more.
 */
export function subjectMatches(pattern: readonly string[], subject: readonly string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const token = pattern[i];
    if (token === WILDCARD_TAIL) return subject.length > i;
    if (i >= subject.length) return false;
    if (token !== WILDCARD_ONE && token !== subject[i]) return false;
  }
  return pattern.length === subject.length;
}

interface Subscription$ {
  readonly pattern: readonly string[];
  readonly subscriber: Subscriber<TransportMessage>;
}

/** Members of one queue group on one subject pattern; `next` picks round robin. */
interface QueueGroup {
  readonly pattern: readonly string[];
  readonly members: Subscription$[];
  next: number;
}

interface PendingRequest {
  readonly resolve: (message: TransportMessage) => void;
  readonly reject: (error: unknown) => void;
  readonly timer: Subscription;
}

const COUNTERS = ["published", "delivered", "unrouted", "requests", "noResponders", "timeouts"] as const;

/**
 * The in-process backend of the {@link Transport} port (the catalog's
 * `Transport` / `PubSub`): subjects with NATS wildcards, queue groups and
 * request/reply between the components of one process, with no broker.
 *
 * **Guarantee: at-most-once.** A message goes, synchronously, to the
 * subscriptions that match when it is published; nothing is stored, so a
 * message nobody listens to is gone (counted `unrouted`) and nothing
 * survives the process. `publish` resolves once every matching subscriber
 * has been handed the message. Delivery order is publish order per
 * subscriber. Data is copied on publish, so a publisher may reuse its
 * buffer.
 *
 * Queue groups: each message goes to every plain subscription that matches
 * and to one member (round robin) of each queue group (named by subject
 * pattern and queue name) that matches. `request` rejects with
 * `NO_RESPONDERS` when no subscription matches, with `TIMEOUT` when no
 * answer came within `timeout` ms on the scheduler.
 *
 * ```text
 * subscribe("s.*"):       ----a----b----|   (closed)
 * publish("s.x", a) ------^    ^ publish("s.y", b)
 * ```
 *
 * ## Example
 * ```ts
 * const bus = new InProcessTransport();
 * bus.subscribe("sensors.>").subscribe((m) => console.log(m.subject, m.messageId));
 * await bus.publish("sensors.kitchen.temp", bytes, { messageId: "probe-1:42" });
 * bus.subscribe("time", { queue: "svc" }).subscribe((m) => m.respond?.(now()));
 * const reply = await bus.request("time", new Uint8Array(), { timeout: 500 });
 * ```
 * @see {@link Transport}, `transportConformance` in `manyfold-rx/testing`
 * @lego Transport
 */
export class InProcessTransport implements Transport {
  readonly guarantee: DeliveryGuarantee = "at-most-once";
  readonly lego: LegoDescriptor;
  readonly group: string | undefined;
  readonly status$: Observable<TransportStatus>;
  readonly #status = new BehaviorSubject<TransportStatus>(Object.freeze({ state: "connected", reconnects: 0 }));
  readonly #meter: LegoMeter;
  readonly #scheduler: SchedulerLike;
  readonly #plain = new Set<Subscription$>();
  readonly #queues = new Map<string, QueueGroup>();
  readonly #requests = new Set<PendingRequest>();
  #inboxes = 0;
  #closed = false;

  constructor(options: InProcessTransportOptions = {}) {
    requireObject("options", options);
    this.group = optionalGroup(options.group);
    const name = optional("name", options.name, requireNonEmptyString);
    this.#scheduler = options.scheduler === undefined ? asyncScheduler : schedulerOption(options.scheduler, this.group);
    this.#meter = legoMeter("Transport", { name, group: this.group }, COUNTERS);
    this.lego = this.#meter.descriptor;
    this.status$ = this.#status.asObservable();
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  publish(subject: string, data: Uint8Array, options: PublishOptions = {}): Promise<void> {
    try {
      const message = this.#message(subject, data, options, undefined);
      this.#route(message);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(asError(error));
    }
  }

  subscribe(subject: string, options: InProcessSubscribeOptions = {}): Observable<TransportMessage> {
    const pattern = tokensOf("subject", subject, true);
    requireObject("options", options);
    const queue = optional("queue", options.queue, requireNonEmptyString);
    return new Observable<TransportMessage>((subscriber) => {
      if (this.#closed) {
        subscriber.error(this.#closedError());
        return undefined;
      }
      const entry: Subscription$ = { pattern, subscriber };
      if (queue === undefined) {
        this.#plain.add(entry);
        return () => this.#plain.delete(entry);
      }
      const key = `${queue}\u0000${pattern.join(".")}`;
      let group = this.#queues.get(key);
      if (group === undefined) {
        group = { pattern, members: [], next: 0 };
        this.#queues.set(key, group);
      }
      group.members.push(entry);
      const joined = group;
      return () => {
        const index = joined.members.indexOf(entry);
        if (index >= 0) joined.members.splice(index, 1);
        if (joined.members.length === 0) this.#queues.delete(key);
      };
    });
  }

  request(subject: string, data: Uint8Array, options: RequestOptions): Promise<TransportMessage> {
    try {
      requireObject("options", options);
      const timeout = requirePositive("timeout", options.timeout);
      this.#meter.count("requests");
      const reply = `_INBOX.${++this.#inboxes}`;
      return new Promise<TransportMessage>((resolve, reject) => {
        let answered = false;
        const pending: PendingRequest = {
          resolve,
          reject,
          timer: this.#scheduler.schedule(() => {
            if (answered) return;
            answered = true;
            this.#requests.delete(pending);
            this.#meter.count("timeouts");
            reject(new LegoError("TIMEOUT", `request on ${subject} got no answer within ${timeout} ms`, { group: this.group }));
          }, timeout),
        };
        const respond = (answer: Uint8Array, respondOptions: { headers?: MessageHeaders } = {}): Promise<void> => {
          if (this.#closed) return Promise.reject(this.#closedError());
          if (answered) return Promise.resolve();
          answered = true;
          pending.timer.unsubscribe();
          this.#requests.delete(pending);
          try {
            resolve(this.#message(reply, answer, { headers: respondOptions.headers ?? {} }, undefined));
          } catch (error) {
            return Promise.reject(asError(error));
          }
          return Promise.resolve();
        };
        this.#requests.add(pending);
        const message = this.#message(subject, data, options.headers === undefined ? {} : { headers: options.headers }, respond);
        if (this.#route(message) === 0) {
          answered = true;
          pending.timer.unsubscribe();
          this.#requests.delete(pending);
          this.#meter.count("noResponders");
          reject(new LegoError("NO_RESPONDERS", `no subscriber listens on ${subject}`, { group: this.group }));
        }
      });
    } catch (error) {
      return Promise.reject(asError(error));
    }
  }

  /** Completes every subscription and `status$`, rejects pending requests (`TRANSPORT_CLOSED`). Idempotent. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    for (const pending of this.#requests) {
      pending.timer.unsubscribe();
      pending.reject(this.#closedError());
    }
    this.#requests.clear();
    const subscribers = [...this.#plain, ...[...this.#queues.values()].flatMap((group) => group.members)];
    this.#plain.clear();
    this.#queues.clear();
    for (const { subscriber } of subscribers) subscriber.complete();
    this.#status.next(Object.freeze({ state: "closed", reconnects: 0 }));
    this.#status.complete();
    return Promise.resolve();
  }

  #message(subject: string, data: Uint8Array, options: PublishOptions, respond: TransportMessage["respond"]): TransportMessage {
    if (this.#closed) throw this.#closedError();
    tokensOf("subject", subject, false);
    if (!(data instanceof Uint8Array)) throw new TypeError("data must be a Uint8Array");
    requireObject("options", options);
    const headers = validateHeaders(options.headers ?? {});
    const messageId = optional("messageId", options.messageId, requireNonEmptyString);
    const message: TransportMessage = {
      subject,
      data: data.slice(),
      headers,
      ...(messageId === undefined ? {} : { messageId }),
      ...(respond === undefined ? {} : { respond }),
    };
    return Object.freeze(message);
  }

  /** Hands `message` to every matching subscription; answers how many got it. */
  #route(message: TransportMessage): number {
    this.#meter.count("published");
    const subject = message.subject.split(".");
    const targets: Subscriber<TransportMessage>[] = [];
    for (const entry of this.#plain) if (subjectMatches(entry.pattern, subject)) targets.push(entry.subscriber);
    for (const group of this.#queues.values()) {
      if (group.members.length === 0 || !subjectMatches(group.pattern, subject)) continue;
      const member = group.members[group.next % group.members.length];
      group.next = (group.next + 1) % group.members.length;
      if (member !== undefined) targets.push(member.subscriber);
    }
    if (targets.length === 0) this.#meter.count("unrouted");
    for (const target of targets) {
      this.#meter.count("delivered");
      target.next(message);
    }
    return targets.length;
  }

  #closedError(): LegoError {
    return new LegoError("TRANSPORT_CLOSED", "the in-process transport is closed", { group: this.group });
  }
}

function validateHeaders(value: unknown): MessageHeaders {
  const headers = requireObject("headers", value);
  const copy: Record<string, string> = {};
  for (const [key, text] of Object.entries(headers)) copy[key] = requireString(`headers.${key}`, text);
  return Object.freeze(copy);
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
