export { MemoryVersionedRegister, type MemoryVersionedRegisterOptions } from "./memory-versioned-register.js";
export {
  DeduplicationWindow,
  MemoryDeduplicationStore,
  type DeduplicationWindowOptions,
  type MemoryDeduplicationStoreOptions,
} from "./memory-deduplication-store.js";
export { MemoryIdempotencyStore, type IdempotencyStoreOptions, type MemoryIdempotencyStoreOptions } from "./memory-idempotency-store.js";
export {
  LevelDeduplicationStore,
  isTransactionalDeduplicationStore,
  type LevelDeduplicationStoreOptions,
  type TransactionalDeduplicationStore,
} from "./level-deduplication-store.js";
export { LevelIdempotencyStore, type LevelIdempotencyStoreOptions } from "./level-idempotency-store.js";
export { dedupe, type DedupeOptions } from "./dedupe.js";
