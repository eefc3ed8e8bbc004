/**
 * The domain decisions of backend-event: the event ledger (the one Processor that owns an event's state
 * and decides every command keyed by its event ID), the tagger that feeds it, its stores and outputs,
 * and the pure rules the query API shares with it (authorization predicates, promo terms, refund policy,
 * reason codes). Each command family's decision is a pure function in a file of its own.
 */
export {
  canActForUser,
  canActOnBooking,
  canCancelForForceMajeure,
  canChangeBooking,
  canCreateEvent,
  canManageEvent,
  mayBook,
  type HeldBooking,
  type OrganizedEvent,
} from './authorization.ts'
export {
  API_ERROR_CODES,
  ERROR_CATALOGUE,
  ERROR_SECTIONS,
  FACT_REASON_CODES,
  isErrorCode,
  READ_MODEL_ERROR_CODES,
  ServiceError,
  type ErrorCode,
} from './error-catalogue.ts'
export { currencyOf, PAYMENT_STATUS_V1_FIELDS } from './payment-checks.ts'
export { LEDGER_CURRENCY } from './booking-refunds.ts'
export { EventLedgerProcessor } from './event-ledger.ts'
export { LedgerInputTagger, type LedgerInput } from './ledger-input.ts'
export { LEDGER_CHILDREN, type LedgerOutput } from './ledger-outputs.ts'
export {
  DAY_MS,
  upgradeBooking,
  type BookingState,
  type EventState,
  type StoredBookingState,
} from './ledger-state.ts'
export { LEDGER_STORES } from './ledger-stores.ts'
export {
  applyPromo,
  PROMO_CODE_PATTERN,
  PROMO_REFUSALS,
  promoUnusable,
  type PromoTerms,
  type PromoUnusable,
} from './promo-codes.ts'
export { ALL_REASON_CODES, REASON_CODES, refuse, type ReasonCode, type Refusal } from './reason-codes.ts'
export { REVIEW_CHILDREN, ReviewLedgerProcessor, type ReviewOutput } from './review-ledger.ts'
export {
  checkReview,
  checkText,
  eventRating,
  MAX_REPLY_TEXT,
  MAX_REVIEW_TEXT,
  MIN_REVIEW_TEXT,
  roundRating,
  type ReviewState,
} from './review-state.ts'
export { REVIEW_STORES } from './review-stores.ts'
export { DEFAULT_REFUND_POLICY, refundAmount, refundPercent } from './refund-policy.ts'
export {
  MAX_REFUND_ATTEMPTS,
  REFUND_RETRY_BASE_DELAY_MS,
  refundRetryDelayMs,
  type TrackedRefund,
} from './refund-retries.ts'
export { DEVELOPMENT_TICKET_SECRET, TicketSigner, type ReadTicket, type TicketClaim } from './ticket-code.ts'
