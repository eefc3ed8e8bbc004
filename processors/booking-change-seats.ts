import type { BookingCommand } from '../avro/index.ts'
import { canChangeBooking } from './authorization.ts'
import { forbiddenOn, refused, type BookingDecision } from './booking-decision.ts'
import { withNewTicket } from './booking-tickets.ts'
import { refundCharges, refundTerms } from './booking-refunds.ts'
import { bookingFact, causeOf, notify, type LedgerOutput } from './ledger-outputs.ts'
import {
  checkedInSeats,
  isActive,
  pendingTopUp,
  takeSeats,
  type BookingState,
  type EventState,
  type SeatTopUp,
  type WaitingListState,
} from './ledger-state.ts'
import { applyPromo } from './promo-codes.ts'
import { refuse } from './reason-codes.ts'
import { refundAmount } from './refund-policy.ts'
import { bookingClosed, checkSeatCount, freeSeats, onSale } from './seat-checks.ts'
import { releaseTopUp } from './seat-release.ts'
import type { TicketSigner } from './ticket-code.ts'

/**
 * CHANGE_SEATS of an active booking, until the start.
 *
 * - More seats need free seats in the option and the event, the event open for booking and the option on
 *   sale. A PENDING_PAYMENT booking just holds them (its amount due grows). A CONFIRMED booking whose added
 *   seats cost something holds them as a pending top-up ({@link SeatTopUp}) for the event's hold time: a
 *   COMPLETED payment of its price confirms them, a FAILED payment or the expiry releases them (see
 *   booking-payment.ts and hold-expiry.ts); added seats that cost nothing are confirmed at once.
 * - Fewer seats of a CONFIRMED booking refund the removed seats' share of its paid seat value by the
 *   refund terms of a cancellation (never more than is left of the payments).
 * - While a top-up is pending only a change back to the confirmed seat count is taken: it withdraws the
 *   top-up. Anything else is refused with SEAT_CHANGE_PENDING.
 *
 * A CONFIRMED booking whose seats change gets its next ticket (signed by `tickets` for the new seat count);
 * the previous code stops checking in.
 *
 * Refusals: VALIDATION_FAILED (no payload, bad or unchanged seat count), BOOKING_NOT_FOUND, FORBIDDEN
 * (not the booking's user or an admin), INVALID_BOOKING_STATE (not active, the event has started, or fewer
 * seats than are checked in already),
 * TOO_MANY_SEATS, SEAT_CHANGE_PENDING; for more seats also EVENT_NOT_BOOKABLE, BOOKING_DEADLINE_PASSED,
 * PRICE_OPTION_NOT_FOUND, PRICE_OPTION_NOT_AVAILABLE, NO_AVAILABLE_SEATS.
 */
export function changeSeats(
  event: EventState,
  booking: BookingState | undefined,
  waitingList: WaitingListState | undefined,
  command: BookingCommand,
  nowMs: number,
  tickets: TicketSigner,
): BookingDecision {
  const input = command.changeSeats
  if (input === null) return refused(refuse('VALIDATION_FAILED', 'CHANGE_SEATS needs its payload'))
  if (booking === undefined) return refused(refuse('BOOKING_NOT_FOUND', `no booking ${input.bookingId}`))
  if (!canChangeBooking(booking, command.actor)) return refused(forbiddenOn(booking, command))
  if (!isActive(booking)) return refused(refuse('INVALID_BOOKING_STATE', `booking is ${booking.status}`))
  const invalid = checkSeatCount(input.seats)
  if (invalid !== undefined) return refused(invalid)
  const topUp = pendingTopUp(booking)
  if (topUp !== null) {
    if (input.seats !== booking.seats)
      return refused(
        refuse(
          'SEAT_CHANGE_PENDING',
          `${topUp.seats - booking.seats} added seats await payment until ${new Date(topUp.holdExpiresAtMs).toISOString()}; ` +
            `change back to ${booking.seats} seats to withdraw them`,
        ),
      )
    return withdrawTopUp(event, booking, topUp, command, nowMs)
  }
  if (input.seats === booking.seats)
    return refused(refuse('VALIDATION_FAILED', 'the seat count is unchanged'))
  if (nowMs >= event.startsAtMs) return refused(refuse('INVALID_BOOKING_STATE', 'the event has started'))
  // Check-in opens 2 h before the start: seats that walked in already cannot be given back.
  if (input.seats < checkedInSeats(booking))
    return refused(
      refuse('INVALID_BOOKING_STATE', `${checkedInSeats(booking)} seats of the booking are checked in`),
    )
  return input.seats > booking.seats
    ? addSeats(event, booking, waitingList, input.seats, command, nowMs, tickets)
    : removeSeats(event, booking, input.seats, command, nowMs, tickets)
}

/**
 * The booking's user is told its seat count now; keyed by the request that changed it (for a paid top-up,
 * the request that asked for the seats).
 */
export function seatsChangedNotice(
  event: EventState,
  booking: BookingState,
  requestId: string,
  nowMs: number,
): LedgerOutput {
  return notify(
    event,
    booking.userId,
    'booking.seats_changed',
    `booking.seats_changed:${booking.bookingId}:${requestId}`,
    nowMs,
    { bookingId: booking.bookingId, seats: String(booking.seats), ticketCode: booking.ticketCode ?? '' },
  )
}

/** A change back to the confirmed seat count while a top-up is pending: the top-up's seats go back. */
function withdrawTopUp(
  event: EventState,
  booking: BookingState,
  topUp: SeatTopUp,
  command: BookingCommand,
  nowMs: number,
): BookingDecision {
  const released = releaseTopUp(event, booking, topUp, 'WITHDRAWN', nowMs)
  return {
    ok: true,
    ...released,
    outputs: [
      bookingFact(released.event, released.booking, 'SEATS_CHANGE_RELEASED', causeOf(command), nowMs),
      seatsChangedNotice(released.event, released.booking, command.requestId, nowMs),
    ],
    message: `the pending seat top-up is withdrawn; the booking keeps ${booking.seats} seats`,
  }
}

/** The price of `seats` seats of the booking's option with the booking's promo (unknown option: 0). */
function priceOf(event: EventState, booking: BookingState, seats: number): number {
  const option = event.priceOptions.find((o) => o.priceOptionId === booking.priceOptionId)
  const promo = event.promoCodes.find((p) => p.code === booking.promoCode) ?? null
  return applyPromo((option?.priceMinor ?? 0) * seats, promo)
}

function addSeats(
  event: EventState,
  booking: BookingState,
  waitingList: WaitingListState | undefined,
  seats: number,
  command: BookingCommand,
  nowMs: number,
  tickets: TicketSigner,
): BookingDecision {
  const closed = bookingClosed(event, nowMs)
  if (closed !== undefined) return refused(closed)
  const option = event.priceOptions.find((o) => o.priceOptionId === booking.priceOptionId)
  if (option === undefined)
    return refused(refuse('PRICE_OPTION_NOT_FOUND', `no price option ${booking.priceOptionId}`))
  if (!onSale(option, nowMs))
    return refused(
      refuse('PRICE_OPTION_NOT_AVAILABLE', `price option ${option.priceOptionId} is not on sale now`),
    )
  const delta = seats - booking.seats
  if (freeSeats(event, option.priceOptionId, waitingList, booking.userId) < delta)
    return refused(refuse('NO_AVAILABLE_SEATS', `fewer than ${delta} free seats`))
  const cause = causeOf(command)
  const nextEvent = takeSeats(event, option.priceOptionId, delta)
  // The added seats cost what they add to the booking's price: a percentage promo applies to them too, a
  // fixed one only with what the confirmed seats left of it.
  const topUpMinor = Math.max(0, priceOf(event, booking, seats) - priceOf(event, booking, booking.seats))
  if (booking.status === 'CONFIRMED' && topUpMinor > 0) {
    const topUp: SeatTopUp = {
      seats,
      amountMinor: topUpMinor,
      holdExpiresAtMs: nowMs + event.holdMinutes * 60_000,
      requestId: command.requestId,
      paymentId: null,
      status: 'PENDING',
    }
    const next: BookingState = { ...booking, topUp, updatedAtMs: nowMs }
    return {
      ok: true,
      event: nextEvent,
      booking: next,
      outputs: [
        bookingFact(nextEvent, next, 'SEATS_CHANGE_HELD', cause, nowMs),
        notify(
          nextEvent,
          booking.userId,
          'booking.seats_change_held',
          `booking.seats_change_held:${booking.bookingId}:${command.requestId}`,
          nowMs,
          {
            bookingId: booking.bookingId,
            seats: String(seats),
            amountMinor: String(topUpMinor),
            holdExpiresAtMs: String(topUp.holdExpiresAtMs),
          },
        ),
      ],
      message: `${delta} added seats held until payment of ${topUpMinor}`,
    }
  }
  const changed: BookingState = {
    ...booking,
    seats,
    amountMinor: booking.status === 'PENDING_PAYMENT' ? priceOf(event, booking, seats) : booking.amountMinor,
    updatedAtMs: nowMs,
  }
  const next = changed.status === 'CONFIRMED' ? withNewTicket(changed, tickets) : changed
  return {
    ok: true,
    event: nextEvent,
    booking: next,
    outputs: [
      bookingFact(nextEvent, next, 'SEATS_CHANGED', cause, nowMs),
      seatsChangedNotice(nextEvent, next, command.requestId, nowMs),
    ],
    message: `seats changed to ${seats}`,
  }
}

function removeSeats(
  event: EventState,
  booking: BookingState,
  seats: number,
  command: BookingCommand,
  nowMs: number,
  tickets: TicketSigner,
): BookingDecision {
  const removed = booking.seats - seats
  const cause = causeOf(command)
  let next: BookingState
  let refund = 0
  let refundOutputs: LedgerOutput[] = []
  if (booking.status === 'CONFIRMED') {
    // The removed seats take their share of what the confirmed seats were paid; the policy decides how
    // much of that share goes back, the rest is the retained fee.
    const removedValue = Math.floor((booking.seatsValueMinor * removed) / booking.seats)
    const { percent } = refundTerms(event, booking, command, nowMs)
    const wanted = refundAmount(percent, removedValue, booking.paidMinor, booking.refundedMinor)
    const refunded = refundCharges(booking, wanted, 'SEATS_REDUCED', cause, nowMs)
    refund = refunded.refundMinor
    refundOutputs = refunded.outputs
    next = withNewTicket(
      {
        ...refunded.booking,
        seats,
        seatsValueMinor: booking.seatsValueMinor - removedValue,
        amountMinor: booking.amountMinor - refund,
        updatedAtMs: nowMs,
      },
      tickets,
    )
  } else {
    next = { ...booking, seats, amountMinor: priceOf(event, booking, seats), updatedAtMs: nowMs }
  }
  const nextEvent = takeSeats(event, booking.priceOptionId, -removed)
  const outputs: LedgerOutput[] = [
    bookingFact(nextEvent, next, 'SEATS_CHANGED', cause, nowMs, { refundMinor: refund }),
    seatsChangedNotice(nextEvent, next, command.requestId, nowMs),
    ...refundOutputs,
  ]
  return { ok: true, event: nextEvent, booking: next, outputs, message: `seats changed to ${seats}` }
}
