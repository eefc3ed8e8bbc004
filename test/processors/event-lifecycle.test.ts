import t from 'tap'
import type { EventCommand, EventDomainEvent } from '../../avro/index.ts'
import { decideEventCommand, dueEventTimer } from '../../processors/event-lifecycle.ts'
import { DAY_MS, type EventState } from '../../processors/ledger-state.ts'
import { eventCommand as buildEventCommand } from '../../query-api/commands/command-builders.ts'
import {
  BookingHarness,
  bookingSerdes,
  bookRequest,
  eventCommand,
  NO_UPDATE,
  T0,
} from '../topologies/booking-harness.ts'

const NOW = Date.UTC(2026, 0, 1)
const command = (type: EventCommand['type'], payload: Partial<EventCommand> = {}): EventCommand =>
  buildEventCommand(
    { requestId: 'r', eventId: 'e1', actor: { userId: 'org', role: 'ORGANIZER' }, issuedAtMs: NOW },
    type,
    payload,
  )

function draft(): EventState {
  const decision = decideEventCommand(
    undefined,
    command('CREATE', {
      create: {
        organizerId: null,
        title: 'SUP tour',
        description: 'Evening SUP tour on the river.',
        startsAtMs: NOW + 10 * DAY_MS,
        endsAtMs: NOW + 10 * DAY_MS + 3_600_000,
        place: 'Pier 3',
        categories: ['sup'],
        capacity: 8,
        holdMinutes: null,
        bookingDeadlineHours: null,
        locale: 'ru-RU',
      },
    }),
    NOW,
  )
  if (!decision.ok) throw new Error(decision.refusal.message)
  return decision.event
}

t.test('transitions allowed and refused', async (t) => {
  const event = draft()
  t.match(
    decideEventCommand(
      event,
      command('RESCHEDULE', {
        reschedule: { startsAtMs: NOW + DAY_MS, endsAtMs: NOW + 2 * DAY_MS, place: 'x' },
      }),
      NOW,
    ),
    { ok: false, refusal: { reasonCode: 'INVALID_TRANSITION' } },
  )
  t.match(decideEventCommand(event, command('PUBLISH'), NOW), {
    ok: false,
    refusal: { reasonCode: 'VALIDATION_FAILED' },
  })
  const withOption = decideEventCommand(
    event,
    command('ADD_PRICE_OPTION', {
      priceOption: {
        priceOptionId: 'a',
        name: 'A',
        priceMinor: 100,
        allotment: 8,
        validFromMs: null,
        validUntilMs: null,
      },
    }),
    NOW,
  )
  if (!withOption.ok) throw new Error('refused')
  const published = decideEventCommand(withOption.event, command('PUBLISH'), NOW)
  t.match(published, { ok: true, event: { status: 'PUBLISHED', version: 3 } })
  if (!published.ok) return
  const canceled = decideEventCommand(published.event, command('CANCEL'), NOW)
  t.match(canceled, { ok: true, followUp: 'CANCEL_ALL', event: { status: 'CANCELED' } })
  if (!canceled.ok) return
  t.match(decideEventCommand(canceled.event, command('CANCEL'), NOW), {
    ok: false,
    refusal: { reasonCode: 'INVALID_TRANSITION' },
  })
  t.match(
    decideEventCommand(published.event, command('CANCEL', { actor: { userId: 'u', role: 'USER' } }), NOW),
    { ok: false, refusal: { reasonCode: 'FORBIDDEN' } },
  )
})

t.test('timers: reminder once per start, complete at the end, reviewed 30 days later', async (t) => {
  const event: EventState = { ...draft(), status: 'PUBLISHED' }
  t.equal(dueEventTimer(event, NOW), undefined)
  const remind = dueEventTimer(event, event.startsAtMs - DAY_MS)
  t.equal(remind?.followUp, 'REMIND')
  t.equal(dueEventTimer(remind!.event, event.startsAtMs - DAY_MS + 1), undefined, 'once')
  const completed = dueEventTimer(remind!.event, event.endsAtMs)
  t.equal(completed?.event.status, 'COMPLETED')
  t.equal(dueEventTimer(completed!.event, event.endsAtMs + 30 * DAY_MS - 1), undefined)
  t.equal(dueEventTimer(completed!.event, event.endsAtMs + 30 * DAY_MS)?.event.status, 'REVIEWED')
})

t.test('the event snapshot carries every promo code, deactivated ones included', async (t) => {
  const published: EventState = { ...draft(), status: 'PUBLISHED' }
  const promo = (code: string, kind: 'PERCENTAGE' | 'FIXED_AMOUNT', value: number) =>
    command('CREATE_PROMO_CODE', {
      createPromoCode: {
        code,
        kind,
        value,
        usageLimit: 3,
        validFromMs: kind === 'FIXED_AMOUNT' ? NOW + DAY_MS : null,
        validUntilMs: NOW + 5 * DAY_MS,
        maxUsesPerUser: null,
        cancelReturnsUse: false,
      },
    })
  const first = decideEventCommand(published, promo('SUMMER10', 'PERCENTAGE', 10), NOW)
  if (!first.ok) throw new Error(first.refusal.message)
  const second = decideEventCommand(first.event, promo('MINUS500', 'FIXED_AMOUNT', 50_000), NOW)
  if (!second.ok) throw new Error(second.refusal.message)
  const fact = second.outputs[0]
  t.equal(fact?.to, 'event-events')
  t.match(fact?.value, { type: 'PROMO_CODE_CREATED', detail: 'MINUS500' })
  t.same((fact?.value as EventDomainEvent).promoCodes, [
    {
      code: 'SUMMER10',
      kind: 'PERCENTAGE',
      value: 10,
      usageLimit: 3,
      used: 0,
      validFromMs: null,
      validUntilMs: NOW + 5 * DAY_MS,
      active: true,
      maxUsesPerUser: null,
      cancelReturnsUse: false,
    },
    {
      code: 'MINUS500',
      kind: 'FIXED_AMOUNT',
      value: 50_000,
      usageLimit: 3,
      used: 0,
      validFromMs: NOW + DAY_MS,
      validUntilMs: NOW + 5 * DAY_MS,
      active: true,
      maxUsesPerUser: null,
      cancelReturnsUse: false,
    },
  ])

  const deactivated = decideEventCommand(
    second.event,
    command('DEACTIVATE_PROMO_CODE', { deactivatePromoCode: { code: 'SUMMER10' } }),
    NOW,
  )
  if (!deactivated.ok) throw new Error(deactivated.refusal.message)
  const codes = (deactivated.outputs[0]?.value as EventDomainEvent).promoCodes
  t.same(
    codes?.map((p) => [p.code, p.active]),
    [
      ['SUMMER10', false],
      ['MINUS500', true],
    ],
    'a deactivated code stays in the snapshot, inactive',
  )

  // Every other fact carries the full list too: a consumer never loses codes on an unrelated change.
  const withUse: EventState = {
    ...deactivated.event,
    promoCodes: deactivated.event.promoCodes.map((p) => (p.code === 'MINUS500' ? { ...p, used: 2 } : p)),
  }
  const canceled = decideEventCommand(withUse, command('CANCEL'), NOW)
  if (!canceled.ok) throw new Error(canceled.refusal.message)
  const canceledFact = canceled.outputs.find((o) => o.to === 'event-events')?.value as EventDomainEvent
  t.equal(canceledFact.type, 'CANCELED')
  t.same(
    canceledFact.promoCodes?.map((p) => [p.code, p.active, p.used]),
    [
      ['SUMMER10', false, 0],
      ['MINUS500', true, 2],
    ],
    'with the ledger use count at the time of the fact',
  )
  const timer = dueEventTimer({ ...withUse }, withUse.endsAtMs)
  t.equal((timer?.outputs[0]?.value as EventDomainEvent).promoCodes?.length, 2, 'timer facts too')

  const freshFact = decideEventCommand(
    draft(),
    command('UPDATE', { expectedVersion: 1, update: { ...NO_UPDATE, title: 'SUP tour at dusk' } }),
    NOW,
  )
  t.same(
    freshFact.ok ? (freshFact.outputs[0]?.value as EventDomainEvent).promoCodes : undefined,
    [],
    'an event without codes says so with an empty list (null means an old writer)',
  )
})

t.test('on the TestDriver: snapshots through the Avro serde show codes, uses and crew facts', async (t) => {
  const h = new BookingHarness(await bookingSerdes())
  t.teardown(() => h.close())
  const facts = () => h.eventEvents.readKeyValuesToList().map(([, value]) => value!)
  h.publishedEvent('e1', { priceMinor: 100_000 })
  const promo = eventCommand('e1', 'CREATE_PROMO_CODE', {
    createPromoCode: {
      code: 'RIVER20',
      kind: 'PERCENTAGE',
      value: 20,
      usageLimit: 2,
      validFromMs: null,
      validUntilMs: T0 + 10 * DAY_MS,
      maxUsesPerUser: null,
      cancelReturnsUse: false,
    },
  })
  t.ok(h.event(promo).accepted)
  const created = facts().at(-1)!
  t.match(created, { type: 'PROMO_CODE_CREATED', detail: 'RIVER20' })
  t.same(created.promoCodes, [
    {
      code: 'RIVER20',
      kind: 'PERCENTAGE',
      value: 20,
      usageLimit: 2,
      used: 0,
      validFromMs: null,
      validUntilMs: T0 + 10 * DAY_MS,
      active: true,
      maxUsesPerUser: null,
      cancelReturnsUse: false,
    },
  ])

  t.ok(h.booking(bookRequest('e1', 'u1', 'b1', 2, 'std', 'RIVER20')).accepted)
  t.equal(facts().length, 0, 'a booking emits no event fact')
  t.ok(
    h.event(eventCommand('e1', 'REQUEST_CREW', { crewRequest: { crewRequestId: 'c1', role: 'INSTRUCTOR' } }))
      .accepted,
  )
  h.crew('e1', 'c1', 'ASSIGNED', 'm1')
  t.same(
    facts().map((f) => [f.type, f.promoCodes?.map((p) => `${p.code}:${p.used}/${p.usageLimit}`)]),
    [
      ['CREW_REQUESTED', ['RIVER20:1/2']],
      ['CREW_ASSIGNED', ['RIVER20:1/2']],
    ],
    'the next event facts carry the use the booking took, crew answers included',
  )
})
