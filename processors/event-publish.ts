import type { EventCommand } from '../avro/index.ts'
import { accepted, nextVersion, refused, type EventDecision } from './event-decision.ts'
import { causeOf, eventFact } from './ledger-outputs.ts'
import type { EventState } from './ledger-state.ts'
import { refuse, type Refusal } from './reason-codes.ts'

/**
 * Why a DRAFT cannot be published yet, if it cannot (VALIDATION_FAILED): it needs a description, a price
 * option, 1-5 categories and a start still ahead. Checked again when a scheduled publication falls due.
 */
export function publishable(event: EventState, nowMs: number): Refusal | undefined {
  if (event.description.length < 10)
    return refuse('VALIDATION_FAILED', 'a description is required to publish')
  if (event.priceOptions.length === 0)
    return refuse('VALIDATION_FAILED', 'at least one price option is required')
  if (event.categories.length < 1 || event.categories.length > 5)
    return refuse('VALIDATION_FAILED', '1-5 categories are required')
  if (event.startsAtMs <= nowMs) return refuse('VALIDATION_FAILED', 'the start has passed')
  return undefined
}

/**
 * PUBLISH: a publishable DRAFT becomes PUBLISHED now, or at `publishAtMs` when that is ahead (before the
 * start; the timers publish it then, see event-lifecycle.ts `dueEventTimer`).
 *
 * Refusals: INVALID_TRANSITION (not DRAFT), VALIDATION_FAILED ({@link publishable}, a publication time
 * not before the start).
 */
export function publishEvent(event: EventState, command: EventCommand, nowMs: number): EventDecision {
  if (event.status !== 'DRAFT')
    return refused(refuse('INVALID_TRANSITION', `cannot publish a ${event.status} event`))
  const invalid = publishable(event, nowMs)
  if (invalid !== undefined) return refused(invalid)
  const cause = causeOf(command)
  const at = command.publish?.publishAtMs ?? null
  if (at !== null && at > nowMs) {
    if (at >= event.startsAtMs)
      return refused(refuse('VALIDATION_FAILED', 'publication must be before the start'))
    const next = nextVersion(event, { publishAtMs: at })
    return accepted(next, [eventFact(next, 'PUBLICATION_SCHEDULED', cause, nowMs)], 'publication scheduled')
  }
  const next = nextVersion(event, { status: 'PUBLISHED', publishAtMs: null })
  return accepted(next, [eventFact(next, 'PUBLISHED', cause, nowMs)], 'event published')
}
