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
import { refuse } from './reason-codes.ts'
import { validateRefundPolicy } from './refund-policy.ts'

/**
 * SET_REFUND_POLICY: the event's own refund tiers replace the default policy (refund-policy.ts) for the
 * user cancellations and seat reductions decided from now on.
 *
 * Refusals: VALIDATION_FAILED (no payload, a tier rule), INVALID_TRANSITION (not editable).
 */
export function setRefundPolicy(event: EventState, command: EventCommand, nowMs: number): EventDecision {
  const tiers = command.refundPolicy?.tiers
  if (tiers === undefined) return refused(refuse('VALIDATION_FAILED', 'SET_REFUND_POLICY needs its payload'))
  if (!isEditable(event)) return notEditable(event)
  const invalid = validateRefundPolicy(tiers)
  if (invalid !== undefined) return refused(invalid)
  const next = nextVersion(event, { refundPolicy: tiers })
  return accepted(
    next,
    [eventFact(next, 'REFUND_POLICY_SET', causeOf(command), nowMs)],
    'refund policy set',
    null,
    { resourceType: 'REFUND_POLICY', resourceId: event.eventId },
  )
}
