import t from 'tap'
import { LEDGER_STORES, LedgerStores } from '../../processors/ledger-stores.ts'
import type { WaitingListState } from '../../processors/ledger-state.ts'
import { OUTCOME_RETENTION_MS } from '../../processors/request-outcomes.ts'
import { InMemoryKeyValueStore, jsonSerde, stringSerde, type ProcessorContext } from '../../streams/index.ts'
import { heldBooking, NOW, publishedEvent } from './ledger-fixtures.ts'

/** LedgerStores over real in-memory stores, and those stores by name (their changelogs show every write). */
function ledgerStores() {
  const byName = new Map<string, InMemoryKeyValueStore<string, unknown>>()
  for (const name of Object.values(LEDGER_STORES))
    byName.set(name, new InMemoryKeyValueStore(name, stringSerde, jsonSerde<unknown>()))
  const context = { getStateStore: (name: string) => byName.get(name) }
  const stores = new LedgerStores(context as unknown as ProcessorContext<string, unknown>)
  /** The writes to a store since the last call: [key, value or null for a delete]. */
  const writes = (name: string) =>
    byName
      .get(name)!
      .drainChangelog('changelog')
      .map((r) => [r.key.toString(), r.value === null ? null : JSON.parse(r.value.toString())])
  return { stores, writes }
}

t.test(
  'saveEvent writes a changed event and skips the stored record itself; putEvent always writes',
  async (t) => {
    const { stores, writes } = ledgerStores()
    const event = publishedEvent()
    stores.saveEvent(event)
    t.strictSame(writes(LEDGER_STORES.events), [['e1', JSON.parse(JSON.stringify(event))]])
    stores.saveEvent(event)
    t.strictSame(writes(LEDGER_STORES.events), [], 'the stored record itself: no write')
    stores.saveEvent({ ...event })
    t.equal(writes(LEDGER_STORES.events).length, 1, 'an equal copy is written')
    stores.putEvent(event)
    t.equal(writes(LEDGER_STORES.events).length, 1)
    t.strictSame(stores.eventIds(), ['e1'])
  },
)

t.test('bookingsOf returns only the bookings of that event', async (t) => {
  const { stores } = ledgerStores()
  const a = heldBooking({ bookingId: 'b1' })
  const b = heldBooking({ bookingId: 'b2', userId: 'u2' })
  const other = heldBooking({ eventId: 'e10', bookingId: 'b3' })
  const elsewhere = heldBooking({ eventId: 'x', bookingId: 'b4' })
  for (const booking of [a, other, b, elsewhere]) stores.saveBooking(booking)
  t.strictSame(stores.bookingsOf('e1'), [a, b])
  t.strictSame(stores.bookingsOf('e10'), [other])
  t.strictSame(stores.bookingsOf('e2'), [])
})

t.test('the promo-booking index holds only bookings made with a code, each once', async (t) => {
  const { stores, writes } = ledgerStores()
  const plain = heldBooking({ bookingId: 'b1' })
  stores.saveBooking(plain)
  t.strictSame(writes(LEDGER_STORES.promoBookings), [], 'no code: no index entry')
  t.strictSame(stores.userBookings('e1', 'u1'), { activeBookingId: 'b1', promoBookings: [] })
  const promo = heldBooking({ bookingId: 'b2', promoCode: 'ONE', status: 'EXPIRED', holdExpiresAtMs: null })
  stores.saveBooking(promo)
  t.strictSame(writes(LEDGER_STORES.promoBookings), [['e1/u1', ['b2']]])
  stores.saveBooking(promo)
  t.strictSame(writes(LEDGER_STORES.promoBookings), [], 'saved again: the index is as it was')
  const second = heldBooking({ bookingId: 'b3', promoCode: 'TWO' })
  stores.saveBooking(second)
  t.strictSame(writes(LEDGER_STORES.promoBookings), [['e1/u1', ['b2', 'b3']]])
  t.strictSame(stores.userBookings('e1', 'u1'), { activeBookingId: 'b3', promoBookings: [promo, second] })
  t.strictSame(stores.userBookings('e1', 'u2'), { activeBookingId: undefined, promoBookings: [] })
})

t.test('hold timers: put while a hold is due, deleted once it is not, collected only when due', async (t) => {
  const { stores, writes } = ledgerStores()
  const due = NOW + 1000
  stores.saveBooking(heldBooking({ bookingId: 'b1', holdExpiresAtMs: due }))
  stores.saveBooking(heldBooking({ bookingId: 'b2', userId: 'u2', holdExpiresAtMs: due + 1 }))
  t.strictSame(writes(LEDGER_STORES.holdTimers), [
    ['e1/b1', due],
    ['e1/b2', due + 1],
  ])
  t.strictSame(stores.dueHolds(due - 1), [])
  t.strictSame(stores.dueHolds(due), [{ eventId: 'e1', bookingId: 'b1', dueMs: due }])
  t.equal(stores.dueHolds(due + 1).length, 2)
  stores.saveBooking(heldBooking({ bookingId: 'b1', status: 'CONFIRMED', holdExpiresAtMs: null }))
  t.strictSame(writes(LEDGER_STORES.holdTimers), [['e1/b1', null]])
  stores.dropHold({ eventId: 'e1', bookingId: 'b2', dueMs: due + 1 })
  t.strictSame(writes(LEDGER_STORES.holdTimers), [['e1/b2', null]])
  t.strictSame(stores.dueHolds(due + 1), [])
})

t.test('listsWithDueOffers: only lists with an offer expired at nowMs', async (t) => {
  const { stores } = ledgerStores()
  const offer = (expiresAtMs: number) => ({
    userId: 'u',
    seats: 1,
    joinedAtMs: NOW,
    offeredAtMs: NOW,
    expiresAtMs,
  })
  const list = (eventId: string, offers: WaitingListState['offers']): WaitingListState => ({
    eventId,
    queue: [{ userId: 'q', seats: 1, joinedAtMs: NOW }],
    offers,
  })
  const due = list('e1', [offer(NOW + 5), offer(NOW)])
  stores.putWaitingList('e1', due)
  stores.putWaitingList('e2', list('e2', [offer(NOW + 1)]))
  stores.putWaitingList('e3', list('e3', []))
  t.strictSame(stores.listsWithDueOffers(NOW), [['e1', due]])
  t.strictSame(stores.listsWithDueOffers(NOW - 1), [])
  t.equal(stores.listsWithDueOffers(NOW + 1).length, 2)
})

t.test('pruneOutcomes drops Idempotency-Keys and outcomes past the retention only', async (t) => {
  const { stores } = ledgerStores()
  const old = { requestId: 'r1', decidedAtMs: NOW }
  const kept = { requestId: 'r2', decidedAtMs: NOW + 1 }
  stores.putFirstRequest('e1', 'u1', 'k1', old)
  stores.putFirstRequest('e1', 'u1', 'k2', kept)
  stores.pruneOutcomes(NOW + OUTCOME_RETENTION_MS)
  t.strictSame(stores.firstRequest('e1', 'u1', 'k1'), old, 'at the retention: kept')
  stores.pruneOutcomes(NOW + OUTCOME_RETENTION_MS + 1)
  t.equal(stores.firstRequest('e1', 'u1', 'k1'), undefined)
  t.strictSame(stores.firstRequest('e1', 'u1', 'k2'), kept)
})
