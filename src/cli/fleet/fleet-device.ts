import { join } from "node:path";
import { filter, firstValueFrom, race, take, timer, type Subscription } from "rxjs";
import { Outbox } from "../../durable/handoff/outbox.js";
import { LocalDurableSpool } from "../../durable/local-durable-spool.js";
import type { NatsClient } from "../../engines/nats/index.js";
import { sensorEventCodec } from "../../sensor/sensor-codecs.js";
import type { SensorDebugTap } from "../../sensor/sensor-debug-tap.js";
import type { SensorEvent } from "../../sensor/sensor-event.js";
import { simulatedSerialDevice, type DeviceStep, type SimulatedSerialDevice } from "../../testing/simulated-serial-device.js";
import { LINE_EVERY, readingLine } from "../demo-device.js";
import { DEMO_STAGE, demoPipeline, type DemoPipeline } from "../demo-pipeline.js";
import { READINGS_STREAM, readingSubject } from "./fleet-plan.js";

/** One simulated sensor device of the fleet: UART sensor → pipeline → spool → Outbox → JetStream. */
export interface FleetDevice {
  readonly id: string;
  readonly pipeline: DemoPipeline;
  readonly spool: LocalDurableSpool<SensorEvent>;
  readonly outbox: Outbox<SensorEvent>;
  readonly serial: SimulatedSerialDevice;
  /** Records the pipeline spooled. */
  recorded(): number;
  /** Records the broker confirmed (the Outbox's checkpoint). */
  forwarded(): number;
  /** Stops reading the sensor (the Outbox keeps forwarding what was spooled). */
  stopRecording(): Promise<void>;
  /** Resolves once every spooled record is confirmed, or after `ms` (false). */
  drained(ms: number): Promise<boolean>;
  close(): Promise<void>;
}

export interface FleetDeviceOptions {
  readonly id: string;
  /** Where the device's spool lives. */
  readonly dir: string;
  readonly client: NatsClient;
  readonly transport: "auto" | "socat" | "mock";
  /** Readings differ per device: its script starts this many lines into the demo's curve. */
  readonly phase: number;
  /** When set, the device is unplugged this many ms into the run, for `unplugFor` ms. */
  readonly unplugAt?: number | undefined;
  readonly unplugFor?: number | undefined;
  readonly onError: (error: unknown) => void;
  /** Publishes the device's raw serial chunks and decoded events here (for the inspector). */
  readonly debugTap?: SensorDebugTap | undefined;
}

/** Readings at the demo's pace for `ms`, starting at line `first`. */
function readings(ms: number, first: number): DeviceStep {
  const count = Math.max(1, Math.round(ms / LINE_EVERY));
  return { lines: Array.from({ length: count }, (_, i) => readingLine(first + i)), every: LINE_EVERY };
}

/** A long stretch of readings, with the scheduled unplug in it when there is one. */
export function fleetScript(phase: number, unplugAt?: number, unplugFor = 2_000): DeviceStep[] {
  if (unplugAt === undefined) return [readings(20_000, phase)];
  return [readings(unplugAt, phase), { unplug: unplugFor }, readings(20_000, phase + unplugAt / LINE_EVERY)];
}

/**
 * Starts a device: the README's sensor pipeline (the demo's) into its own
 * spool, and an Outbox forwarding the spool to the readings stream with
 * message ids `<device>:<offset>`.
 */
export async function startFleetDevice(options: FleetDeviceOptions): Promise<FleetDevice> {
  const { id } = options;
  const { jetStreamTransport } = await import("../../engines/nats/index.js");
  const serial = simulatedSerialDevice(fleetScript(options.phase, options.unplugAt, options.unplugFor), { transport: options.transport, loop: true });
  await serial.start();
  const spool = await LocalDurableSpool.open<SensorEvent>({
    location: join(options.dir, id),
    name: "readings",
    codec: sensorEventCodec(),
    durability: "sync",
    group: id,
  });
  const pipeline = demoPipeline({
    port: serial.portOptions,
    spool,
    group: id,
    demandEvery: 100,
    ...(options.debugTap === undefined ? {} : { debugTap: options.debugTap }),
  });
  const outbox = await Outbox.open<SensorEvent>({
    spool,
    // A PubAck lost to a broker restart is given up on after 1.5 s and the message sent again (same id).
    transport: jetStreamTransport({ client: options.client, stream: READINGS_STREAM, ackTimeout: 1_500, group: id }),
    subject: readingSubject(id),
    checkpoints: spool.checkpoints,
    name: "uplink",
    producerId: id,
    codec: sensorEventCodec(),
    maxInFlight: 64,
    // The broker restarts during the run: try again soon, not after the default's 30 s.
    backoff: { initialDelay: 50, multiplier: 2, maxDelay: 500 },
    group: id,
  });
  let nextUnforwarded = spool.firstOffset;
  const running: Subscription[] = [
    pipeline.start(options.onError),
    outbox.status$.subscribe((status) => {
      if (status.nextOffset !== undefined) nextUnforwarded = status.nextOffset;
    }),
    outbox.run().subscribe({ error: options.onError }),
  ];
  serial.play().catch(options.onError);
  const firstOffset = spool.firstOffset;
  let recording = true;

  const device: FleetDevice = {
    id,
    pipeline,
    spool,
    outbox,
    serial,
    recorded: () => spool.nextOffset - firstOffset,
    forwarded: () => nextUnforwarded - firstOffset,
    async stopRecording() {
      if (!recording) return;
      recording = false;
      const wasOpen = pipeline.source.isOpen;
      const closed = firstValueFrom(
        race(pipeline.source.events$.pipe(filter((event) => event.type === "closed"), take(1)), timer(2_000)),
        { defaultValue: 0 },
      );
      running[0]?.unsubscribe();
      if (wasOpen) await closed;
      await serial.stop();
    },
    async drained(ms) {
      const deadline = timer(ms);
      return firstValueFrom(
        race(
          outbox.status$.pipe(
            filter((status) => (status.nextOffset ?? 0) >= spool.nextOffset),
            take(1),
          ),
          deadline,
        ),
        { defaultValue: 0 },
      ).then((value) => typeof value === "object");
    },
    async close() {
      await device.stopRecording();
      for (const subscription of running) subscription.unsubscribe();
      await outbox.close();
      await spool.close();
    },
  };
  return device;
}

/** Records the device's pipeline counted at a stage (for the status line). */
export function stageCount(device: FleetDevice, stage: keyof typeof DEMO_STAGE, counter: string): number {
  return device.pipeline.graph.stages()[DEMO_STAGE[stage]]?.counters[counter] ?? 0;
}
