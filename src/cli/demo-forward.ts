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

export const FORWARD_SUBJECT = "manyfold.demo.ambient";

const SCHEMES = ["mqtt", "mqtts"] as const;

/** Checks a `--forward` URL before anything starts (a UsageError names what is accepted). */
export function checkForwardUrl(url: string): string {
  const scheme = url.slice(0, Math.max(0, url.indexOf("://")));
  if (!(SCHEMES as readonly string[]).includes(scheme)) {
    throw new UsageError(`--forward: unsupported URL ${JSON.stringify(url)}`, "use mqtt://HOST:PORT");
  }
  return url;
}

/** A Transport for `url`; the engine's client library is loaded only when asked for. */
async function transportFor(url: string): Promise<Transport> {
  const { MqttTransport, connectMqtt } = await import("../engines/mqtt/index.js");
  const connection = await connectMqtt({ url, waitForConnect: false });
  return new MqttTransport({ connection, ownsConnection: true });
}

/**
 * Forwards the demo's spool to a broker: an Outbox over the engine's
 * Transport, message id `<host>-demo:<offset>`, cursor in the spool's
 * checkpoints (so a later run resumes where this one stopped).
 */
export async function startForwarder(url: string, spool: LocalDurableSpool<SensorEvent>, onError: (error: unknown) => void): Promise<DemoForwarder> {
  const transport = await transportFor(url);
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
  });
  const running: Subscription = outbox.run().subscribe({ error: onError });
  const counter = (name: string): number => outbox.lego.counters[name] ?? 0;
  return {
    url,
    subject: FORWARD_SUBJECT,
    counts: () => ({ forwarded: counter("forwarded"), acked: counter("acked"), pending: counter("pending") }),
    async close() {
      running.unsubscribe();
      await outbox.close();
      await transport.close();
    },
  };
}
