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
export { LevelVersionedRegister, type LevelVersionedRegisterOptions } from "./level-versioned-register.js";
export { DurableCell, type DurableCellOptions } from "./durable-cell.js";
export { MetadataStore, type MetadataStoreOptions } from "./metadata-store.js";
export { TombstoneStore, type Tombstone, type TombstoneStoreOptions } from "./tombstone-store.js";
export { MaterializedView, type MaterializedViewOptions, type ViewChange } from "./materialized-view.js";
