import { generateKeyPairSync, randomBytes } from "node:crypto";
import fc from "fast-check";
import { EMPTY } from "rxjs";
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  MemoryVersionedRegister,
  ed25519Signer,
  ed25519Verifier,
  hmacSigner,
  isAckable,
  isAppendable,
  isCancellable,
  isCompareAndSwap,
  isDecoder,
  isDeletable,
  isEncoder,
  isListable,
  isNackable,
  isPublisher,
  isReadable,
  isReleasable,
  isRenewable,
  isReservable,
  isScannable,
  isSigner,
  isSubscribable,
  isVerifier,
  isWritable,
  jsonCodec,
  type Append,
  type CompareAndSwap,
  type Delivery,
  type EventLogPort,
  type List,
  type Publish,
  type Read,
  type Scan,
  type Subscribe,
  type Transport,
  type VersionedRegister,
  type Write,
} from "manyfold-rx";

describe("capability guards", () => {
  const noop = (): Promise<void> => Promise.resolve();
  const guards = [
    [isReadable, "get"],
    [isWritable, "put"],
    [isDeletable, "delete"],
    [isScannable, "replay"],
    [isListable, "keys"],
    [isAppendable, "append"],
    [isPublisher, "publish"],
    [isSubscribable, "subscribe"],
    [isAckable, "ack"],
    [isNackable, "nack"],
    [isReservable, "reserve"],
    [isReleasable, "release"],
    [isRenewable, "renew"],
    [isCancellable, "cancel"],
    [isEncoder, "encode"],
    [isDecoder, "decode"],
    [isSigner, "sign"],
    [isVerifier, "verify"],
  ] as const;
  it.each(guards)("%o accepts an object with a callable %s and rejects others", (guard, method) => {
    expect(guard({ [method]: noop })).toBe(true);
    expect(guard({ [method]: 1 })).toBe(false);
    expect(guard({})).toBe(false);
    expect(guard(null)).toBe(false);
    expect(guard("x")).toBe(false);
  });
  it("CompareAndSwap needs both create and update; Renew accepts a delivery's extend", () => {
    expect(isCompareAndSwap({ create: noop, update: noop })).toBe(true);
    expect(isCompareAndSwap({ create: noop })).toBe(false);
    expect(isRenewable({ extend: noop })).toBe(true);
  });
  it("the in-memory VersionedRegister has Read, Write, Delete, List and CompareAndSwap", async () => {
    const register = new MemoryVersionedRegister<number>();
    expect([isReadable, isWritable, isDeletable, isListable, isCompareAndSwap].map((g) => g(register))).toEqual([true, true, true, true, true]);
    expect(isAppendable(register)).toBe(false);
    const cas: CompareAndSwap<number> = register;
    const v = await cas.create("k", 1);
    expect(await cas.update("k", 2, v)).toBeGreaterThan(v);
    await register.close();
  });
  it("codecs are Encode and Decode", () => {
    const codec = jsonCodec<{ a: number }>();
    expect(isEncoder(codec) && isDecoder(codec)).toBe(true);
  });
  it("the ports are assignable to the capability interfaces", () => {
    expectTypeOf<VersionedRegister<number>>().toExtend<Read & Write<string, number> & List & CompareAndSwap<number>>();
    expectTypeOf<EventLogPort<number>>().toExtend<Append<number>>();
    expectTypeOf<EventLogPort<number>>().toExtend<Scan>();
    expectTypeOf<Transport>().toExtend<Publish & Subscribe>();
    expectTypeOf<Delivery<number>>().toExtend<{ ack(): Promise<unknown>; nack(): Promise<unknown> }>();
    const fake: Scan<number> = { replay: () => EMPTY };
    expect(isScannable(fake)).toBe(true);
  });
});

describe("signing", () => {
  const key = randomBytes(32);
  it("HMAC-SHA256 verifies its own MACs and rejects another key's or a truncated one", () => {
    const mac = hmacSigner(key);
    const data = new TextEncoder().encode("what do ya want for nothing?");
    const sig = mac.sign(data);
    expect(sig).toHaveLength(32);
    expect(mac.algorithm).toBe("HMAC-SHA256");
    expect(mac.verify(data, sig)).toBe(true);
    expect(hmacSigner(randomBytes(32)).verify(data, sig)).toBe(false);
    expect(mac.verify(data, sig.subarray(0, 31))).toBe(false);
    expect(Object.isFrozen(mac)).toBe(true);
  });
  it("rejects short or mistyped keys", () => {
    expect(() => hmacSigner(randomBytes(16))).toThrow(new RangeError("key must be at least 32 bytes, got 16"));
    expect(() => hmacSigner(5 as unknown as string)).toThrow(TypeError);
  });
  it("a flipped bit in data or MAC fails verification (property)", () => {
    const mac = hmacSigner(key);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.nat(), fc.integer({ min: 0, max: 7 }), (data, at, bit) => {
        const sig = mac.sign(data);
        expect(mac.verify(data, sig)).toBe(true);
        const tampered = new Uint8Array(data);
        tampered[at % data.length] = (tampered[at % data.length] ?? 0) ^ (1 << bit);
        expect(mac.verify(tampered, sig)).toBe(false);
        const badSig = new Uint8Array(sig);
        badSig[at % 32] = (badSig[at % 32] ?? 0) ^ (1 << bit);
        expect(mac.verify(data, badSig)).toBe(false);
      }),
      { numRuns: 50 },
    );
  });
  it("Ed25519 signs with the private key and verifies with the public key, PEM or KeyObject", () => {
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const signer = ed25519Signer(privateKey);
    const verifier = ed25519Verifier(publicKey.export({ type: "spki", format: "pem" }).toString());
    const data = new TextEncoder().encode("hello");
    const sig = signer.sign(data);
    expect(sig).toHaveLength(64);
    expect(verifier.verify(data, sig)).toBe(true);
    expect(verifier.verify(new TextEncoder().encode("hellp"), sig)).toBe(false);
    expect(verifier.verify(data, sig.subarray(1))).toBe(false);
    const other = ed25519Verifier(generateKeyPairSync("ed25519").publicKey);
    expect(other.verify(data, sig)).toBe(false);
    expect(isSigner(signer) && isVerifier(verifier)).toBe(true);
  });
  it("rejects a non-Ed25519 or wrong-kind key", () => {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    expect(() => ed25519Signer(privateKey)).toThrow(/must be an Ed25519 key/);
    expect(() => ed25519Signer(generateKeyPairSync("ed25519").publicKey)).toThrow(/must be a private key/);
    expect(() => ed25519Verifier(publicKey)).toThrow(RangeError);
    expect(() => ed25519Verifier(3 as unknown as string)).toThrow(TypeError);
  });
});
