import type { EventCommand } from '../avro/index.ts'
import { updateCrewSchedule } from './crew.ts'
import { accepted, nextVersion, refused, type EventDecision } from './event-decision.ts'
import { validateSchedule } from './event-validation.ts'
import { causeOf, eventFact } from './ledger-outputs.ts'
import type { EventState } from './ledger-state.ts'
import { refuse } from './reason-codes.ts'

/**
 * RESCHEDULE: a PUBLISHED or RESCHEDULED event moves to a new date, time or place and is RESCHEDULED.
 * The first schedule is kept for RESTORE_SCHEDULE; the crew moves with it; the bookings stay, and their
 * users are told to re-confirm (follow-up NOTIFY_RESCHEDULED). Bookings made before it may cancel with a
 * full refund until the start (`lastRescheduledAtMs`).
 *
 * Refusals: VALIDATION_FAILED (no payload, a schedule rule, a start already passed), INVALID_TRANSITION.
 */
export function rescheduleEvent(event: EventState, command: EventCommand, nowMs: number): EventDecision {
  const input = command.reschedule
  if (input === null) return refused(refuse('VALIDATION_FAILED', 'RESCHEDULE needs the reschedule payload'))
  if (event.status !== 'PUBLISHED' && event.status !== 'RESCHEDULED')
    return refused(refuse('INVALID_TRANSITION', `cannot reschedule a ${event.status} event`))
  const invalid = validateSchedule(input.startsAtMs, input.endsAtMs, input.place)
  if (invalid !== undefined) return refused(invalid)
  if (input.startsAtMs <= nowMs) return refused(refuse('VALIDATION_FAILED', 'the new start has passed'))
  const next = nextVersion(event, {
    status: 'RESCHEDULED',
    original: event.original ?? {
      startsAtMs: event.startsAtMs,
      endsAtMs: event.endsAtMs,
      place: event.place,
    },
    startsAtMs: input.startsAtMs,
    endsAtMs: input.endsAtMs,
    place: input.place,
    lastRescheduledAtMs: nowMs,
  })
  return accepted(
    next,
    [eventFact(next, 'RESCHEDULED', causeOf(command), nowMs), ...updateCrewSchedule(next, nowMs)],
    'event rescheduled',
    'NOTIFY_RESCHEDULED',
  )
}

/**
 * RESTORE_SCHEDULE: a RESCHEDULED event goes back to its first schedule and is PUBLISHED again. That is a
 * schedule change too: the crew moves, participants are told and asked to re-confirm (follow-up
 * NOTIFY_RESTORED), and bookings made before it keep a full refund until the start.
 *
 * Refusals: INVALID_TRANSITION (not RESCHEDULED), VALIDATION_FAILED (the first start has passed).
 */
export function restoreSchedule(event: EventState, command: EventCommand, nowMs: number): EventDecision {
  if (event.status !== 'RESCHEDULED' || event.original === null)
    return refused(refuse('INVALID_TRANSITION', `cannot restore the schedule of a ${event.status} event`))
  if (event.original.startsAtMs <= nowMs)
    return refused(refuse('VALIDATION_FAILED', 'the original start has passed'))
  const next = nextVersion(event, {
    ...event.original,
    status: 'PUBLISHED',
    original: null,
    lastRescheduledAtMs: nowMs,
  })
  return accepted(
    next,
    [eventFact(next, 'SCHEDULE_RESTORED', causeOf(command), nowMs), ...updateCrewSchedule(next, nowMs)],
    'original schedule restored',
    'NOTIFY_RESTORED',
  )
}
