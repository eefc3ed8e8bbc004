import type { EventCommand } from '../avro/index.ts'
import {
  accepted,
  isEditable,
  nextVersion,
  notEditable,
  refused,
  type EventDecision,
} from './event-decision.ts'
import { causeOf, eventFact } from './ledger-outputs.ts'
import type { EventState } from './ledger-state.ts'
import { createPromoCode, isRefusal } from './promo-codes.ts'
import { refuse } from './reason-codes.ts'

/**
 * CREATE_PROMO_CODE on an editable event; the code's own rules are promo-codes.ts `createPromoCode`.
 *
 * Refusals: VALIDATION_FAILED (no payload, a field rule), INVALID_TRANSITION (not editable),
 * PROMO_CODE_EXISTS, LIMIT_EXCEEDED (MAX_ACTIVE_PROMO_CODES active already).
 */
export function addPromoCode(event: EventState, command: EventCommand, nowMs: number): EventDecision {
  const input = command.createPromoCode
  if (input === null) return refused(refuse('VALIDATION_FAILED', 'CREATE_PROMO_CODE needs its payload'))
  if (!isEditable(event)) return notEditable(event)
  const promo = createPromoCode(event, input, nowMs)
  if (isRefusal(promo)) return refused(promo)
  const next = nextVersion(event, { promoCodes: [...event.promoCodes, promo] })
  return accepted(
    next,
    [eventFact(next, 'PROMO_CODE_CREATED', causeOf(command), nowMs, promo.code)],
    'promo code created',
    null,
    { resourceType: 'PROMO_CODE', resourceId: promo.code },
  )
}

/**
 * DEACTIVATE_PROMO_CODE: an active code takes no new bookings from now on (the bookings that used it keep
 * it). Taken in any event status.
 *
 * Refusals: VALIDATION_FAILED (no payload), PROMO_NOT_FOUND, INVALID_TRANSITION (inactive already).
 */
export function deactivatePromoCode(event: EventState, command: EventCommand, nowMs: number): EventDecision {
  const code = command.deactivatePromoCode?.code
  if (code === undefined)
    return refused(refuse('VALIDATION_FAILED', 'DEACTIVATE_PROMO_CODE needs its payload'))
  const promo = event.promoCodes.find((p) => p.code === code)
  if (promo === undefined) return refused(refuse('PROMO_NOT_FOUND', `no promo code ${code}`))
  if (!promo.active) return refused(refuse('INVALID_TRANSITION', `promo code ${code} is already inactive`))
  const next = nextVersion(event, {
    promoCodes: event.promoCodes.map((p) => (p.code === code ? { ...p, active: false } : p)),
  })
  return accepted(
    next,
    [eventFact(next, 'PROMO_CODE_DEACTIVATED', causeOf(command), nowMs, code)],
    'promo code deactivated',
    null,
    { resourceType: 'PROMO_CODE', resourceId: code },
  )
}
