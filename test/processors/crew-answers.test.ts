import t from 'tap'
import type { CrewStatusChanged, EventCommand } from '../../avro/index.ts'
import { applyCrewStatus, crewCommand, releaseCrew, updateCrewSchedule } from '../../processors/crew.ts'
import { requestCrew } from '../../processors/event-crew.ts'
import { eventFact } from '../../processors/ledger-outputs.ts'
import type { CrewRequestState, EventState } from '../../processors/ledger-state.ts'
import { eventCommand } from '../../query-api/commands/command-builders.ts'
import { NOW, publishedEvent } from './ledger-fixtures.ts'

const member = (crewRequestId: string, status: CrewRequestState['status'], memberId: string | null = null) =>
  ({ crewRequestId, role: 'INSTRUCTOR', status, memberId }) as CrewRequestState

const crewed = (overrides: Partial<EventState> = {}): EventState =>
  publishedEvent({
    version: 7,
    crew: [
      member('c1', 'REQUESTED'),
      member('c2', 'ASSIGNED', 'm2'),
      member('c3', 'UNAVAILABLE'),
      member('c4', 'RELEASED', 'm4'),
    ],
    ...overrides,
  })

const command = (event: EventState, crew: CrewRequestState, type: string, at = NOW) => ({
  to: 'crew-commands',
  value: {
    commandId: `e1:${crew.crewRequestId}:${type}:v${event.version}`,
    eventId: 'e1',
    crewRequestId: crew.crewRequestId,
    type,
    role: crew.role,
    memberId: crew.memberId,
    startsAtMs: event.startsAtMs,
    endsAtMs: event.endsAtMs,
    place: 'Lake',
    issuedAtMs: at,
  },
})

t.test('crew commands go to the held members only', async (t) => {
  const event = crewed()
  t.strictSame(
    crewCommand(event, event.crew[0]!, 'ASSIGN', NOW + 1),
    command(event, event.crew[0]!, 'ASSIGN', NOW + 1),
  )
  t.equal(
    (crewCommand(event, event.crew[0]!, 'ASSIGN', NOW).value as { commandId: string }).commandId,
    'e1:c1:ASSIGN:v7',
  )
  t.strictSame(updateCrewSchedule(event, NOW), [
    command(event, event.crew[0]!, 'UPDATE_SCHEDULE'),
    command(event, event.crew[1]!, 'UPDATE_SCHEDULE'),
  ])
  t.strictSame(releaseCrew(event, NOW), {
    event: {
      ...event,
      crew: [
        member('c1', 'RELEASED'),
        member('c2', 'RELEASED', 'm2'),
        member('c3', 'UNAVAILABLE'),
        member('c4', 'RELEASED', 'm4'),
      ],
    },
    outputs: [command(event, event.crew[0]!, 'RELEASE'), command(event, event.crew[1]!, 'RELEASE')],
  })
})

const answer = (crewRequestId: string, status: 'ASSIGNED' | 'UNAVAILABLE', reason: string | null = null) =>
  ({
    eventId: 'e1',
    crewRequestId,
    status,
    memberId: status === 'ASSIGNED' ? 'm1' : null,
    reason,
    occurredAtMs: NOW,
  }) as CrewStatusChanged

const notice = (next: EventState, key: string, templateKey: string, reason: string) => ({
  to: 'notifications',
  value: {
    dedupKey: key,
    recipientUserId: 'org',
    templateKey,
    locale: 'ru-RU',
    params: { eventId: 'e1', eventTitle: 'Sailing', crewRequestId: 'c1', role: 'INSTRUCTOR', reason },
    eventId: 'e1',
    createdAtMs: NOW + 5,
  },
})

const TIMER = { requestId: null, actorUserId: null }

t.test('an answer to a requested member is recorded and the organizer told', async (t) => {
  const event = crewed()
  const assigned = { ...event, version: 8, crew: [member('c1', 'ASSIGNED', 'm1'), ...event.crew.slice(1)] }
  t.strictSame(applyCrewStatus(event, answer('c1', 'ASSIGNED'), NOW + 5), {
    event: assigned,
    outputs: [
      eventFact(assigned, 'CREW_ASSIGNED', TIMER, NOW + 5, 'c1'),
      notice(assigned, 'crew.assigned:e1:c1', 'crew.assigned', ''),
    ],
  })
  const unavailable = { ...event, version: 8, crew: [member('c1', 'UNAVAILABLE'), ...event.crew.slice(1)] }
  t.strictSame(applyCrewStatus(event, answer('c1', 'UNAVAILABLE', 'sick'), NOW + 5), {
    event: unavailable,
    outputs: [
      eventFact(unavailable, 'CREW_UNAVAILABLE', TIMER, NOW + 5, 'c1'),
      notice(unavailable, 'crew.unavailable:e1:c1', 'crew.unavailable', 'sick'),
    ],
  })
})

t.test('unknown or settled requests are ignored', async (t) => {
  const event = crewed()
  for (const id of ['c0', 'c2', 'c3', 'c4']) {
    const result = applyCrewStatus(event, answer(id, 'ASSIGNED'), NOW)
    t.equal(result.event, event, id)
    t.strictSame(result.outputs, [], id)
  }
  const secondRequested = crewed({ crew: [member('c0', 'ASSIGNED', 'm0'), member('c1', 'REQUESTED')] })
  t.strictSame(
    applyCrewStatus(secondRequested, answer('c1', 'ASSIGNED'), NOW).event.crew,
    [member('c0', 'ASSIGNED', 'm0'), member('c1', 'ASSIGNED', 'm1')],
    'only the answered request changes',
  )
})

t.test('an assignment for a canceled or completed event is released at once', async (t) => {
  for (const status of ['CANCELED', 'COMPLETED'] as const) {
    const event = crewed({ status, crew: [member('c0', 'REQUESTED'), member('c1', 'REQUESTED')] })
    const next = { ...event, version: 8, crew: [member('c0', 'REQUESTED'), member('c1', 'ASSIGNED', 'm1')] }
    const released = member('c1', 'RELEASED', 'm1')
    t.strictSame(
      applyCrewStatus(event, answer('c1', 'ASSIGNED'), NOW + 5),
      {
        event: { ...next, crew: [member('c0', 'REQUESTED'), released] },
        outputs: [
          eventFact(next, 'CREW_ASSIGNED', TIMER, NOW + 5, 'c1'),
          notice(next, 'crew.assigned:e1:c1', 'crew.assigned', ''),
          command(next, released, 'RELEASE', NOW + 5),
        ],
      },
      status,
    )
    const unavailable = applyCrewStatus(event, answer('c1', 'UNAVAILABLE'), NOW + 5)
    t.equal(unavailable.outputs.length, 2, `${status}: nothing to release when unavailable`)
    t.strictSame(unavailable.event.crew, [member('c0', 'REQUESTED'), member('c1', 'UNAVAILABLE')])
  }
  const rescheduled = crewed({ status: 'RESCHEDULED' })
  const result = applyCrewStatus(rescheduled, answer('c1', 'ASSIGNED'), NOW)
  t.equal(result.outputs.length, 2, 'a live event keeps its crew')
  t.equal(result.event.crew[0]!.status, 'ASSIGNED')
})

const request = (crewRequestId: string | null): EventCommand =>
  eventCommand(
    { requestId: 'q1', eventId: 'e1', actor: { userId: 'org', role: 'ORGANIZER' }, issuedAtMs: NOW },
    'REQUEST_CREW',
    {
      crewRequest: crewRequestId === null ? null : { crewRequestId, role: 'INSTRUCTOR' },
    },
  )

t.test('REQUEST_CREW', async (t) => {
  const event = crewed()
  t.strictSame(requestCrew(event, request(null), NOW), {
    ok: false,
    refusal: { reasonCode: 'VALIDATION_FAILED', message: 'REQUEST_CREW needs its payload' },
  })
  t.strictSame(requestCrew(crewed({ status: 'CANCELED' }), request('c9'), NOW), {
    ok: false,
    refusal: { reasonCode: 'INVALID_TRANSITION', message: 'event is CANCELED' },
  })
  for (const id of ['', 'c1', 'c4'])
    t.strictSame(
      requestCrew(event, request(id), NOW),
      {
        ok: false,
        refusal: { reasonCode: 'VALIDATION_FAILED', message: `crew request ${id} is empty or exists` },
      },
      id,
    )
  const added = member('c9', 'REQUESTED')
  const next = { ...event, version: 8, crew: [...event.crew, added] }
  t.strictSame(requestCrew(event, request('c9'), NOW + 3), {
    ok: true,
    event: next,
    outputs: [
      eventFact(next, 'CREW_REQUESTED', { requestId: 'q1', actorUserId: 'org' }, NOW + 3, 'c9'),
      command(next, added, 'ASSIGN', NOW + 3),
    ],
    followUp: null,
    message: 'crew requested',
    resourceType: 'CREW_REQUEST',
    resourceId: 'c9',
  })
})
