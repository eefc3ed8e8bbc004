// A sequential reference model of one published event's booking rules, written from MISSION.md ("Booking",
// "Prices, promo codes, refunds", "Event lifecycle") and not from the ledger's code. The property test
// (booking-properties.test.ts) feeds it the same commands, payment statuses and clock moves as the topology
// and compares every outcome and every booking's state with what the topology emitted.
//
// It keeps its own plain state (bookings by ID, one waiting list, one event), decides one input at a time,
// and answers each request ID once. It models only what the property test sends: booking commands, the
// event commands RESCHEDULE, RESTORE_SCHEDULE and CANCEL, payment statuses, and clock moves; anything else
// throws (a gap in the model must never pass as agreement).
//
// Where MISSION.md is silent the model takes the ledger's documented choice. Each such choice is an
// assumption, with where it is written down:
//
// A1  Which reason wins when several apply follows the order of the ledger's checks: REQUEST checks actor,
//     organizer, event status, deadline, seat count, booking ID taken, the user's active booking, price
//     option, promo code, free seats (processors/booking-ledger.ts, requestBooking); CANCEL, CHANGE_SEATS
//     and RECONFIRM check booking, actor, booking status, then their own rules; JOIN checks actor,
//     organizer, event, deadline, seats, active booking, already listed, sold out (waiting-list.ts).
//     MISSION.md names the codes (docs/errors.md), not their precedence.
// A2  A hold expires, an offer lapses and the event completes at the first timer run at or after the due
//     time; timers run when the clock moves (DESIGN.md "the clock is injected"; event-ledger.ts runTimers:
//     holds first, then waiting-list offers, then event transitions).
// A3  COMPLETED of at least the amount due confirms a hold; an over-payment confirms at the amount due and
//     the difference is refunded at once (issue 12: an overpayment is not silently kept; docs/errors.md
//     OVERPAID), a top-up's likewise; a smaller one is refunded whole and the hold stays (booking-ledger.ts
//     applyPayment; docs/errors.md, LATE_PAYMENT_REFUNDED with VALIDATION_FAILED).
// A4  FAILED ends a hold only when it is the failure of the payment last started for it (INITIATED, or a
//     COMPLETED that did not confirm it), or of any payment when none was started: a redelivered or
//     abandoned attempt's failure leaves the payment in progress alone (booking-ledger.ts applyPayment).
// A5  A COMPLETED payment arriving after the hold expired or failed confirms the booking if it could be
//     booked again now (bookable, deadline, no other active booking of the user, free seats, promo uses
//     left), else it is refunded whole; a payment for a canceled booking, a second payment of a confirmed
//     one with no top-up pending, and a payment for an unknown booking are refunded whole
//     (booking-ledger.ts applyPayment TSDoc). MISSION.md: "Payment failure ... may retry".
// A6  A promo code counts one use per booking that holds or paid it, free bookings included; an unpaid hold
//     that ends gives its use back, a canceled confirmed booking keeps it (processors/ledger-state.ts,
//     PromoCodeState). The discount is rounded down to a kopeck (promo-codes.ts applyPromo).
// A7  The refund base of a confirmed booking is what its seats were paid (the confirming payment and paid
//     top-ups, over-payments refunded already, A3); a refund is rounded down to a kopeck and capped by what was paid and
//     not yet refunded (refund-policy.ts; ledger-state.ts seatsValueMinor). The tiers are MISSION.md's, at
//     their lower bound inclusive (exactly 48 h before the start is 80%).
// A8  A seat reduction of a confirmed booking refunds the removed seats' share of that base,
//     floor(base x removed / seats), by the terms a cancellation would get (booking-ledger.ts changeSeats).
// A9  A booking canceled by the event's organizer or by an admin is refunded 100%, force majeure or not
//     (MISSION.md: "Organizer cancellation ... 100%", admin override; booking-ledger.ts refundTerms).
// A10 A restored schedule is a schedule change like a reschedule: bookings made before the latest change
//     must re-confirm it (accepted once per change) and keep a full refund until the start; a booking never
//     re-confirmed stays as it is (booking-ledger.ts reconfirmBooking TSDoc). "Made before" goes by the
//     order of the log (who held a booking when the change was decided), see KNOWN LEDGER DEFECT below.
// A11 Seat changes (MISSION.md: "within capacity"): more seats need free seats and an open event, like a
//     booking. A CONFIRMED booking whose added seats cost something holds them as a top-up for the hold
//     time; a COMPLETED payment of at least its price (any new payment of the booking) confirms them, the
//     failure of the payment started for it or the expiry releases them, a change back to the confirmed
//     count withdraws them, any other change meanwhile is SEAT_CHANGE_PENDING. The top-up costs the
//     price of the new count minus the price of the confirmed count, promo applied to both. No change
//     after the start, except withdrawing a pending top-up (booking-ledger.ts changeSeats TSDoc;
//     docs/errors.md; query-api/README.md, PATCH /bookings/{id}).
// A12 A PENDING_PAYMENT booking may be canceled at any time; a CONFIRMED one until the start (MISSION.md:
//     "until the event"), INVALID_BOOKING_STATE after.
// A13 Waiting list (waiting-list.ts): a user joins only when the whole event cannot give the seats asked,
//     seats offered to others counting as taken (SEATS_AVAILABLE otherwise), and not while holding an
//     active booking. Offers are strict FIFO: the head is offered when enough seats are free beyond the
//     taken and offered ones; a head wanting more waits, and everyone behind it. An offer holds its seats
//     for 30 minutes against everyone else; the holder books like anyone (any option, any count the seats
//     allow), and booking takes the user off the list. Offers are (re)considered when a booking-side
//     change is decided (a booking command accepted, a payment status, a hold or offer expiry), not on
//     event commands (event-ledger.ts #saveEvent), and only while booking is open.
// A14 An outcome is kept 24 hours: a repeat within that time gets the first outcome and has no effect
//     (DESIGN.md, "Requests and outcomes"). Later repeats are not modeled.
// A15 Reschedule to a start already passed and restore of a passed original start are VALIDATION_FAILED;
//     reschedule, restore and cancel from a status MISSION.md does not allow are INVALID_TRANSITION
//     (event-lifecycle.ts).
//
// KNOWN LEDGER DEFECT (reported, not fixed here): the ledger tells schedule changes apart by their
// timestamps. A booking made in the same millisecond as a later reschedule or restore is taken as made
// after it (createdAtMs < lastRescheduledAtMs fails): RECONFIRM is refused RECONFIRMATION_NOT_REQUIRED and
// a cancellation gets the policy refund instead of the full one. And of two changes in one millisecond
// (reschedule, then restore), a re-confirmation of the first counts for the second. The model goes by log
// order (MISSION.md: the participants at the time of a change must re-confirm it); the property test
// moves the clock before every schedule change so that neither case arises, and its header names them.
import type { Actor, BookingCommand, EventCommand, PaymentStatusChanged } from '../../avro/index.ts'

export const MINUTE_MS = 60_000
export const HOUR_MS = 60 * MINUTE_MS
export const DAY_MS = 24 * HOUR_MS
/** MISSION.md: 1-20 seats per booking. */
const MAX_SEATS = 20
/** MISSION.md: the head of the waiting list has 30 minutes to book. */
const OFFER_MS = 30 * MINUTE_MS
/** DESIGN.md: outcomes of request IDs are kept at least 24 h. */
const OUTCOME_KEPT_MS = DAY_MS

/** MISSION.md's default refund policy: hours before the start (at least) → percent. */
const REFUND_TIERS: readonly { readonly minHours: number; readonly percent: number }[] = [
  { minHours: 7 * 24, percent: 100 },
  { minHours: 48, percent: 80 },
  { minHours: 24, percent: 50 },
  { minHours: 0, percent: 0 },
]

export interface ModelPriceOption {
  readonly id: string
  readonly priceMinor: number
  readonly allotment: number
}

export interface ModelPromo {
  readonly code: string
  readonly percent: number
  readonly usageLimit: number
  readonly validUntilMs: number
}

/** The published event the model starts from (the test publishes the same one on the topology). */
export interface ModelEventConfig {
  readonly eventId: string
  readonly organizerId: string
  readonly capacity: number
  readonly startsAtMs: number
  readonly endsAtMs: number
  readonly holdMinutes: number
  readonly bookingDeadlineHours: number
  readonly options: readonly ModelPriceOption[]
  readonly promo: ModelPromo
}

export type ModelOutcome = {
  readonly commandType: string
  readonly resourceType: 'BOOKING' | 'WAITING_LIST' | 'EVENT'
  readonly resourceId: string
} & ({ readonly accepted: true } | { readonly accepted: false; readonly reasonCode: string })

/** Rules the model saw applied; the property test counts them to prove its generators reach them. */
export type ModelPath =
  | 'last-seats-sold'
  | 'sold-out-refused'
  | 'offered-seats-held-back'
  | 'waitlist-joined'
  | 'waitlist-offered'
  | 'waitlist-offer-taken'
  | 'waitlist-offer-expired'
  | 'hold-expired'
  | 'payment-failed'
  | 'late-payment-confirmed'
  | 'topup-held'
  | 'topup-paid'
  | 'topup-expired'
  | 'topup-failed'
  | 'topup-withdrawn'
  | 'rescheduled'
  | 'schedule-restored'
  | 'reconfirmed'
  | 'cancel-tier-100'
  | 'cancel-tier-80'
  | 'cancel-tier-50'
  | 'cancel-tier-0'
  | 'cancel-after-schedule-change'
  | 'event-canceled-with-bookings'
  | 'repeated-command'

/** Groups of bookings the generator picks targets from. */
export type BookingGroup =
  'any' | 'active' | 'awaiting' | 'paidConfirmed' | 'pendingTopUp' | 'lapsed' | 'needsReconfirm'

/** A booking as the model sees it, in the terms the booking facts carry. */
export interface ModelBookingView {
  readonly bookingId: string
  readonly userId: string
  readonly priceOptionId: string
  readonly status: 'PENDING_PAYMENT' | 'CONFIRMED' | 'CANCELED' | 'EXPIRED'
  /** Seats counted against the pool: a pending top-up's included. */
  readonly seats: number
  /** Active bookings only: the amount due (held), or the net charge plus a pending top-up's price. */
  readonly amountMinor: number | null
  readonly paidMinor: number
  readonly refundedMinor: number
  /** The unpaid hold's (or pending top-up's) expiry. */
  readonly holdExpiresAtMs: number | null
  readonly promoCode: string | null
}

/** A waiting-list fact the model expects on the booking facts topic. */
export interface ModelWaitlistFact {
  readonly type: 'WAITLIST_JOINED' | 'WAITLIST_LEFT' | 'WAITLIST_OFFERED' | 'WAITLIST_OFFER_EXPIRED'
  readonly userId: string
  readonly seats: number
  readonly offerExpiresAtMs: number | null
  /** EVENT_CANCELED when a canceled event closes the list. */
  readonly reasonCode: string | null
}

interface TopUp {
  /** The seat count once paid. */
  readonly seats: number
  readonly priceMinor: number
  readonly expiresAtMs: number
  paymentId: string | null
  state: 'PENDING' | 'PAID' | 'ENDED'
}

interface Booking {
  readonly id: string
  readonly userId: string
  readonly optionId: string
  readonly promo: boolean
  /** The log position of the REQUEST that made it (A10). */
  readonly madeAt: number
  seats: number
  status: ModelBookingView['status']
  /** Why it ended; a late payment may revive EXPIRED and FAILED ones only (A5). */
  end: 'CANCELED' | 'EVENT_CANCELED' | 'EXPIRED' | 'FAILED' | null
  /** PENDING_PAYMENT: the price of its seats. */
  dueMinor: number
  holdUntilMs: number | null
  /** Counts a promo use (A6). */
  holdsPromoUse: boolean
  paidMinor: number
  refundedMinor: number
  /** The base of policy refunds (A7). */
  seatValueMinor: number
  /** The payment last started for the hold (A4). */
  startedPaymentId: string | null
  readonly settled: Set<string>
  topUp: TopUp | null
  /** The log position of the schedule change last re-confirmed. */
  reconfirmedChange: number | null
}

interface Offer {
  readonly userId: string
  readonly seats: number
  readonly expiresAtMs: number
}

type Refused = { readonly reasonCode: string }

export class BookingModel {
  readonly #config: ModelEventConfig
  #nowMs: number
  /** Position in the log of the input being decided. */
  #position = 0
  #status: 'PUBLISHED' | 'RESCHEDULED' | 'CANCELED' | 'COMPLETED'
  #startsAtMs: number
  #endsAtMs: number
  #original: { startsAtMs: number; endsAtMs: number } | null = null
  /** Log position of the latest reschedule or restore. */
  #scheduleChange: number | null = null
  readonly #bookings = new Map<string, Booking>()
  #queue: { userId: string; seats: number }[] = []
  #offers: Offer[] = []
  readonly #kept = new Map<string, { outcome: ModelOutcome; decidedAtMs: number }>()
  #paths: ModelPath[] = []
  #waitlistFacts: ModelWaitlistFact[] = []

  constructor(config: ModelEventConfig, nowMs: number) {
    this.#config = config
    this.#nowMs = nowMs
    this.#status = 'PUBLISHED'
    this.#startsAtMs = config.startsAtMs
    this.#endsAtMs = config.endsAtMs
  }

  // ---- what the generator and the comparison read ---------------------------------------------------

  get nowMs(): number {
    return this.#nowMs
  }

  get startsAtMs(): number {
    return this.#startsAtMs
  }

  /** Every booking ever made, in the terms of the booking facts. */
  bookings(): ModelBookingView[] {
    return [...this.#bookings.values()].map((b) => {
      const active = isActive(b)
      const topUp = pendingTopUp(b)
      return {
        bookingId: b.id,
        userId: b.userId,
        priceOptionId: b.optionId,
        status: b.status,
        seats: active ? this.#held(b) : b.seats,
        amountMinor: !active
          ? null
          : b.status === 'PENDING_PAYMENT'
            ? b.dueMinor
            : b.paidMinor - b.refundedMinor + (topUp?.priceMinor ?? 0),
        paidMinor: b.paidMinor,
        refundedMinor: b.refundedMinor,
        holdExpiresAtMs: b.status === 'PENDING_PAYMENT' ? b.holdUntilMs : (topUp?.expiresAtMs ?? null),
        promoCode: b.promo ? this.#config.promo.code : null,
      }
    })
  }

  /** What the booking awaits: a hold's amount due, a pending top-up's price; undefined when nothing. */
  dueOf(bookingId: string): number | undefined {
    const b = this.#bookings.get(bookingId)
    if (b === undefined) return undefined
    return b.status === 'PENDING_PAYMENT' ? b.dueMinor : pendingTopUp(b)?.priceMinor
  }

  ownerOf(bookingId: string): string {
    const b = this.#bookings.get(bookingId)
    if (b === undefined) throw new Error(`no booking ${bookingId}`)
    return b.userId
  }

  /** The IDs of the bookings in a group, for the generator to pick from. */
  bookingIdsIn(group: BookingGroup): string[] {
    const inGroup = {
      any: () => true,
      active: isActive,
      awaiting: (b: Booking) => b.status === 'PENDING_PAYMENT' || pendingTopUp(b) !== null,
      // Top-up candidates: paid, confirmed, no top-up pending.
      paidConfirmed: (b: Booking) =>
        b.status === 'CONFIRMED' && b.seatValueMinor > 0 && pendingTopUp(b) === null,
      pendingTopUp: (b: Booking) => pendingTopUp(b) !== null,
      // A late payment may still confirm these (A5).
      lapsed: (b: Booking) => b.end === 'EXPIRED' || b.end === 'FAILED',
      needsReconfirm: (b: Booking) =>
        isActive(b) && this.#madeBeforeChange(b) && b.reconfirmedChange !== this.#scheduleChange,
    }[group]
    return [...this.#bookings.values()].filter(inGroup).map((b) => b.id)
  }

  /** The booking's confirmed (or held) seats, a pending top-up's not included; 1 for an unknown ID. */
  seatsOf(bookingId: string): number {
    return this.#bookings.get(bookingId)?.seats ?? 1
  }

  hasActiveBooking(userId: string): boolean {
    return [...this.#bookings.values()].some((b) => b.userId === userId && isActive(b))
  }

  isListed(userId: string): boolean {
    return this.#queue.some((e) => e.userId === userId) || this.#offers.some((o) => o.userId === userId)
  }

  offers(): readonly Offer[] {
    return this.#offers
  }

  /** Seats `userId` could book in the option, seats offered to others held back (null: offers ignored). */
  freeSeatsFor(optionId: string, userId: string | null): number {
    return userId === null ? this.#freeIgnoringOffers(optionId) : this.#free(optionId, userId)
  }

  /** Seats of the event neither taken nor offered. */
  unheldSeats(): number {
    return this.#unheldSeats()
  }

  /** Users queued on the waiting list (offer holders not included). */
  waitingUsers(): string[] {
    return this.#queue.map((e) => e.userId)
  }

  /** The earliest due unpaid hold or pending top-up. */
  nextHoldDueMs(): number | undefined {
    const due = [...this.#bookings.values()]
      .map((b) => (b.status === 'PENDING_PAYMENT' ? b.holdUntilMs : (pendingTopUp(b)?.expiresAtMs ?? null)))
      .filter((ms): ms is number => ms !== null)
    return due.length === 0 ? undefined : Math.min(...due)
  }

  nextOfferDueMs(): number | undefined {
    return this.#offers.length === 0 ? undefined : Math.min(...this.#offers.map((o) => o.expiresAtMs))
  }

  /** The request IDs whose outcome a repeat may still get (A14). */
  isKept(requestId: string): boolean {
    const kept = this.#kept.get(requestId)
    return kept !== undefined && this.#nowMs - kept.decidedAtMs <= OUTCOME_KEPT_MS
  }

  /** The rules applied since the last call. */
  takePaths(): ModelPath[] {
    const paths = this.#paths
    this.#paths = []
    return paths
  }

  /** The waiting-list facts expected since the last call. */
  takeWaitlistFacts(): ModelWaitlistFact[] {
    const facts = this.#waitlistFacts
    this.#waitlistFacts = []
    return facts
  }

  // ---- inputs ----------------------------------------------------------------------------------------

  bookingCommand(command: BookingCommand): ModelOutcome {
    return this.#once(command.requestId, () => this.#decideBooking(command))
  }

  eventCommand(command: EventCommand): ModelOutcome {
    return this.#once(command.requestId, () => this.#decideEvent(command))
  }

  payment(payment: PaymentStatusChanged): void {
    this.#position++
    if (payment.eventId !== this.#config.eventId) throw new Error('the model keeps one event')
    const b = this.#bookings.get(payment.bookingId)
    // Unknown booking: a COMPLETED one is refunded whole apart from any booking (A5); nothing else changes.
    if (b !== undefined) this.#applyPayment(b, payment)
    this.#offerSeats()
  }

  /** Moves the clock; the timers due by then run once, at the new time (A2). */
  advance(ms: number): void {
    // Timers run at most once a second (LEDGER_TIMER_INTERVAL_MS): a shorter move may run none.
    if (ms < 1000) throw new Error('clock moves under 1 s are not modeled')
    this.#nowMs += ms
    this.#position++
    const now = this.#nowMs
    const due = [...this.#bookings.values()].filter((b) => {
      const at = b.status === 'PENDING_PAYMENT' ? b.holdUntilMs : (pendingTopUp(b)?.expiresAtMs ?? null)
      return at !== null && at <= now
    })
    for (const b of due) {
      const topUp = pendingTopUp(b)
      if (b.status === 'CONFIRMED' && topUp !== null) {
        topUp.state = 'ENDED'
        this.#paths.push('topup-expired')
      } else {
        this.#end(b, 'EXPIRED', 'EXPIRED')
        this.#paths.push('hold-expired')
      }
    }
    if (due.length > 0) this.#offerSeats()
    const lapsed = this.#offers.filter((o) => o.expiresAtMs <= now)
    if (lapsed.length > 0) {
      this.#offers = this.#offers.filter((o) => o.expiresAtMs > now)
      for (const o of lapsed) {
        this.#waitlistFacts.push({
          type: 'WAITLIST_OFFER_EXPIRED',
          userId: o.userId,
          seats: o.seats,
          offerExpiresAtMs: null,
          reasonCode: null,
        })
        this.#paths.push('waitlist-offer-expired')
      }
      this.#offerSeats()
    }
    if ((this.#status === 'PUBLISHED' || this.#status === 'RESCHEDULED') && this.#endsAtMs <= now)
      this.#status = 'COMPLETED'
  }

  // ---- decisions -------------------------------------------------------------------------------------

  #once(requestId: string, decide: () => ModelOutcome): ModelOutcome {
    this.#position++
    const kept = this.#kept.get(requestId)
    if (kept !== undefined) {
      if (this.#nowMs - kept.decidedAtMs > OUTCOME_KEPT_MS)
        throw new Error(`repeat of ${requestId} after the outcome retention: not modeled (A14)`)
      this.#paths.push('repeated-command')
      return kept.outcome
    }
    const outcome = decide()
    this.#kept.set(requestId, { outcome, decidedAtMs: this.#nowMs })
    return outcome
  }

  #decideBooking(command: BookingCommand): ModelOutcome {
    if (command.eventId !== this.#config.eventId) throw new Error('the model keeps one event')
    const commandType = `booking.${command.type}`
    const answer = (
      resourceType: 'BOOKING' | 'WAITING_LIST',
      resourceId: string,
      refused: Refused | undefined,
    ): ModelOutcome =>
      refused === undefined
        ? { commandType, resourceType, resourceId, accepted: true }
        : { commandType, resourceType, resourceId, accepted: false, reasonCode: refused.reasonCode }
    switch (command.type) {
      case 'REQUEST': {
        const input = command.request!
        const refused = this.#request(command.actor, input)
        if (refused === undefined) this.#offerSeats()
        return answer('BOOKING', input.bookingId, refused)
      }
      case 'CANCEL': {
        const input = command.cancel!
        const refused = this.#cancel(command.actor, input.bookingId, input.forceMajeure)
        if (refused === undefined) this.#offerSeats()
        return answer('BOOKING', input.bookingId, refused)
      }
      case 'CHANGE_SEATS': {
        const input = command.changeSeats!
        const refused = this.#changeSeats(command.actor, input.bookingId, input.seats)
        if (refused === undefined) this.#offerSeats()
        return answer('BOOKING', input.bookingId, refused)
      }
      case 'RECONFIRM': {
        const input = command.reconfirm!
        const refused = this.#reconfirm(command.actor, input.bookingId)
        if (refused === undefined) this.#offerSeats()
        return answer('BOOKING', input.bookingId, refused)
      }
      case 'JOIN_WAITING_LIST': {
        const input = command.joinWaitingList!
        const refused = this.#join(command.actor, input.userId, input.seats)
        if (refused === undefined) this.#offerSeats()
        return answer('WAITING_LIST', input.userId, refused)
      }
      case 'LEAVE_WAITING_LIST': {
        const input = command.leaveWaitingList!
        const refused = this.#leave(command.actor, input.userId)
        if (refused === undefined) this.#offerSeats()
        return answer('WAITING_LIST', input.userId, refused)
      }
      case 'CHECK_IN':
      case 'REISSUE_TICKET':
        throw new Error(`${command.type} is not modeled`)
    }
  }

  #decideEvent(command: EventCommand): ModelOutcome {
    if (command.eventId !== this.#config.eventId) throw new Error('the model keeps one event')
    if (command.actor.role !== 'ADMIN' && command.actor.userId !== this.#config.organizerId)
      throw new Error('event commands of other actors are not modeled')
    const answer = (refused: Refused | undefined): ModelOutcome => {
      const base = {
        commandType: `event.${command.type}`,
        resourceType: 'EVENT' as const,
        resourceId: this.#config.eventId,
      }
      return refused === undefined
        ? { ...base, accepted: true }
        : { ...base, accepted: false, reasonCode: refused.reasonCode }
    }
    switch (command.type) {
      case 'RESCHEDULE': {
        const input = command.reschedule!
        if (this.#status !== 'PUBLISHED' && this.#status !== 'RESCHEDULED')
          return answer({ reasonCode: 'INVALID_TRANSITION' })
        if (!(input.endsAtMs > input.startsAtMs) || input.startsAtMs <= this.#nowMs)
          return answer({ reasonCode: 'VALIDATION_FAILED' })
        this.#original ??= { startsAtMs: this.#startsAtMs, endsAtMs: this.#endsAtMs }
        this.#status = 'RESCHEDULED'
        this.#startsAtMs = input.startsAtMs
        this.#endsAtMs = input.endsAtMs
        this.#scheduleChange = this.#position
        this.#paths.push('rescheduled')
        return answer(undefined)
      }
      case 'RESTORE_SCHEDULE': {
        if (this.#status !== 'RESCHEDULED' || this.#original === null)
          return answer({ reasonCode: 'INVALID_TRANSITION' })
        if (this.#original.startsAtMs <= this.#nowMs) return answer({ reasonCode: 'VALIDATION_FAILED' })
        this.#startsAtMs = this.#original.startsAtMs
        this.#endsAtMs = this.#original.endsAtMs
        this.#original = null
        this.#status = 'PUBLISHED'
        this.#scheduleChange = this.#position
        this.#paths.push('schedule-restored')
        return answer(undefined)
      }
      case 'CANCEL': {
        if (this.#status !== 'PUBLISHED' && this.#status !== 'RESCHEDULED')
          return answer({ reasonCode: 'INVALID_TRANSITION' })
        this.#status = 'CANCELED'
        // MISSION.md: every active booking is canceled with a full refund of what was paid.
        let canceled = 0
        for (const b of this.#bookings.values()) {
          if (!isActive(b)) continue
          this.#refund(b, b.paidMinor - b.refundedMinor)
          this.#end(b, 'CANCELED', 'EVENT_CANCELED')
          canceled++
        }
        if (canceled > 0) this.#paths.push('event-canceled-with-bookings')
        // The waiting list closes: offer holders first, then the queue in order.
        for (const e of [...this.#offers, ...this.#queue])
          this.#waitlistFacts.push({
            type: 'WAITLIST_LEFT',
            userId: e.userId,
            seats: e.seats,
            offerExpiresAtMs: null,
            reasonCode: 'EVENT_CANCELED',
          })
        this.#offers = []
        this.#queue = []
        return answer(undefined)
      }
      default:
        throw new Error(`event command ${command.type} is not modeled`)
    }
  }

  #request(actor: Actor, input: NonNullable<BookingCommand['request']>): Refused | undefined {
    if (actor.role !== 'ADMIN' && actor.userId !== input.userId) return { reasonCode: 'FORBIDDEN' }
    if (input.userId === this.#config.organizerId || actor.userId === this.#config.organizerId)
      return { reasonCode: 'ORGANIZER_OWN_EVENT' }
    const closed = this.#bookingClosed()
    if (closed !== undefined) return closed
    const badCount = seatCount(input.seats)
    if (badCount !== undefined) return badCount
    if (input.bookingId === '') return { reasonCode: 'VALIDATION_FAILED' }
    if (this.#bookings.has(input.bookingId)) return { reasonCode: 'DUPLICATE_BOOKING' }
    if (this.hasActiveBooking(input.userId)) return { reasonCode: 'DUPLICATE_BOOKING' }
    const option = this.#option(input.priceOptionId)
    if (option === undefined) return { reasonCode: 'PRICE_OPTION_NOT_FOUND' }
    const promo = input.promoCode !== null && input.promoCode !== ''
    if (promo) {
      const p = this.#config.promo
      if (input.promoCode !== p.code || this.#nowMs > p.validUntilMs) return { reasonCode: 'PROMO_INVALID' }
      if (this.#promoUses() >= p.usageLimit) return { reasonCode: 'PROMO_EXHAUSTED' }
    }
    const refused = this.#checkFree(option.id, input.userId, input.seats)
    if (refused !== undefined) return refused

    const dueMinor = this.#price(option, input.seats, promo)
    const b: Booking = {
      id: input.bookingId,
      userId: input.userId,
      optionId: option.id,
      promo,
      madeAt: this.#position,
      seats: input.seats,
      status: dueMinor === 0 ? 'CONFIRMED' : 'PENDING_PAYMENT',
      end: null,
      dueMinor,
      holdUntilMs: dueMinor === 0 ? null : this.#nowMs + this.#config.holdMinutes * MINUTE_MS,
      holdsPromoUse: promo,
      paidMinor: 0,
      refundedMinor: 0,
      seatValueMinor: 0,
      startedPaymentId: null,
      settled: new Set(),
      topUp: null,
      reconfirmedChange: null,
    }
    this.#bookings.set(b.id, b)
    if (this.#offers.some((o) => o.userId === input.userId)) this.#paths.push('waitlist-offer-taken')
    // Booking takes the user off the waiting list (A13).
    this.#queue = this.#queue.filter((e) => e.userId !== input.userId)
    this.#offers = this.#offers.filter((o) => o.userId !== input.userId)
    return undefined
  }

  #cancel(actor: Actor, bookingId: string, forceMajeure: boolean): Refused | undefined {
    const b = this.#bookings.get(bookingId)
    if (b === undefined) return { reasonCode: 'BOOKING_NOT_FOUND' }
    if (!this.#mayAct(actor, b, true)) return { reasonCode: 'FORBIDDEN' }
    if (forceMajeure && actor.role !== 'ADMIN') return { reasonCode: 'FORBIDDEN' }
    if (!isActive(b)) return { reasonCode: 'INVALID_BOOKING_STATE' }
    if (b.status === 'CONFIRMED' && this.#nowMs >= this.#startsAtMs)
      return { reasonCode: 'INVALID_BOOKING_STATE' }
    if (b.status === 'CONFIRMED') {
      const terms = this.#refundTerms(actor, b)
      const percent = forceMajeure ? 100 : terms.percent
      this.#refund(b, Math.floor((b.seatValueMinor * percent) / 100))
      if (b.seatValueMinor > 0 && !forceMajeure && actor.userId === b.userId)
        this.#paths.push(
          terms.changed ? 'cancel-after-schedule-change' : (`cancel-tier-${terms.percent}` as ModelPath),
        )
    }
    this.#end(b, 'CANCELED', 'CANCELED')
    return undefined
  }

  #changeSeats(actor: Actor, bookingId: string, seats: number): Refused | undefined {
    const b = this.#bookings.get(bookingId)
    if (b === undefined) return { reasonCode: 'BOOKING_NOT_FOUND' }
    if (!this.#mayAct(actor, b, false)) return { reasonCode: 'FORBIDDEN' }
    if (!isActive(b)) return { reasonCode: 'INVALID_BOOKING_STATE' }
    const badCount = seatCount(seats)
    if (badCount !== undefined) return badCount
    const topUp = pendingTopUp(b)
    if (topUp !== null) {
      if (seats !== b.seats) return { reasonCode: 'SEAT_CHANGE_PENDING' }
      topUp.state = 'ENDED'
      this.#paths.push('topup-withdrawn')
      return undefined
    }
    if (seats === b.seats) return { reasonCode: 'VALIDATION_FAILED' }
    if (this.#nowMs >= this.#startsAtMs) return { reasonCode: 'INVALID_BOOKING_STATE' }
    const option = this.#option(b.optionId)!
    if (seats > b.seats) {
      const closed = this.#bookingClosed()
      if (closed !== undefined) return closed
      const refused = this.#checkFree(option.id, b.userId, seats - b.seats)
      if (refused !== undefined) return refused
      const priceMinor = this.#price(option, seats, b.promo) - this.#price(option, b.seats, b.promo)
      if (b.status === 'CONFIRMED' && priceMinor > 0) {
        b.topUp = {
          seats,
          priceMinor,
          expiresAtMs: this.#nowMs + this.#config.holdMinutes * MINUTE_MS,
          paymentId: null,
          state: 'PENDING',
        }
        this.#paths.push('topup-held')
        return undefined
      }
      b.seats = seats
      if (b.status === 'PENDING_PAYMENT') b.dueMinor = this.#price(option, seats, b.promo)
      return undefined
    }
    if (b.status === 'CONFIRMED') {
      const removedValue = Math.floor((b.seatValueMinor * (b.seats - seats)) / b.seats)
      const { percent } = this.#refundTerms(actor, b)
      this.#refund(b, Math.floor((removedValue * percent) / 100))
      b.seatValueMinor -= removedValue
    } else {
      b.dueMinor = this.#price(option, seats, b.promo)
    }
    b.seats = seats
    return undefined
  }

  #reconfirm(actor: Actor, bookingId: string): Refused | undefined {
    const b = this.#bookings.get(bookingId)
    if (b === undefined) return { reasonCode: 'BOOKING_NOT_FOUND' }
    if (!this.#mayAct(actor, b, false)) return { reasonCode: 'FORBIDDEN' }
    if (!isActive(b)) return { reasonCode: 'INVALID_BOOKING_STATE' }
    if (this.#nowMs >= this.#startsAtMs) return { reasonCode: 'INVALID_BOOKING_STATE' }
    if (!this.#madeBeforeChange(b) || b.reconfirmedChange === this.#scheduleChange)
      return { reasonCode: 'RECONFIRMATION_NOT_REQUIRED' }
    b.reconfirmedChange = this.#scheduleChange
    this.#paths.push('reconfirmed')
    return undefined
  }

  #join(actor: Actor, userId: string, seats: number): Refused | undefined {
    if (actor.role !== 'ADMIN' && actor.userId !== userId) return { reasonCode: 'FORBIDDEN' }
    if (userId === this.#config.organizerId) return { reasonCode: 'ORGANIZER_OWN_EVENT' }
    const closed = this.#bookingClosed()
    if (closed !== undefined) return closed
    const badCount = seatCount(seats)
    if (badCount !== undefined) return badCount
    if (this.hasActiveBooking(userId)) return { reasonCode: 'DUPLICATE_BOOKING' }
    if (this.isListed(userId)) return { reasonCode: 'ALREADY_ON_WAITING_LIST' }
    if (this.#unheldSeats() >= seats) return { reasonCode: 'SEATS_AVAILABLE' }
    this.#queue.push({ userId, seats })
    this.#waitlistFacts.push({
      type: 'WAITLIST_JOINED',
      userId,
      seats,
      offerExpiresAtMs: null,
      reasonCode: null,
    })
    this.#paths.push('waitlist-joined')
    return undefined
  }

  #leave(actor: Actor, userId: string): Refused | undefined {
    if (actor.role !== 'ADMIN' && actor.userId !== userId) return { reasonCode: 'FORBIDDEN' }
    const entry =
      this.#offers.find((o) => o.userId === userId) ?? this.#queue.find((e) => e.userId === userId)
    if (entry === undefined) return { reasonCode: 'NOT_ON_WAITING_LIST' }
    this.#queue = this.#queue.filter((e) => e.userId !== userId)
    this.#offers = this.#offers.filter((o) => o.userId !== userId)
    this.#waitlistFacts.push({
      type: 'WAITLIST_LEFT',
      userId,
      seats: entry.seats,
      offerExpiresAtMs: null,
      reasonCode: null,
    })
    return undefined
  }

  #applyPayment(b: Booking, payment: PaymentStatusChanged): void {
    const topUp = pendingTopUp(b)
    switch (payment.status) {
      case 'INITIATED':
        if (topUp !== null) {
          if (!b.settled.has(payment.paymentId)) topUp.paymentId = payment.paymentId
        } else if (b.status === 'PENDING_PAYMENT') b.startedPaymentId = payment.paymentId
        return
      case 'FAILED':
        if (topUp !== null && topUp.paymentId === payment.paymentId) {
          topUp.state = 'ENDED'
          this.#paths.push('topup-failed')
          return
        }
        if (b.status !== 'PENDING_PAYMENT') return
        if (b.startedPaymentId !== null && b.startedPaymentId !== payment.paymentId) return
        this.#end(b, 'CANCELED', 'FAILED')
        this.#paths.push('payment-failed')
        return
      case 'REFUNDED':
      case 'PARTIAL_REFUND':
        return // the payment service confirming a refund: nothing to decide
      case 'COMPLETED':
        break
    }
    if (b.settled.has(payment.paymentId)) return // redelivered
    b.settled.add(payment.paymentId)
    b.paidMinor += payment.amountMinor
    const amount = payment.amountMinor
    const refundWhole = () => this.#refund(b, amount)
    if (b.status === 'CONFIRMED') {
      if (topUp === null || amount < topUp.priceMinor) return refundWhole()
      topUp.state = 'PAID'
      topUp.paymentId = payment.paymentId
      b.seats = topUp.seats
      b.seatValueMinor += topUp.priceMinor
      this.#refund(b, amount - topUp.priceMinor)
      this.#paths.push('topup-paid')
      return
    }
    b.startedPaymentId = payment.paymentId
    // The payment started for a top-up of a booking canceled since: late, whatever its amount.
    if (b.topUp !== null && b.topUp.paymentId === payment.paymentId) return refundWhole()
    if (amount < b.dueMinor) return refundWhole()
    if (b.status === 'PENDING_PAYMENT') return this.#confirm(b, amount)
    if (b.end !== 'EXPIRED' && b.end !== 'FAILED') return refundWhole()
    // A late payment: confirmed only if the booking could be made again now (A5).
    if (this.#bookingClosed() !== undefined || this.hasActiveBooking(b.userId)) return refundWhole()
    if (this.#free(b.optionId, b.userId) < b.seats) return refundWhole()
    if (b.promo && this.#promoUses() >= this.#config.promo.usageLimit) return refundWhole()
    b.holdsPromoUse = b.promo
    this.#confirm(b, amount)
    this.#paths.push('late-payment-confirmed')
  }

  /** Confirmed by a payment of `paidMinor` (at least due): the seats are worth what is due, the rest goes back (A3). */
  #confirm(b: Booking, paidMinor: number): void {
    b.status = 'CONFIRMED'
    b.end = null
    b.holdUntilMs = null
    b.seatValueMinor = b.dueMinor
    this.#refund(b, paidMinor - b.dueMinor)
  }

  /** Ends an active booking: its seats (with a pending top-up's) go back, and an unpaid hold's promo use. */
  #end(b: Booking, status: 'CANCELED' | 'EXPIRED', end: NonNullable<Booking['end']>): void {
    if (b.status === 'PENDING_PAYMENT') b.holdsPromoUse = false
    const topUp = pendingTopUp(b)
    if (topUp !== null) topUp.state = 'ENDED'
    b.status = status
    b.end = end
    b.holdUntilMs = null
  }

  #refund(b: Booking, wantedMinor: number): void {
    b.refundedMinor += Math.max(0, Math.min(wantedMinor, b.paidMinor - b.refundedMinor))
  }

  /** Offers free seats to the head of the waiting list, strict FIFO, while booking is open (A13). */
  #offerSeats(): void {
    if (this.#bookingClosed() !== undefined) return
    let free = this.#unheldSeats()
    while (this.#queue.length > 0 && this.#queue[0]!.seats <= free) {
      const head = this.#queue.shift()!
      const offer = { userId: head.userId, seats: head.seats, expiresAtMs: this.#nowMs + OFFER_MS }
      this.#offers.push(offer)
      free -= head.seats
      this.#waitlistFacts.push({
        type: 'WAITLIST_OFFERED',
        userId: head.userId,
        seats: head.seats,
        offerExpiresAtMs: offer.expiresAtMs,
        reasonCode: null,
      })
      this.#paths.push('waitlist-offered')
    }
  }

  // ---- rules -----------------------------------------------------------------------------------------

  /** MISSION.md: bookable while PUBLISHED or RESCHEDULED, until bookingDeadlineHours before the start. */
  #bookingClosed(): Refused | undefined {
    if (this.#status !== 'PUBLISHED' && this.#status !== 'RESCHEDULED')
      return { reasonCode: 'EVENT_NOT_BOOKABLE' }
    if (this.#nowMs > this.#startsAtMs - this.#config.bookingDeadlineHours * HOUR_MS)
      return { reasonCode: 'BOOKING_DEADLINE_PASSED' }
    return undefined
  }

  /** NO_AVAILABLE_SEATS when fewer than `seats` are free for the user; records which rule decided. */
  #checkFree(optionId: string, userId: string, seats: number): Refused | undefined {
    const free = this.#free(optionId, userId)
    if (free < seats) {
      const withoutOffers = this.#freeIgnoringOffers(optionId)
      this.#paths.push(withoutOffers >= seats ? 'offered-seats-held-back' : 'sold-out-refused')
      return { reasonCode: 'NO_AVAILABLE_SEATS' }
    }
    if (free === seats) this.#paths.push('last-seats-sold')
    return undefined
  }

  /** Never oversell: free in the option's allotment and in the event, seats offered to others held back. */
  #free(optionId: string, userId: string): number {
    const offeredToOthers = this.#offers.filter((o) => o.userId !== userId).reduce((s, o) => s + o.seats, 0)
    return Math.max(
      0,
      Math.min(this.#freeIgnoringOffers(optionId), this.#config.capacity - this.#taken() - offeredToOthers),
    )
  }

  #freeIgnoringOffers(optionId: string): number {
    const option = this.#option(optionId)
    if (option === undefined) return 0
    return Math.max(
      0,
      Math.min(option.allotment - this.#taken(optionId), this.#config.capacity - this.#taken()),
    )
  }

  /** Seats of the event neither taken nor offered. */
  #unheldSeats(): number {
    return this.#config.capacity - this.#taken() - this.#offers.reduce((s, o) => s + o.seats, 0)
  }

  /** Confirmed plus pending seats, in one option or the whole event. */
  #taken(optionId?: string): number {
    let seats = 0
    for (const b of this.#bookings.values())
      if (optionId === undefined || b.optionId === optionId) seats += this.#held(b)
    return seats
  }

  #held(b: Booking): number {
    if (!isActive(b)) return 0
    return pendingTopUp(b)?.seats ?? b.seats
  }

  #promoUses(): number {
    let uses = 0
    for (const b of this.#bookings.values()) if (b.holdsPromoUse) uses++
    return uses
  }

  #option(optionId: string): ModelPriceOption | undefined {
    return this.#config.options.find((o) => o.id === optionId)
  }

  #price(option: ModelPriceOption, seats: number, promo: boolean): number {
    const gross = option.priceMinor * seats
    return promo ? gross - Math.floor((gross * this.#config.promo.percent) / 100) : gross
  }

  /** The booking's user or an admin; the event's organizer too where `organizerMay` (cancel). */
  #mayAct(actor: Actor, b: Booking, organizerMay: boolean): boolean {
    if (actor.role === 'ADMIN' || actor.userId === b.userId) return true
    return organizerMay && actor.role === 'ORGANIZER' && actor.userId === this.#config.organizerId
  }

  #madeBeforeChange(b: Booking): boolean {
    return this.#scheduleChange !== null && b.madeAt < this.#scheduleChange
  }

  /** MISSION.md: the policy by time left, or 100% after a schedule change or when someone else acts (A9). */
  #refundTerms(actor: Actor, b: Booking): { percent: number; changed: boolean } {
    const changed = this.#madeBeforeChange(b)
    if (changed || actor.userId !== b.userId) return { percent: 100, changed }
    const hoursLeft = (this.#startsAtMs - this.#nowMs) / HOUR_MS
    const tier = REFUND_TIERS.find((t) => hoursLeft >= t.minHours)
    return { percent: tier?.percent ?? 0, changed }
  }
}

function isActive(b: Booking): boolean {
  return b.status === 'PENDING_PAYMENT' || b.status === 'CONFIRMED'
}

function pendingTopUp(b: Booking): TopUp | null {
  return b.status === 'CONFIRMED' && b.topUp !== null && b.topUp.state === 'PENDING' ? b.topUp : null
}

function seatCount(seats: number): Refused | undefined {
  if (!Number.isInteger(seats) || seats < 1) return { reasonCode: 'VALIDATION_FAILED' }
  if (seats > MAX_SEATS) return { reasonCode: 'TOO_MANY_SEATS' }
  return undefined
}
