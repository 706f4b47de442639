import { hostname } from "node:os";
import type { Subscription } from "rxjs";
import { Outbox } from "../durable/handoff/outbox.js";
import type { LocalDurableSpool } from "../durable/local-durable-spool.js";
import type { Transport } from "../ports/transport.js";
import { sensorEventCodec } from "../sensor/sensor-codecs.js";
import type { SensorEvent } from "../sensor/sensor-event.js";
import { UsageError } from "./command.js";

/** The demo's store-and-forward: the spool's records forwarded by an Outbox while the demo runs. */
export interface DemoForwarder {
  readonly url: string;
  readonly subject: string;
  /** forwarded: handed to the broker; acked: confirmed; pending: awaiting confirmation now. */
  counts(): { forwarded: number; acked: number; pending: number };
  /** Stops forwarding; what is not yet acked is forwarded again by the next run. */
  close(): Promise<void>;
}

/** The subject of every forwarded record (MQTT topic `manyfold/demo/ambient`). */
export const FORWARD_SUBJECT = "manyfold.demo.ambient";
/** The JetStream stream `nats://` forwards into, created when no stream takes {@link FORWARD_SUBJECT}. */
export const FORWARD_STREAM = "MANYFOLD_DEMO";

const MQTT_SCHEMES = ["mqtt", "mqtts"];
const NATS_SCHEMES = ["nats", "tls"];

function schemeOf(url: string): string {
  return url.slice(0, Math.max(0, url.indexOf("://")));
}

/** Checks a `--forward` URL before anything starts (a UsageError names what is accepted). */
export function checkForwardUrl(url: string): string {
  const scheme = schemeOf(url);
  if (!MQTT_SCHEMES.includes(scheme) && !NATS_SCHEMES.includes(scheme)) {
    throw new UsageError(`--forward: unsupported URL ${JSON.stringify(url)}`, "use mqtt://HOST:PORT or nats://HOST:PORT");
  }
  return url;
}

/** A Transport for an MQTT URL; the client library is loaded only when asked for. */
async function mqttTransport(url: string): Promise<Transport> {
  const { MqttTransport, connectMqtt } = await import("../engines/mqtt/index.js");
  const connection = await connectMqtt({ url, waitForConnect: false });
  return new MqttTransport({ connection, ownsConnection: true });
}

/**
 * A JetStream Transport for a NATS URL (`tls://` requires TLS), publishing
 * into the stream that takes {@link FORWARD_SUBJECT}, or into a new
 * {@link FORWARD_STREAM}; the client library is loaded only when asked for.
 */
async function natsTransport(url: string): Promise<Transport> {
  const { connectNats, JetStreamTransport } = await import("../engines/nats/index.js");
  // a bounded first connect: the demo's shutdown waits for it
  const client = await connectNats({ servers: url, timeout: 5000, ...(schemeOf(url) === "tls" ? { tls: {} } : {}) });
  try {
    const jsm = await client.jetstreamManager();
    const stream = await jsm.streams.find(FORWARD_SUBJECT).catch(async () => {
      // no stream takes the subject yet (anything else fails the add, with the server's reason)
      await jsm.streams.add({ name: FORWARD_STREAM, subjects: [FORWARD_SUBJECT] });
      return FORWARD_STREAM;
    });
    return new JetStreamTransport({ client, stream, closeClient: true });
  } catch (error) {
    await client.close();
    throw error;
  }
}

/**
 * Forwards the demo's spool to a broker: an Outbox over the engine's
 * Transport, message id `<host>-demo:<offset>`, cursor in the spool's
 * checkpoints (so a later run resumes where this one stopped).
 *
 * MQTT connects in the background (records wait in the spool until the
 * broker answers). NATS connects and finds or creates the stream in the
 * background too, so the demo starts at once; when that fails (server
 * unreachable, JetStream off) `onError` is told and the demo stops.
 */
export function startForwarder(url: string, spool: LocalDurableSpool<SensorEvent>, onError: (error: unknown) => void): Promise<DemoForwarder> {
  const open = async (): Promise<{ transport: Transport; outbox: Outbox<SensorEvent>; running: Subscription }> => {
    const transport = NATS_SCHEMES.includes(schemeOf(url)) ? await natsTransport(url) : await mqttTransport(url);
    const outbox = await Outbox.open<SensorEvent>({
      spool,
      transport,
      subject: FORWARD_SUBJECT,
      checkpoints: spool.checkpoints,
      name: "forward",
      producerId: `${hostname()}-demo`,
      codec: sensorEventCodec(),
      maxInFlight: 32,
      group: "ambient",
    }).catch(async (error: unknown) => {
      await transport.close();
      throw error;
    });
    const running = outbox.run().subscribe({ error: onError });
    return { transport, outbox, running };
  };
  const started = open();
  let forwarding: Awaited<typeof started> | undefined;
  const ready = started.then(
    (parts) => {
      forwarding = parts;
      return parts;
    },
    (error: unknown) => {
      onError(error);
      return undefined;
    },
  );
  const counter = (name: string): number => forwarding?.outbox.lego.counters[name] ?? 0;
  return Promise.resolve({
    url,
    subject: FORWARD_SUBJECT,
    counts: () => ({ forwarded: counter("forwarded"), acked: counter("acked"), pending: counter("pending") }),
    async close() {
      const parts = await ready;
      if (parts === undefined) return;
      parts.running.unsubscribe();
      await parts.outbox.close();
      await parts.transport.close();
    },
  });
}
