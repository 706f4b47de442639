import { UsageError } from "./command.js";

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration option: `500ms`, `5s`, `2m`, `1h`, or a bare number of
 * seconds (`5`, `0.5`). Returns milliseconds.
 * @throws UsageError naming the option when the text is not a positive duration.
 */
export function parseDuration(option: string, text: string, command: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  const amount = match === null ? NaN : Number(match[1]);
  const ms = amount * (UNITS[match?.[2] ?? "s"] ?? NaN);
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new UsageError(`${option} must be a positive duration such as 500ms, 5s or 2m, got ${JSON.stringify(text)}`, `run "${command} --help" for usage`);
  }
  return ms;
}
