export {
  Outbox,
  type OutboxCheckpoints,
  type OutboxForwarded,
  type OutboxOptions,
  type OutboxSource,
  type OutboxStatus,
} from "./outbox.js";
export { inbox, type InboxContext, type InboxOptions, type InboxResult } from "./inbox.js";
export {
  confirmByReceipt,
  sendReceipts,
  type ConfirmByReceiptOptions,
  type SendReceiptsOptions,
} from "./receipts.js";
