// The stats routes over a recording StatsQueries double (the queries themselves are tested on chDB by
// test/read-models/analytics/stats-queries.test.ts): roles, viewer mapping, range defaults and validation, CSV.
import t from 'tap'
import { CodedError } from '../../streams/errors.ts'
import { statsRoutes } from '../../query-api/routes/stats.ts'
import type { StatsQueries } from '../../read-models/analytics/index.ts'
import { ADMIN, ORGANIZER, startHarness, USER } from './api-harness.ts'

const calls: unknown[][] = []
const row = { period: '2026-01-01', views: 3, confirmed: 1 }
const attendance = {
  confirmedSeats: 4,
  checkedInSeats: 3,
  attendance: 0.75,
  noShows: { bookings: 1, seats: 1 },
}
const recording = {
  async eventStats(...[viewer, eventId, range, granularity]: Parameters<StatsQueries['eventStats']>) {
    calls.push(['eventStats', viewer, eventId, range, granularity])
    if (eventId === 'foreign') throw new CodedError('FORBIDDEN', 'not yours', { httpStatus: 403 })
    return { eventId, series: [row], totals: row, attendance }
  },
  async eventsStats(...[viewer, range, granularity, options]: Parameters<StatsQueries['eventsStats']>) {
    calls.push(['eventsStats', viewer, range, granularity, options])
    return { range, granularity, series: [row], events: [{ eventId: 'e1', title: 'A, "quoted"', views: 3 }] }
  },
  async bookingStats(...[viewer, range, granularity, options]: Parameters<StatsQueries['bookingStats']>) {
    calls.push(['bookingStats', viewer, range, granularity, options])
    return [{ period: '2026-01-01', status: 'CONFIRMED', bookings: 2 }]
  },
  async conversions(...[viewer, range, granularity, options]: Parameters<StatsQueries['conversions']>) {
    calls.push(['conversions', viewer, range, granularity, options])
    return [{ period: '2026-01-01', views: 10, confirmed: 1, viewToConfirmed: 0.1 }]
  },
} as unknown as StatsQueries

const h = await startHarness({ withPipeline: false, plugins: [statsRoutes(recording)] })
t.teardown(() => h.close())

t.test('organizers get their own view, admins all; CSV on request', async (t) => {
  const res = await h.call(ORGANIZER, {
    method: 'GET',
    url: '/api/v1/events/e1/stats?from=2026-01-01&to=2026-01-31&granularity=week',
  })
  t.equal(res.statusCode, 200, res.body)
  t.same(res.json().attendance, attendance, 'attendance answered as the queries give it')
  t.same(calls.at(-1), [
    'eventStats',
    { role: 'ORGANIZER', organizerId: 'org-1' },
    'e1',
    { from: '2026-01-01', to: '2026-01-31' },
    'week',
  ])
  const admin = await h.call(ADMIN, { method: 'GET', url: '/api/v1/stats/events?limit=5' })
  t.equal(admin.statusCode, 200)
  t.same((calls.at(-1) as unknown[])[1], { role: 'ADMIN' })
  const csv = await h.call(ADMIN, {
    method: 'GET',
    url: '/api/v1/stats/events',
    headers: { accept: 'text/csv' },
  })
  t.match(csv.headers['content-type'], /text\/csv/)
  t.equal(csv.body, 'eventId,title,views\r\ne1,"A, ""quoted""",3\r\n')
  const bookings = await h.call(ORGANIZER, { method: 'GET', url: '/api/v1/stats/bookings?eventId=e1' })
  t.same(bookings.json(), { items: [{ period: '2026-01-01', status: 'CONFIRMED', bookings: 2 }] })
  const conversions = await h.call(ORGANIZER, {
    method: 'GET',
    url: '/api/v1/stats/conversions',
    headers: { accept: 'text/csv' },
  })
  t.equal(conversions.body, 'period,views,confirmed,viewToConfirmed\r\n2026-01-01,10,1,0.1\r\n')
})

t.test('roles, validation and refusals', async (t) => {
  t.equal((await h.call('guest', { method: 'GET', url: '/api/v1/stats/events' })).statusCode, 401)
  t.equal((await h.call(USER, { method: 'GET', url: '/api/v1/stats/events' })).statusCode, 403)
  const foreign = await h.call(ORGANIZER, { method: 'GET', url: '/api/v1/events/foreign/stats' })
  t.equal(foreign.statusCode, 403)
  t.equal(foreign.json().code, 'FORBIDDEN')
  const reversed = await h.call(ADMIN, {
    method: 'GET',
    url: '/api/v1/stats/bookings?from=2026-02-01&to=2026-01-01',
  })
  t.equal(reversed.statusCode, 400)
  t.equal(
    (await h.call(ADMIN, { method: 'GET', url: '/api/v1/stats/bookings?granularity=hour' })).statusCode,
    400,
  )
  t.equal(
    (await h.call(ADMIN, { method: 'GET', url: '/api/v1/stats/bookings?from=01.01.2026' })).statusCode,
    400,
  )
})

t.test("admins narrow the stats to one organizer's events; organizers only to themselves", async (t) => {
  const narrowed = await h.call(ADMIN, { method: 'GET', url: '/api/v1/stats/events?organizerId=org-7' })
  t.equal(narrowed.statusCode, 200)
  t.same((calls.at(-1) as unknown[])[1], { role: 'ORGANIZER', organizerId: 'org-7' })
  await h.call(ADMIN, { method: 'GET', url: '/api/v1/stats/bookings?organizerId=org-7' })
  t.same(calls.at(-1)?.slice(0, 2), ['bookingStats', { role: 'ORGANIZER', organizerId: 'org-7' }])
  const own = await h.call(ORGANIZER, {
    method: 'GET',
    url: `/api/v1/stats/events?organizerId=${ORGANIZER.sub}`,
  })
  t.equal(own.statusCode, 200)
  const count = calls.length
  const other = await h.call(ORGANIZER, { method: 'GET', url: '/api/v1/stats/events?organizerId=org-7' })
  t.equal(other.statusCode, 403)
  t.equal(other.json().code, 'FORBIDDEN')
  t.equal(calls.length, count, 'no query ran')
})

t.test('a CSV export of stats is audited, an organizer’s too; their JSON reads are not', async (t) => {
  const audited = async () => (await h.readModel.listAudit({ actor: ORGANIZER.sub, page: 0, size: 1 })).total
  const before = await audited()
  await h.call(ORGANIZER, { method: 'GET', url: '/api/v1/stats/events' })
  t.equal(await audited(), before, 'a JSON read leaves no record')
  const csv = await h.call(ORGANIZER, {
    method: 'GET',
    url: '/api/v1/stats/events',
    headers: { accept: 'text/csv' },
  })
  t.equal(csv.statusCode, 200)
  t.equal(await audited(), before + 1, 'the export leaves one')
  const [record] = (await h.readModel.listAudit({ actor: ORGANIZER.sub, page: 0, size: 1 })).items
  t.match(record, { action: 'GET /api/v1/stats/events', actorRole: 'organizer', status: 200 })
})
