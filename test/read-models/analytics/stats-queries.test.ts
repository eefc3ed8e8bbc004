import t from 'tap'
import { AnalyticsSink, ANALYTICS_TOPICS } from '../../../read-models/analytics/index.ts'
import { createStatsQueries, toCsv, type StatsQueries } from '../../../read-models/analytics/index.ts'
import { splitByMonths } from '../../../read-models/analytics/stats-range.ts'
import { EmbeddedProjection } from '../../../streams/projection.ts'
import {
  analyticsSerdes,
  BookingPipeline,
  closeClient,
  freshDatabase,
  runScenario,
  sumDays,
  type Expected,
} from './analytics-harness.ts'

t.teardown(closeClient)

const ADMIN = { role: 'ADMIN' } as const
const ORG1 = { role: 'ORGANIZER', organizerId: 'org-1' } as const
const ORG2 = { role: 'ORGANIZER', organizerId: 'org-2' } as const
const ALL = { from: '2026-01-01', to: '2026-01-31' }

let stats: StatsQueries
let expected: Expected

t.before(async () => {
  const { client, database } = await freshDatabase('stats')
  const p = new BookingPipeline(await analyticsSerdes())
  expected = runScenario(p)
  const projection = new EmbeddedProjection(p.log, {
    name: 'analytics',
    topics: ANALYTICS_TOPICS,
    sink: new AnalyticsSink({ client, database, serdes: p.serdes }),
  })
  await projection.start()
  await projection.caughtUp(60_000)
  await projection.close()
  await p.close()
  stats = createStatsQueries({ client, database })
})

t.test('eventStats: the event organizer and admins see the figures; others are refused', async (t) => {
  const e1 = await stats.eventStats(ORG1, 'e1', ALL, 'day')
  const want = sumDays(expected, (ev) => ev === 'e1')
  t.match(e1, { eventId: 'e1', organizerId: 'org-1', status: 'PUBLISHED', capacity: 200 })
  t.match(e1.totals, {
    views: want.views,
    requests: want.requests,
    holds: want.holds,
    confirmed: want.confirmed,
    revenueMinor: want.revenueMinor,
    netRevenueMinor: want.revenueMinor - want.revenueRefundMinor,
    refundMinor: want.refundMinor,
    promoUses: want.promoUses,
    seatsHeld: want.seatsHeld,
    seatsConfirmed: want.seatsConfirmed,
    seatsReleased: want.seatsReleased,
  })
  t.equal(
    (await stats.eventStats(ADMIN, 'e2', ALL, 'day')).totals.reconfirmed,
    sumDays(expected, (ev) => ev === 'e2').reconfirmed,
    're-confirmations',
  )
  t.same(
    e1.series.map((r) => r.period),
    ['2026-01-01', '2026-01-02', '2026-01-03', '2026-01-04'],
  )
  t.equal(
    e1.series.reduce((a, r) => a + r.confirmed, 0),
    want.confirmed,
    'the series adds up to the totals',
  )
  t.same(
    e1.priceOptions.map((o) => [o.priceOptionId, o.name, o.revenueMinor]),
    ['std', 'vip'].map((id) => [id, id.toUpperCase(), expected.priceOptions.get(`e1|${id}`)!.revenueMinor]),
  )
  t.same(
    e1.promoCodes.map((c) => [c.promoCode, c.uses]),
    [['SAVE10', expected.promoUses.get('e1|SAVE10')]],
  )
  t.ok(e1.seatsTaken > 0 && e1.seatsTaken <= 200, `seats taken ${e1.seatsTaken}`)
  const reasons = new Map<string, { refunds: number; amountMinor: number }>()
  for (const ev of ['e1', 'e2', 'e3'])
    for (const r of (await stats.eventStats(ADMIN, ev, ALL, 'month')).refundsByReason) {
      const sum = reasons.get(r.reason) ?? { refunds: 0, amountMinor: 0 }
      reasons.set(r.reason, {
        refunds: sum.refunds + r.refunds,
        amountMinor: sum.amountMinor + r.amountMinor,
      })
    }
  t.same(Object.fromEntries(reasons), Object.fromEntries(expected.refundsByReason), 'refunds by reason')
  t.same((await stats.eventStats(ADMIN, 'e1', ALL, 'month')).totals, e1.totals, 'an admin sees the same')
  await t.rejects(stats.eventStats(ORG2, 'e1', ALL, 'day'), { code: 'FORBIDDEN', httpStatus: 403 })
  await t.rejects(stats.eventStats(ADMIN, 'nope', ALL, 'day'), { code: 'EVENT_NOT_FOUND', httpStatus: 404 })
  const onlyDay2 = await stats.eventStats(ORG1, 'e1', { from: '2026-01-02', to: '2026-01-02' }, 'day')
  t.equal(onlyDay2.totals.requests, sumDays(expected, (ev, d) => ev === 'e1' && d === '2026-01-02').requests)
})

t.test('eventsStats: admin sees the platform, an organizer its own events', async (t) => {
  const admin = await stats.eventsStats(ADMIN, ALL, 'day')
  t.same(
    admin.series.map((r) => [r.period, r.requests, r.revenueMinor]),
    ['2026-01-01', '2026-01-02', '2026-01-03', '2026-01-04'].map((day) => {
      const s = sumDays(expected, (_, d) => d === day)
      return [day, s.requests, s.revenueMinor]
    }),
  )
  t.same(admin.events.map((e) => e.eventId).sort(), ['e1', 'e2', 'e3'])
  const org2 = await stats.eventsStats(ORG2, ALL, 'week')
  t.same(
    org2.events.map((e) => e.eventId),
    ['e3'],
    'an organizer sees own events only',
  )
  t.same(
    org2.series.map((r) => r.period),
    ['2025-12-29'],
    'weeks start on Monday',
  )
  const s = sumDays(expected, (ev) => ev === 'e3')
  t.match(org2.series[0], {
    views: s.views,
    confirmed: s.confirmed,
    refundMinor: s.refundMinor,
    eventsCanceled: 1,
  })
  const month = await stats.eventsStats(ORG1, ALL, 'month')
  const o1 = sumDays(expected, (ev) => ev !== 'e3')
  t.match(month.series, [
    { period: '2026-01-01', views: o1.views, uniqueViewers: 3, revenueMinor: o1.revenueMinor },
  ])
  t.same((await stats.eventsStats({ role: 'ORGANIZER', organizerId: 'nobody' }, ALL, 'day')).events, [])
  await t.rejects(stats.eventsStats(ADMIN, { from: '2026-02-01', to: '2026-01-01' }, 'day'), {
    code: 'VALIDATION_FAILED',
  })
  await t.rejects(stats.eventsStats(ADMIN, ALL, 'year' as never), { code: 'VALIDATION_FAILED' })
  await t.rejects(stats.eventsStats(ADMIN, { from: "2026-01-01' OR 1=1", to: '2026-01-02' }, 'day'), {
    code: 'VALIDATION_FAILED',
  })
})

t.test(
  'eventsStats ranks over whole months from event_monthly and the days around them from event_daily',
  async (t) => {
    t.same(splitByMonths({ from: '2026-01-01', to: '2026-12-31' }), {
      months: { from: '2026-01-01', until: '2027-01-01' },
      edges: [],
    })
    t.same(splitByMonths({ from: '2025-12-15', to: '2026-03-10' }), {
      months: { from: '2026-01-01', until: '2026-03-01' },
      edges: [
        { from: '2025-12-15', to: '2025-12-31' },
        { from: '2026-03-01', to: '2026-03-10' },
      ],
    })
    t.same(splitByMonths({ from: '2026-01-02', to: '2026-01-30' }), {
      months: { from: '2026-01-02', until: '2026-01-02' },
      edges: [{ from: '2026-01-02', to: '2026-01-30' }],
    })
    t.same(splitByMonths({ from: '2024-02-01', to: '2024-02-29' }).edges, [], 'a leap February is whole')
    const ranked = async (from: string, to: string) =>
      Object.fromEntries(
        (await stats.eventsStats(ADMIN, { from, to }, 'day')).events.map((e) => [
          e.eventId,
          [e.requests, e.confirmed, e.revenueMinor, e.views, e.organizerId],
        ]),
      )
    const want = (include: (day: string) => boolean) =>
      Object.fromEntries(
        ['e1', 'e2', 'e3'].map((ev) => {
          const s = sumDays(expected, (e, d) => e === ev && include(d))
          return [ev, [s.requests, s.confirmed, s.revenueMinor, s.views, expected.organizerOf.get(ev)]]
        }),
      )
    t.same(
      await ranked('2025-12-01', '2026-01-31'),
      want(() => true),
      'whole months only',
    )
    t.same(
      await ranked('2026-01-02', '2026-03-31'),
      want((d) => d >= '2026-01-02'),
      'days before whole months',
    )
    t.same(
      await ranked('2025-12-20', '2026-01-03'),
      want((d) => d <= '2026-01-03'),
      'no whole month: days only',
    )
    t.same(
      await ranked('2025-12-01', '2026-01-02'),
      want((d) => d <= '2026-01-02'),
      'a whole month, then days',
    )
  },
)

t.test('bookingStats: bookings by type and status, scoped', async (t) => {
  const admin = await stats.bookingStats(ADMIN, ALL, 'month')
  const byType = new Map<string, number>()
  for (const r of admin) byType.set(r.type, (byType.get(r.type) ?? 0) + r.bookings)
  t.same(Object.fromEntries(byType), Object.fromEntries(expected.bookingTypes))
  const org2 = await stats.bookingStats(ORG2, ALL, 'day')
  t.ok(
    org2.some((r) => r.type === 'CANCELED' && r.reasonCode === 'EVENT_CANCELED'),
    'event cancellation by reason',
  )
  t.equal(
    org2.filter((r) => r.type === 'REJECTED').reduce((a, r) => a + r.bookings, 0),
    3,
    'e3 only: one rejection a day',
  )
  const e2 = await stats.bookingStats(ADMIN, ALL, 'day', { eventId: 'e2' })
  t.ok(
    e2.every((r) => r.type !== 'HELD'),
    'free bookings confirm at once',
  )
})

t.test('conversions: views → requests → holds → confirmed with ratios', async (t) => {
  const rows = await stats.conversions(ADMIN, ALL, 'month')
  const s = sumDays(expected, () => true)
  t.match(rows, [
    { period: '2026-01-01', views: s.views, requests: s.requests, holds: s.holds, confirmed: s.confirmed },
  ])
  t.equal(rows[0]!.viewToRequest, s.requests / s.views)
  t.equal(rows[0]!.holdToConfirmed, s.confirmed / s.holds)
  const scoped = await stats.conversions(ORG1, ALL, 'month', { eventId: 'e3' })
  t.same(scoped, [], "an organizer gets nothing for another organizer's event")
})

t.test('CSV export: header, quoting, formula guard', async (t) => {
  t.equal(toCsv([{ period: '2026-01-01', views: 3, ratio: null }]), 'period,views,ratio\r\n2026-01-01,3,\r\n')
  t.equal(toCsv([{ a: 'x,"y"', b: '=SUM(A1)', c: -5, d: '-5' }]), 'a,b,c,d\r\n"x,""y""",\'=SUM(A1),-5,-5\r\n')
  t.equal(toCsv([], ['period', 'views']), 'period,views\r\n')
  const csv = toCsv(await stats.conversions(ADMIN, ALL, 'day'))
  t.equal(
    csv.split('\r\n')[0],
    'period,views,uniqueViewers,requests,holds,confirmed,viewToRequest,requestToHold,holdToConfirmed,viewToConfirmed',
  )
  t.equal(csv.trimEnd().split('\r\n').length, 5, 'a header and four days')
})
