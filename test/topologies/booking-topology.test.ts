import t from 'tap'
import { TOPICS, topicSpec } from '../../infra/topics.ts'
import { LEDGER_STORES } from '../../processors/ledger-stores.ts'
import type { BookingState, EventState } from '../../processors/ledger-state.ts'
import { OUTCOME_RETENTION_MS, OUTCOME_PRUNE_INTERVAL_MS } from '../../processors/request-outcomes.ts'
import { buildBookingTopology } from '../../topologies/booking-topology.ts'
import { DEFAULT_TOPIC_NAMES as topicNames } from '../../topologies/index.ts'
import {
  ADMIN,
  BookingHarness,
  bookingCommand,
  bookingSerdes,
  bookRequest,
  createPayload,
  DAY_MS,
  eventCommand,
  HOUR_MS,
  NO_UPDATE,
  ORGANIZER,
  T0,
  user,
} from './booking-harness.ts'

async function harness(t: { teardown(fn: () => void): void }, config = {}): Promise<BookingHarness> {
  const h = new BookingHarness(await bookingSerdes(), config)
  t.teardown(() => h.close())
  return h
}

const cancel = (eventId: string, bookingId: string, actor = user('u1'), forceMajeure = false) =>
  bookingCommand(eventId, 'CANCEL', { cancel: { bookingId, reason: null, forceMajeure } }, actor)
const types = (list: [unknown, { type: string } | null][]) => list.map(([, v]) => v?.type)

t.test('describe() shows one subtopology: four sources, the ledger with six stores, six sinks', async (t) => {
  const topology = buildBookingTopology({ serdes: await bookingSerdes() })
  const text = topology.describe().toString()
  t.equal(topology.subtopologies().length, 1)
  for (const store of Object.values(LEDGER_STORES)) t.match(text, store)
  t.match(text, /Source: event-commands \(topics: \[aquastream\.event\.commands\.v1\]\)/)
  t.match(text, /Sink: outcomes \(topic: aquastream\.request\.outcomes\.v1\)/)
  for (const name of Object.values(topicNames))
    t.equal(topicSpec(name).name, name, `${name} is declared in infra/topics.ts`)
  t.comment(text)
})

t.test('runs on the declared topics (12 co-partitioned partitions)', async (t) => {
  const h = await harness(t, { topics: TOPICS })
  h.publishedEvent('e-part')
  t.ok(h.booking(bookRequest('e-part', 'u1', 'b1')).accepted)
})

t.test('event lifecycle: create, publish checks, ownership, versions, transitions', async (t) => {
  const h = await harness(t)
  t.equal(
    h.event(eventCommand('e1', 'CREATE', { create: createPayload() }, user('u1'))).reasonCode,
    'FORBIDDEN',
  )
  t.ok(h.event(eventCommand('e1', 'CREATE', { create: createPayload() })).accepted)
  t.equal(
    h.event(eventCommand('e1', 'CREATE', { create: createPayload() })).reasonCode,
    'EVENT_ALREADY_EXISTS',
  )
  t.equal(
    h.event(eventCommand('e1', 'PUBLISH', { publish: { publishAtMs: null } })).reasonCode,
    'VALIDATION_FAILED',
    'no price option yet',
  )
  t.equal(h.event(eventCommand('nope', 'PUBLISH')).reasonCode, 'EVENT_NOT_FOUND')
  const other = { userId: 'org-2', role: 'ORGANIZER' as const }
  t.equal(
    h.event(eventCommand('e1', 'CANCEL', {}, other)).reasonCode,
    'FORBIDDEN',
    'an organizer acts on own events only',
  )
  const update = (expectedVersion: number | null) =>
    eventCommand('e1', 'UPDATE', {
      expectedVersion,
      update: { ...NO_UPDATE, title: 'New title' },
    })
  t.equal(h.event(update(7)).reasonCode, 'VERSION_CONFLICT')
  t.ok(h.event(update(1)).accepted, 'version 1 → 2')
  t.equal(h.event(update(1)).reasonCode, 'VERSION_CONFLICT', 'stale version')
  const option = {
    priceOptionId: 'std',
    name: 'Std',
    priceMinor: 1000,
    allotment: 11,
    validFromMs: null,
    validUntilMs: null,
  }
  t.equal(
    h.event(eventCommand('e1', 'ADD_PRICE_OPTION', { priceOption: option })).reasonCode,
    'LIMIT_EXCEEDED',
    'allotments ≤ capacity',
  )
  t.ok(
    h.event(eventCommand('e1', 'ADD_PRICE_OPTION', { priceOption: { ...option, allotment: 10 } }, ADMIN))
      .accepted,
    'admin acts on all events',
  )
  t.equal(h.event(eventCommand('e1', 'RESTORE_SCHEDULE')).reasonCode, 'INVALID_TRANSITION')
  t.equal(
    h.event(
      eventCommand('e1', 'RESCHEDULE', {
        reschedule: { startsAtMs: T0 + 40 * DAY_MS, endsAtMs: T0 + 41 * DAY_MS, place: 'x' },
      }),
    ).reasonCode,
    'INVALID_TRANSITION',
    'DRAFT cannot be rescheduled',
  )
  h.eventEvents.readKeyValuesToList()
  t.ok(h.event(eventCommand('e1', 'PUBLISH', { publish: { publishAtMs: T0 + HOUR_MS } })).accepted)
  t.same(types(h.eventEvents.readKeyValuesToList()), ['PUBLICATION_SCHEDULED'])
  h.driver.advanceWallClockTime(HOUR_MS - 1000)
  t.ok(h.eventEvents.isEmpty(), 'not yet')
  h.driver.advanceWallClockTime(1000)
  const published = h.eventEvents.readKeyValuesToList()
  t.same(types(published), ['PUBLISHED'], 'scheduled publication runs on the clock')
  t.equal(published[0]![1]!.version, 5)
  t.equal(h.event(eventCommand('e1', 'PUBLISH')).reasonCode, 'INVALID_TRANSITION')
  h.driver.advanceWallClockTime(31 * DAY_MS)
  t.same(types(h.eventEvents.readKeyValuesToList()), ['COMPLETED'], 'auto-complete at the end')
  t.equal(
    h.event(eventCommand('e1', 'CANCEL')).reasonCode,
    'INVALID_TRANSITION',
    'COMPLETED cannot be canceled',
  )
  h.driver.advanceWallClockTime(30 * DAY_MS)
  t.same(types(h.eventEvents.readKeyValuesToList()), ['REVIEWED'], 'REVIEWED 30 days after the end')
})

t.test('booking: hold, payment confirms with a ticket code, notifications once', async (t) => {
  const h = await harness(t)
  h.publishedEvent('e1', { priceMinor: 250_000 })
  h.drain()
  const outcome = h.booking(bookRequest('e1', 'u1', 'b1', 2))
  t.match(outcome, { accepted: true, resourceType: 'BOOKING', resourceId: 'b1', reasonCode: null })
  const held = h.bookingEvents.readKeyValuesToList()
  t.match(held[0]![1], {
    type: 'HELD',
    status: 'PENDING_PAYMENT',
    amountMinor: 500_000,
    holdExpiresAtMs: T0 + 2 * HOUR_MS,
    eventSeatsTaken: 2,
  })
  h.payment('e1', 'b1', 'COMPLETED', 500_000)
  h.payment('e1', 'b1', 'COMPLETED', 500_000) // redelivered
  const confirmed = h.bookingEvents.readKeyValuesToList()
  t.equal(confirmed.length, 1)
  t.match(confirmed[0]![1], { type: 'CONFIRMED', status: 'CONFIRMED', ticketCode: /^T1~/ })
  const notes = h.notifications
    .readKeyValuesToList()
    .map(([, n]) => `${n!.recipientUserId}:${n!.templateKey}:${n!.dedupKey}`)
  t.same(notes, [
    'u1:booking.created:booking.created:b1',
    'u1:booking.confirmed:booking.confirmed:b1',
    'org-1:booking.confirmed.organizer:booking.confirmed.organizer:b1',
  ])
  t.ok(h.refunds.isEmpty())
})

t.test('booking refusals carry their reason codes', async (t) => {
  const h = await harness(t)
  t.equal(h.booking(bookRequest('none', 'u1', 'b0')).reasonCode, 'EVENT_NOT_FOUND')
  h.event(eventCommand('draft', 'CREATE', { create: createPayload() }))
  t.equal(h.booking(bookRequest('draft', 'u1', 'b0')).reasonCode, 'EVENT_NOT_BOOKABLE')
  h.publishedEvent('e1', { capacity: 3 })
  h.event(
    eventCommand('e1', 'CREATE_PROMO_CODE', {
      createPromoCode: {
        code: 'ONCE',
        kind: 'FIXED_AMOUNT',
        value: 100,
        usageLimit: 1,
        validFromMs: null,
        validUntilMs: T0 + 10 * DAY_MS,
        maxUsesPerUser: null,
        cancelReturnsUse: false,
      },
    }),
  )
  t.equal(h.booking(bookRequest('e1', 'u1', 'b1', 21)).reasonCode, 'TOO_MANY_SEATS')
  t.equal(h.booking(bookRequest('e1', 'u1', 'b1', 4)).reasonCode, 'NO_AVAILABLE_SEATS')
  t.equal(h.booking(bookRequest('e1', 'u1', 'b1', 1, 'std', 'NOPE')).reasonCode, 'PROMO_INVALID')
  t.ok(h.booking(bookRequest('e1', 'u1', 'b1', 1, 'std', 'ONCE')).accepted)
  t.equal(h.booking(bookRequest('e1', 'u2', 'b2', 1, 'std', 'ONCE')).reasonCode, 'PROMO_EXHAUSTED')
  t.equal(
    h.booking(bookRequest('e1', 'u1', 'b3')).reasonCode,
    'DUPLICATE_BOOKING',
    'one active booking per user',
  )
  t.equal(h.booking(bookRequest('e1', 'u2', 'b1')).reasonCode, 'DUPLICATE_BOOKING', 'booking ID taken')
  t.equal(
    h.booking(
      bookingCommand(
        'e1',
        'REQUEST',
        { request: { bookingId: 'b4', userId: 'org-1', priceOptionId: 'std', seats: 1, promoCode: null } },
        ORGANIZER,
      ),
    ).reasonCode,
    'ORGANIZER_OWN_EVENT',
  )
  t.equal(
    h.booking(
      bookingCommand(
        'e1',
        'REQUEST',
        { request: { bookingId: 'b4', userId: 'u9', priceOptionId: 'std', seats: 1, promoCode: null } },
        user('u8'),
      ),
    ).reasonCode,
    'FORBIDDEN',
  )
  t.equal(h.booking(cancel('e1', 'b1', user('u2'))).reasonCode, 'FORBIDDEN', "not the user's booking")
  t.equal(
    h.booking(cancel('e1', 'b1', user('u1'), true)).reasonCode,
    'FORBIDDEN',
    'force majeure is admin only',
  )
  t.ok(h.booking(cancel('e1', 'b1')).accepted)
  t.equal(h.booking(cancel('e1', 'b1')).reasonCode, 'INVALID_BOOKING_STATE', 'already canceled')
  const rejected = h.bookingEvents.readKeyValuesToList().filter(([, v]) => v!.type === 'REJECTED')
  t.ok(rejected.length >= 6, 'refused requests are booking facts too')
  h.driver.advanceWallClockTime(29 * DAY_MS + 1)
  t.equal(h.booking(bookRequest('e1', 'u5', 'b5')).reasonCode, 'BOOKING_DEADLINE_PASSED')
})

t.test(
  'hold expiry frees seats; payment failure frees seats; late payment confirms or refunds',
  async (t) => {
    const h = await harness(t)
    h.publishedEvent('e1', { capacity: 2, priceMinor: 1000 })
    t.ok(h.booking(bookRequest('e1', 'u1', 'b1', 2)).accepted)
    t.equal(h.booking(bookRequest('e1', 'u2', 'b2', 1)).reasonCode, 'NO_AVAILABLE_SEATS')
    h.drain()
    h.driver.advanceWallClockTime(2 * HOUR_MS)
    t.same(types(h.bookingEvents.readKeyValuesToList()), ['EXPIRED'], 'default hold 2 h')
    t.same(
      h.notifications.readKeyValuesToList().map(([, n]) => n!.dedupKey),
      ['booking.expired:b1'],
    )
    h.payment('e1', 'b1', 'COMPLETED', 2000)
    t.match(
      h.bookingEvents.readKeyValuesToList()[0]![1],
      { type: 'CONFIRMED', bookingId: 'b1' },
      'late payment, seats free: confirmed',
    )
    t.ok(h.refunds.isEmpty())
    t.ok(h.booking(cancel('e1', 'b1')).accepted, 'canceled >7 days ahead: full refund')
    t.match(h.refunds.readKeyValuesToList()[0]![1], {
      bookingId: 'b1',
      amountMinor: 2000,
      reason: 'USER_CANCELED',
    })

    t.ok(h.booking(bookRequest('e1', 'u2', 'b2', 1)).accepted)
    h.payment('e1', 'b2', 'FAILED', 0)
    t.equal(
      h.driver.getKeyValueStore<string, EventState>(LEDGER_STORES.events).get('e1')!.seatsTaken,
      0,
      'failure frees seats',
    )
    t.ok(h.booking(bookRequest('e1', 'u3', 'b3', 2)).accepted, 'the freed seats are bookable')
    h.drain()
    h.payment('e1', 'b2', 'COMPLETED', 1000)
    t.match(
      h.refunds.readKeyValuesToList()[0]![1],
      { bookingId: 'b2', amountMinor: 1000, reason: 'LATE_PAYMENT' },
      'no seats: full refund',
    )
    t.match(h.bookingEvents.readKeyValuesToList()[0]![1], {
      type: 'LATE_PAYMENT_REFUNDED',
      reasonCode: 'NO_AVAILABLE_SEATS',
    })
    const b2 = h.driver.getKeyValueStore<string, BookingState>(LEDGER_STORES.bookings).get('e1/b2')!
    t.match(b2, { status: 'CANCELED', paidMinor: 1000, refundedMinor: 1000 })
  },
)

t.test('hold time is configurable per event; a free booking confirms at once', async (t) => {
  const h = await harness(t)
  h.publishedEvent('e1', { create: { holdMinutes: 15 } })
  h.booking(bookRequest('e1', 'u1', 'b1'))
  h.drain()
  h.driver.advanceWallClockTime(15 * 60_000)
  t.same(types(h.bookingEvents.readKeyValuesToList()), ['EXPIRED'])
  h.publishedEvent('free', { priceMinor: 0 })
  h.drain()
  t.ok(h.booking(bookRequest('free', 'u1', 'f1', 3)).accepted)
  t.match(h.bookingEvents.readKeyValuesToList()[0]![1], {
    type: 'CONFIRMED',
    amountMinor: 0,
    ticketCode: /^T1~/,
  })
})

t.test('a repeated request ID gets the original outcome and no second effect; kept ≥ 24 h', async (t) => {
  const h = await harness(t)
  h.publishedEvent('e1')
  h.drain()
  const command = bookRequest('e1', 'u1', 'b1', 1, 'std', null, 'same-request')
  const first = h.booking(command)
  const held = h.bookingEvents.readKeyValuesToList()
  h.driver.advanceWallClockTime(OUTCOME_RETENTION_MS - 1000)
  const again = h.booking(command)
  t.same(again, first, 'the same outcome record')
  t.equal(held.length, 1)
  t.ok(
    h.bookingEvents.readKeyValuesToList().every(([, v]) => v!.type !== 'HELD'),
    'no second hold',
  )
  t.equal(
    h.driver.getKeyValueStore<string, EventState>(LEDGER_STORES.events).get('e1')!.seatsTaken,
    0,
    'the hold expired meanwhile; not re-taken',
  )
  h.driver.advanceWallClockTime(OUTCOME_PRUNE_INTERVAL_MS + 2000)
  t.equal(
    h.driver.getKeyValueStore(LEDGER_STORES.outcomes).get('same-request'),
    undefined,
    'pruned after 24 h',
  )
})

t.test(
  'event cancel: every active booking canceled with a full refund, crew released, notified once',
  async (t) => {
    const h = await harness(t)
    h.publishedEvent('e1', { priceMinor: 1000 })
    t.ok(
      h.event(
        eventCommand('e1', 'REQUEST_CREW', { crewRequest: { crewRequestId: 'c1', role: 'INSTRUCTOR' } }),
      ).accepted,
    )
    t.match(h.crewCommands.readKeyValuesToList()[0]![1], {
      type: 'ASSIGN',
      crewRequestId: 'c1',
      role: 'INSTRUCTOR',
    })
    h.crew('e1', 'c1', 'ASSIGNED', 'm1')
    h.crew('e1', 'c1', 'ASSIGNED', 'm1') // redelivered
    t.same(types(h.eventEvents.readKeyValuesToList()).slice(-1), ['CREW_ASSIGNED'])
    h.booking(bookRequest('e1', 'u1', 'b1', 2))
    h.payment('e1', 'b1', 'COMPLETED', 2000)
    h.booking(bookRequest('e1', 'u2', 'b2', 1))
    h.drain()
    t.ok(h.event(eventCommand('e1', 'CANCEL', { cancel: { reason: 'storm' } })).accepted)
    t.match(
      h.crewCommands.readKeyValuesToList().map(([, c]) => c),
      [{ type: 'RELEASE', crewRequestId: 'c1', memberId: 'm1' }],
    )
    t.same(
      h.refunds.readKeyValuesToList().map(([, r]) => [r!.bookingId, r!.amountMinor, r!.reason]),
      [['b1', 2000, 'EVENT_CANCELED']],
    )
    t.same(
      h.bookingEvents.readKeyValuesToList().map(([, b]) => [b!.bookingId, b!.type, b!.status]),
      [
        ['b1', 'CANCELED', 'CANCELED'],
        ['b2', 'CANCELED', 'CANCELED'],
      ],
    )
    const keys = h.notifications.readKeyValuesToList().map(([, n]) => n!.dedupKey)
    t.same(keys, ['event.canceled:e1:b1', 'event.canceled:e1:b2'])
    t.equal(h.driver.getKeyValueStore<string, EventState>(LEDGER_STORES.events).get('e1')!.seatsTaken, 0)
    h.payment('e1', 'b2', 'COMPLETED', 1000)
    t.match(
      h.refunds.readKeyValuesToList()[0]![1],
      { bookingId: 'b2', amountMinor: 1000, reason: 'LATE_PAYMENT' },
      'paid after cancel: refunded',
    )
    h.crew('e1', 'c2', 'UNAVAILABLE')
    t.ok(h.crewCommands.isEmpty(), 'an unknown crew request is ignored')
  },
)

t.test(
  'reschedule keeps bookings, notifies, allows a full refund; restore brings the original back',
  async (t) => {
    const h = await harness(t)
    h.publishedEvent('e1', { priceMinor: 1000 })
    h.booking(bookRequest('e1', 'u1', 'b1'))
    h.payment('e1', 'b1', 'COMPLETED', 1000)
    h.booking(bookRequest('e1', 'u2', 'b2'))
    h.payment('e1', 'b2', 'COMPLETED', 1000)
    h.drain()
    h.driver.advanceWallClockTime(28 * DAY_MS) // 2 days before the start: the policy would refund 80%
    const reschedule = {
      startsAtMs: T0 + 29 * DAY_MS + 12 * HOUR_MS,
      endsAtMs: T0 + 30 * DAY_MS,
      place: 'New place',
    }
    t.ok(h.event(eventCommand('e1', 'RESCHEDULE', { reschedule })).accepted)
    t.same(types(h.eventEvents.readKeyValuesToList()), ['RESCHEDULED'])
    const notes = h.notifications.readKeyValuesToList().map(([, n]) => n!)
    t.same(
      notes.map((n) => n.dedupKey),
      ['event.rescheduled:e1:v4:b1', 'event.rescheduled:e1:v4:b2'],
    )
    t.equal(notes[0]!.params.reconfirmationRequired, 'true')
    t.ok(h.booking(cancel('e1', 'b1')).accepted)
    t.match(
      h.refunds.readKeyValuesToList()[0]![1],
      { amountMinor: 1000, reason: 'RESCHEDULE_CANCELED' },
      'full refund after a reschedule',
    )
    h.drain()
    t.ok(h.event(eventCommand('e1', 'RESTORE_SCHEDULE')).accepted)
    t.match(h.eventEvents.readKeyValuesToList()[0]![1], {
      type: 'SCHEDULE_RESTORED',
      status: 'PUBLISHED',
      startsAtMs: T0 + 30 * DAY_MS,
    })
    t.same(
      h.notifications.readKeyValuesToList().map(([, n]) => n!.dedupKey),
      ['event.schedule_restored:e1:v5:b2'],
    )
  },
)

t.test('refund tiers on user cancel and an admin force-majeure override', async (t) => {
  const h = await harness(t)
  h.publishedEvent('e1', { priceMinor: 1000 })
  for (const u of ['u1', 'u2', 'u3']) {
    h.booking(bookRequest('e1', u, `b-${u}`))
    h.payment('e1', `b-${u}`, 'COMPLETED', 1000)
  }
  h.drain()
  h.driver.advanceWallClockTime(26 * DAY_MS) // 4 days left: 80%
  h.booking(cancel('e1', 'b-u1'))
  h.driver.advanceWallClockTime(3 * DAY_MS + 12 * HOUR_MS) // 12 h left: 0%
  h.booking(cancel('e1', 'b-u2', user('u2')))
  h.booking(cancel('e1', 'b-u3', ADMIN, true))
  t.same(
    h.refunds.readKeyValuesToList().map(([, r]) => [r!.bookingId, r!.amountMinor, r!.reason]),
    [
      ['b-u1', 800, 'USER_CANCELED'],
      ['b-u3', 1000, 'FORCE_MAJEURE'],
    ],
  )
})

t.test('the 24-hour reminder goes once to confirmed bookings', async (t) => {
  const h = await harness(t)
  h.publishedEvent('e1', { priceMinor: 0 })
  h.booking(bookRequest('e1', 'u1', 'b1'))
  h.drain()
  h.driver.advanceWallClockTime(29 * DAY_MS - 1000)
  t.ok(h.notifications.isEmpty())
  h.driver.advanceWallClockTime(1000)
  h.driver.advanceWallClockTime(HOUR_MS)
  t.same(
    h.notifications.readKeyValuesToList().map(([, n]) => n!.dedupKey),
    [`event.reminder:e1:${T0 + 30 * DAY_MS}:b1`],
  )
})

t.test(
  'waiting list: only when sold out, FIFO offers, 30-minute expiry, booking with the offer',
  async (t) => {
    const h = await harness(t)
    h.publishedEvent('e1', { capacity: 2, priceMinor: 1000 })
    const join = (u: string) =>
      bookingCommand('e1', 'JOIN_WAITING_LIST', { joinWaitingList: { userId: u, seats: 1 } }, user(u))
    t.equal(h.booking(join('u3')).reasonCode, 'SEATS_AVAILABLE')
    h.booking(bookRequest('e1', 'u1', 'b1', 2))
    t.equal(h.booking(join('u1')).reasonCode, 'DUPLICATE_BOOKING')
    t.ok(h.booking(join('u3')).accepted)
    t.ok(h.booking(join('u4')).accepted)
    t.equal(h.booking(join('u4')).reasonCode, 'ALREADY_ON_WAITING_LIST')
    t.equal(
      h.booking(
        bookingCommand('e1', 'LEAVE_WAITING_LIST', { leaveWaitingList: { userId: 'u5' } }, user('u5')),
      ).reasonCode,
      'NOT_ON_WAITING_LIST',
    )
    h.drain()
    t.ok(
      h.booking(
        bookingCommand('e1', 'CHANGE_SEATS', { changeSeats: { bookingId: 'b1', seats: 1 } }, user('u1')),
      ).accepted,
    )
    const offered = h.bookingEvents.readKeyValuesToList().map(([, b]) => [b!.type, b!.userId])
    t.same(
      offered,
      [
        ['SEATS_CHANGED', 'u1'],
        ['WAITLIST_OFFERED', 'u3'],
      ],
      'the head gets the freed seat',
    )
    t.equal(
      h.booking(bookRequest('e1', 'u9', 'b9')).reasonCode,
      'NO_AVAILABLE_SEATS',
      'the offered seat is held back',
    )
    h.drain()
    h.driver.advanceWallClockTime(30 * 60_000)
    t.same(
      h.bookingEvents.readKeyValuesToList().map(([, b]) => [b!.type, b!.userId]),
      [
        ['WAITLIST_OFFER_EXPIRED', 'u3'],
        ['WAITLIST_OFFERED', 'u4'],
      ],
    )
    t.ok(h.booking(bookRequest('e1', 'u4', 'b4')).accepted, 'the offered user books the seat')
    t.same(h.driver.getKeyValueStore(LEDGER_STORES.waitingLists).get('e1'), {
      eventId: 'e1',
      queue: [],
      offers: [],
    })
  },
)

t.test('promo codes: percentage discount, usage returns when a hold expires', async (t) => {
  const h = await harness(t)
  h.publishedEvent('e1', { priceMinor: 1000 })
  const promo = (code: string, value: number) =>
    eventCommand('e1', 'CREATE_PROMO_CODE', {
      createPromoCode: {
        code,
        kind: 'PERCENTAGE',
        value,
        usageLimit: 1,
        validFromMs: null,
        validUntilMs: T0 + 10 * DAY_MS,
        maxUsesPerUser: null,
        cancelReturnsUse: false,
      },
    })
  t.equal(h.event(promo('bad code', 10)).reasonCode, 'VALIDATION_FAILED')
  t.ok(h.event(promo('HALF', 50)).accepted)
  t.equal(h.event(promo('HALF', 50)).reasonCode, 'PROMO_CODE_EXISTS')
  h.drain()
  h.booking(bookRequest('e1', 'u1', 'b1', 3, 'std', 'HALF'))
  t.equal(h.bookingEvents.readKeyValuesToList()[0]![1]!.amountMinor, 1500)
  t.equal(h.booking(bookRequest('e1', 'u2', 'b2', 1, 'std', 'HALF')).reasonCode, 'PROMO_EXHAUSTED')
  h.driver.advanceWallClockTime(2 * HOUR_MS)
  t.ok(
    h.booking(bookRequest('e1', 'u2', 'b2', 1, 'std', 'HALF')).accepted,
    'the expired hold gave its use back',
  )
  t.ok(
    h.event(eventCommand('e1', 'DEACTIVATE_PROMO_CODE', { deactivatePromoCode: { code: 'HALF' } })).accepted,
  )
  t.equal(h.booking(bookRequest('e1', 'u3', 'b3', 1, 'std', 'HALF')).reasonCode, 'PROMO_INVALID')
})
