import type { BookingCommand, PaymentStatusChanged, RefundReason } from '../avro/index.ts'
import {
  canActForUser,
  canActOnBooking,
  canCancelForForceMajeure,
  canChangeBooking,
  mayBook,
} from './authorization.ts'
import { bookingFact, notify, TIMER_CAUSE, type Cause, type LedgerOutput } from './ledger-outputs.ts'
import {
  awaitsReconfirmation,
  holdDueMs,
  HOUR_MS,
  isActive,
  isBookable,
  MAX_SEATS_PER_BOOKING,
  offeredSeats,
  pendingTopUp,
  seatsHeld,
  takeSeats,
  usePromo,
  type BookingState,
  type EventState,
  type PriceOptionState,
  type PromoCodeState,
  type SeatTopUp,
  type WaitingListState,
} from './ledger-state.ts'
import { applyPromo, checkPromo, isRefusal } from './promo-codes.ts'
import { refuse, type Refusal } from './reason-codes.ts'
import { refundAmount, refundPercent } from './refund-policy.ts'
import { ticketCode } from './ticket-code.ts'

/** The new event and booking state and what to emit; `refusal` when the command is refused. */
export type BookingDecision =
  | {
      readonly ok: true
      readonly event: EventState
      readonly booking: BookingState
      readonly outputs: readonly LedgerOutput[]
      readonly message: string
    }
  | { readonly ok: false; readonly refusal: Refusal }

/** The state a booking request is decided on. */
export interface BookingRequestContext {
  readonly event: EventState | undefined
  /** A booking that already has the requested booking ID. */
  readonly existing: BookingState | undefined
  /** The ID of the user's active booking on the event, if any. */
  readonly activeBookingId: string | undefined
  readonly waitingList: WaitingListState | undefined
}

function no(refusal: Refusal): BookingDecision {
  return { ok: false, refusal }
}

function causeOf(command: BookingCommand): Cause {
  return { requestId: command.requestId, actorUserId: command.actor.userId }
}

/** Seats free for `userId` in the option and in the event (outstanding waiting-list offers to others held back). */
export function freeSeats(
  event: EventState,
  priceOptionId: string,
  waitingList: WaitingListState | undefined,
  userId: string,
): number {
  const option = event.priceOptions.find((o) => o.priceOptionId === priceOptionId)
  if (option === undefined) return 0
  const inEvent = event.capacity - event.seatsTaken - offeredSeats(waitingList, userId)
  return Math.max(0, Math.min(option.allotment - option.taken, inEvent))
}

function bookingClosed(event: EventState, nowMs: number): Refusal | undefined {
  if (!isBookable(event)) return refuse('EVENT_NOT_BOOKABLE', `event is ${event.status}`)
  if (nowMs > event.startsAtMs - event.bookingDeadlineHours * HOUR_MS)
    return refuse(
      'BOOKING_DEADLINE_PASSED',
      `booking closed ${event.bookingDeadlineHours} h before the start`,
    )
  return undefined
}

function onSale(option: PriceOptionState, nowMs: number): boolean {
  return (
    (option.validFromMs === null || nowMs >= option.validFromMs) &&
    (option.validUntilMs === null || nowMs <= option.validUntilMs)
  )
}

function checkSeatCount(seats: number): Refusal | undefined {
  if (!Number.isInteger(seats) || seats < 1) return refuse('VALIDATION_FAILED', 'seats must be 1-20')
  if (seats > MAX_SEATS_PER_BOOKING)
    return refuse('TOO_MANY_SEATS', `at most ${MAX_SEATS_PER_BOOKING} seats per booking`)
  return undefined
}

/**
 * REQUEST: checks in order existence, actor, event status and deadline, seat count, duplicates, price
 * option, promo code, free seats; then holds the seats as PENDING_PAYMENT (or confirms at once when the
 * amount due is 0).
 */
export function requestBooking(
  ctx: BookingRequestContext,
  command: BookingCommand,
  nowMs: number,
): BookingDecision {
  const input = command.request
  if (input === null) return no(refuse('VALIDATION_FAILED', 'REQUEST needs the request payload'))
  const { event } = ctx
  if (event === undefined) return no(refuse('EVENT_NOT_FOUND', `no event ${command.eventId}`))
  if (!canActForUser(command.actor, input.userId))
    return no(refuse('FORBIDDEN', 'users book for themselves only'))
  // Nor may an admin who organizes the event book it for someone else.
  if (!mayBook(event, input.userId) || !mayBook(event, command.actor.userId))
    return no(refuse('ORGANIZER_OWN_EVENT', 'an organizer cannot book their own event'))
  const invalid = bookingClosed(event, nowMs) ?? checkSeatCount(input.seats)
  if (invalid !== undefined) return no(invalid)
  if (input.bookingId === '') return no(refuse('VALIDATION_FAILED', 'bookingId is required'))
  if (ctx.existing !== undefined) return no(refuse('DUPLICATE_BOOKING', `booking ${input.bookingId} exists`))
  if (ctx.activeBookingId !== undefined)
    return no(
      refuse('DUPLICATE_BOOKING', `user ${input.userId} has the active booking ${ctx.activeBookingId}`),
    )
  const option = event.priceOptions.find((o) => o.priceOptionId === input.priceOptionId)
  if (option === undefined)
    return no(refuse('PRICE_OPTION_NOT_FOUND', `no price option ${input.priceOptionId}`))
  if (!onSale(option, nowMs))
    return no(refuse('PRICE_OPTION_NOT_AVAILABLE', `price option ${option.priceOptionId} is not on sale now`))
  let promo: PromoCodeState | null = null
  if (input.promoCode !== null && input.promoCode !== '') {
    const checked = checkPromo(event, input.promoCode, nowMs)
    if (isRefusal(checked)) return no(checked)
    promo = checked
  }
  if (freeSeats(event, option.priceOptionId, ctx.waitingList, input.userId) < input.seats)
    return no(refuse('NO_AVAILABLE_SEATS', `fewer than ${input.seats} free seats`))

  const amountMinor = applyPromo(option.priceMinor * input.seats, promo)
  const free = amountMinor === 0
  const next = usePromo(takeSeats(event, option.priceOptionId, input.seats), promo?.code ?? null, 1)
  const booking: BookingState = {
    bookingId: input.bookingId,
    eventId: event.eventId,
    userId: input.userId,
    priceOptionId: option.priceOptionId,
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
    ticketCode: free ? ticketCode(event.eventId, input.bookingId) : null,
    holdExpiresAtMs: free ? null : nowMs + event.holdMinutes * 60_000,
    endCause: null,
    topUp: null,
    reconfirmation: null,
    createdAtMs: nowMs,
    updatedAtMs: nowMs,
  }
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

function confirmedOutputs(
  event: EventState,
  booking: BookingState,
  cause: Cause,
  nowMs: number,
): LedgerOutput[] {
  const params = {
    bookingId: booking.bookingId,
    ticketCode: booking.ticketCode ?? '',
    seats: String(booking.seats),
  }
  return [
    bookingFact(event, booking, 'CONFIRMED', cause, nowMs),
    notify(
      event,
      booking.userId,
      'booking.confirmed',
      `booking.confirmed:${booking.bookingId}`,
      nowMs,
      params,
    ),
    notify(
      event,
      event.organizerId,
      'booking.confirmed.organizer',
      `booking.confirmed.organizer:${booking.bookingId}`,
      nowMs,
      {
        ...params,
        userId: booking.userId,
      },
    ),
  ]
}

/** A refund request with a deterministic ID (the booking's refund count); the caller caps the amount. */
function refundRequest(
  booking: BookingState,
  amountMinor: number,
  reason: RefundReason,
  cause: Cause,
  nowMs: number,
  paymentId: string | null,
): LedgerOutput {
  return {
    to: 'refund-requests',
    value: {
      refundId: `${booking.bookingId}:refund:${booking.refundCount}`,
      eventId: booking.eventId,
      bookingId: booking.bookingId,
      userId: booking.userId,
      paymentId,
      amountMinor,
      reason,
      requestId: cause.requestId,
      requestedAtMs: nowMs,
    },
  }
}

/**
 * Refunds up to `amountMinor` back to the booking's charges, newest first (a top-up's payment before the
 * original one), one refund request per payment, each within what is left of that payment. Returns the
 * booking with its refunds counted, the amount refunded (less than asked only if the charges hold less)
 * and the requests.
 */
function refundCharges(
  booking: BookingState,
  amountMinor: number,
  reason: RefundReason,
  cause: Cause,
  nowMs: number,
): { booking: BookingState; refundMinor: number; outputs: LedgerOutput[] } {
  let current = booking
  let left = amountMinor
  const charges = [...booking.charges]
  const outputs: LedgerOutput[] = []
  for (let i = charges.length - 1; i >= 0 && left > 0; i--) {
    const charge = charges[i]!
    const part = Math.min(left, charge.amountMinor - charge.refundedMinor)
    if (part <= 0) continue
    outputs.push(refundRequest(current, part, reason, cause, nowMs, charge.paymentId))
    charges[i] = { ...charge, refundedMinor: charge.refundedMinor + part }
    current = { ...current, refundCount: current.refundCount + 1 }
    left -= part
  }
  const refundMinor = amountMinor - left
  return {
    booking: { ...current, charges, refundedMinor: booking.refundedMinor + refundMinor },
    refundMinor,
    outputs,
  }
}

/**
 * Ends an active booking: releases its seats with a pending top-up's extra seats (and an unpaid hold's
 * promo use).
 */
function endBooking(
  event: EventState,
  booking: BookingState,
  status: 'CANCELED' | 'EXPIRED',
  endCause: NonNullable<BookingState['endCause']>,
  nowMs: number,
): { event: EventState; booking: BookingState } {
  const pending = booking.status === 'PENDING_PAYMENT'
  const topUp = pendingTopUp(booking)
  const released = usePromo(
    takeSeats(event, booking.priceOptionId, -seatsHeld(booking)),
    pending ? booking.promoCode : null,
    -1,
  )
  return {
    event: released,
    booking: {
      ...booking,
      status,
      endCause,
      holdExpiresAtMs: null,
      topUp: topUp === null ? booking.topUp : { ...topUp, status: 'WITHDRAWN' },
      updatedAtMs: nowMs,
    },
  }
}

/** FORBIDDEN for an actor that {@link canActOnBooking} or {@link canChangeBooking} leaves out. */
function forbiddenOn(booking: BookingState, command: BookingCommand): Refusal {
  return refuse('FORBIDDEN', `${command.actor.userId} may not change booking ${booking.bookingId}`)
}

/**
 * The percent of a CONFIRMED booking's seat value a cancellation or seat reduction refunds: all of it when
 * someone other than the booking's user acts (the organizer or an admin) or when the event's schedule
 * changed after the booking was made (re-confirmed or not: MISSION.md keeps that right until the start),
 * else the event's refund policy at `nowMs`.
 */
function refundTerms(
  event: EventState,
  booking: BookingState,
  command: BookingCommand,
  nowMs: number,
): { percent: number; rescheduled: boolean } {
  const rescheduled = event.lastRescheduledAtMs !== null && booking.createdAtMs < event.lastRescheduledAtMs
  if (command.actor.userId !== booking.userId || rescheduled) return { percent: 100, rescheduled }
  return { percent: refundPercent(event.refundPolicy, event.startsAtMs, nowMs), rescheduled }
}

/**
 * CANCEL: a PENDING_PAYMENT booking freely; a CONFIRMED one until the start with the refund of the
 * policy on the seats' paid value, or in full when the organizer or an admin cancels it (force majeure:
 * admin only), or when the event's schedule changed after the booking was made. A pending seat top-up is
 * released with the booking.
 */
export function cancelBooking(
  event: EventState,
  booking: BookingState | undefined,
  command: BookingCommand,
  nowMs: number,
): BookingDecision {
  const input = command.cancel
  if (input === null) return no(refuse('VALIDATION_FAILED', 'CANCEL needs the cancel payload'))
  if (booking === undefined) return no(refuse('BOOKING_NOT_FOUND', `no booking ${input.bookingId}`))
  if (!canActOnBooking(booking, event, command.actor)) return no(forbiddenOn(booking, command))
  if (input.forceMajeure && !canCancelForForceMajeure(command.actor))
    return no(refuse('FORBIDDEN', 'only an admin cancels for force majeure'))
  if (!isActive(booking)) return no(refuse('INVALID_BOOKING_STATE', `booking is ${booking.status}`))
  if (booking.status === 'CONFIRMED' && nowMs >= event.startsAtMs)
    return no(refuse('INVALID_BOOKING_STATE', 'the event has started'))
  const cause = causeOf(command)
  let wanted = 0
  let reason: RefundReason = 'USER_CANCELED'
  if (booking.status === 'CONFIRMED') {
    const terms = refundTerms(event, booking, command, nowMs)
    const percent = input.forceMajeure ? 100 : terms.percent
    if (input.forceMajeure) reason = 'FORCE_MAJEURE'
    else if (command.actor.userId === booking.userId && terms.rescheduled) reason = 'RESCHEDULE_CANCELED'
    wanted = refundAmount(percent, booking.seatsValueMinor, booking.paidMinor, booking.refundedMinor)
  }
  const ended = endBooking(event, booking, 'CANCELED', 'USER_CANCELED', nowMs)
  const refunded = refundCharges(ended.booking, wanted, reason, cause, nowMs)
  const refund = refunded.refundMinor
  return {
    ok: true,
    event: ended.event,
    booking: refunded.booking,
    outputs: [
      bookingFact(ended.event, refunded.booking, 'CANCELED', cause, nowMs, { refundMinor: refund }),
      notify(
        ended.event,
        booking.userId,
        'booking.canceled',
        `booking.canceled:${booking.bookingId}`,
        nowMs,
        {
          bookingId: booking.bookingId,
          refundMinor: String(refund),
        },
      ),
      ...refunded.outputs,
    ],
    message: `booking canceled, refund ${refund}`,
  }
}

/**
 * CHANGE_SEATS of an active booking, until the start.
 *
 * - More seats need free seats in the option and the event, the event open for booking and the option on
 *   sale. A PENDING_PAYMENT booking just holds them (its amount due grows). A CONFIRMED booking whose added
 *   seats cost something holds them as a pending top-up ({@link SeatTopUp}) for the event's hold time: a
 *   COMPLETED payment of its price confirms them, a FAILED payment or the expiry releases them (see
 *   {@link applyPayment}, {@link expireHold}); added seats that cost nothing are confirmed at once.
 * - Fewer seats of a CONFIRMED booking refund the removed seats' share of its paid seat value by the
 *   refund terms of a cancellation (never more than is left of the payments).
 * - While a top-up is pending only a change back to the confirmed seat count is taken: it withdraws the
 *   top-up. Anything else is refused with SEAT_CHANGE_PENDING.
 */
export function changeSeats(
  event: EventState,
  booking: BookingState | undefined,
  waitingList: WaitingListState | undefined,
  command: BookingCommand,
  nowMs: number,
): BookingDecision {
  const input = command.changeSeats
  if (input === null) return no(refuse('VALIDATION_FAILED', 'CHANGE_SEATS needs its payload'))
  if (booking === undefined) return no(refuse('BOOKING_NOT_FOUND', `no booking ${input.bookingId}`))
  if (!canChangeBooking(booking, command.actor)) return no(forbiddenOn(booking, command))
  if (!isActive(booking)) return no(refuse('INVALID_BOOKING_STATE', `booking is ${booking.status}`))
  const invalid = checkSeatCount(input.seats)
  if (invalid !== undefined) return no(invalid)
  const cause = causeOf(command)
  const topUp = pendingTopUp(booking)
  if (topUp !== null) {
    if (input.seats !== booking.seats)
      return no(
        refuse(
          'SEAT_CHANGE_PENDING',
          `${topUp.seats - booking.seats} added seats await payment until ${new Date(topUp.holdExpiresAtMs).toISOString()}; ` +
            `change back to ${booking.seats} seats to withdraw them`,
        ),
      )
    const released = releaseTopUp(event, booking, topUp, 'WITHDRAWN', nowMs)
    return {
      ok: true,
      ...released,
      outputs: [
        bookingFact(released.event, released.booking, 'SEATS_CHANGE_RELEASED', cause, nowMs),
        seatsChangedNotice(released.event, released.booking, command.requestId, nowMs),
      ],
      message: `the pending seat top-up is withdrawn; the booking keeps ${booking.seats} seats`,
    }
  }
  if (input.seats === booking.seats) return no(refuse('VALIDATION_FAILED', 'the seat count is unchanged'))
  if (nowMs >= event.startsAtMs) return no(refuse('INVALID_BOOKING_STATE', 'the event has started'))
  return input.seats > booking.seats
    ? addSeats(event, booking, waitingList, input.seats, command, nowMs)
    : removeSeats(event, booking, input.seats, command, nowMs)
}

function seatsChangedNotice(
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
    { bookingId: booking.bookingId, seats: String(booking.seats) },
  )
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
): BookingDecision {
  const closed = bookingClosed(event, nowMs)
  if (closed !== undefined) return no(closed)
  const option = event.priceOptions.find((o) => o.priceOptionId === booking.priceOptionId)
  if (option === undefined)
    return no(refuse('PRICE_OPTION_NOT_FOUND', `no price option ${booking.priceOptionId}`))
  if (!onSale(option, nowMs))
    return no(refuse('PRICE_OPTION_NOT_AVAILABLE', `price option ${option.priceOptionId} is not on sale now`))
  const delta = seats - booking.seats
  if (freeSeats(event, option.priceOptionId, waitingList, booking.userId) < delta)
    return no(refuse('NO_AVAILABLE_SEATS', `fewer than ${delta} free seats`))
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
  const next: BookingState = {
    ...booking,
    seats,
    amountMinor: booking.status === 'PENDING_PAYMENT' ? priceOf(event, booking, seats) : booking.amountMinor,
    updatedAtMs: nowMs,
  }
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
    next = {
      ...refunded.booking,
      seats,
      seatsValueMinor: booking.seatsValueMinor - removedValue,
      amountMinor: booking.amountMinor - refund,
      updatedAtMs: nowMs,
    }
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

/** Gives a pending top-up's extra seats back to the pool and marks how the top-up ended. */
function releaseTopUp(
  event: EventState,
  booking: BookingState,
  topUp: SeatTopUp,
  status: 'EXPIRED' | 'PAYMENT_FAILED' | 'WITHDRAWN',
  nowMs: number,
): { event: EventState; booking: BookingState } {
  return {
    event: takeSeats(event, booking.priceOptionId, -(topUp.seats - booking.seats)),
    booking: { ...booking, topUp: { ...topUp, status }, updatedAtMs: nowMs },
  }
}

/** What a payment status does; `booking` undefined when it is unchanged. */
export interface PaymentEffect {
  readonly event: EventState
  readonly booking: BookingState | undefined
  readonly outputs: readonly LedgerOutput[]
}

/**
 * A payment status. COMPLETED confirms a pending booking (ticket code, user and organizer notified); after
 * expiry or a failure it confirms if seats are still free and the user has no other active booking,
 * otherwise (and for a canceled booking, a second payment, an underpayment) it asks for a full refund of
 * that payment. On a CONFIRMED booking with a pending seat top-up, COMPLETED of at least the top-up's
 * price confirms the added seats; a payment of a top-up that already ended (expired, failed, withdrawn) is
 * refunded in full, the seats are not taken again (the user may ask for them again). FAILED releases a
 * pending hold or a pending top-up. Redeliveries are no-ops.
 */
export function applyPayment(
  event: EventState,
  booking: BookingState | undefined,
  activeBookingIdOfUser: string | undefined,
  waitingList: WaitingListState | undefined,
  payment: PaymentStatusChanged,
  nowMs: number,
): PaymentEffect {
  const unchanged: PaymentEffect = { event, booking: undefined, outputs: [] }
  if (booking === undefined) {
    if (payment.status !== 'COMPLETED') return unchanged
    const orphan = { bookingId: payment.bookingId, eventId: payment.eventId, userId: null, refundCount: 0 }
    return {
      event,
      booking: undefined,
      outputs: [
        {
          to: 'refund-requests',
          value: {
            refundId: `${orphan.bookingId}:refund:${payment.paymentId}`,
            eventId: orphan.eventId,
            bookingId: orphan.bookingId,
            userId: null,
            paymentId: payment.paymentId,
            amountMinor: payment.amountMinor,
            reason: 'UNKNOWN_BOOKING',
            requestId: null,
            requestedAtMs: nowMs,
          },
        },
      ],
    }
  }
  switch (payment.status) {
    case 'INITIATED': {
      const topUp = pendingTopUp(booking)
      if (topUp !== null) {
        if (topUp.paymentId === payment.paymentId || booking.settledPaymentIds.includes(payment.paymentId))
          return unchanged
        const next = { ...booking, topUp: { ...topUp, paymentId: payment.paymentId }, updatedAtMs: nowMs }
        return { event, booking: next, outputs: [] }
      }
      if (booking.status !== 'PENDING_PAYMENT' || booking.paymentId === payment.paymentId) return unchanged
      return { event, booking: { ...booking, paymentId: payment.paymentId, updatedAtMs: nowMs }, outputs: [] }
    }
    case 'FAILED': {
      const topUp = pendingTopUp(booking)
      if (
        topUp !== null &&
        payment.paymentId !== booking.paymentId &&
        // Only the payment started for this top-up (its INITIATED seen) fails it: a redelivered FAILED of
        // an earlier top-up, or of an abandoned attempt, must not release the seats asked for since.
        topUp.paymentId === payment.paymentId
      ) {
        const released = releaseTopUp(event, booking, topUp, 'PAYMENT_FAILED', nowMs)
        return {
          ...released,
          outputs: [
            bookingFact(released.event, released.booking, 'SEATS_CHANGE_RELEASED', TIMER_CAUSE, nowMs, {
              reasonCode: 'PAYMENT_FAILED',
            }),
            notify(
              released.event,
              booking.userId,
              'payment.failed',
              `payment.failed:${booking.bookingId}:${payment.paymentId}`,
              nowMs,
              { bookingId: booking.bookingId, seats: String(booking.seats) },
            ),
          ],
        }
      }
      // A hold ends on the failure of its latest started payment (any, when none was seen started); an
      // abandoned earlier attempt failing late leaves it to the payment in progress.
      if (booking.status !== 'PENDING_PAYMENT') return unchanged
      if (booking.paymentId !== null && booking.paymentId !== payment.paymentId) return unchanged
      const ended = endBooking(event, booking, 'CANCELED', 'PAYMENT_FAILED', nowMs)
      return {
        ...ended,
        outputs: [
          bookingFact(ended.event, ended.booking, 'PAYMENT_FAILED', TIMER_CAUSE, nowMs, {
            reasonCode: 'PAYMENT_FAILED',
          }),
          notify(
            ended.event,
            booking.userId,
            'payment.failed',
            `payment.failed:${booking.bookingId}:${payment.paymentId}`,
            nowMs,
            {
              bookingId: booking.bookingId,
            },
          ),
        ],
      }
    }
    case 'REFUNDED':
    case 'PARTIAL_REFUND':
      return unchanged // the payment service confirming our refund requests: nothing to decide
    case 'COMPLETED':
      break
  }
  if (booking.settledPaymentIds.includes(payment.paymentId)) return unchanged
  const settled: BookingState = {
    ...booking,
    paidMinor: booking.paidMinor + payment.amountMinor,
    paymentId: booking.status === 'CONFIRMED' ? booking.paymentId : payment.paymentId,
    settledPaymentIds: [...booking.settledPaymentIds, payment.paymentId],
    updatedAtMs: nowMs,
  }
  const refundAll = (reason: RefundReason, reasonCode: string): PaymentEffect => {
    const refunded: BookingState = {
      ...settled,
      refundedMinor: settled.refundedMinor + payment.amountMinor,
      refundCount: settled.refundCount + 1,
    }
    return {
      event,
      booking: refunded,
      outputs: [
        bookingFact(event, refunded, 'LATE_PAYMENT_REFUNDED', TIMER_CAUSE, nowMs, {
          refundMinor: payment.amountMinor,
          reasonCode,
        }),
        refundRequest(settled, payment.amountMinor, reason, TIMER_CAUSE, nowMs, payment.paymentId),
        notify(
          event,
          booking.userId,
          'payment.refunded',
          `payment.refunded:${booking.bookingId}:${payment.paymentId}`,
          nowMs,
          {
            bookingId: booking.bookingId,
            refundMinor: String(payment.amountMinor),
            reasonCode,
          },
        ),
      ],
    }
  }
  const charge = { paymentId: payment.paymentId, amountMinor: payment.amountMinor, refundedMinor: 0 }
  if (booking.status === 'CONFIRMED') {
    const topUp = pendingTopUp(booking)
    if (topUp !== null) {
      if (payment.amountMinor < topUp.amountMinor) return refundAll('UNDERPAID', 'VALIDATION_FAILED')
      const changed: BookingState = {
        ...settled,
        seats: topUp.seats,
        amountMinor: booking.amountMinor + payment.amountMinor,
        seatsValueMinor: booking.seatsValueMinor + payment.amountMinor,
        charges: [...booking.charges, charge],
        topUp: { ...topUp, paymentId: payment.paymentId, status: 'PAID' },
      }
      return {
        event,
        booking: changed,
        outputs: [
          bookingFact(event, changed, 'SEATS_CHANGED', TIMER_CAUSE, nowMs),
          seatsChangedNotice(event, changed, topUp.requestId, nowMs),
        ],
      }
    }
    if (booking.topUp !== null && booking.topUp.paymentId === payment.paymentId)
      return refundAll('LATE_PAYMENT', 'INVALID_BOOKING_STATE') // its top-up ended unpaid
    return refundAll('DUPLICATE_PAYMENT', 'DUPLICATE_BOOKING')
  }
  // The payment started for a top-up of a booking that has ended since: late, whatever its amount.
  if (booking.topUp !== null && booking.topUp.paymentId === payment.paymentId)
    return refundAll('LATE_PAYMENT', 'INVALID_BOOKING_STATE')
  if (payment.amountMinor < booking.amountMinor) return refundAll('UNDERPAID', 'VALIDATION_FAILED')
  // Confirmed: what the payment brought is the booking's net charge and its seats' value.
  const charged = {
    amountMinor: payment.amountMinor,
    seatsValueMinor: payment.amountMinor,
    charges: [...booking.charges, charge],
  }
  if (booking.status === 'PENDING_PAYMENT') {
    const confirmed: BookingState = {
      ...settled,
      ...charged,
      status: 'CONFIRMED',
      holdExpiresAtMs: null,
      ticketCode: ticketCode(event.eventId, booking.bookingId),
    }
    return { event, booking: confirmed, outputs: confirmedOutputs(event, confirmed, TIMER_CAUSE, nowMs) }
  }
  // Late: the booking expired or its payment failed earlier; canceled ones are refunded.
  if (booking.endCause !== 'EXPIRED' && booking.endCause !== 'PAYMENT_FAILED')
    return refundAll('LATE_PAYMENT', 'INVALID_BOOKING_STATE')
  const closed = bookingClosed(event, nowMs)
  if (closed !== undefined) return refundAll('LATE_PAYMENT', closed.reasonCode)
  if (activeBookingIdOfUser !== undefined && activeBookingIdOfUser !== booking.bookingId)
    return refundAll('LATE_PAYMENT', 'DUPLICATE_BOOKING')
  if (freeSeats(event, booking.priceOptionId, waitingList, booking.userId) < booking.seats)
    return refundAll('LATE_PAYMENT', 'NO_AVAILABLE_SEATS')
  if (booking.promoCode !== null) {
    const promo = event.promoCodes.find((p) => p.code === booking.promoCode)
    if (promo === undefined || promo.used >= promo.usageLimit)
      return refundAll('LATE_PAYMENT', 'PROMO_EXHAUSTED')
  }
  const retaken = usePromo(takeSeats(event, booking.priceOptionId, booking.seats), booking.promoCode, 1)
  const confirmed: BookingState = {
    ...settled,
    ...charged,
    status: 'CONFIRMED',
    endCause: null,
    holdExpiresAtMs: null,
    ticketCode: ticketCode(event.eventId, booking.bookingId),
  }
  return {
    event: retaken,
    booking: confirmed,
    outputs: confirmedOutputs(retaken, confirmed, TIMER_CAUSE, nowMs),
  }
}

/**
 * Hold expiry: an unpaid booking whose hold time passed becomes EXPIRED and frees its seats; an unpaid
 * seat top-up of a CONFIRMED booking frees its extra seats (the booking keeps its confirmed ones).
 */
export function expireHold(event: EventState, booking: BookingState, nowMs: number): PaymentEffect {
  const dueMs = holdDueMs(booking)
  if (dueMs === null || dueMs > nowMs) return { event, booking: undefined, outputs: [] }
  const topUp = pendingTopUp(booking)
  if (booking.status === 'CONFIRMED' && topUp !== null) {
    const released = releaseTopUp(event, booking, topUp, 'EXPIRED', nowMs)
    return {
      ...released,
      outputs: [
        bookingFact(released.event, released.booking, 'SEATS_CHANGE_RELEASED', TIMER_CAUSE, nowMs, {
          reasonCode: 'EXPIRED',
        }),
        notify(
          released.event,
          booking.userId,
          'booking.seats_change_expired',
          `booking.seats_change_expired:${booking.bookingId}:${topUp.requestId}`,
          nowMs,
          { bookingId: booking.bookingId, seats: String(booking.seats) },
        ),
      ],
    }
  }
  const ended = endBooking(event, booking, 'EXPIRED', 'EXPIRED', nowMs)
  return {
    ...ended,
    outputs: [
      bookingFact(ended.event, ended.booking, 'EXPIRED', TIMER_CAUSE, nowMs),
      notify(ended.event, booking.userId, 'booking.expired', `booking.expired:${booking.bookingId}`, nowMs, {
        bookingId: booking.bookingId,
      }),
    ],
  }
}

/**
 * Event canceled: every active booking is canceled (a pending top-up with it), a paid one with a full
 * refund of everything paid and not yet refunded, and its user notified.
 */
export function cancelForEvent(
  event: EventState,
  booking: BookingState,
  cause: Cause,
  nowMs: number,
): PaymentEffect {
  if (!isActive(booking)) return { event, booking: undefined, outputs: [] }
  const ended = endBooking(event, booking, 'CANCELED', 'EVENT_CANCELED', nowMs)
  const refunded = refundCharges(
    ended.booking,
    booking.paidMinor - booking.refundedMinor,
    'EVENT_CANCELED',
    cause,
    nowMs,
  )
  const refund = refunded.refundMinor
  const outputs: LedgerOutput[] = [
    bookingFact(ended.event, refunded.booking, 'CANCELED', cause, nowMs, {
      refundMinor: refund,
      reasonCode: 'EVENT_CANCELED',
    }),
    notify(
      ended.event,
      booking.userId,
      'event.canceled',
      `event.canceled:${event.eventId}:${booking.bookingId}`,
      nowMs,
      {
        bookingId: booking.bookingId,
        refundMinor: String(refund),
      },
    ),
    ...refunded.outputs,
  ]
  return { event: ended.event, booking: refunded.booking, outputs }
}

/** The notification an active booking's user gets for a schedule change (reschedule or restore), or a reminder. */
export function scheduleNotice(
  event: EventState,
  booking: BookingState,
  kind: 'NOTIFY_RESCHEDULED' | 'NOTIFY_RESTORED' | 'REMIND',
  nowMs: number,
): LedgerOutput[] {
  if (kind === 'REMIND') {
    if (booking.status !== 'CONFIRMED') return []
    return [
      notify(
        event,
        booking.userId,
        'event.reminder',
        `event.reminder:${event.eventId}:${event.startsAtMs}:${booking.bookingId}`,
        nowMs,
        {
          bookingId: booking.bookingId,
          startsAtMs: String(event.startsAtMs),
          place: event.place,
          ...(awaitsReconfirmation(event, booking) ? { reconfirmationRequired: 'true' } : {}),
        },
      ),
    ]
  }
  if (!isActive(booking)) return []
  const template = kind === 'NOTIFY_RESCHEDULED' ? 'event.rescheduled' : 'event.schedule_restored'
  return [
    notify(
      event,
      booking.userId,
      template,
      `${template}:${event.eventId}:v${event.version}:${booking.bookingId}`,
      nowMs,
      {
        bookingId: booking.bookingId,
        startsAtMs: String(event.startsAtMs),
        endsAtMs: String(event.endsAtMs),
        place: event.place,
        reconfirmationRequired: 'true',
        fullRefundUntilMs: String(event.startsAtMs),
      },
    ),
  ]
}

/**
 * RECONFIRM: the booking's user (or an admin) accepts the event's changed schedule. Taken for an active
 * booking made before the latest reschedule or restore and not yet re-confirmed for it, until the start.
 * It records the acceptance (the organizer's headcount for the new schedule) and nothing else: the
 * full-refund right a schedule change gives stays until the start, re-confirmed or not (MISSION.md), and
 * a booking never re-confirmed stays as it is.
 */
export function reconfirmBooking(
  event: EventState,
  booking: BookingState | undefined,
  command: BookingCommand,
  nowMs: number,
): BookingDecision {
  const input = command.reconfirm
  if (input === null) return no(refuse('VALIDATION_FAILED', 'RECONFIRM needs its payload'))
  if (booking === undefined) return no(refuse('BOOKING_NOT_FOUND', `no booking ${input.bookingId}`))
  if (!canChangeBooking(booking, command.actor)) return no(forbiddenOn(booking, command))
  if (!isActive(booking)) return no(refuse('INVALID_BOOKING_STATE', `booking is ${booking.status}`))
  if (nowMs >= event.startsAtMs) return no(refuse('INVALID_BOOKING_STATE', 'the event has started'))
  const changedAtMs = event.lastRescheduledAtMs
  if (changedAtMs === null || !awaitsReconfirmation(event, booking))
    return no(
      refuse(
        'RECONFIRMATION_NOT_REQUIRED',
        changedAtMs === null || booking.createdAtMs >= changedAtMs
          ? 'the schedule has not changed since the booking was made'
          : 'the booking is re-confirmed for the current schedule already',
      ),
    )
  const next: BookingState = {
    ...booking,
    reconfirmation: { scheduleChangedAtMs: changedAtMs, atMs: nowMs },
    updatedAtMs: nowMs,
  }
  return {
    ok: true,
    event,
    booking: next,
    outputs: [
      bookingFact(event, next, 'RECONFIRMED', causeOf(command), nowMs),
      notify(
        event,
        booking.userId,
        'booking.reconfirmed',
        `booking.reconfirmed:${booking.bookingId}:${changedAtMs}`,
        nowMs,
        {
          bookingId: booking.bookingId,
          startsAtMs: String(event.startsAtMs),
          endsAtMs: String(event.endsAtMs),
          place: event.place,
          fullRefundUntilMs: String(event.startsAtMs),
        },
      ),
    ],
    message: 're-confirmed for the current schedule; a full refund on cancel stays open until the start',
  }
}
