// Reviews in the catalog read model, on both engines, from the real topology's review facts: rows with
// author, status, reply and helpful count; the event's rating (mean of ACTIVE reviews, 1 decimal) and
// reviewCount on the catalog rows, so sort=rating and minRating work; an event's public list (ACTIVE only,
// by helpfulness or date, the author's own pending one first); the moderation queue; and a rebuild that
// reproduces the reviews and ratings row for row.
import t from 'tap'
import type { ReadModel } from '../../../read-models/catalog/index.ts'
import { rebuildReadModel } from '../../../read-models/catalog/rebuild.ts'
import { bookingSerdes, bookRequest, DAY_MS, T0 } from '../../topologies/booking-harness.ts'
import { moderate, reviewCommand, submit } from '../../topologies/review-harness.ts'
import { user } from '../../topologies/booking-harness.ts'
import { createEvent } from './scenario.ts'
import { dbOf, engines, PipelineScenario, project, projectedTables } from './support.ts'

const serdes = await bookingSerdes()

function ok(outcome: { accepted: boolean; message: string }): void {
  if (!outcome.accepted) throw new Error(`scenario step refused: ${outcome.message}`)
}

/**
 * Two completed events: ev-a with reviews 5 (ACTIVE, 2 helpful votes, a reply), 4 (ACTIVE), 2 (REJECTED),
 * 3 (PENDING, by u4); ev-b with one ACTIVE 3. A third event, ev-c, completed without reviews.
 */
function reviewScenario(): PipelineScenario {
  const scn = new PipelineScenario(serdes)
  for (const eventId of ['ev-a', 'ev-b', 'ev-c'])
    createEvent(scn, eventId, { title: `Event ${eventId}`, capacity: 10 })
  for (const [eventId, users] of [
    ['ev-a', ['u1', 'u2', 'u3', 'u4']],
    ['ev-b', ['u1']],
  ] as const)
    for (const userId of users) {
      ok(scn.booking(bookRequest(eventId, userId, `b-${eventId}-${userId}`)))
      scn.payment(eventId, `b-${eventId}-${userId}`, 'COMPLETED', 500_000)
    }
  scn.advance(32 * DAY_MS)
  ok(
    scn.review({
      ...submit('ev-a', 'ra1', 'u1', 5, 'Superb guides and food'),
      submit: { rating: 5, text: 'Superb guides and food', authorName: 'Anna' },
    }),
  )
  scn.advance(1000)
  ok(scn.review(submit('ev-a', 'ra2', 'u2', 4, 'Good, a bit cold')))
  scn.advance(1000)
  ok(scn.review(submit('ev-a', 'ra3', 'u3', 2, 'Not for me, sorry')))
  scn.advance(1000)
  ok(scn.review(submit('ev-a', 'ra4', 'u4', 3, 'Average trip overall')))
  ok(scn.review(submit('ev-b', 'rb1', 'u1', 3, 'Fine, nothing more')))
  ok(scn.review(moderate('ev-a', 'ra1', 'ACTIVE')))
  ok(scn.review(moderate('ev-a', 'ra2', 'ACTIVE')))
  ok(scn.review(moderate('ev-a', 'ra3', 'REJECTED', 'Personal attacks')))
  ok(scn.review(moderate('ev-b', 'rb1', 'ACTIVE')))
  ok(scn.review(reviewCommand('ev-a', 'ra1', 'VOTE_HELPFUL', user('u2'))))
  ok(scn.review(reviewCommand('ev-a', 'ra1', 'VOTE_HELPFUL', user('u3'))))
  ok(scn.review(reviewCommand('ev-a', 'ra2', 'VOTE_HELPFUL', user('u3'))))
  ok(scn.review(reviewCommand('ev-a', 'ra2', 'UNVOTE', user('u3'))))
  ok(
    scn.review(
      reviewCommand(
        'ev-a',
        'ra1',
        'REPLY',
        { userId: 'org-1', role: 'ORGANIZER' },
        { reply: { text: 'Thank you, Anna!' } },
      ),
    ),
  )
  return scn
}

const ids = (page: { items: readonly { id: string }[] }) => page.items.map((r) => r.id)

for (const engine of engines()) {
  t.test(engine.name, async (t) => {
    t.teardown(() => engine.cleanup())
    const scn = reviewScenario()
    t.teardown(() => scn.close())
    const model: ReadModel = await engine.open()
    t.teardown(() => model.close())
    await project(scn.log, model, serdes)

    t.test('review rows: author, status, rejection reason, reply, helpful count', async (t) => {
      t.match(await model.getReview('ra1'), {
        eventId: 'ev-a',
        authorId: 'u1',
        authorName: 'Anna',
        rating: 5,
        status: 'ACTIVE',
        reply: 'Thank you, Anna!',
        repliedAt: new Date(T0 + 32 * DAY_MS + 3000).toISOString(),
        helpfulCount: 2,
      })
      t.match(await model.getReview('ra2'), { status: 'ACTIVE', helpfulCount: 0, reply: null })
      t.match(await model.getReview('ra3'), { status: 'REJECTED', rejectionReason: 'Personal attacks' })
      t.match(await model.getReview('ra4'), { status: 'PENDING', authorName: null })
      t.equal(await model.getReview('nope'), undefined)
    })

    t.test('rating = mean of ACTIVE reviews (1 decimal) and reviewCount on the events', async (t) => {
      const a = await model.getEvent('ev-a', { role: 'guest' })
      t.match(a, { rating: 4.5, reviewCount: 2 })
      t.match(await model.getEvent('ev-b', { role: 'guest' }), { rating: 3, reviewCount: 1 })
      t.match(await model.getEvent('ev-c', { role: 'guest' }), { rating: null, reviewCount: 0 })
    })

    t.test('sort=rating and minRating on the catalog', async (t) => {
      const search = { status: ['COMPLETED'] as const, page: 0, size: 10 }
      const desc = await model.searchEvents(
        { ...search, sort: { field: 'rating', dir: 'desc' } },
        { role: 'guest' },
      )
      t.same(ids(desc), ['ev-a', 'ev-b', 'ev-c'], 'unrated last')
      const asc = await model.searchEvents(
        { ...search, sort: { field: 'rating', dir: 'asc' } },
        { role: 'guest' },
      )
      t.same(ids(asc), ['ev-b', 'ev-a', 'ev-c'], 'unrated last both ways')
      const min = await model.searchEvents({ ...search, minRating: 4 }, { role: 'guest' })
      t.same(ids(min), ['ev-a'])
      t.equal(min.total, 1)
      t.same(ids(await model.searchEvents({ ...search, minRating: 3 }, { role: 'guest' })).sort(), [
        'ev-a',
        'ev-b',
      ])
    })

    t.test(
      "an event's reviews: ACTIVE only, by helpfulness or date; authors see their own first",
      async (t) => {
        const helpful = await model.listEventReviews('ev-a', { sort: 'helpful', page: 0, size: 10 })
        t.same(ids(helpful), ['ra1', 'ra2'])
        t.equal(helpful.total, 2)
        t.same(ids(await model.listEventReviews('ev-a', { sort: 'date', page: 0, size: 10 })), ['ra2', 'ra1'])
        const own = await model.listEventReviews('ev-a', {
          sort: 'helpful',
          page: 0,
          size: 10,
          viewerId: 'u4',
        })
        t.same(ids(own), ['ra4', 'ra1', 'ra2'], 'the pending one of its author, first')
        t.equal(own.total, 3)
        const rejected = await model.listEventReviews('ev-a', {
          sort: 'date',
          page: 0,
          size: 10,
          viewerId: 'u3',
        })
        t.same(ids(rejected), ['ra3', 'ra2', 'ra1'], 'a rejected one too, to its author')
        const paged = await model.listEventReviews('ev-a', { sort: 'helpful', page: 1, size: 1 })
        t.same(ids(paged), ['ra2'])
      },
    )

    t.test('the moderation queue', async (t) => {
      const pending = await model.listReviewsByStatus({ status: 'PENDING', page: 0, size: 10 })
      t.same(ids(pending), ['ra4'])
      t.same(ids(await model.listReviewsByStatus({ status: 'REJECTED', page: 0, size: 10 })), ['ra3'])
    })

    t.test('a replay changes nothing; a rebuild reproduces reviews and ratings row for row', async (t) => {
      const before = await projectedTables(model)
      t.equal(before.reviews!.length, 5)
      await project(scn.log, model, serdes)
      t.same(await projectedTables(model), before, 'replay')
      const report = await rebuildReadModel(dbOf(model), { serdes, source: { log: scn.log } })
      t.equal(report.rows.reviews, 5)
      t.same(await projectedTables(model), before, 'row for row')
    })
  })
}
