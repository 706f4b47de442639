/**
 * `Sign`/`Verify` backed by `node:crypto`: HMAC-SHA256 (shared key) and
 * Ed25519 (key pair).
 */
import { createHmac, createPrivateKey, createPublicKey, sign as cryptoSign, timingSafeEqual, verify as cryptoVerify, type KeyObject } from "node:crypto";
import type { Sign, Verify } from "./capabilities.js";

/** The shortest HMAC key accepted, in bytes (RFC 2104 advises at least the hash output length). */
export const MIN_HMAC_KEY_BYTES = 32;

function requireKeyBytes(name: string, key: unknown): Uint8Array {
  if (typeof key === "string") return new Uint8Array(Buffer.from(key, "utf8"));
  if (key instanceof Uint8Array) return new Uint8Array(key);
  throw new TypeError(`${name} must be a Uint8Array or string, got ${key === null ? "null" : typeof key}`);
}

/**
 * An HMAC-SHA256 `Sign` and `Verify` in one (a MAC signs and verifies with
 * the same key). `verify` compares in constant time.
 *
 * ## Example
 * ```ts
 * const mac = hmacSigner(randomBytes(32));
 * mac.verify(data, mac.sign(data)); // true
 * ```
 * @throws TypeError for a key that is not bytes/string; RangeError for one shorter than 32 bytes.
 * @lego Sign
 * @lego Verify
 */
export function hmacSigner(key: Uint8Array | string): Sign & Verify {
  const bytes = requireKeyBytes("key", key);
  if (bytes.length < MIN_HMAC_KEY_BYTES) throw new RangeError(`key must be at least ${MIN_HMAC_KEY_BYTES} bytes, got ${bytes.length}`);
  const mac = (data: Uint8Array): Uint8Array => new Uint8Array(createHmac("sha256", bytes).update(data).digest());
  return Object.freeze({
    algorithm: "HMAC-SHA256",
    sign: mac,
    verify(data: Uint8Array, signature: Uint8Array): boolean {
      const expected = mac(data);
      return signature instanceof Uint8Array && signature.length === expected.length && timingSafeEqual(expected, signature);
    },
  });
}

function toKey(name: string, key: unknown, kind: "private" | "public"): KeyObject {
  let object: KeyObject;
  if (typeof key === "object" && key !== null && "asymmetricKeyType" in key) object = key as KeyObject;
  else if (typeof key === "string") object = kind === "private" ? createPrivateKey(key) : createPublicKey(key);
  else throw new TypeError(`${name} must be a KeyObject or PEM string, got ${key === null ? "null" : typeof key}`);
  if (object.asymmetricKeyType !== "ed25519") throw new RangeError(`${name} must be an Ed25519 key, got ${String(object.asymmetricKeyType)}`);
  if (object.type !== kind && !(kind === "public" && object.type === "private")) throw new RangeError(`${name} must be a ${kind} key, got a ${object.type} key`);
  return object;
}

/** An Ed25519 `Sign` from a private key (`KeyObject` or PEM). @lego Sign */
export function ed25519Signer(privateKey: KeyObject | string): Sign {
  const keyObject = toKey("privateKey", privateKey, "private");
  return Object.freeze({
    algorithm: "Ed25519",
    sign: (data: Uint8Array): Uint8Array => new Uint8Array(cryptoSign(null, data, keyObject)),
  });
}

/** An Ed25519 `Verify` from a public key (`KeyObject` or PEM; a private key works too). @lego Verify */
export function ed25519Verifier(publicKey: KeyObject | string): Verify {
  const keyObject = toKey("publicKey", publicKey, "public");
  return Object.freeze({
    algorithm: "Ed25519",
    verify(data: Uint8Array, signature: Uint8Array): boolean {
      if (!(signature instanceof Uint8Array) || signature.length !== 64) return false;
      return cryptoVerify(null, data, keyObject, signature);
    },
  });
}
