import t from 'tap'
import type { CreateEvent, EventCommand, UpdateEvent } from '../../avro/index.ts'
import { createEvent, decideCreate, updateEvent } from '../../processors/event-edit.ts'
import { eventFact } from '../../processors/ledger-outputs.ts'
import type { EventState } from '../../processors/ledger-state.ts'
import { NO_UPDATE } from '../topologies/booking-harness.ts'
import { CAUSE, command, END, eventState, NOW, option, START } from './event-state-builders.ts'

const failed = (message: string) => ({ reasonCode: 'VALIDATION_FAILED', message })
const refusedWith = (reasonCode: string, message: string) => ({ ok: false, refusal: { reasonCode, message } })

const INPUT: CreateEvent = {
  organizerId: null,
  title: 'SUP tour',
  description: 'Evening SUP tour on the river.',
  startsAtMs: START,
  endsAtMs: END,
  place: 'Pier 3',
  categories: ['sup'],
  capacity: 8,
  holdMinutes: null,
  bookingDeadlineHours: null,
  locale: 'ru-RU',
}
const ORGANIZER = { userId: 'org', role: 'ORGANIZER' } as const
const ADMIN = { userId: 'adm', role: 'ADMIN' } as const

t.test('createEvent: who creates for whom', async (t) => {
  t.strictSame(createEvent('e1', { userId: 'u', role: 'USER' }, INPUT), {
    reasonCode: 'FORBIDDEN',
    message: 'only organizers and admins create events',
  })
  t.strictSame(createEvent('e1', ORGANIZER, { ...INPUT, organizerId: 'other' }), {
    reasonCode: 'FORBIDDEN',
    message: 'an organizer creates events for themselves only',
  })
  t.match(createEvent('e1', ORGANIZER, { ...INPUT, organizerId: 'org' }), { organizerId: 'org' })
  t.match(createEvent('e1', ADMIN, { ...INPUT, organizerId: 'other' }), { organizerId: 'other' })
  t.match(createEvent('e1', ADMIN, INPUT), { organizerId: 'adm' })
})

t.test('createEvent: the whole DRAFT, defaults and given numbers', async (t) => {
  const draft = eventState({ priceOptions: [] })
  t.strictSame(createEvent('e1', ORGANIZER, INPUT), draft)
  t.strictSame(createEvent('e1', ORGANIZER, { ...INPUT, holdMinutes: 30, bookingDeadlineHours: 0 }), {
    ...draft,
    holdMinutes: 30,
    bookingDeadlineHours: 0,
  })
})

t.test('createEvent: each rule refuses alone', async (t) => {
  t.strictSame(
    createEvent('e1', ORGANIZER, { ...INPUT, title: 'ab' }),
    failed('title must be 3-255 characters'),
  )
  t.strictSame(
    createEvent('e1', ORGANIZER, { ...INPUT, endsAtMs: START }),
    failed('the end must be after the start'),
  )
  t.strictSame(createEvent('e1', ORGANIZER, { ...INPUT, capacity: 0 }), failed('capacity must be 1-10000'))
  t.strictSame(
    createEvent('e1', ORGANIZER, { ...INPUT, holdMinutes: 0 }),
    failed('holdMinutes must be 1-10,080'),
  )
  const five = ['a', 'b', 'c', 'd', 'e']
  t.match(createEvent('e1', ORGANIZER, { ...INPUT, categories: five }), { categories: five })
  t.strictSame(
    createEvent('e1', ORGANIZER, { ...INPUT, categories: [...five, 'f'] }),
    failed('at most 5 categories'),
  )
})

t.test('decideCreate', async (t) => {
  t.strictSame(
    decideCreate(undefined, command('CREATE'), NOW),
    refusedWith('VALIDATION_FAILED', 'CREATE needs the create payload'),
  )
  t.strictSame(
    decideCreate(eventState(), command('CREATE', { create: INPUT }), NOW),
    refusedWith('EVENT_ALREADY_EXISTS', 'event e1 exists'),
  )
  t.strictSame(
    decideCreate(undefined, command('CREATE', { create: { ...INPUT, title: '' } }), NOW),
    refusedWith('VALIDATION_FAILED', 'title must be 3-255 characters'),
  )
  const created = eventState({ priceOptions: [] })
  t.strictSame(decideCreate(undefined, command('CREATE', { create: INPUT }), NOW), {
    ok: true,
    event: created,
    outputs: [eventFact(created, 'CREATED', CAUSE, NOW)],
    followUp: null,
    message: 'event created',
    resourceType: 'EVENT',
    resourceId: 'e1',
  })
})

const update = (fields: Partial<UpdateEvent>, expectedVersion: number | null = 1): EventCommand =>
  command('UPDATE', { update: { ...NO_UPDATE, ...fields }, expectedVersion })

function acceptedUpdate(next: EventState) {
  return {
    ok: true,
    event: next,
    outputs: [eventFact(next, 'UPDATED', CAUSE, NOW)],
    followUp: null,
    message: 'event updated',
    resourceType: 'EVENT',
    resourceId: 'e1',
  }
}

t.test('updateEvent: payload, version, editable', async (t) => {
  t.strictSame(
    updateEvent(eventState(), command('UPDATE', { expectedVersion: 1 }), NOW),
    refusedWith('VALIDATION_FAILED', 'UPDATE needs the update payload'),
  )
  t.strictSame(
    updateEvent(eventState(), update({ title: 'New title' }, null), NOW),
    refusedWith('VALIDATION_FAILED', 'UPDATE needs expectedVersion'),
  )
  t.strictSame(
    updateEvent(eventState({ status: 'CANCELED' }), update({ title: 'New title' }), NOW),
    refusedWith('INVALID_TRANSITION', 'event is CANCELED'),
  )
})

t.test('updateEvent: date and place change only while DRAFT', async (t) => {
  const published = eventState({ status: 'PUBLISHED' })
  const byReschedule = refusedWith(
    'INVALID_TRANSITION',
    'date and place of a PUBLISHED event change by RESCHEDULE',
  )
  t.strictSame(updateEvent(published, update({ startsAtMs: START + 1 }), NOW), byReschedule)
  t.strictSame(updateEvent(published, update({ endsAtMs: END + 1 }), NOW), byReschedule)
  t.strictSame(updateEvent(published, update({ place: 'Pier 4' }), NOW), byReschedule)
  t.strictSame(
    updateEvent(published, update({ title: 'New title' }), NOW),
    acceptedUpdate({ ...published, title: 'New title', version: 2 }),
  )
  t.strictSame(updateEvent(published, update({}), NOW), acceptedUpdate({ ...published, version: 2 }))
  const draft = eventState()
  t.strictSame(
    updateEvent(draft, update({ startsAtMs: START + 1, endsAtMs: END + 1, place: 'Pier 4' }), NOW),
    acceptedUpdate({ ...draft, startsAtMs: START + 1, endsAtMs: END + 1, place: 'Pier 4', version: 2 }),
  )
})

t.test('updateEvent: every field it sets', async (t) => {
  const draft = eventState()
  const fields = {
    title: 'River tour',
    description: 'A longer tour on the river.',
    place: 'Pier 9',
    startsAtMs: START + 5,
    endsAtMs: END + 5,
    categories: ['river', 'sup'],
    capacity: 12,
    holdMinutes: 20,
    bookingDeadlineHours: 0,
  }
  t.strictSame(updateEvent(draft, update(fields), NOW), acceptedUpdate({ ...draft, ...fields, version: 2 }))
})

t.test('updateEvent: each rule refuses alone', async (t) => {
  const draft = eventState({
    seatsTaken: 3,
    priceOptions: [option({ allotment: 4 }), option({ priceOptionId: 'b', allotment: 2 })],
  })
  t.strictSame(
    updateEvent(draft, update({ title: 'ab' }), NOW),
    refusedWith('VALIDATION_FAILED', 'title must be 3-255 characters'),
  )
  t.strictSame(
    updateEvent(draft, update({ endsAtMs: START }), NOW),
    refusedWith('VALIDATION_FAILED', 'the end must be after the start'),
  )
  t.strictSame(
    updateEvent(draft, update({ holdMinutes: 0 }), NOW),
    refusedWith('VALIDATION_FAILED', 'holdMinutes must be 1-10,080'),
  )
  const five = ['a', 'b', 'c', 'd', 'e']
  t.match(updateEvent(draft, update({ categories: five }), NOW), { ok: true, event: { categories: five } })
  t.strictSame(
    updateEvent(draft, update({ categories: [...five, 'f'] }), NOW),
    refusedWith('VALIDATION_FAILED', 'at most 5 categories'),
  )
  const below = refusedWith('VALIDATION_FAILED', 'capacity below the seats taken or the sum of allotments')
  // allotments 6, seats taken 3
  t.strictSame(updateEvent(draft, update({ capacity: 5 }), NOW), below)
  t.match(updateEvent(draft, update({ capacity: 6 }), NOW), { ok: true, event: { capacity: 6 } })
  const taken = eventState({ seatsTaken: 5, priceOptions: [option({ allotment: 2 })] })
  t.strictSame(updateEvent(taken, update({ capacity: 4 }), NOW), below)
  t.match(updateEvent(taken, update({ capacity: 5 }), NOW), { ok: true, event: { capacity: 5 } })
})
