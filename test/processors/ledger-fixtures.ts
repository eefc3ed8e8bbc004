/** What the processor tests start from: a sailing event `e1` of organizer `org` ten days after `NOW`, its bookings,
 * booking commands and payment statuses, each built field by field. */
import type { BookingCommand, CreatePromoCode, PaymentStatusChanged } from '../../avro/index.ts'
import { createEvent } from '../../processors/event-edit.ts'
import { PAYMENT_STATUS_V1_FIELDS } from '../../processors/index.ts'
import {
  DAY_MS,
  type BookingState,
  type EventState,
  type PriceOptionState,
  type SeatTopUp,
} from '../../processors/ledger-state.ts'
import { DEVELOPMENT_TICKET_SECRET, TicketSigner } from '../../processors/ticket-code.ts'
import { bookingCommand as buildBookingCommand } from '../../query-api/commands/command-builders.ts'

export const NOW = Date.UTC(2026, 0, 1)

/** The ticket signer of development and test runs. */
export const TICKETS = new TicketSigner(DEVELOPMENT_TICKET_SECRET)

/** A DRAFT `e1` with capacity 5, starting `NOW` + 10 days. */
export const draftEvent = (): EventState =>
  createEvent(
    'e1',
    { userId: 'org', role: 'ORGANIZER' },
    {
      organizerId: null,
      title: 'Sailing',
      description: 'A day of sailing on the lake.',
      startsAtMs: NOW + 10 * DAY_MS,
      endsAtMs: NOW + 11 * DAY_MS,
      place: 'Lake',
      categories: ['sailing'],
      capacity: 5,
      holdMinutes: null,
      bookingDeadlineHours: null,
      locale: 'ru-RU',
    },
  ) as EventState

/** The option `std`: 1,000 kopecks a seat, `allotment` seats, `taken` of them taken. */
export const stdOption = (allotment: number, taken = 0): PriceOptionState => ({
  priceOptionId: 'std',
  name: 'Std',
  priceMinor: 1000,
  allotment,
  taken,
  validFromMs: null,
  validUntilMs: null,
})

/** `e1` PUBLISHED with the option `std` (allotment 3), then `overrides`. */
export const publishedEvent = (overrides: Partial<EventState> = {}): EventState => ({
  ...draftEvent(),
  status: 'PUBLISHED',
  priceOptions: [stdOption(3)],
  ...overrides,
})

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

/** A booking command `r1` of `type` on `e1`, issued at `NOW` by `actor` (default: user `u1`), with only `payload` set. */
export const bookingCommand = (
  type: BookingCommand['type'],
  payload: Parameters<typeof buildBookingCommand>[2],
  actor: BookingCommand['actor'] = { userId: 'u1', role: 'USER' },
): BookingCommand =>
  buildBookingCommand({ requestId: 'r1', eventId: 'e1', actor, issuedAtMs: NOW }, type, payload)

/** A promo code `SALE10`: 10 % off, 5 uses, valid until `NOW` + 1 day; then `overrides`. */
export const promoCodeInput = (overrides: Partial<CreatePromoCode> = {}): CreatePromoCode => ({
  code: 'SALE10',
  kind: 'PERCENTAGE',
  value: 10,
  usageLimit: 5,
  validFromMs: null,
  validUntilMs: NOW + DAY_MS,
  maxUsesPerUser: null,
  cancelReturnsUse: false,
  ...overrides,
})
