import type { CrewCommandType, CrewStatusChanged } from '../avro/index.ts'
import { eventFact, notify, TIMER_CAUSE, type LedgerOutput } from './ledger-outputs.ts'
import type { CrewRequestState, EventState } from './ledger-state.ts'

/** A command to the crew service for one crew request; its ID is stable per (request, kind, version). */
export function crewCommand(
  event: EventState,
  crew: CrewRequestState,
  type: CrewCommandType,
  nowMs: number,
): LedgerOutput {
  return {
    to: 'crew-commands',
    value: {
      commandId: `${event.eventId}:${crew.crewRequestId}:${type}:v${event.version}`,
      eventId: event.eventId,
      crewRequestId: crew.crewRequestId,
      type,
      role: crew.role,
      memberId: crew.memberId,
      startsAtMs: event.startsAtMs,
      endsAtMs: event.endsAtMs,
      place: event.place,
      issuedAtMs: nowMs,
    },
  }
}

function isHeld(crew: CrewRequestState): boolean {
  return crew.status === 'REQUESTED' || crew.status === 'ASSIGNED'
}

/** On event cancel: release every requested or assigned crew member. */
export function releaseCrew(
  event: EventState,
  nowMs: number,
): { event: EventState; outputs: LedgerOutput[] } {
  const outputs = event.crew.filter(isHeld).map((crew) => crewCommand(event, crew, 'RELEASE', nowMs))
  const crew = event.crew.map((c): CrewRequestState => (isHeld(c) ? { ...c, status: 'RELEASED' } : c))
  return { event: { ...event, crew }, outputs }
}

/** On reschedule or restore: move the crew to the new schedule. */
export function updateCrewSchedule(event: EventState, nowMs: number): LedgerOutput[] {
  return event.crew.filter(isHeld).map((crew) => crewCommand(event, crew, 'UPDATE_SCHEDULE', nowMs))
}

/**
 * The crew service's answer. Unknown or already settled requests are ignored (a redelivery); an answer
 * for a canceled event releases the member at once. A failed assignment never blocks the event: it is
 * recorded and the organizer notified.
 */
export function applyCrewStatus(
  event: EventState,
  status: CrewStatusChanged,
  nowMs: number,
): { event: EventState; outputs: LedgerOutput[] } {
  const crew = event.crew.find((c) => c.crewRequestId === status.crewRequestId)
  if (crew === undefined || crew.status !== 'REQUESTED') return { event, outputs: [] }
  const answered: CrewRequestState = {
    ...crew,
    status: status.status === 'ASSIGNED' ? 'ASSIGNED' : 'UNAVAILABLE',
    memberId: status.memberId,
  }
  const next: EventState = {
    ...event,
    version: event.version + 1,
    crew: event.crew.map((c) => (c.crewRequestId === crew.crewRequestId ? answered : c)),
  }
  const outputs: LedgerOutput[] = [
    eventFact(
      next,
      status.status === 'ASSIGNED' ? 'CREW_ASSIGNED' : 'CREW_UNAVAILABLE',
      TIMER_CAUSE,
      nowMs,
      crew.crewRequestId,
    ),
    notify(
      next,
      next.organizerId,
      status.status === 'ASSIGNED' ? 'crew.assigned' : 'crew.unavailable',
      `crew.${status.status.toLowerCase()}:${event.eventId}:${crew.crewRequestId}`,
      nowMs,
      { crewRequestId: crew.crewRequestId, role: crew.role, reason: status.reason ?? '' },
    ),
  ]
  if (status.status === 'ASSIGNED' && (event.status === 'CANCELED' || event.status === 'COMPLETED')) {
    const released: CrewRequestState = { ...answered, status: 'RELEASED' }
    outputs.push(crewCommand(next, released, 'RELEASE', nowMs))
    return {
      event: { ...next, crew: next.crew.map((c) => (c.crewRequestId === crew.crewRequestId ? released : c)) },
      outputs,
    }
  }
  return { event: next, outputs }
}
