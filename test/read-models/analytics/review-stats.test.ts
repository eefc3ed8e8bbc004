// Review facts in ClickHouse and their aggregates (GET /api/v1/stats/reviews): the pipeline's review and
// booking facts projected by the analytics sink on chDB, then the stats compared with a recount of the
// same facts read straight from the log (each review's latest fact; participants with a CONFIRMED booking),
// and with the figures the scenario's plan gives.
import t from 'tap'
import type { BookingDomainEvent, ReviewDomainEvent } from '../../../avro/index.ts'
import {
  AnalyticsSink,
  ANALYTICS_TOPICS,
  createStatsQueries,
  type ReviewTotals,
  type StatsViewer,
} from '../../../read-models/analytics/index.ts'
import { EmbeddedProjection } from '../../../streams/index.ts'
import { DEFAULT_TOPIC_NAMES as topics } from '../../../topologies/index.ts'
import { bookingSerdes, bookRequest, DAY_MS, user } from '../../topologies/booking-harness.ts'
import { moderate, reviewCommand, submit } from '../../topologies/review-harness.ts'
import { createEvent } from '../catalog/scenario.ts'
import { PipelineScenario } from '../catalog/support.ts'
import { closeClient, dashboardPanelSql, freshDatabase, grafanaSql } from './analytics-harness.ts'

const serdes = await bookingSerdes()
const RANGE = { from: '2026-01-01', to: '2026-03-31' }

function ok(outcome: { accepted: boolean; message: string }): void {
  if (!outcome.accepted) throw new Error(`scenario step refused: ${outcome.message}`)
}

/**
 * ev-a (org-1): 4 participants (and a canceled booking); reviews 5 ACTIVE (2 votes, one taken back), 4
 * ACTIVE, 2 REJECTED, 3 PENDING, one deleted. ev-b (org-2): 2 participants, one ACTIVE 3.
 */
function scenario(): PipelineScenario {
  const scn = new PipelineScenario(serdes)
  createEvent(scn, 'ev-a', { title: 'Event A', capacity: 10 })
  createEvent(scn, 'ev-b', { title: 'Event B', capacity: 10 }, { organizerId: 'org-2' })
  const attend = (eventId: string, userId: string) => {
    ok(scn.booking(bookRequest(eventId, userId, `b-${eventId}-${userId}`)))
    scn.payment(eventId, `b-${eventId}-${userId}`, 'COMPLETED', 500_000)
  }
  for (const u of ['u1', 'u2', 'u3', 'u4', 'u5']) attend('ev-a', u)
  for (const u of ['u1', 'u6']) attend('ev-b', u)
  ok(scn.booking(bookRequest('ev-a', 'u9', 'b-ev-a-u9')))
  ok(
    scn.booking({
      ...bookRequest('ev-a', 'u9', 'b-ev-a-u9'),
      type: 'CANCEL',
      request: null,
      cancel: { bookingId: 'b-ev-a-u9', reason: null, forceMajeure: false },
    }),
  )
  scn.advance(32 * DAY_MS)
  ok(scn.review(submit('ev-a', 'ra1', 'u1', 5, 'Superb guides')))
  ok(scn.review(submit('ev-a', 'ra2', 'u2', 4, 'Good, a bit cold')))
  ok(scn.review(submit('ev-a', 'ra3', 'u3', 2, 'Not for me')))
  ok(scn.review(submit('ev-a', 'ra4', 'u4', 3, 'Average trip')))
  ok(scn.review(submit('ev-a', 'ra5', 'u5', 1, 'Changed my mind')))
  ok(scn.review(reviewCommand('ev-a', 'ra5', 'DELETE', user('u5'))))
  ok(scn.review(submit('ev-b', 'rb1', 'u1', 3, 'Fine trip')))
  ok(scn.review(moderate('ev-a', 'ra1', 'ACTIVE')))
  ok(scn.review(moderate('ev-a', 'ra2', 'ACTIVE')))
  ok(scn.review(moderate('ev-a', 'ra3', 'REJECTED', 'Rude')))
  ok(scn.review(moderate('ev-b', 'rb1', 'ACTIVE')))
  for (const voter of ['u2', 'u3', 'u4'])
    ok(scn.review(reviewCommand('ev-a', 'ra1', 'VOTE_HELPFUL', user(voter))))
  ok(scn.review(reviewCommand('ev-a', 'ra1', 'UNVOTE', user('u4'))))
  return scn
}

/** Every record of a topic on the log, decoded, in offset order per partition. */
function factsOf<T>(
  scn: PipelineScenario,
  topic: string,
  serde: { deserialize(t: string, b: Buffer): T },
): T[] {
  const out: T[] = []
  for (let p = 0; p < scn.log.partitions(topic); p++)
    for (const r of scn.log.read(topic, p, 0, 1_000_000)) out.push(serde.deserialize(topic, r.value!))
  return out
}

/** The totals recounted in TypeScript from the facts on the log. */
function recount(
  scn: PipelineScenario,
  keep: (eventId: string, organizerId: string) => boolean,
): ReviewTotals {
  const latest = new Map<string, ReviewDomainEvent>()
  for (const f of factsOf(scn, topics.reviewEvents, serdes.reviewEvent))
    if (keep(f.eventId, f.organizerId)) latest.set(f.reviewId, f)
  const reviews = [...latest.values()].filter((r) => r.status !== 'DELETED')
  const active = reviews.filter((r) => r.status === 'ACTIVE')
  const organizers = new Map(reviews.map((r) => [r.eventId, r.organizerId]))
  const bookings = new Map<string, BookingDomainEvent>()
  for (const b of factsOf(scn, topics.bookingEvents, serdes.bookingEvent))
    if (b.bookingId !== null && b.type !== 'REJECTED') bookings.set(b.bookingId, b)
  const attendees = new Set(
    [...bookings.values()]
      .filter((b) => b.status === 'CONFIRMED' && keep(b.eventId, organizers.get(b.eventId) ?? ''))
      .map((b) => `${b.eventId}/${b.userId}`),
  ).size
  const mean = active.reduce((s, r) => s + r.rating, 0) / active.length
  return {
    reviews: reviews.length,
    activeReviews: active.length,
    averageRating: active.length === 0 ? null : Math.round(mean * 10) / 10,
    helpfulVotes: active.reduce((s, r) => s + r.helpfulCount, 0),
    attendees,
    reviewRate: attendees === 0 ? null : Math.round((reviews.length / attendees) * 1000) / 1000,
  }
}

const scn = scenario()
const { client, database } = await freshDatabase('reviews')
const projection = new EmbeddedProjection(scn.log, {
  name: 'analytics',
  topics: ANALYTICS_TOPICS,
  sink: new AnalyticsSink({ client, database, serdes }),
})
await projection.start()
await projection.caughtUp(60_000)
await projection.close()
const stats = createStatsQueries({ client, database })
t.teardown(async () => {
  await scn.close()
  await closeClient()
})

const ADMIN: StatsViewer = { role: 'ADMIN' }
const ORG2: StatsViewer = { role: 'ORGANIZER', organizerId: 'org-2' }

t.test('platform: the aggregates equal the recount, and the plan', async (t) => {
  const got = await stats.reviewStats(ADMIN, RANGE, 'month')
  t.same(
    got.totals,
    recount(scn, () => true),
  )
  t.same(got.totals, {
    reviews: 5,
    activeReviews: 3,
    averageRating: 4,
    helpfulVotes: 2,
    attendees: 7,
    reviewRate: 0.714,
  })
  t.same(got.series, [{ period: '2026-02-01', activeReviews: 3, averageRating: 4 }], 'rating over time')
})

t.test("one event, and an organizer's events only", async (t) => {
  const a = await stats.reviewStats(ADMIN, RANGE, 'day', { eventId: 'ev-a' })
  t.same(
    a.totals,
    recount(scn, (eventId) => eventId === 'ev-a'),
  )
  t.match(a.totals, { reviews: 4, activeReviews: 2, averageRating: 4.5, attendees: 5, reviewRate: 0.8 })
  const org2 = await stats.reviewStats(ORG2, RANGE, 'week')
  t.same(
    org2.totals,
    recount(scn, (_e, organizerId) => organizerId === 'org-2'),
  )
  t.match(org2.totals, { reviews: 1, averageRating: 3, attendees: 2, reviewRate: 0.5 })
})

t.test('a range without reviews has none, and no rating', async (t) => {
  const empty = await stats.reviewStats(ADMIN, { from: '2026-01-01', to: '2026-01-31' }, 'day')
  t.match(empty.totals, { reviews: 0, activeReviews: 0, averageRating: null, helpfulVotes: 0 })
  t.same(empty.series, [])
})

t.test(
  "the dashboard's review panel shows the recount, for the platform and for one organizer",
  async (t) => {
    const sql = dashboardPanelSql(
      'Reviews submitted in range: published, average rating (published), helpful votes',
    )
    for (const [organizer, keep] of [
      ['All', () => true],
      ['org-2', (_eventId: string, organizerId: string) => organizerId === 'org-2'],
    ] as const) {
      const expected = recount(scn, keep)
      const rows = await (
        await client.query({
          query: grafanaSql(sql, { database, organizer, from: RANGE.from, to: RANGE.to }),
          format: 'JSONEachRow',
        })
      ).json<{
        reviews: number
        published_reviews: number
        average_rating: number | null
        helpful_votes: number
      }>()
      t.same(
        rows.map((r) => ({
          reviews: Number(r.reviews),
          activeReviews: Number(r.published_reviews),
          averageRating: r.average_rating === null ? null : Number(r.average_rating),
          helpfulVotes: Number(r.helpful_votes),
        })),
        [
          {
            reviews: expected.reviews,
            activeReviews: expected.activeReviews,
            averageRating: expected.averageRating,
            helpfulVotes: expected.helpfulVotes,
          },
        ],
        organizer,
      )
    }
  },
)
