import type { Actor, CreateEvent, EventCommand } from '../avro/index.ts'
import { canCreateEvent } from './authorization.ts'
import {
  accepted,
  isEditable,
  nextVersion,
  notEditable,
  refused,
  type EventDecision,
} from './event-decision.ts'
import { allotmentSum, validateNumbers, validateSchedule, validateTexts } from './event-validation.ts'
import { causeOf, eventFact } from './ledger-outputs.ts'
import { DEFAULT_BOOKING_DEADLINE_HOURS, DEFAULT_HOLD_MINUTES, type EventState } from './ledger-state.ts'
import { isRefusal } from './promo-codes.ts'
import { refuse, type Refusal } from './reason-codes.ts'

/**
 * Creates the DRAFT state of a CREATE command: the actor's own event (an admin may name another
 * organizer), the defaults of hold time and booking deadline filled in.
 *
 * Refusals: FORBIDDEN (a user; an organizer creating for someone else), VALIDATION_FAILED (texts,
 * schedule, numbers, more than 5 categories).
 */
export function createEvent(eventId: string, actor: Actor, input: CreateEvent): EventState | Refusal {
  if (!canCreateEvent(actor, input.organizerId))
    return refuse(
      'FORBIDDEN',
      actor.role === 'USER'
        ? 'only organizers and admins create events'
        : 'an organizer creates events for themselves only',
    )
  const organizerId = actor.role === 'ADMIN' ? (input.organizerId ?? actor.userId) : actor.userId
  const holdMinutes = input.holdMinutes ?? DEFAULT_HOLD_MINUTES
  const bookingDeadlineHours = input.bookingDeadlineHours ?? DEFAULT_BOOKING_DEADLINE_HOURS
  const invalid =
    validateTexts(input.title, input.description) ??
    validateSchedule(input.startsAtMs, input.endsAtMs, input.place) ??
    validateNumbers(input.capacity, holdMinutes, bookingDeadlineHours) ??
    (input.categories.length > 5 ? refuse('VALIDATION_FAILED', 'at most 5 categories') : undefined)
  if (invalid !== undefined) return invalid
  return {
    eventId,
    organizerId,
    version: 1,
    status: 'DRAFT',
    title: input.title,
    description: input.description,
    place: input.place,
    startsAtMs: input.startsAtMs,
    endsAtMs: input.endsAtMs,
    categories: input.categories,
    capacity: input.capacity,
    holdMinutes,
    bookingDeadlineHours,
    locale: input.locale,
    seatsTaken: 0,
    priceOptions: [],
    promoCodes: [],
    refundPolicy: null,
    crew: [],
    publishAtMs: null,
    original: null,
    lastRescheduledAtMs: null,
    reminderSentForStartMs: null,
  }
}

/**
 * CREATE: a new DRAFT event (see {@link createEvent}). Refusals besides createEvent's: VALIDATION_FAILED
 * (no payload), EVENT_ALREADY_EXISTS.
 */
export function decideCreate(
  event: EventState | undefined,
  command: EventCommand,
  nowMs: number,
): EventDecision {
  if (command.create === null) return refused(refuse('VALIDATION_FAILED', 'CREATE needs the create payload'))
  if (event !== undefined) return refused(refuse('EVENT_ALREADY_EXISTS', `event ${command.eventId} exists`))
  const created = createEvent(command.eventId, command.actor, command.create)
  if (isRefusal(created)) return refused(created)
  return accepted(created, [eventFact(created, 'CREATED', causeOf(command), nowMs)], 'event created')
}

/**
 * UPDATE: edits the fields the payload sets, at the version it expects. Date and place change here only
 * while DRAFT; a published event changes them by RESCHEDULE (its participants must hear of it).
 *
 * Refusals: VALIDATION_FAILED (no payload, no expectedVersion, a field rule, a capacity below the seats
 * taken or the allotments), INVALID_TRANSITION (not editable; date or place of a non-DRAFT event).
 */
export function updateEvent(event: EventState, command: EventCommand, nowMs: number): EventDecision {
  const input = command.update
  if (input === null) return refused(refuse('VALIDATION_FAILED', 'UPDATE needs the update payload'))
  if (command.expectedVersion === null)
    return refused(refuse('VALIDATION_FAILED', 'UPDATE needs expectedVersion'))
  if (!isEditable(event)) return notEditable(event)
  const movesSchedule = input.startsAtMs !== null || input.endsAtMs !== null || input.place !== null
  if (movesSchedule && event.status !== 'DRAFT')
    return refused(
      refuse('INVALID_TRANSITION', `date and place of a ${event.status} event change by RESCHEDULE`),
    )
  const next = nextVersion(event, {
    title: input.title ?? event.title,
    description: input.description ?? event.description,
    place: input.place ?? event.place,
    startsAtMs: input.startsAtMs ?? event.startsAtMs,
    endsAtMs: input.endsAtMs ?? event.endsAtMs,
    categories: input.categories ?? event.categories,
    capacity: input.capacity ?? event.capacity,
    holdMinutes: input.holdMinutes ?? event.holdMinutes,
    bookingDeadlineHours: input.bookingDeadlineHours ?? event.bookingDeadlineHours,
  })
  const invalid =
    validateTexts(next.title, next.description) ??
    validateSchedule(next.startsAtMs, next.endsAtMs, next.place) ??
    validateNumbers(next.capacity, next.holdMinutes, next.bookingDeadlineHours) ??
    (next.categories.length > 5 ? refuse('VALIDATION_FAILED', 'at most 5 categories') : undefined) ??
    (next.capacity < next.seatsTaken || next.capacity < allotmentSum(next.priceOptions)
      ? refuse('VALIDATION_FAILED', 'capacity below the seats taken or the sum of allotments')
      : undefined)
  if (invalid !== undefined) return refused(invalid)
  return accepted(next, [eventFact(next, 'UPDATED', causeOf(command), nowMs)], 'event updated')
}
