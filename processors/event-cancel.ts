import type { EventCommand } from '../avro/index.ts'
import { releaseCrew } from './crew.ts'
import { accepted, isEditable, nextVersion, refused, type EventDecision } from './event-decision.ts'
import { causeOf, eventFact } from './ledger-outputs.ts'
import type { EventState } from './ledger-state.ts'
import { refuse } from './reason-codes.ts'

/**
 * CANCEL: a DRAFT, PUBLISHED or RESCHEDULED event is CANCELED (final), a scheduled publication dropped and
 * the crew released. Every active booking is then canceled with a full refund and the waiting list closed
 * (follow-up CANCEL_ALL, booking-cancel.ts `cancelForEvent`).
 *
 * Refusals: INVALID_TRANSITION (canceled, completed or reviewed already).
 */
export function cancelEvent(event: EventState, command: EventCommand, nowMs: number): EventDecision {
  if (!isEditable(event))
    return refused(refuse('INVALID_TRANSITION', `cannot cancel a ${event.status} event`))
  const canceled = nextVersion(event, { status: 'CANCELED', publishAtMs: null })
  const { event: next, outputs } = releaseCrew(canceled, nowMs)
  return accepted(
    next,
    [eventFact(next, 'CANCELED', causeOf(command), nowMs, command.cancel?.reason ?? null), ...outputs],
    'event canceled',
    'CANCEL_ALL',
  )
}
