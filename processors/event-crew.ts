import type { EventCommand } from '../avro/index.ts'
import { crewCommand } from './crew.ts'
import {
  accepted,
  isEditable,
  nextVersion,
  notEditable,
  refused,
  type EventDecision,
} from './event-decision.ts'
import { causeOf, eventFact } from './ledger-outputs.ts'
import type { CrewRequestState, EventState } from './ledger-state.ts'
import { refuse } from './reason-codes.ts'

/**
 * REQUEST_CREW: records a crew request on an editable event and asks the crew service to assign someone
 * (an ASSIGN crew command); its answer arrives later (crew.ts `applyCrewStatus`).
 *
 * Refusals: VALIDATION_FAILED (no payload, an empty or already used crew request ID), INVALID_TRANSITION
 * (not editable).
 */
export function requestCrew(event: EventState, command: EventCommand, nowMs: number): EventDecision {
  const input = command.crewRequest
  if (input === null) return refused(refuse('VALIDATION_FAILED', 'REQUEST_CREW needs its payload'))
  if (!isEditable(event)) return notEditable(event)
  if (input.crewRequestId === '' || event.crew.some((c) => c.crewRequestId === input.crewRequestId))
    return refused(refuse('VALIDATION_FAILED', `crew request ${input.crewRequestId} is empty or exists`))
  const crew: CrewRequestState = {
    crewRequestId: input.crewRequestId,
    role: input.role,
    status: 'REQUESTED',
    memberId: null,
  }
  const next = nextVersion(event, { crew: [...event.crew, crew] })
  return accepted(
    next,
    [
      eventFact(next, 'CREW_REQUESTED', causeOf(command), nowMs, crew.crewRequestId),
      crewCommand(next, crew, 'ASSIGN', nowMs),
    ],
    'crew requested',
    null,
    { resourceType: 'CREW_REQUEST', resourceId: crew.crewRequestId },
  )
}
