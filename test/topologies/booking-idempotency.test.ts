// Idempotency kept by the pipeline, on the TestDriver with a hand-moved clock: the event's task keeps
// (actor, Idempotency-Key) -> first request ID beside the outcomes, in changelogged stores, for 24 h. A new
// request ID repeating a kept key gets the first decision (naming the first request) and no second
// effect, also after the stores are restored from their changelogs; another user's same key is another
// request; after 24 h a key is decided afresh.
import t from 'tap'
import type { BookingDomainEvent, RequestOutcome } from '../../avro/index.ts'
import { OUTCOME_PRUNE_INTERVAL_MS, OUTCOME_RETENTION_MS } from '../../processors/request-outcomes.ts'
import { BookingHarness, bookingSerdes, bookRequest } from './booking-harness.ts'

const keyed = (command: ReturnType<typeof bookRequest>, key: string) => ({ ...command, idempotencyKey: key })

async function harness(t: { teardown(fn: () => void): void }): Promise<BookingHarness> {
  const h = new BookingHarness(await bookingSerdes())
  t.teardown(() => h.close())
  h.publishedEvent('e1', { capacity: 3, priceMinor: 0 })
  return h
}

const bookingFacts = (h: BookingHarness): BookingDomainEvent[] =>
  h.bookingEvents.readKeyValuesToList().map(([, v]) => v!)

t.test('the same key from the same user is decided once, across a restore of the stores', async (t) => {
  const h = await harness(t)
  const first = h.booking(keyed(bookRequest('e1', 'u1', 'b1', 2, 'std', null, 'r-1'), 'key-A'))
  t.match(first, { accepted: true, resourceId: 'b1', idempotencyKey: 'key-A', actorUserId: 'u1' })
  t.equal(first.originalRequestId, null)
  t.equal(bookingFacts(h).length, 1, 'one booking fact')
  h.eventEvents.readKeyValuesToList()

  h.driver.restart()

  // A retry under another request ID (and even another booking ID): the first decision, no second booking.
  const repeat = h.booking(keyed(bookRequest('e1', 'u1', 'b1-again', 2, 'std', null, 'r-2'), 'key-A'))
  t.same(
    { ...repeat, requestId: first.requestId, originalRequestId: null },
    first,
    'the first outcome, under the repeat request ID',
  )
  t.equal(repeat.requestId, 'r-2')
  t.equal(repeat.originalRequestId, 'r-1', 'it names the request that was decided')
  // The repeat's own request ID is kept too: asked again, it gets the same record.
  const again = h.booking(keyed(bookRequest('e1', 'u1', 'b1-third', 2, 'std', null, 'r-2'), 'key-A'))
  t.same(again, repeat)
  // And the first request ID still answers the first outcome.
  t.same(h.booking(keyed(bookRequest('e1', 'u1', 'b1', 2, 'std', null, 'r-1'), 'key-A')), first)
  t.same(bookingFacts(h), [], 'no second booking, no other fact')
  t.equal(h.eventEvents.readKeyValuesToList().length, 0, 'the event did not change')
})

t.test('the same key from another user is another request', async (t) => {
  const h = await harness(t)
  h.booking(keyed(bookRequest('e1', 'u1', 'b1', 1, 'std', null, 'r-1'), 'shared-key'))
  const other = h.booking(keyed(bookRequest('e1', 'u2', 'b2', 1, 'std', null, 'r-2'), 'shared-key'))
  t.match(other, { accepted: true, resourceId: 'b2', originalRequestId: null, actorUserId: 'u2' })
  t.equal(bookingFacts(h).length, 2, 'two bookings')
})

t.test(
  'a kept key answers any command with its first decision; without a key nothing is matched',
  async (t) => {
    const h = await harness(t)
    const first = h.booking(keyed(bookRequest('e1', 'u1', 'b1', 1, 'std', null, 'r-1'), 'k'))
    const unkeyed = h.booking(bookRequest('e1', 'u1', 'b9', 1, 'std', null, 'r-9'))
    t.match(unkeyed, { accepted: false, reasonCode: 'DUPLICATE_BOOKING', originalRequestId: null })
    const otherCommand = h.booking(keyed(bookRequest('e1', 'u1', 'b7', 3, 'std', null, 'r-7'), 'k'))
    t.match(otherCommand, { accepted: true, resourceId: 'b1', originalRequestId: first.requestId })
  },
)

t.test('keys expire after 24 h of the clock: a later repeat is decided afresh', async (t) => {
  const h = await harness(t)
  h.booking(keyed(bookRequest('e1', 'u1', 'b1', 1, 'std', null, 'r-1'), 'k'))
  h.driver.advanceWallClockTime(OUTCOME_RETENTION_MS - OUTCOME_PRUNE_INTERVAL_MS)
  const withinDay = h.booking(keyed(bookRequest('e1', 'u1', 'b2', 1, 'std', null, 'r-2'), 'k'))
  t.equal(withinDay.originalRequestId, 'r-1', 'within 24 h: the first decision')
  h.driver.advanceWallClockTime(2 * OUTCOME_PRUNE_INTERVAL_MS)
  const afterDay: RequestOutcome = h.booking(keyed(bookRequest('e1', 'u1', 'b3', 1, 'std', null, 'r-3'), 'k'))
  t.match(
    afterDay,
    { accepted: false, reasonCode: 'DUPLICATE_BOOKING', originalRequestId: null },
    'after 24 h: a new decision (u1 still holds b1)',
  )
})
