export { MemoryVersionedRegister, type MemoryVersionedRegisterOptions } from "./memory-versioned-register.js";
export {
  DeduplicationWindow,
  MemoryDeduplicationStore,
  type DeduplicationWindowOptions,
  type MemoryDeduplicationStoreOptions,
} from "./memory-deduplication-store.js";
export { MemoryIdempotencyStore, type IdempotencyStoreOptions, type MemoryIdempotencyStoreOptions } from "./memory-idempotency-store.js";
