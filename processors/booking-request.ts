import type { BookingCommand, RequestBooking } from '../avro/index.ts'
import { canActForUser, mayBook } from './authorization.ts'
import { confirmedOutputs } from './booking-confirmation.ts'
import { refused, type BookingDecision } from './booking-decision.ts'
import { withNewTicket } from './booking-tickets.ts'
import { bookingFact, causeOf, notify } from './ledger-outputs.ts'
import {
  takeSeats,
  usePromo,
  type BookingState,
  type EventState,
  type PriceOptionState,
  type PromoCodeState,
  type WaitingListState,
} from './ledger-state.ts'
import { applyPromo, checkPromo, isRefusal } from './promo-codes.ts'
import { refuse, type Refusal } from './reason-codes.ts'
import { bookingClosed, checkSeatCount, freeSeats, onSale } from './seat-checks.ts'
import type { TicketSigner } from './ticket-code.ts'

/** The state a booking request is decided on. */
export interface BookingRequestContext {
  readonly event: EventState | undefined
  /** A booking that already has the requested booking ID. */
  readonly existing: BookingState | undefined
  /** The ID of the user's active booking on the event, if any. */
  readonly activeBookingId: string | undefined
  /** The user's bookings on the event made with a promo code, ended ones included (per-user limits). */
  readonly promoBookings: readonly BookingState[]
  readonly waitingList: WaitingListState | undefined
}

/**
 * REQUEST: checks in order existence, actor, event status and deadline, seat count, duplicates, price
 * option, promo code, free seats; then holds the seats as PENDING_PAYMENT (or confirms at once when the
 * amount due is 0, its ticket signed by `tickets`).
 *
 * Refusals: VALIDATION_FAILED (no payload, no booking ID, bad seat count), EVENT_NOT_FOUND, FORBIDDEN (a
 * user booking for someone else), ORGANIZER_OWN_EVENT, EVENT_NOT_BOOKABLE, BOOKING_DEADLINE_PASSED,
 * TOO_MANY_SEATS, DUPLICATE_BOOKING (the booking ID is taken, or the user has an active booking),
 * PRICE_OPTION_NOT_FOUND, PRICE_OPTION_NOT_AVAILABLE, PROMO_INVALID, PROMO_EXHAUSTED, PROMO_USER_LIMIT,
 * NO_AVAILABLE_SEATS.
 */
export function requestBooking(
  ctx: BookingRequestContext,
  command: BookingCommand,
  nowMs: number,
  tickets: TicketSigner,
): BookingDecision {
  const input = command.request
  if (input === null) return refused(refuse('VALIDATION_FAILED', 'REQUEST needs the request payload'))
  const { event } = ctx
  if (event === undefined) return refused(refuse('EVENT_NOT_FOUND', `no event ${command.eventId}`))
  const terms = checkRequest(ctx, event, command, input, nowMs)
  if (isRefusal(terms)) return refused(terms)
  const { option, promo } = terms

  const amountMinor = applyPromo(option.priceMinor * input.seats, promo)
  const free = amountMinor === 0
  const next = usePromo(takeSeats(event, option.priceOptionId, input.seats), promo?.code ?? null, 1)
  const held = newBooking(event, input, amountMinor, promo, nowMs)
  const booking = free ? withNewTicket(held, tickets) : held
  const cause = causeOf(command)
  const outputs = free
    ? confirmedOutputs(next, booking, cause, nowMs)
    : [
        bookingFact(next, booking, 'HELD', cause, nowMs),
        notify(next, booking.userId, 'booking.created', `booking.created:${booking.bookingId}`, nowMs, {
          bookingId: booking.bookingId,
          amountMinor: String(amountMinor),
          holdExpiresAtMs: String(booking.holdExpiresAtMs),
        }),
      ]
  return {
    ok: true,
    event: next,
    booking,
    outputs,
    message: free ? 'booking confirmed' : 'seats held until payment',
  }
}

/** The request's refusal, or the price option and promo code it is granted on. */
function checkRequest(
  ctx: BookingRequestContext,
  event: EventState,
  command: BookingCommand,
  input: RequestBooking,
  nowMs: number,
): Refusal | { option: PriceOptionState; promo: PromoCodeState | null } {
  if (!canActForUser(command.actor, input.userId))
    return refuse('FORBIDDEN', 'users book for themselves only')
  // Nor may an admin who organizes the event book it for someone else.
  if (!mayBook(event, input.userId) || !mayBook(event, command.actor.userId))
    return refuse('ORGANIZER_OWN_EVENT', 'an organizer cannot book their own event')
  const invalid = bookingClosed(event, nowMs) ?? checkSeatCount(input.seats)
  if (invalid !== undefined) return invalid
  if (input.bookingId === '') return refuse('VALIDATION_FAILED', 'bookingId is required')
  if (ctx.existing !== undefined) return refuse('DUPLICATE_BOOKING', `booking ${input.bookingId} exists`)
  if (ctx.activeBookingId !== undefined)
    return refuse('DUPLICATE_BOOKING', `user ${input.userId} has the active booking ${ctx.activeBookingId}`)
  const option = event.priceOptions.find((o) => o.priceOptionId === input.priceOptionId)
  if (option === undefined) return refuse('PRICE_OPTION_NOT_FOUND', `no price option ${input.priceOptionId}`)
  if (!onSale(option, nowMs))
    return refuse('PRICE_OPTION_NOT_AVAILABLE', `price option ${option.priceOptionId} is not on sale now`)
  let promo: PromoCodeState | null = null
  if (input.promoCode !== null && input.promoCode !== '') {
    const checked = checkPromo(event, input.promoCode, ctx.promoBookings, nowMs)
    if (isRefusal(checked)) return checked
    promo = checked
  }
  if (freeSeats(event, option.priceOptionId, ctx.waitingList, input.userId) < input.seats)
    return refuse('NO_AVAILABLE_SEATS', `fewer than ${input.seats} free seats`)
  return { option, promo }
}

/** The granted booking: CONFIRMED when nothing is due (its ticket still to sign), else PENDING_PAYMENT on hold. */
function newBooking(
  event: EventState,
  input: RequestBooking,
  amountMinor: number,
  promo: PromoCodeState | null,
  nowMs: number,
): BookingState {
  const free = amountMinor === 0
  return {
    bookingId: input.bookingId,
    eventId: event.eventId,
    userId: input.userId,
    priceOptionId: input.priceOptionId,
    seats: input.seats,
    status: free ? 'CONFIRMED' : 'PENDING_PAYMENT',
    amountMinor,
    seatsValueMinor: 0,
    promoCode: promo?.code ?? null,
    paidMinor: 0,
    refundedMinor: 0,
    refundCount: 0,
    paymentId: null,
    settledPaymentIds: [],
    charges: [],
    ticketCode: null,
    ticketIssue: 0,
    checkIns: [],
    holdExpiresAtMs: free ? null : nowMs + event.holdMinutes * 60_000,
    endCause: null,
    topUp: null,
    reconfirmation: null,
    createdAtMs: nowMs,
    updatedAtMs: nowMs,
  }
}
