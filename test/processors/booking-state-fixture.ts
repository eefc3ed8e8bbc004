/** Booking states, booking commands and payment statuses built field by field for the decision tests. */
import type { BookingCommand, PaymentStatusChanged } from '../../avro/index.ts'
import { PAYMENT_STATUS_V1_FIELDS } from '../../processors/index.ts'
import type { BookingState, SeatTopUp } from '../../processors/ledger-state.ts'
import { NOW } from './ledger-fixtures.ts'

/** `b1` of `u1` on `e1`: 4 `std` seats CONFIRMED, paid 4,000 by `p1`, ticket `T-1` (issue 1); then `overrides`. */
export const confirmedBooking = (overrides: Partial<BookingState> = {}): BookingState => ({
  bookingId: 'b1',
  eventId: 'e1',
  userId: 'u1',
  priceOptionId: 'std',
  seats: 4,
  status: 'CONFIRMED',
  amountMinor: 4000,
  seatsValueMinor: 4000,
  promoCode: null,
  paidMinor: 4000,
  refundedMinor: 0,
  refundCount: 0,
  paymentId: 'p1',
  settledPaymentIds: ['p1'],
  charges: [{ paymentId: 'p1', amountMinor: 4000, refundedMinor: 0 }],
  ticketCode: 'T-1',
  ticketIssue: 1,
  checkIns: [],
  holdExpiresAtMs: null,
  endCause: null,
  topUp: null,
  reconfirmation: null,
  createdAtMs: NOW,
  updatedAtMs: NOW,
  ...overrides,
})

/** `b1` holding 2 seats unpaid (2,000 due) until `NOW` + 2 h; then `overrides`. */
export const heldBooking = (overrides: Partial<BookingState> = {}): BookingState =>
  confirmedBooking({
    seats: 2,
    status: 'PENDING_PAYMENT',
    amountMinor: 2000,
    seatsValueMinor: 0,
    paidMinor: 0,
    paymentId: null,
    settledPaymentIds: [],
    charges: [],
    ticketCode: null,
    ticketIssue: 0,
    holdExpiresAtMs: NOW + 2 * 60 * 60 * 1000,
    ...overrides,
  })

/** A pending top-up of `b1` to 6 seats for 2,000, asked by `r-top`, expiring `NOW` + 1 h. */
export const pendingTopUpOf = (overrides: Partial<SeatTopUp> = {}): SeatTopUp => ({
  seats: 6,
  amountMinor: 2000,
  holdExpiresAtMs: NOW + 60 * 60 * 1000,
  requestId: 'r-top',
  paymentId: null,
  status: 'PENDING',
  ...overrides,
})

/** A status of payment `paymentId` for `b1` (v1 fields: ledger currency, no refund). */
export const paymentStatus = (
  paymentId: string,
  status: PaymentStatusChanged['status'],
  amountMinor: number,
  overrides: Partial<PaymentStatusChanged> = {},
): PaymentStatusChanged => ({
  paymentId,
  bookingId: 'b1',
  eventId: 'e1',
  status,
  amountMinor,
  occurredAtMs: NOW,
  ...PAYMENT_STATUS_V1_FIELDS,
  ...overrides,
})

/** A booking command `r1` of `type` by `actor` (default: user `u1`) with only `payload` set. */
export function bookingCommand(
  type: BookingCommand['type'],
  payload: Partial<BookingCommand>,
  actor: BookingCommand['actor'] = { userId: 'u1', role: 'USER' },
): BookingCommand {
  return {
    requestId: 'r1',
    eventId: 'e1',
    actor,
    issuedAtMs: NOW,
    idempotencyKey: null,
    type,
    request: null,
    cancel: null,
    changeSeats: null,
    joinWaitingList: null,
    leaveWaitingList: null,
    reconfirm: null,
    checkIn: null,
    reissueTicket: null,
    ...payload,
  }
}
