// The state of an event's bookings as its emitted facts tell it, recounted by the property test without
// reading the ledger's stores: seats per price option, promo uses, active bookings per user, refunds per
// booking and per payment. DESIGN.md's invariants are checked on this recount, and the reference model is
// compared with it.
import type {
  BookingDomainEvent,
  EventDomainEvent,
  PaymentStatusChanged,
  RefundRequest,
} from '../../avro/index.ts'

/** One booking as its latest fact left it, with the refunds all its facts requested. */
export interface RecountedBooking {
  readonly bookingId: string
  readonly userId: string
  readonly priceOptionId: string
  readonly status: string
  readonly seats: number
  readonly amountMinor: number
  readonly paidMinor: number
  readonly refundedMinor: number
  readonly holdExpiresAtMs: number | null
  readonly promoCode: string | null
  /** Confirmed at some point: a canceled booking that was paid keeps its promo use. */
  readonly everConfirmed: boolean
}

const ACTIVE = new Set(['PENDING_PAYMENT', 'CONFIRMED'])

export class BookingFactRecount {
  readonly #bookings = new Map<string, RecountedBooking>()
  #event: EventDomainEvent | undefined
  /** The event's confirmed plus pending seats as the latest booking fact reported them. */
  #reportedSeatsTaken: number | undefined
  /** What each COMPLETED payment brought (its first delivery; redeliveries repeat it). */
  readonly #paid = new Map<string, number>()
  /** Refund requests by refund ID: a repeated request must be the same request. */
  readonly #refunds = new Map<string, RefundRequest>()

  applyEventFact(fact: EventDomainEvent): void {
    this.#event = fact
  }

  applyBookingFact(fact: BookingDomainEvent): void {
    this.#reportedSeatsTaken = fact.eventSeatsTaken
    // Waiting-list facts have no booking; a refused request's fact changes no booking (its ID may be taken).
    if (fact.bookingId === null || fact.type === 'REJECTED') return
    const before = this.#bookings.get(fact.bookingId)
    if (
      before !== undefined &&
      (before.userId !== fact.userId || before.priceOptionId !== fact.priceOptionId)
    )
      throw new Error(`booking ${fact.bookingId} changed its user or price option in ${fact.type}`)
    this.#bookings.set(fact.bookingId, {
      bookingId: fact.bookingId,
      userId: fact.userId,
      priceOptionId: fact.priceOptionId ?? '',
      status: fact.status ?? '',
      seats: fact.seats,
      amountMinor: fact.amountMinor,
      paidMinor: fact.paidMinor,
      refundedMinor: (before?.refundedMinor ?? 0) + fact.refundMinor,
      holdExpiresAtMs: fact.holdExpiresAtMs,
      promoCode: fact.promoCode,
      everConfirmed: (before?.everConfirmed ?? false) || fact.status === 'CONFIRMED',
    })
  }

  paymentSent(payment: PaymentStatusChanged): void {
    if (payment.status === 'COMPLETED' && !this.#paid.has(payment.paymentId))
      this.#paid.set(payment.paymentId, payment.amountMinor)
  }

  applyRefund(refund: RefundRequest): void {
    // A redelivered payment of an unknown booking asks again (same ID, a later time): the same refund.
    const seen = this.#refunds.get(refund.refundId)
    const what = (r: RefundRequest) => [r.bookingId, r.paymentId, r.amountMinor, r.reason].join('/')
    if (seen !== undefined && what(seen) !== what(refund))
      throw new Error(`refund ${refund.refundId} requested twice: ${what(seen)}, then ${what(refund)}`)
    this.#refunds.set(refund.refundId, refund)
  }

  bookings(): RecountedBooking[] {
    return [...this.#bookings.values()]
  }

  /**
   * DESIGN.md's invariants on the recount; throws the first one broken. For every price option confirmed
   * plus pending seats ≤ allotment ≤ capacity, the allotments together ≤ capacity, all seats ≤ capacity;
   * promo uses ≤ limit; one active booking per user; refunds ≤ payments, per booking and per payment; and
   * the ledger's own seat count (on its facts) agrees with the recount.
   */
  checkInvariants(): void {
    const event = this.#event
    if (event === undefined) throw new Error('no event fact: capacity and allotments unknown')
    const active = this.bookings().filter((b) => ACTIVE.has(b.status))
    let allotments = 0
    for (const option of event.priceOptions) {
      allotments += option.allotment
      if (option.allotment > event.capacity)
        throw new Error(`option ${option.priceOptionId}: allotment ${option.allotment} > ${event.capacity}`)
      const seats = active
        .filter((b) => b.priceOptionId === option.priceOptionId)
        .reduce((sum, b) => sum + b.seats, 0)
      if (seats > option.allotment)
        throw new Error(`oversold option ${option.priceOptionId}: ${seats} > ${option.allotment}`)
    }
    if (allotments > event.capacity) throw new Error(`allotments ${allotments} > capacity ${event.capacity}`)
    const total = active.reduce((sum, b) => sum + b.seats, 0)
    if (total > event.capacity) throw new Error(`oversold event: ${total} > ${event.capacity}`)
    if (this.#reportedSeatsTaken !== undefined && this.#reportedSeatsTaken !== total)
      throw new Error(
        `the facts report ${this.#reportedSeatsTaken} seats taken, their bookings hold ${total}`,
      )
    for (const promo of event.promoCodes ?? []) {
      // A use is held by an active booking with the code, and kept by a paid one canceled since.
      const uses = this.bookings().filter(
        (b) =>
          b.promoCode === promo.code &&
          (ACTIVE.has(b.status) || (b.status === 'CANCELED' && b.everConfirmed)),
      ).length
      if (uses > promo.usageLimit) throw new Error(`promo ${promo.code} used ${uses} > ${promo.usageLimit}`)
    }
    const users = new Set<string>()
    for (const b of active) {
      if (users.has(b.userId)) throw new Error(`user ${b.userId} has two active bookings`)
      users.add(b.userId)
    }
    const requested = new Map<string, number>()
    const perPayment = new Map<string, number>()
    for (const refund of this.#refunds.values()) {
      if (refund.reason !== 'UNKNOWN_BOOKING')
        requested.set(refund.bookingId, (requested.get(refund.bookingId) ?? 0) + refund.amountMinor)
      const key = refund.paymentId ?? '(no payment)'
      const back = (perPayment.get(key) ?? 0) + refund.amountMinor
      perPayment.set(key, back)
      if (back > (this.#paid.get(key) ?? 0))
        throw new Error(`refunds ${back} to ${key} > what it paid, ${this.#paid.get(key) ?? 0}`)
    }
    for (const b of this.bookings()) {
      if (b.refundedMinor > b.paidMinor)
        throw new Error(`booking ${b.bookingId} refunded ${b.refundedMinor} > paid ${b.paidMinor}`)
      const asked = requested.get(b.bookingId) ?? 0
      if (asked !== b.refundedMinor)
        throw new Error(`booking ${b.bookingId}: refund requests ${asked}, its facts ${b.refundedMinor}`)
    }
  }
}
