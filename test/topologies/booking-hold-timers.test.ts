// The hold timers' stored form (booking-topology.ts `holdDueSerde`): a due time in 8 bytes, which a restart
// reads for every unpaid hold before it serves; timers an earlier version wrote as JSON still expire their
// holds after a restart.
import t from 'tap'
import { LEDGER_STORES } from '../../processors/ledger-stores.ts'
import { changelogTopicName } from '../../streams/index.ts'
import { holdDueSerde } from '../../topologies/booking-topology.ts'
import { BookingHarness, bookingSerdes, bookRequest, HOUR_MS, T0 } from './booking-harness.ts'

const MINUTE_MS = 60_000

const TOPIC = 'app-ledger-hold-timers-changelog'
const HOLD_TIMERS = changelogTopicName('test-driver', LEDGER_STORES.holdTimers)

async function harness(t: { teardown(fn: () => void): void }): Promise<BookingHarness> {
  const h = new BookingHarness(await bookingSerdes())
  t.teardown(() => h.close())
  return h
}

const expired = (h: BookingHarness): string[] =>
  h.bookingEvents
    .readKeyValuesToList()
    .filter(([, fact]) => fact!.type === 'EXPIRED')
    .map(([, fact]) => fact!.bookingId!)

t.test('a due time is 8 bytes and reads back; a timer stored as JSON reads as its due time', async (t) => {
  for (const dueMs of [0, T0, T0 + 2 * HOUR_MS + 1, Number.MAX_SAFE_INTEGER]) {
    const bytes = holdDueSerde.serialize(TOPIC, dueMs)
    t.equal(bytes.length, 8)
    t.equal(holdDueSerde.deserialize(TOPIC, bytes), dueMs)
  }
  const legacy = Buffer.from(JSON.stringify({ eventId: 'e1', bookingId: 'b1', dueMs: T0 + 7 }))
  t.equal(holdDueSerde.deserialize(TOPIC, legacy), T0 + 7)
})

t.test(
  'holds expire on time after a restart, whether their timers were written as 8 bytes or as JSON',
  async (t) => {
    const h = await harness(t)
    h.publishedEvent('e1', { capacity: 5, create: { holdMinutes: 60 } })
    t.ok(h.booking(bookRequest('e1', 'u1', 'b1', 2)).accepted, 'b1 held until T0 + 60 min')
    h.driver.advanceWallClockTime(20 * MINUTE_MS)
    t.ok(h.booking(bookRequest('e1', 'u2', 'b2', 2)).accepted, 'b2 held until T0 + 80 min')
    h.drain()
    // b2's timer again, as the previous version wrote it: the restart restores this one.
    h.driver.pipeRaw(
      HOLD_TIMERS,
      Buffer.from('e1/b2'),
      Buffer.from(JSON.stringify({ eventId: 'e1', bookingId: 'b2', dueMs: T0 + 80 * MINUTE_MS })),
    )
    h.driver.restart()
    h.driver.advanceWallClockTime(40 * MINUTE_MS - 1000)
    t.same(expired(h), [], 'nothing due yet')
    h.driver.advanceWallClockTime(1000)
    t.same(expired(h), ['b1'], 'the 8-byte timer, at the end of its hold')
    h.driver.advanceWallClockTime(20 * MINUTE_MS - 1000)
    t.same(expired(h), [])
    h.driver.advanceWallClockTime(1000)
    t.same(expired(h), ['b2'], 'the JSON timer, at the end of its hold')
    t.ok(h.booking(bookRequest('e1', 'u3', 'b3', 5)).accepted, 'all five seats are free again')
  },
)
