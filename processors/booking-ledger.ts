import type { BookingCommand, PaymentStatusChanged, RefundReason } from '../avro/index.ts'
import { bookingFact, notify, TIMER_CAUSE, type Cause, type LedgerOutput } from './ledger-outputs.ts'
import {
  HOUR_MS,
  isActive,
  isBookable,
  MAX_SEATS_PER_BOOKING,
  offeredSeats,
  takeSeats,
  usePromo,
  type BookingState,
  type EventState,
  type PromoCodeState,
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
  if (command.actor.role !== 'ADMIN' && command.actor.userId !== input.userId)
    return no(refuse('FORBIDDEN', 'users book for themselves only'))
  if (input.userId === event.organizerId || command.actor.userId === event.organizerId)
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
  if (
    (option.validFromMs !== null && nowMs < option.validFromMs) ||
    (option.validUntilMs !== null && nowMs > option.validUntilMs)
  )
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
    promoCode: promo?.code ?? null,
    paidMinor: 0,
    refundedMinor: 0,
    refundCount: 0,
    paymentId: null,
    settledPaymentIds: [],
    ticketCode: free ? ticketCode(event.eventId, input.bookingId) : null,
    holdExpiresAtMs: free ? null : nowMs + event.holdMinutes * 60_000,
    endCause: null,
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

/** A refund request with a deterministic ID; the caller has already capped the amount. */
function refundRequest(
  booking: BookingState,
  amountMinor: number,
  reason: RefundReason,
  cause: Cause,
  nowMs: number,
  paymentId: string | null = booking.paymentId,
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

/** Ends an active booking: releases its seats (and an unpaid hold's promo use), refunds `refundMinor`. */
function endBooking(
  event: EventState,
  booking: BookingState,
  status: 'CANCELED' | 'EXPIRED',
  endCause: NonNullable<BookingState['endCause']>,
  refundMinor: number,
  nowMs: number,
): { event: EventState; booking: BookingState } {
  const pending = booking.status === 'PENDING_PAYMENT'
  const released = usePromo(
    takeSeats(event, booking.priceOptionId, -booking.seats),
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
      refundedMinor: booking.refundedMinor + refundMinor,
      refundCount: booking.refundCount + (refundMinor > 0 ? 1 : 0),
      updatedAtMs: nowMs,
    },
  }
}

/** May this actor act on this booking? The booking's user, the event's organizer (cancel only), an admin. */
function authorizeBooking(
  event: EventState,
  booking: BookingState,
  command: BookingCommand,
  organizerMay: boolean,
) {
  const { actor } = command
  if (actor.role === 'ADMIN' || actor.userId === booking.userId) return undefined
  if (organizerMay && actor.role === 'ORGANIZER' && actor.userId === event.organizerId) return undefined
  return refuse('FORBIDDEN', `${actor.userId} may not change booking ${booking.bookingId}`)
}

/**
 * CANCEL: a PENDING_PAYMENT booking freely; a CONFIRMED one until the start with the refund of the
 * policy, or in full when the organizer or an admin cancels it (force majeure: admin only), or when the
 * event was rescheduled after the booking was made.
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
  const forbidden = authorizeBooking(event, booking, command, true)
  if (forbidden !== undefined) return no(forbidden)
  if (input.forceMajeure && command.actor.role !== 'ADMIN')
    return no(refuse('FORBIDDEN', 'only an admin cancels for force majeure'))
  if (!isActive(booking)) return no(refuse('INVALID_BOOKING_STATE', `booking is ${booking.status}`))
  if (booking.status === 'CONFIRMED' && nowMs >= event.startsAtMs)
    return no(refuse('INVALID_BOOKING_STATE', 'the event has started'))
  const cause = causeOf(command)
  let refund = 0
  let reason: RefundReason = 'USER_CANCELED'
  if (booking.status === 'CONFIRMED') {
    let percent: number
    if (input.forceMajeure) {
      percent = 100
      reason = 'FORCE_MAJEURE'
    } else if (command.actor.userId !== booking.userId) {
      percent = 100 // canceled by the organizer or an admin
    } else if (event.lastRescheduledAtMs !== null && booking.createdAtMs < event.lastRescheduledAtMs) {
      percent = 100
      reason = 'RESCHEDULE_CANCELED'
    } else {
      percent = refundPercent(event.refundPolicy, event.startsAtMs, nowMs)
    }
    refund = refundAmount(percent, booking.paidMinor, booking.paidMinor, booking.refundedMinor)
  }
  const ended = endBooking(event, booking, 'CANCELED', 'USER_CANCELED', refund, nowMs)
  const outputs: LedgerOutput[] = [
    bookingFact(ended.event, ended.booking, 'CANCELED', cause, nowMs, { refundMinor: refund }),
    notify(ended.event, booking.userId, 'booking.canceled', `booking.canceled:${booking.bookingId}`, nowMs, {
      bookingId: booking.bookingId,
      refundMinor: String(refund),
    }),
  ]
  if (refund > 0) outputs.push(refundRequest(booking, refund, reason, cause, nowMs))
  return { ok: true, ...ended, outputs, message: `booking canceled, refund ${refund}` }
}

/**
 * CHANGE_SEATS of an active booking: more seats need free seats (and, for a paid CONFIRMED booking, are
 * refused: cancel and book again); fewer seats of a CONFIRMED booking refund their share by the policy.
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
  const forbidden = authorizeBooking(event, booking, command, false)
  if (forbidden !== undefined) return no(forbidden)
  if (!isActive(booking)) return no(refuse('INVALID_BOOKING_STATE', `booking is ${booking.status}`))
  const invalid = checkSeatCount(input.seats)
  if (invalid !== undefined) return no(invalid)
  if (input.seats === booking.seats) return no(refuse('VALIDATION_FAILED', 'the seat count is unchanged'))
  const delta = input.seats - booking.seats
  const option = event.priceOptions.find((o) => o.priceOptionId === booking.priceOptionId)
  const promo = event.promoCodes.find((p) => p.code === booking.promoCode) ?? null
  const amountMinor = applyPromo((option?.priceMinor ?? 0) * input.seats, promo)
  if (delta > 0) {
    const closed = bookingClosed(event, nowMs)
    if (closed !== undefined) return no(closed)
    if (booking.status === 'CONFIRMED' && amountMinor > booking.paidMinor)
      return no(refuse('INVALID_BOOKING_STATE', 'a paid booking cannot grow: cancel it and book again'))
    if (freeSeats(event, booking.priceOptionId, waitingList, booking.userId) < delta)
      return no(refuse('NO_AVAILABLE_SEATS', `fewer than ${delta} free seats`))
  } else if (nowMs >= event.startsAtMs) {
    return no(refuse('INVALID_BOOKING_STATE', 'the event has started'))
  }
  let refund = 0
  if (delta < 0 && booking.status === 'CONFIRMED' && booking.paidMinor > 0) {
    const percent =
      event.lastRescheduledAtMs !== null && booking.createdAtMs < event.lastRescheduledAtMs
        ? 100
        : refundPercent(event.refundPolicy, event.startsAtMs, nowMs)
    const share = Math.floor((booking.paidMinor * -delta) / booking.seats)
    refund = refundAmount(percent, share, booking.paidMinor, booking.refundedMinor)
  }
  const cause = causeOf(command)
  const next: BookingState = {
    ...booking,
    seats: input.seats,
    amountMinor: booking.status === 'PENDING_PAYMENT' ? amountMinor : booking.amountMinor,
    refundedMinor: booking.refundedMinor + refund,
    refundCount: booking.refundCount + (refund > 0 ? 1 : 0),
    updatedAtMs: nowMs,
  }
  const nextEvent = takeSeats(event, booking.priceOptionId, delta)
  const outputs: LedgerOutput[] = [
    bookingFact(nextEvent, next, 'SEATS_CHANGED', cause, nowMs, { refundMinor: refund }),
    notify(
      nextEvent,
      booking.userId,
      'booking.seats_changed',
      `booking.seats_changed:${booking.bookingId}:${command.requestId}`,
      nowMs,
      {
        bookingId: booking.bookingId,
        seats: String(input.seats),
      },
    ),
  ]
  if (refund > 0) outputs.push(refundRequest(booking, refund, 'SEATS_REDUCED', cause, nowMs))
  return { ok: true, event: nextEvent, booking: next, outputs, message: `seats changed to ${input.seats}` }
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
 * that payment. FAILED releases a pending hold. Redeliveries are no-ops.
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
    case 'INITIATED':
      if (booking.status !== 'PENDING_PAYMENT' || booking.paymentId === payment.paymentId) return unchanged
      return { event, booking: { ...booking, paymentId: payment.paymentId, updatedAtMs: nowMs }, outputs: [] }
    case 'FAILED': {
      if (booking.status !== 'PENDING_PAYMENT') return unchanged
      const ended = endBooking(event, booking, 'CANCELED', 'PAYMENT_FAILED', 0, nowMs)
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
    paymentId: payment.paymentId,
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
  if (booking.status === 'CONFIRMED') return refundAll('DUPLICATE_PAYMENT', 'DUPLICATE_BOOKING')
  if (payment.amountMinor < booking.amountMinor) return refundAll('UNDERPAID', 'VALIDATION_FAILED')
  if (booking.status === 'PENDING_PAYMENT') {
    const confirmed: BookingState = {
      ...settled,
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

/** Hold expiry: an unpaid booking whose hold time passed becomes EXPIRED and frees its seats. */
export function expireHold(event: EventState, booking: BookingState, nowMs: number): PaymentEffect {
  if (
    booking.status !== 'PENDING_PAYMENT' ||
    booking.holdExpiresAtMs === null ||
    booking.holdExpiresAtMs > nowMs
  )
    return { event, booking: undefined, outputs: [] }
  const ended = endBooking(event, booking, 'EXPIRED', 'EXPIRED', 0, nowMs)
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

/** Event canceled: every active booking is canceled, a paid one with a full refund, and its user notified. */
export function cancelForEvent(
  event: EventState,
  booking: BookingState,
  cause: Cause,
  nowMs: number,
): PaymentEffect {
  if (!isActive(booking)) return { event, booking: undefined, outputs: [] }
  const refund = booking.paidMinor - booking.refundedMinor
  const ended = endBooking(event, booking, 'CANCELED', 'EVENT_CANCELED', refund, nowMs)
  const outputs: LedgerOutput[] = [
    bookingFact(ended.event, ended.booking, 'CANCELED', cause, nowMs, {
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
  ]
  if (refund > 0) outputs.push(refundRequest(booking, refund, 'EVENT_CANCELED', cause, nowMs))
  return { ...ended, outputs }
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
