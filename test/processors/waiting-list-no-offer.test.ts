import t from 'tap'
import type { WaitingListState } from '../../processors/ledger-state.ts'
import { expireOffers, offerFreedSeats } from '../../processors/waiting-list.ts'
import { NOW, publishedEvent } from './ledger-fixtures.ts'

// The ledger writes a list back only when these return another object than the one given
// (event-ledger.ts #offerSeats), so "nothing changed" must be the very same list.
const list = (queueSeats: number[], offerExpiries: number[] = []): WaitingListState => ({
  eventId: 'e1',
  queue: queueSeats.map((seats, i) => ({ userId: `q${i}`, seats, joinedAtMs: NOW })),
  offers: offerExpiries.map((expiresAtMs, i) => ({
    userId: `o${i}`,
    seats: 1,
    joinedAtMs: NOW,
    offeredAtMs: NOW,
    expiresAtMs,
  })),
})

t.test('offerFreedSeats with nothing to offer returns the same list and no outputs', async (t) => {
  const full = publishedEvent({ seatsTaken: 5 })
  const waiting = list([1])
  const result = offerFreedSeats(full, waiting, NOW)
  t.equal(result.list, waiting)
  t.strictSame(result.outputs, [])
  const empty = list([])
  t.equal(offerFreedSeats(publishedEvent(), empty, NOW).list, empty, 'an empty queue')
})

t.test('expireOffers with no offer expired returns the same list and offers nothing', async (t) => {
  const waiting = list([1], [NOW + 1])
  const result = expireOffers(publishedEvent(), waiting, NOW)
  t.equal(result.list, waiting)
  t.strictSame(result.outputs, [], 'the free seats wait for the next freeing')
})
