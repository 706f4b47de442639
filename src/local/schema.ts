/**
 * The catalog's `Schema` lego: a versioned, named encoding of `T` to bytes.
 * Decoding is strict and throws an error that names the offending field.
 */
export interface Codec<T> {
  /** The schema's name, e.g. `"SensorEvent"`, `"SensorSample[number]"`. */
  readonly id: string;
  /** Schema version, an integer ≥ 1. */
  readonly version: number;
  encode(value: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}
