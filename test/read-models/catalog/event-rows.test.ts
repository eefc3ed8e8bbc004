// The rows an event snapshot becomes, without a database: the public area, promo codes from snapshots of
// both writer versions, the crew list and a cancellation's reason carried from the row before.
import t from 'tap'
import type { EventDomainEvent, PromoCodeSnapshot } from '../../../avro/index.ts'
import { areaOf, eventRow, type EventRow } from '../../../read-models/catalog/event-rows.ts'

const T0 = Date.UTC(2026, 5, 1, 9)
const DAY_MS = 86_400_000

const promo = (code: string, overrides: Partial<PromoCodeSnapshot> = {}): PromoCodeSnapshot => ({
  code,
  kind: 'PERCENTAGE',
  value: 10,
  usageLimit: 5,
  used: 0,
  maxUsesPerUser: null,
  cancelReturnsUse: false,
  validFromMs: null,
  validUntilMs: T0 + DAY_MS,
  active: true,
  ...overrides,
})

const snapshot = (overrides: Partial<EventDomainEvent>): EventDomainEvent => ({
  eventId: 'ev-1',
  version: 1,
  type: 'CREATED',
  status: 'DRAFT',
  requestId: 'r1',
  actorUserId: 'org-1',
  occurredAtMs: T0,
  organizerId: 'org-1',
  title: 'Сплав',
  description: '',
  place: 'Карелия, причал у моста',
  startsAtMs: T0 + 10 * DAY_MS,
  endsAtMs: T0 + 11 * DAY_MS,
  categories: [],
  capacity: 10,
  seatsTaken: 0,
  publishAtMs: null,
  priceOptions: [],
  detail: null,
  promoCodes: [],
  ...overrides,
})

/** The rows after each snapshot in turn, from no row. */
function fold(facts: readonly EventDomainEvent[]): EventRow[] {
  const rows: EventRow[] = []
  for (const f of facts) rows.push(eventRow(f, rows.at(-1)))
  return rows
}

t.test('areaOf: the place up to the first comma, trimmed', async (t) => {
  t.equal(areaOf('Карелия, причал у моста'), 'Карелия')
  t.equal(areaOf(' Ладога , остров, пирс'), 'Ладога')
  t.equal(areaOf('Вуокса'), 'Вуокса', 'no comma: the whole place')
  t.equal(eventRow(snapshot({}), undefined).area, 'Карелия')
})

t.test('promo codes: a snapshot replaces them; one without the field keeps the earlier list', async (t) => {
  const rows = fold([
    snapshot({
      version: 1,
      promoCodes: [
        promo('SUMMER', { validFromMs: T0, maxUsesPerUser: 2, cancelReturnsUse: true }),
        promo('OFF', { active: false }),
      ],
    }),
    // A writer from before promo codes were in the snapshot (EventDomainEvent v1).
    snapshot({ version: 2, type: 'UPDATED', promoCodes: null }),
    snapshot({ version: 3, type: 'PROMO_CODE_DEACTIVATED', promoCodes: [] }),
  ])
  t.strictSame(rows[0]!.promos, [
    {
      event_id: 'ev-1',
      code: 'SUMMER',
      position: 0,
      kind: 'PERCENTAGE',
      value: 10,
      usage_limit: 5,
      valid_from: new Date(T0).toISOString(),
      valid_until: new Date(T0 + DAY_MS).toISOString(),
      active: true,
      max_uses_per_user: 2,
      cancel_returns_use: true,
    },
    {
      event_id: 'ev-1',
      code: 'OFF',
      position: 1,
      kind: 'PERCENTAGE',
      value: 10,
      usage_limit: 5,
      valid_from: null,
      valid_until: new Date(T0 + DAY_MS).toISOString(),
      active: false,
      max_uses_per_user: null,
      cancel_returns_use: false,
    },
  ])
  t.strictSame(rows[1]!.promos, rows[0]!.promos, 'promoCodes null: the earlier snapshot stands')
  t.strictSame(rows[2]!.promos, [], 'an empty list clears the codes')
})

t.test('promo codes: a snapshot without the field over a stored row leaves the rows alone', async (t) => {
  const stored = { crew: [], cancel_reason: null, created_at: new Date(T0).toISOString() }
  t.equal(
    eventRow(snapshot({ version: 4, promoCodes: null }), stored).promos,
    undefined,
    'row from the table',
  )
  t.equal(eventRow(snapshot({ promoCodes: null }), undefined).promos, undefined, 'new event')
})

t.test('crew: requested, answered, released when the event is canceled', async (t) => {
  const rows = fold([
    snapshot({ version: 1, type: 'CREW_REQUESTED', detail: 'cr-1' }),
    snapshot({ version: 2, type: 'CREW_REQUESTED', detail: 'cr-2' }),
    snapshot({ version: 3, type: 'CREW_ASSIGNED', detail: 'cr-1' }),
    snapshot({ version: 4, type: 'CREW_UNAVAILABLE', detail: 'cr-2' }),
    snapshot({ version: 5, type: 'CANCELED', status: 'CANCELED', detail: 'low water' }),
  ])
  t.strictSame(rows[3]!.crew, [
    { crewRequestId: 'cr-1', status: 'ASSIGNED' },
    { crewRequestId: 'cr-2', status: 'UNAVAILABLE' },
  ])
  t.strictSame(
    rows[4]!.crew,
    [
      { crewRequestId: 'cr-1', status: 'RELEASED' },
      { crewRequestId: 'cr-2', status: 'UNAVAILABLE' },
    ],
    'cancellation releases held crew only',
  )
})

t.test('a cancellation reason outlives later facts of the canceled event', async (t) => {
  const rows = fold([
    snapshot({ version: 1, type: 'CREW_REQUESTED', status: 'PUBLISHED', detail: 'cr-1' }),
    snapshot({ version: 2, type: 'CANCELED', status: 'CANCELED', detail: 'low water' }),
    snapshot({ version: 3, type: 'CREW_ASSIGNED', status: 'CANCELED', detail: 'cr-1' }),
  ])
  t.strictSame(
    rows.map((r) => r.cancel_reason),
    [null, 'low water', 'low water'],
  )
  t.strictSame(rows[2]!.crew, [{ crewRequestId: 'cr-1', status: 'RELEASED' }], 'a late answer is released')
  t.equal(rows[2]!.created_at, new Date(T0).toISOString(), 'the creation time stays the first fact')
})

t.test('price options in snapshot order, with their window', async (t) => {
  const row = eventRow(
    snapshot({
      priceOptions: [
        {
          priceOptionId: 'adult',
          name: 'Взрослый',
          priceMinor: 300_000,
          allotment: 8,
          seatsTaken: 0,
          validFromMs: null,
          validUntilMs: T0 + DAY_MS,
        },
        {
          priceOptionId: 'child',
          name: 'Детский',
          priceMinor: 150_000,
          allotment: 2,
          seatsTaken: 0,
          validFromMs: null,
          validUntilMs: null,
        },
      ],
    }),
    undefined,
  )
  t.strictSame(
    row.options.map((o) => [o.price_option_id, o.position, o.valid_until]),
    [
      ['adult', 0, new Date(T0 + DAY_MS).toISOString()],
      ['child', 1, null],
    ],
  )
})
