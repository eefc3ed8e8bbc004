/** A BookingState of `e1` for the processor tests, every field given, then `overrides`. */
import type { BookingState } from '../../processors/ledger-state.ts'
import { NOW } from './ledger-fixtures.ts'

export const bookingState = (overrides: Partial<BookingState> = {}): BookingState => ({
  bookingId: 'b1',
  eventId: 'e1',
  userId: 'u1',
  priceOptionId: 'std',
  seats: 2,
  status: 'PENDING_PAYMENT',
  amountMinor: 2000,
  seatsValueMinor: 0,
  promoCode: null,
  paidMinor: 0,
  refundedMinor: 0,
  refundCount: 0,
  paymentId: 'p1',
  settledPaymentIds: [],
  charges: [],
  ticketCode: null,
  ticketIssue: 0,
  checkIns: [],
  holdExpiresAtMs: NOW + 15 * 60_000,
  endCause: null,
  topUp: null,
  reconfirmation: null,
  createdAtMs: NOW,
  updatedAtMs: NOW,
  ...overrides,
})
