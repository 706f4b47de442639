/**
 * Capabilities: the small interfaces the ports (src/ports/) are made of,
 * each with a runtime guard so code can ask "can this value append?" and
 * the catalog's `implementedBy` names a value. A guard checks the method
 * is there and callable; it cannot check signatures.
 */
import type { Observable } from "rxjs";

function hasMethods(value: unknown, ...names: readonly string[]): boolean {
  if ((typeof value !== "object" && typeof value !== "function") || value === null) return false;
  const record = value as Record<string, unknown>;
  return names.every((name) => typeof record[name] === "function");
}

/** Reads a value by key (`VersionedRegister.get`, `IdempotencyStore.get`). @lego Read */
export interface Read<K = string, V = unknown> {
  get(key: K): Promise<V | undefined>;
}
/** @lego Read */
export function isReadable(value: unknown): value is Read {
  return hasMethods(value, "get");
}

/** Writes a value by key unconditionally (`VersionedRegister.put`). @lego Write */
export interface Write<K = string, V = unknown> {
  put(key: K, value: V): Promise<unknown>;
}
/** @lego Write */
export function isWritable(value: unknown): value is Write {
  return hasMethods(value, "put");
}

/** Deletes by key, optionally only at an expected version (`VersionedRegister.delete`). @lego Delete */
export interface Delete<K = string> {
  delete(key: K, expectedVersion?: number): Promise<unknown>;
}
/** @lego Delete */
export function isDeletable(value: unknown): value is Delete {
  return hasMethods(value, "delete");
}

/** Streams records in order from a position (`EventLogPort.replay`). @lego Scan */
export interface Scan<T = unknown, O = never> {
  replay(options?: O): Observable<T>;
}
/** @lego Scan */
export function isScannable(value: unknown): value is Scan {
  return hasMethods(value, "replay");
}

/** Lists keys, optionally under a prefix (`VersionedRegister.keys`). @lego List */
export interface List<K = string> {
  keys(prefix?: string): Promise<K[]>;
}
/** @lego List */
export function isListable(value: unknown): value is List {
  return hasMethods(value, "keys");
}

/** Appends to the end of a log or queue (`EventLogPort.append`). @lego Append */
export interface Append<T = unknown, O = never> {
  append(value: T, options?: O): Promise<unknown>;
}
/** @lego Append */
export function isAppendable(value: unknown): value is Append {
  return hasMethods(value, "append");
}

/** Create-if-absent and update-if-version-matches (`VersionedRegister.create`/`update`). @lego CompareAndSwap */
export interface CompareAndSwap<T = unknown> {
  create(key: string, value: T): Promise<number>;
  update(key: string, value: T, expectedVersion: number): Promise<number>;
}
/** @lego CompareAndSwap */
export function isCompareAndSwap(value: unknown): value is CompareAndSwap {
  return hasMethods(value, "create", "update");
}

/** Publishes bytes on a subject (`Transport.publish`). @lego Publish */
export interface Publish<O = never> {
  publish(subject: string, data: Uint8Array, options?: O): Promise<unknown>;
}
/** @lego Publish */
export function isPublisher(value: unknown): value is Publish {
  return hasMethods(value, "publish");
}

/** Subscribes to a subject (`Transport.subscribe`). @lego Subscribe */
export interface Subscribe<M = unknown, O = never> {
  subscribe(subject: string, options?: O): Observable<M>;
}
/** @lego Subscribe */
export function isSubscribable(value: unknown): value is Subscribe {
  return hasMethods(value, "subscribe");
}

/** Settles a delivery as done (`Delivery.ack`). @lego Ack */
export interface Ack {
  ack(): Promise<unknown>;
}
/** @lego Ack */
export function isAckable(value: unknown): value is Ack {
  return hasMethods(value, "ack");
}

/** Hands a delivery back for redelivery (`Delivery.nack`). @lego Nack */
export interface Nack<O = never> {
  nack(options?: O): Promise<unknown>;
}
/** @lego Nack */
export function isNackable(value: unknown): value is Nack {
  return hasMethods(value, "nack");
}

/** Takes a bounded resource (a slot, permit, lease) for a while. @lego Reserve */
export interface Reserve<R = unknown> {
  reserve(amount?: number): Promise<R>;
}
/** @lego Reserve */
export function isReservable(value: unknown): value is Reserve {
  return hasMethods(value, "reserve");
}

/** Gives back what `reserve` took. @lego Release */
export interface Release {
  release(): Promise<unknown>;
}
/** @lego Release */
export function isReleasable(value: unknown): value is Release {
  return hasMethods(value, "release");
}

/** Extends a reservation or lease before it lapses (`Delivery.extend` is the queue's spelling: see `isRenewable`). @lego Renew */
export interface Renew {
  renew(ms?: number): Promise<unknown>;
}
/** True for a `renew` method, or a delivery's `extend(ms?)` (the DurableQueue port's name for it). @lego Renew */
export function isRenewable(value: unknown): value is Renew | { extend(ms?: number): Promise<unknown> } {
  return hasMethods(value, "renew") || hasMethods(value, "extend");
}

/** Stops work in progress (a request, a timer, a subscription's effect). @lego Cancel */
export interface Cancel {
  cancel(reason?: unknown): unknown;
}
/** @lego Cancel */
export function isCancellable(value: unknown): value is Cancel {
  return hasMethods(value, "cancel");
}

/** Turns a value into bytes (every `Codec`). @lego Encode */
export interface Encode<T = unknown> {
  encode(value: T): Uint8Array;
}
/** @lego Encode */
export function isEncoder(value: unknown): value is Encode {
  return hasMethods(value, "encode");
}

/** Turns bytes into a value, throwing on bad input (every `Codec`). @lego Decode */
export interface Decode<T = unknown> {
  decode(bytes: Uint8Array): T;
}
/** @lego Decode */
export function isDecoder(value: unknown): value is Decode {
  return hasMethods(value, "decode");
}

/** Makes a signature (or MAC) over bytes. @lego Sign */
export interface Sign {
  readonly algorithm: string;
  sign(data: Uint8Array): Uint8Array;
}
/** @lego Sign */
export function isSigner(value: unknown): value is Sign {
  return hasMethods(value, "sign");
}

/** Checks a signature (or MAC) over bytes, in constant time for MACs. @lego Verify */
export interface Verify {
  readonly algorithm: string;
  verify(data: Uint8Array, signature: Uint8Array): boolean;
}
/** @lego Verify */
export function isVerifier(value: unknown): value is Verify {
  return hasMethods(value, "verify");
}
