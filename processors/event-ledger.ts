import type {
  BookingCommand,
  CrewStatusChanged,
  EventCommand,
  PaymentStatusChanged,
  RequestOutcome,
} from '../avro/index.ts'
import { Record, type KeyValueStore, type Processor, type ProcessorContext } from '../streams/index.ts'
import { cancelBooking, cancelForEvent } from './booking-cancel.ts'
import { changeSeats } from './booking-change-seats.ts'
import type { BookingEffect } from './booking-decision.ts'
import { applyPayment } from './booking-payment.ts'
import { reconfirmBooking } from './booking-reconfirm.ts'
import { requestBooking } from './booking-request.ts'
import { applyCrewStatus } from './crew.ts'
import type { BookingsFollowUp } from './event-decision.ts'
import { decideEventCommand, dueEventTimer } from './event-lifecycle.ts'
import { expireHold } from './hold-expiry.ts'
import type { LedgerInput } from './ledger-input.ts'
import { rejectionFact, type Cause, type LedgerOutput } from './ledger-outputs.ts'
import {
  holdDueMs,
  isActive,
  type BookingState,
  type EventState,
  type WaitingListState,
} from './ledger-state.ts'
import type { Refusal } from './reason-codes.ts'
import {
  acceptedOutcome,
  OUTCOME_PRUNE_INTERVAL_MS,
  outcomeExpired,
  refusedOutcome,
  type CommandIdentity,
} from './request-outcomes.ts'
import { scheduleNotice } from './schedule-notices.ts'
import {
  closeWaitingList,
  expireOffers,
  joinWaitingList,
  leaveWaitingList,
  offerFreedSeats,
  removeFromWaitingList,
} from './waiting-list.ts'

/** The stores of the event ledger; all keyed so that one event's entries live in its partition's task. */
export const LEDGER_STORES = {
  /** eventId → EventState (compact: price options, promo codes, crew, counters). */
  events: 'ledger-events',
  /** `<eventId>/<bookingId>` → BookingState. */
  bookings: 'ledger-bookings',
  /** `<eventId>/<userId>` → bookingId of the user's one active booking. */
  activeBookings: 'ledger-active-bookings',
  /** eventId → WaitingListState. */
  waitingLists: 'ledger-waiting-lists',
  /** `<eventId>/<bookingId>` → HoldTimer of a PENDING_PAYMENT booking or of a CONFIRMED one's seat top-up. */
  holdTimers: 'ledger-hold-timers',
  /** requestId → RequestOutcome, kept OUTCOME_RETENTION_MS. */
  outcomes: 'ledger-request-outcomes',
} as const

export interface HoldTimer {
  readonly eventId: string
  readonly bookingId: string
  readonly dueMs: number
}

/** How often the timers punctuator looks for due holds, offers and event transitions. */
export const LEDGER_TIMER_INTERVAL_MS = 1000

const bookingKey = (eventId: string, bookingId: string) => `${eventId}/${bookingId}`
const userKey = (eventId: string, userId: string) => `${eventId}/${userId}`

/**
 * The single writer of every event's state: decides event commands, booking commands, payment statuses
 * and crew answers for the events of its partition, runs their timers, and answers each request ID once.
 * Decisions are pure functions, one file per command family (event-lifecycle.ts, booking-request.ts,
 * booking-change-seats.ts, booking-cancel.ts, booking-reconfirm.ts, booking-payment.ts, hold-expiry.ts,
 * waiting-list.ts, crew.ts); this class loads their state from the stores, writes it back, and forwards
 * their outputs to the child named by each output (`LEDGER_CHILDREN`). Outcomes are keyed by requestId,
 * all else by eventId.
 */
export class EventLedgerProcessor implements Processor<string, LedgerInput, string, unknown> {
  #context!: ProcessorContext<string, unknown>
  #events!: KeyValueStore<string, EventState>
  #bookings!: KeyValueStore<string, BookingState>
  #active!: KeyValueStore<string, string>
  #waitingLists!: KeyValueStore<string, WaitingListState>
  #holds!: KeyValueStore<string, HoldTimer>
  #outcomes!: KeyValueStore<string, RequestOutcome>

  init(context: ProcessorContext<string, unknown>): void {
    this.#context = context
    this.#events = context.getStateStore(LEDGER_STORES.events)
    this.#bookings = context.getStateStore(LEDGER_STORES.bookings)
    this.#active = context.getStateStore(LEDGER_STORES.activeBookings)
    this.#waitingLists = context.getStateStore(LEDGER_STORES.waitingLists)
    this.#holds = context.getStateStore(LEDGER_STORES.holdTimers)
    this.#outcomes = context.getStateStore(LEDGER_STORES.outcomes)
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
   * Runs `decide` once per request ID: a repeat gets the kept outcome forwarded again (the same record),
   * and no other effect.
   */
  #once(identity: CommandIdentity, decide: () => RequestOutcome): void {
    const kept = this.#outcomes.get(identity.requestId)
    if (kept !== undefined) {
      this.#emit({ to: 'outcomes', value: kept }, kept.decidedAtMs)
      return
    }
    const outcome = decide()
    this.#outcomes.put(identity.requestId, outcome)
    this.#emit({ to: 'outcomes', value: outcome }, outcome.decidedAtMs)
  }

  #eventCommand(command: EventCommand, nowMs: number): void {
    const identity = {
      requestId: command.requestId,
      eventId: command.eventId,
      commandType: `event.${command.type}`,
    }
    this.#once(identity, () => {
      const decision = decideEventCommand(this.#events.get(command.eventId), command, nowMs)
      if (!decision.ok) return refusedOutcome(identity, 'EVENT', command.eventId, decision.refusal, nowMs)
      this.#events.put(command.eventId, decision.event)
      this.#emitAll(decision.outputs, nowMs)
      if (decision.followUp !== null)
        this.#followUp(
          decision.event,
          decision.followUp,
          { requestId: command.requestId, actorUserId: command.actor.userId },
          nowMs,
        )
      return acceptedOutcome(identity, decision.resourceType, decision.resourceId, decision.message, nowMs)
    })
  }

  #bookingCommand(command: BookingCommand, nowMs: number): void {
    const identity = {
      requestId: command.requestId,
      eventId: command.eventId,
      commandType: `booking.${command.type}`,
    }
    this.#once(identity, () => {
      const event = this.#events.get(command.eventId)
      switch (command.type) {
        case 'REQUEST': {
          const input = command.request
          const bookingId = input?.bookingId ?? ''
          const userId = input?.userId ?? command.actor.userId
          const waitingList = this.#waitingLists.get(command.eventId)
          const decision = requestBooking(
            {
              event,
              existing: this.#bookings.get(bookingKey(command.eventId, bookingId)),
              activeBookingId: this.#active.get(userKey(command.eventId, userId)),
              waitingList,
            },
            command,
            nowMs,
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
          const list = removeFromWaitingList(waitingList, userId)
          if (list !== waitingList && list !== undefined) this.#waitingLists.put(command.eventId, list)
          this.#saveBooking(decision.booking)
          this.#saveEvent(decision.event, decision.outputs, nowMs)
          return acceptedOutcome(identity, 'BOOKING', bookingId, decision.message, nowMs)
        }
        case 'CANCEL':
        case 'CHANGE_SEATS':
        case 'RECONFIRM': {
          const payload =
            command.type === 'CANCEL'
              ? command.cancel
              : command.type === 'RECONFIRM'
                ? command.reconfirm
                : command.changeSeats
          const bookingId = payload?.bookingId ?? ''
          if (event === undefined)
            return refusedOutcome(
              identity,
              'BOOKING',
              bookingId,
              { reasonCode: 'EVENT_NOT_FOUND', message: `no event ${command.eventId}` },
              nowMs,
            )
          const booking = this.#bookings.get(bookingKey(command.eventId, bookingId))
          const decision =
            command.type === 'CANCEL'
              ? cancelBooking(event, booking, command, nowMs)
              : command.type === 'RECONFIRM'
                ? reconfirmBooking(event, booking, command, nowMs)
                : changeSeats(event, booking, this.#waitingLists.get(command.eventId), command, nowMs)
          if (!decision.ok) return refusedOutcome(identity, 'BOOKING', bookingId, decision.refusal, nowMs)
          this.#saveBooking(decision.booking)
          this.#saveEvent(decision.event, decision.outputs, nowMs)
          return acceptedOutcome(identity, 'BOOKING', bookingId, decision.message, nowMs)
        }
        case 'JOIN_WAITING_LIST':
        case 'LEAVE_WAITING_LIST': {
          const userId =
            command.joinWaitingList?.userId ?? command.leaveWaitingList?.userId ?? command.actor.userId
          const list = this.#waitingLists.get(command.eventId)
          const decision =
            command.type === 'JOIN_WAITING_LIST'
              ? joinWaitingList(
                  event,
                  list,
                  this.#active.get(userKey(command.eventId, userId)),
                  command,
                  nowMs,
                )
              : leaveWaitingList(event, list, command, nowMs)
          if (!decision.ok) return refusedOutcome(identity, 'WAITING_LIST', userId, decision.refusal, nowMs)
          this.#waitingLists.put(command.eventId, decision.list)
          this.#emitAll(decision.outputs, nowMs)
          if (event !== undefined) this.#offerSeats(event, nowMs)
          return acceptedOutcome(identity, 'WAITING_LIST', userId, decision.message, nowMs)
        }
        default:
          return refusedOutcome(
            identity,
            'BOOKING',
            '',
            refusal('VALIDATION_FAILED', `unknown booking command ${String(command.type)}`),
            nowMs,
          )
      }
    })
  }

  // ---- other services --------------------------------------------------------------------------------

  #payment(payment: PaymentStatusChanged, nowMs: number): void {
    const event = this.#events.get(payment.eventId)
    if (event === undefined) return // no event: nothing of ours was paid (the payment service refunds orphans)
    const booking = this.#bookings.get(bookingKey(payment.eventId, payment.bookingId))
    const active =
      booking === undefined ? undefined : this.#active.get(userKey(payment.eventId, booking.userId))
    this.#applyEffect(
      applyPayment(event, booking, active, this.#waitingLists.get(payment.eventId), payment, nowMs),
      nowMs,
    )
  }

  #crew(status: CrewStatusChanged, nowMs: number): void {
    const event = this.#events.get(status.eventId)
    if (event === undefined) return
    const { event: next, outputs } = applyCrewStatus(event, status, nowMs)
    if (next !== event) this.#events.put(next.eventId, next)
    this.#emitAll(outputs, nowMs)
  }

  // ---- timers ----------------------------------------------------------------------------------------

  /** The timers punctuator: hold expiry, waiting-list offer expiry, event transitions and reminders. */
  runTimers(nowMs: number): void {
    // Collect only what is due: a flash sale leaves many holds, and this runs every second.
    const dueHolds: [string, HoldTimer][] = []
    for (const entry of this.#holds.all()) if (entry[1].dueMs <= nowMs) dueHolds.push(entry)
    for (const [key, timer] of dueHolds) {
      const event = this.#events.get(timer.eventId)
      const booking = this.#bookings.get(key)
      if (event === undefined || booking === undefined) {
        this.#holds.delete(key)
        continue
      }
      this.#applyEffect(expireHold(event, booking, nowMs), nowMs)
    }
    const dueOffers = [...this.#waitingLists.all()].filter(([, list]) =>
      list.offers.some((o) => o.expiresAtMs <= nowMs),
    )
    for (const [eventId, list] of dueOffers) {
      const event = this.#events.get(eventId)
      if (event === undefined) continue
      const expired = expireOffers(event, list, nowMs)
      if (expired.list !== undefined) this.#waitingLists.put(eventId, expired.list)
      this.#emitAll(expired.outputs, nowMs)
    }
    for (const [eventId] of [...this.#events.all()]) {
      for (let step = 0; step < 8; step++) {
        const event = this.#events.get(eventId)!
        const due = dueEventTimer(event, nowMs)
        if (due === undefined) break
        this.#events.put(eventId, due.event)
        this.#emitAll(due.outputs, nowMs)
        if (due.followUp !== null)
          this.#followUp(due.event, due.followUp, { requestId: null, actorUserId: null }, nowMs)
      }
    }
  }

  /** Drops outcomes older than the retention. */
  pruneOutcomes(nowMs: number): void {
    const expired = [...this.#outcomes.all()].filter(([, outcome]) => outcomeExpired(outcome, nowMs))
    for (const [requestId] of expired) this.#outcomes.delete(requestId)
  }

  // ---- helpers ---------------------------------------------------------------------------------------

  #followUp(event: EventState, followUp: BookingsFollowUp, cause: Cause, nowMs: number): void {
    const prefix = `${event.eventId}/`
    const bookings = [...this.#bookings.all()].filter(([key]) => key.startsWith(prefix)).map(([, b]) => b)
    if (followUp === 'CANCEL_ALL') {
      let current = event
      for (const booking of bookings) {
        if (!isActive(booking)) continue
        const effect = cancelForEvent(current, booking, cause, nowMs)
        if (effect.booking !== undefined) this.#saveBooking(effect.booking)
        current = effect.event
        this.#emitAll(effect.outputs, nowMs)
      }
      this.#events.put(current.eventId, current)
      const list = this.#waitingLists.get(event.eventId)
      if (list !== undefined) {
        this.#emitAll(closeWaitingList(current, list, cause, nowMs), nowMs)
        this.#waitingLists.delete(event.eventId)
      }
      return
    }
    for (const booking of bookings) this.#emitAll(scheduleNotice(event, booking, followUp, nowMs), nowMs)
  }

  #applyEffect(effect: BookingEffect, nowMs: number): void {
    if (effect.booking !== undefined) this.#saveBooking(effect.booking)
    this.#saveEvent(effect.event, effect.outputs, nowMs)
  }

  /** Writes the event, emits the decision's outputs, then gives seats it freed to the waiting list. */
  #saveEvent(event: EventState, outputs: readonly LedgerOutput[], nowMs: number): void {
    if (this.#events.get(event.eventId) !== event) this.#events.put(event.eventId, event)
    this.#emitAll(outputs, nowMs)
    this.#offerSeats(event, nowMs)
  }

  #offerSeats(event: EventState, nowMs: number): void {
    const list = this.#waitingLists.get(event.eventId)
    if (list === undefined) return
    const offered = offerFreedSeats(event, list, nowMs)
    if (offered.list !== list && offered.list !== undefined)
      this.#waitingLists.put(event.eventId, offered.list)
    this.#emitAll(offered.outputs, nowMs)
  }

  /** Writes a booking with its active-booking index entry and hold timer. */
  #saveBooking(booking: BookingState): void {
    const key = bookingKey(booking.eventId, booking.bookingId)
    this.#bookings.put(key, booking)
    const indexKey = userKey(booking.eventId, booking.userId)
    if (isActive(booking)) this.#active.put(indexKey, booking.bookingId)
    else if (this.#active.get(indexKey) === booking.bookingId) this.#active.delete(indexKey)
    const dueMs = holdDueMs(booking)
    if (dueMs !== null)
      this.#holds.put(key, { eventId: booking.eventId, bookingId: booking.bookingId, dueMs })
    else if (this.#holds.get(key) !== undefined) this.#holds.delete(key)
  }

  #emitAll(outputs: readonly LedgerOutput[], nowMs: number): void {
    for (const output of outputs) this.#emit(output, nowMs)
  }

  #emit(output: LedgerOutput, nowMs: number): void {
    const key = output.to === 'outcomes' ? output.value.requestId : output.value.eventId
    this.#context.forward(new Record(key, output.value as unknown, nowMs), output.to)
  }
}

function refusal(reasonCode: Refusal['reasonCode'], message: string): Refusal {
  return { reasonCode, message }
}
