import t from 'tap'
import type { ReviewCommand } from '../../avro/index.ts'
import { failOnError, stringSerde } from '../../streams/index.ts'
import { DEFAULT_TOPIC_NAMES as topics } from '../../topologies/index.ts'
import { bookingSerdes } from '../topologies/booking-harness.ts'
import { EVENT_END, moderate, ReviewHarness, submit } from '../topologies/review-harness.ts'

t.test('a tombstone on the review commands is skipped; the next command is decided', async (t) => {
  const serdes = await bookingSerdes()
  // A processing error fails the test here rather than being dead-lettered.
  const h = new ReviewHarness(serdes, { exceptionHandlers: { processing: failOnError } })
  h.completedEvent('e1', ['u1'])
  const input = h.driver.createInputTopic(topics.reviewCommands, stringSerde, serdes.reviewCommand)
  t.doesNotThrow(() => input.pipeInput('e1', null))
  t.strictSame(h.outcomes.readKeyValuesToList(), [], 'no outcome for a tombstone')
  t.strictSame(h.facts(), [])
  t.match(h.review(submit('e1', 'r1', 'u1')), { accepted: true })
  h.close()
})

t.test('a repeat of a kept Idempotency-Key is kept under its own request ID', async (t) => {
  const serdes = await bookingSerdes()
  const h = new ReviewHarness(serdes)
  h.completedEvent('e1', ['u1'])
  const first: ReviewCommand = { ...submit('e1', 'r1', 'u1'), requestId: 'rq-a', idempotencyKey: 'k1' }
  t.match(h.review(first), { requestId: 'rq-a', accepted: true })
  t.equal(h.facts().length, 1)
  const repeat: ReviewCommand = { ...first, requestId: 'rq-b' }
  t.match(h.review(repeat), { requestId: 'rq-b', accepted: true, originalRequestId: 'rq-a' })
  // rq-b again, now without the key: a request ID is decided once, so it gets rq-b's kept outcome.
  t.match(h.review({ ...repeat, idempotencyKey: null }), {
    requestId: 'rq-b',
    accepted: true,
    originalRequestId: 'rq-a',
  })
  t.strictSame(h.facts(), [], 'no second fact')
  h.close()
})

t.test("an event's rating counts its own reviews only", async (t) => {
  const serdes = await bookingSerdes()
  const h = new ReviewHarness(serdes)
  for (const eventId of ['e1', 'e2']) {
    h.publishedEvent(eventId)
    h.confirmedBookings(eventId, ['u1'])
  }
  h.advanceTo(EVENT_END + 1000)
  h.drain()
  t.match(h.review(submit('e1', 'r1', 'u1', 5)), { accepted: true })
  t.match(h.review(moderate('e1', 'r1', 'ACTIVE')), { accepted: true })
  t.match(h.review(submit('e2', 'r2', 'u1', 1)), { accepted: true })
  t.match(h.review(moderate('e2', 'r2', 'ACTIVE')), { accepted: true })
  t.strictSame(
    h.facts().map((f) => [f.eventId, f.type, f.eventRating, f.eventReviewCount]),
    [
      ['e1', 'SUBMITTED', null, 0],
      ['e1', 'MODERATED', 5, 1],
      ['e2', 'SUBMITTED', null, 0],
      ['e2', 'MODERATED', 1, 1],
    ],
  )
  h.close()
})
