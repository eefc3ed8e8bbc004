import type {
  BookingCommand,
  CrewStatusChanged,
  EventCommand,
  PaymentStatusChanged,
  RequestOutcome,
} from '../avro/index.ts'
import { Record, type Processor, type ProcessorContext } from '../streams/index.ts'
import { changedBookingId, decideBookingChange, type BookingChangeType } from './booking-changes.ts'
import { checkIn, checkInOutcome } from './booking-check-in.ts'
import type { BookingEffect } from './booking-decision.ts'
import { applyPayment } from './booking-payment.ts'
import { requestBooking } from './booking-request.ts'
import { applyCrewStatus } from './crew.ts'
import type { BookingsFollowUp } from './event-decision.ts'
import { followUpEffect } from './event-follow-up.ts'
import { decideEventCommand, dueEventTimer } from './event-lifecycle.ts'
import { expireHold } from './hold-expiry.ts'
import type { LedgerInput } from './ledger-input.ts'
import { causeOf, rejectionFact, TIMER_CAUSE, type Cause, type LedgerOutput } from './ledger-outputs.ts'
import type { EventState } from './ledger-state.ts'
import { LedgerStores } from './ledger-stores.ts'
import { refuse } from './reason-codes.ts'
import {
  acceptedOutcome,
  identityOf,
  OUTCOME_PRUNE_INTERVAL_MS,
  refusedOutcome,
  repeatedOutcome,
  type CommandIdentity,
} from './request-outcomes.ts'
import type { TicketSigner } from './ticket-code.ts'
import {
  expireOffers,
  joinWaitingList,
  leaveWaitingList,
  offerFreedSeats,
  removeFromWaitingList,
} from './waiting-list.ts'

/** How often the timers punctuator looks for due holds, offers and event transitions. */
export const LEDGER_TIMER_INTERVAL_MS = 1000

/**
 * At most this many timer transitions per event per tick: more than the lifecycle makes in a row (publish,
 * remind, complete, review), so it only stops a transition that would never settle from looping.
 */
const MAX_TIMER_STEPS = 8

/**
 * The single writer of every event's state: decides event commands, booking commands, payment statuses
 * and crew answers for the events of its partition, runs their timers, and answers each request ID once.
 * Decisions are pure functions, one file per command family (event-lifecycle.ts, booking-request.ts,
 * booking-change-seats.ts, booking-cancel.ts, booking-reconfirm.ts, booking-tickets.ts, booking-check-in.ts,
 * booking-payment.ts, hold-expiry.ts, waiting-list.ts, crew.ts); this class loads their state from the
 * stores (ledger-stores.ts), writes it back, and forwards their outputs to the child named by each output
 * (`LEDGER_CHILDREN`). Outcomes are keyed by requestId, all else by eventId. `tickets` signs and reads the
 * ticket codes (the service's TICKET_SECRET); the decisions get it as an argument.
 */
export class EventLedgerProcessor implements Processor<string, LedgerInput, string, unknown> {
  #context!: ProcessorContext<string, unknown>
  #stores!: LedgerStores
  readonly #tickets: TicketSigner

  constructor(tickets: TicketSigner) {
    this.#tickets = tickets
  }

  init(context: ProcessorContext<string, unknown>): void {
    this.#context = context
    this.#stores = new LedgerStores(context)
    this.#stores.primeHolds()
    context.schedule(LEDGER_TIMER_INTERVAL_MS, 'WALL_CLOCK_TIME', (nowMs) => this.runTimers(nowMs))
    context.schedule(OUTCOME_PRUNE_INTERVAL_MS, 'WALL_CLOCK_TIME', (nowMs) => this.pruneOutcomes(nowMs))
  }

  process(record: Record<string, LedgerInput>): void {
    const nowMs = this.#context.currentSystemTimeMs()
    const input = record.value
    switch (input.kind) {
      case 'event-command':
        return this.#eventCommand(input.value, nowMs)
      case 'booking-command':
        return this.#bookingCommand(input.value, nowMs)
      case 'payment-status':
        return this.#payment(input.value, nowMs)
      case 'crew-status':
        return this.#crew(input.value, nowMs)
    }
  }

  // ---- commands -------------------------------------------------------------------------------------

  /**
   * Runs `decide` once per request ID and once per (actor, Idempotency-Key): a repeat of the request ID
   * gets the kept outcome forwarded again (the same record); a new request ID repeating a kept key gets
   * the first request's decision under its own ID (`originalRequestId` names the first), and no other
   * effect.
   */
  #once(identity: CommandIdentity, decide: () => RequestOutcome): void {
    const kept = this.#stores.outcome(identity.requestId) ?? this.#repeatOfKey(identity)
    if (kept !== undefined) {
      this.#emit({ to: 'outcomes', value: kept }, kept.decidedAtMs)
      return
    }
    const outcome = decide()
    this.#stores.putOutcome(identity.requestId, outcome)
    if (identity.idempotencyKey !== null)
      this.#stores.putFirstRequest(identity.eventId, identity.actorUserId, identity.idempotencyKey, {
        requestId: identity.requestId,
        decidedAtMs: outcome.decidedAtMs,
      })
    this.#emit({ to: 'outcomes', value: outcome }, outcome.decidedAtMs)
  }

  /** The first request's outcome when `identity` repeats a kept key under another request ID (kept too). */
  #repeatOfKey(identity: CommandIdentity): RequestOutcome | undefined {
    if (identity.idempotencyKey === null) return undefined
    const first = this.#stores.firstRequest(identity.eventId, identity.actorUserId, identity.idempotencyKey)
    const original = first === undefined ? undefined : this.#stores.outcome(first.requestId)
    if (original === undefined) return undefined
    const repeat = repeatedOutcome(original, identity)
    this.#stores.putOutcome(identity.requestId, repeat)
    return repeat
  }

  #eventCommand(command: EventCommand, nowMs: number): void {
    const identity = identityOf('event', command)
    this.#once(identity, () => {
      const decision = decideEventCommand(this.#stores.event(command.eventId), command, nowMs)
      if (!decision.ok) return refusedOutcome(identity, 'EVENT', command.eventId, decision.refusal, nowMs)
      this.#stores.putEvent(decision.event)
      this.#emitAll(decision.outputs, nowMs)
      if (decision.followUp !== null)
        this.#followUp(decision.event, decision.followUp, causeOf(command), nowMs)
      return acceptedOutcome(identity, decision.resourceType, decision.resourceId, decision.message, nowMs)
    })
  }

  #bookingCommand(command: BookingCommand, nowMs: number): void {
    const identity = identityOf('booking', command)
    this.#once(identity, () => {
      switch (command.type) {
        case 'REQUEST':
          return this.#request(identity, command, nowMs)
        case 'CANCEL':
        case 'CHANGE_SEATS':
        case 'RECONFIRM':
        case 'REISSUE_TICKET':
          return this.#changeBooking(identity, { ...command, type: command.type }, nowMs)
        case 'CHECK_IN':
          return this.#checkIn(identity, command, nowMs)
        case 'JOIN_WAITING_LIST':
        case 'LEAVE_WAITING_LIST':
          return this.#waitingListCommand(identity, command, nowMs)
        default: {
          const refusal = refuse('VALIDATION_FAILED', `unknown booking command ${String(command.type)}`)
          return refusedOutcome(identity, 'BOOKING', '', refusal, nowMs)
        }
      }
    })
  }

  /** REQUEST; a refused one also leaves a REJECTED fact (analytics' conversion). */
  #request(identity: CommandIdentity, command: BookingCommand, nowMs: number): RequestOutcome {
    const event = this.#stores.event(command.eventId)
    const input = command.request
    const bookingId = input?.bookingId ?? ''
    const userId = input?.userId ?? command.actor.userId
    const waitingList = this.#stores.waitingList(command.eventId)
    const decision = requestBooking(
      {
        event,
        existing: this.#stores.booking(command.eventId, bookingId),
        ...this.#stores.userBookings(command.eventId, userId),
        waitingList,
      },
      command,
      nowMs,
      this.#tickets,
    )
    if (!decision.ok) {
      if (input !== null)
        this.#emit(
          rejectionFact(
            event,
            { ...input, eventId: command.eventId },
            decision.refusal.reasonCode,
            command.requestId,
            nowMs,
          ),
          nowMs,
        )
      return refusedOutcome(identity, 'BOOKING', bookingId, decision.refusal, nowMs)
    }
    // The booking uses up the user's waiting-list offer or place.
    const list = removeFromWaitingList(waitingList, userId)
    if (list !== waitingList && list !== undefined) this.#stores.putWaitingList(command.eventId, list)
    this.#stores.saveBooking(decision.booking)
    this.#saveEvent(decision.event, decision.outputs, nowMs)
    return acceptedOutcome(identity, 'BOOKING', bookingId, decision.message, nowMs)
  }

  /** CANCEL, CHANGE_SEATS, RECONFIRM, REISSUE_TICKET: commands on an existing booking. */
  #changeBooking(
    identity: CommandIdentity,
    command: BookingCommand & { type: BookingChangeType },
    nowMs: number,
  ): RequestOutcome {
    const event = this.#stores.event(command.eventId)
    const bookingId = changedBookingId(command)
    if (event === undefined) {
      const refusal = refuse('EVENT_NOT_FOUND', `no event ${command.eventId}`)
      return refusedOutcome(identity, 'BOOKING', bookingId, refusal, nowMs)
    }
    const booking = this.#stores.booking(command.eventId, bookingId)
    const waitingList = this.#stores.waitingList(command.eventId)
    const decision = decideBookingChange(event, booking, waitingList, command, nowMs, this.#tickets)
    if (!decision.ok) return refusedOutcome(identity, 'BOOKING', bookingId, decision.refusal, nowMs)
    this.#stores.saveBooking(decision.booking)
    this.#saveEvent(decision.event, decision.outputs, nowMs)
    return acceptedOutcome(identity, 'BOOKING', bookingId, decision.message, nowMs)
  }

  /** CHECK_IN (booking-check-in.ts): a repeat of a counted scan changes nothing. */
  #checkIn(identity: CommandIdentity, command: BookingCommand, nowMs: number): RequestOutcome {
    const { eventId } = command
    const stores = this.#stores
    const decision = checkIn(
      {
        event: stores.event(eventId),
        booking: (bookingId) => stores.booking(eventId, bookingId),
        legacyBooking: (code) => stores.bookingsOf(eventId).find((b) => b.ticketCode === code),
        tickets: this.#tickets,
      },
      command,
      nowMs,
    )
    if (decision.ok && decision.booking !== undefined) stores.saveBooking(decision.booking)
    if (decision.ok) this.#emitAll(decision.outputs, nowMs)
    return checkInOutcome(identity, decision, nowMs)
  }

  /** JOIN_WAITING_LIST, LEAVE_WAITING_LIST; seats a leaver gives up are offered on at once. */
  #waitingListCommand(identity: CommandIdentity, command: BookingCommand, nowMs: number): RequestOutcome {
    const event = this.#stores.event(command.eventId)
    const userId = command.joinWaitingList?.userId ?? command.leaveWaitingList?.userId ?? command.actor.userId
    const list = this.#stores.waitingList(command.eventId)
    const decision =
      command.type === 'JOIN_WAITING_LIST'
        ? joinWaitingList(event, list, this.#stores.activeBookingId(command.eventId, userId), command, nowMs)
        : leaveWaitingList(event, list, command, nowMs)
    if (!decision.ok) return refusedOutcome(identity, 'WAITING_LIST', userId, decision.refusal, nowMs)
    this.#stores.putWaitingList(command.eventId, decision.list)
    this.#emitAll(decision.outputs, nowMs)
    if (event !== undefined) this.#offerSeats(event, nowMs)
    return acceptedOutcome(identity, 'WAITING_LIST', userId, decision.message, nowMs)
  }

  // ---- other services --------------------------------------------------------------------------------

  #payment(payment: PaymentStatusChanged, nowMs: number): void {
    if (payment.refundId !== null) return this.#stores.landRefundStatus(payment, nowMs) // refund-retries.ts
    const event = this.#stores.event(payment.eventId)
    if (event === undefined) return // no event: nothing of ours was paid (the payment service refunds orphans)
    const booking = this.#stores.booking(payment.eventId, payment.bookingId)
    const user =
      booking === undefined ? undefined : this.#stores.userBookings(payment.eventId, booking.userId)
    const list = this.#stores.waitingList(payment.eventId)
    this.#applyEffect(applyPayment(event, booking, user, list, payment, nowMs, this.#tickets), nowMs)
  }

  #crew(status: CrewStatusChanged, nowMs: number): void {
    const event = this.#stores.event(status.eventId)
    if (event === undefined) return
    const { event: next, outputs } = applyCrewStatus(event, status, nowMs)
    this.#stores.saveEvent(next)
    this.#emitAll(outputs, nowMs)
  }

  // ---- timers ----------------------------------------------------------------------------------------

  /** The timers punctuator: holds, waiting-list offers, event transitions, reminders, refund retries. */
  runTimers(nowMs: number): void {
    this.#emitAll(this.#stores.dueRefundRetries(nowMs), nowMs)
    for (const timer of this.#stores.dueHolds(nowMs)) {
      const event = this.#stores.event(timer.eventId)
      const booking = this.#stores.booking(timer.eventId, timer.bookingId)
      if (event === undefined || booking === undefined) {
        this.#stores.dropHold(timer)
        continue
      }
      this.#applyEffect(expireHold(event, booking, nowMs), nowMs)
    }
    for (const [eventId, list] of this.#stores.listsWithDueOffers(nowMs)) {
      const event = this.#stores.event(eventId)
      if (event === undefined) continue
      const expired = expireOffers(event, list, nowMs)
      if (expired.list !== undefined) this.#stores.putWaitingList(eventId, expired.list)
      this.#emitAll(expired.outputs, nowMs)
    }
    for (const eventId of this.#stores.eventIds()) {
      for (let step = 0; step < MAX_TIMER_STEPS; step++) {
        const due = dueEventTimer(this.#stores.event(eventId)!, nowMs)
        if (due === undefined) break
        this.#stores.putEvent(due.event)
        this.#emitAll(due.outputs, nowMs)
        if (due.followUp !== null) this.#followUp(due.event, due.followUp, TIMER_CAUSE, nowMs)
      }
    }
  }

  /** The outcomes punctuator: drops outcomes older than the retention. */
  pruneOutcomes(nowMs: number): void {
    this.#stores.pruneOutcomes(nowMs)
  }

  // ---- applying decisions ----------------------------------------------------------------------------

  /** Runs an event change's follow-up over the event's bookings (and, on cancel, its waiting list). */
  #followUp(event: EventState, followUp: BookingsFollowUp, cause: Cause, nowMs: number): void {
    const list = this.#stores.waitingList(event.eventId)
    const effect = followUpEffect(event, this.#stores.bookingsOf(event.eventId), list, followUp, cause, nowMs)
    for (const booking of effect.bookings) this.#stores.saveBooking(booking)
    if (followUp === 'CANCEL_ALL') this.#stores.putEvent(effect.event)
    this.#emitAll(effect.outputs, nowMs)
    if (effect.listClosed) this.#stores.deleteWaitingList(event.eventId)
  }

  #applyEffect(effect: BookingEffect, nowMs: number): void {
    if (effect.booking !== undefined) this.#stores.saveBooking(effect.booking)
    this.#saveEvent(effect.event, effect.outputs, nowMs)
  }

  /** Writes the event, emits the decision's outputs, then gives seats it freed to the waiting list. */
  #saveEvent(event: EventState, outputs: readonly LedgerOutput[], nowMs: number): void {
    this.#stores.saveEvent(event)
    this.#emitAll(outputs, nowMs)
    this.#offerSeats(event, nowMs)
  }

  #offerSeats(event: EventState, nowMs: number): void {
    const list = this.#stores.waitingList(event.eventId)
    if (list === undefined) return
    const offered = offerFreedSeats(event, list, nowMs)
    if (offered.list !== list && offered.list !== undefined)
      this.#stores.putWaitingList(event.eventId, offered.list)
    this.#emitAll(offered.outputs, nowMs)
  }

  #emitAll(outputs: readonly LedgerOutput[], nowMs: number): void {
    for (const output of outputs) this.#emit(output, nowMs)
  }

  #emit(output: LedgerOutput, nowMs: number): void {
    if (output.to === 'refund-requests') this.#stores.trackRefund(output.value) // followed until done
    const key = output.to === 'outcomes' ? output.value.requestId : output.value.eventId
    this.#context.forward(new Record(key, output.value as unknown, nowMs), output.to)
  }
}
