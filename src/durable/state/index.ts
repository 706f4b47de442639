export { MemoryVersionedRegister, type MemoryVersionedRegisterOptions } from "./memory-versioned-register.js";
