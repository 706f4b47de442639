import type { DeviceStep } from "../testing/simulated-serial-device.js";

/**
 * The embedded default device of `manyfold demo`: a UART temperature and
 * humidity sensor that prints one JSON line every {@link LINE_EVERY} ms, and
 * the faults a real one shows in the field, each on cue so every lego of the
 * pipeline has something to do:
 * - garbage bytes on the line (line noise at power-up) → the decoder drops them;
 * - a line whose `°` is split across two writes → the framer reassembles it;
 * - an unplug and re-plug → the serial source reconnects;
 * - a silent spell longer than the stale limit → health goes stale, then ok.
 */

/** Pause between lines, in ms (20 Hz). */
export const LINE_EVERY = 50;
/** How long the device goes quiet in its silent spell, in ms. */
export const SILENCE_MS = 1_400;
/** How long the device is unplugged, in ms. */
export const UNPLUG_MS = 600;

/** A slowly drifting reading with a little sensor noise; deterministic per index. */
export function readingLine(index: number): string {
  const drift = Math.sin(index / 40) * 0.8;
  const noise = (((index * 7919) % 13) - 6) / 100;
  const temperature = Math.round((21.5 + drift + noise) * 100) / 100;
  const humidity = Math.round((41 + Math.cos(index / 55) * 3 + noise * 2) * 10) / 10;
  return JSON.stringify({
    event_type: "ambient.reading",
    data: { temperature_c: temperature, humidity_pct: humidity },
    unit: "°C",
    sensor: "sht31",
  });
}

function linesFor(ms: number, first: number): { step: DeviceStep; count: number } {
  const count = Math.max(1, Math.round(ms / LINE_EVERY));
  const lines = Array.from({ length: count }, (_, i) => readingLine(first + i));
  return { step: { lines, every: LINE_EVERY }, count };
}

/**
 * One act of the device's script, about `act` ms long (at least ~3.6 s so
 * every fault fits): readings, garbage, a split `°`, readings, an unplug,
 * readings, a silent spell, readings. `demo --duration 5s` plays it once;
 * without a duration the device loops it.
 */
export function demoScript(act = 4_200): DeviceStep[] {
  const reading = Math.max(200, (act - UNPLUG_MS - SILENCE_MS) / 4);
  const steps: DeviceStep[] = [];
  let index = 0;
  const readings = (ms: number): void => {
    const { step, count } = linesFor(ms, index);
    steps.push(step);
    index += count;
  };
  readings(reading);
  steps.push({ garbage: 24 });
  steps.push({ splitUtf8: readingLine(index++) });
  readings(reading);
  steps.push({ unplug: UNPLUG_MS });
  readings(reading);
  steps.push({ silence: SILENCE_MS });
  readings(reading);
  return steps;
}
