import type { EventCommand } from '../../avro/index.ts'
import { DAY_MS, type EventState, type PriceOptionState } from '../../processors/ledger-state.ts'
import { eventCommand } from '../../query-api/commands/command-builders.ts'
import { NOW } from './ledger-fixtures.ts'

/** Fixed clock and builders of event states and commands for the pure tests of the event deciders. */
export { NOW }
export const START = NOW + 10 * DAY_MS
export const END = START + 3_600_000

export function option(overrides: Partial<PriceOptionState> = {}): PriceOptionState {
  return {
    priceOptionId: 'a',
    name: 'Adult',
    priceMinor: 1000,
    allotment: 4,
    taken: 0,
    validFromMs: null,
    validUntilMs: null,
    ...overrides,
  }
}

export function eventState(overrides: Partial<EventState> = {}): EventState {
  return {
    eventId: 'e1',
    organizerId: 'org',
    version: 1,
    status: 'DRAFT',
    title: 'SUP tour',
    description: 'Evening SUP tour on the river.',
    place: 'Pier 3',
    startsAtMs: START,
    endsAtMs: END,
    categories: ['sup'],
    capacity: 8,
    holdMinutes: 120,
    bookingDeadlineHours: 24,
    locale: 'ru-RU',
    seatsTaken: 0,
    priceOptions: [option()],
    promoCodes: [],
    refundPolicy: null,
    crew: [],
    publishAtMs: null,
    original: null,
    lastRescheduledAtMs: null,
    reminderSentForStartMs: null,
    ...overrides,
  }
}

export function command(type: EventCommand['type'], payload: Partial<EventCommand> = {}): EventCommand {
  return eventCommand(
    { requestId: 'r1', eventId: 'e1', actor: { userId: 'org', role: 'ORGANIZER' }, issuedAtMs: NOW },
    type,
    payload,
  )
}

export const CAUSE = { requestId: 'r1', actorUserId: 'org' }
