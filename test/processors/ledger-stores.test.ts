import t from 'tap'
import type { BookingState } from '../../processors/ledger-state.ts'
import { LEDGER_STORES, LedgerStores, type HoldTimer } from '../../processors/ledger-stores.ts'
import { InMemoryKeyValueStore, jsonSerde, stringSerde, type ProcessorContext } from '../../streams/index.ts'
import type { ChangelogRecord } from '../../streams/state-store.ts'

// The ledger's hold timers and the bound it keeps beside them (ledger-stores.ts `holdsDueFrom`): whatever
// the writes, rollbacks and restores, `dueHolds` answers what a full scan of the store answers, in the
// store's order, and reads no timer while none can be due.

type Stores = Map<string, InMemoryKeyValueStore<string, unknown>>

/** Fresh stores, restored from `changelog` (per store, in order) when given. */
function storesOf(changelog?: Map<string, ChangelogRecord[]>): Stores {
  const stores: Stores = new Map()
  for (const name of Object.values(LEDGER_STORES)) {
    const store = new InMemoryKeyValueStore<string, unknown>(name, stringSerde, jsonSerde())
    for (const r of changelog?.get(name) ?? []) store.restore(r.key, r.value)
    stores.set(name, store)
  }
  return stores
}

const ledgerOf = (stores: Stores) =>
  new LedgerStores({ getStateStore: (name: string) => stores.get(name) } as unknown as ProcessorContext<
    string,
    unknown
  >)

/** Every timer in the store (`<eventId>/<bookingId>` → dueMs), in the store's order. */
function timersOf(stores: Stores): HoldTimer[] {
  return [...stores.get(LEDGER_STORES.holdTimers)!.all()].map(([key, dueMs]) => {
    const [eventId, bookingId] = key.split('/') as [string, string]
    return { eventId, bookingId, dueMs: dueMs as number }
  })
}

/** What a scan of every timer finds due: the answer `dueHolds` must give. */
const scanned = (stores: Stores, nowMs: number): HoldTimer[] =>
  timersOf(stores).filter((timer) => timer.dueMs <= nowMs)

/** Counts the full reads (`all()`) of the hold-timer store of `stores`. */
function countScans(stores: Stores): () => number {
  const holds = stores.get(LEDGER_STORES.holdTimers)!
  let scans = 0
  const all = holds.all.bind(holds)
  holds.all = () => {
    scans++
    return all()
  }
  return () => scans
}

function booking(
  eventId: string,
  bookingId: string,
  status: BookingState['status'],
  holdExpiresAtMs: number,
): BookingState {
  return {
    eventId,
    bookingId,
    userId: `u-${bookingId}`,
    status,
    promoCode: null,
    holdExpiresAtMs: status === 'PENDING_PAYMENT' ? holdExpiresAtMs : null,
    // A confirmed booking with a pending top-up has a timer too.
    topUp:
      status === 'CONFIRMED' && holdExpiresAtMs % 2 === 0
        ? { seats: 3, amountMinor: 100, holdExpiresAtMs, requestId: 'r', paymentId: null, status: 'PENDING' }
        : null,
  } as unknown as BookingState
}

t.test('dueHolds agrees with a full scan through writes, rollbacks and restores', async (t) => {
  let seed = 11
  const random = (n: number): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % n
  const statuses = ['PENDING_PAYMENT', 'CONFIRMED', 'EXPIRED', 'CANCELED'] as const
  let checks = 0
  let nonEmpty = 0
  for (let round = 0; round < 30; round++) {
    let stores = storesOf()
    let ledger = ledgerOf(stores)
    const changelog = new Map<string, ChangelogRecord[]>()
    let nowMs = 1_000_000
    const write = (): void => {
      if (random(6) === 0) {
        const timers = timersOf(stores)
        if (timers.length > 0) ledger.dropHold(timers[random(timers.length)]!)
        return
      }
      const status = statuses[random(statuses.length)]!
      ledger.saveBooking(booking(`e${random(3)}`, `b${random(25)}`, status, nowMs - 20 + random(4000)))
    }
    // As the runtime runs a record or a punctuation: all its writes kept, or all rolled back.
    const guarded = (run: () => void): void => {
      for (const store of stores.values()) store.savepoint()
      run()
      const rollback = random(4) === 0
      for (const store of stores.values())
        if (rollback) store.rollback()
        else store.release()
    }
    for (let step = 0; step < 300; step++) {
      const op = random(20)
      if (op < 4)
        write() // outside the runtime, as tests write
      else if (op < 10) guarded(() => Array.from({ length: 1 + random(3) }, write))
      else if (op < 18)
        // The timers punctuator: reads the due timers first, then expires most of them (an expiry can
        // leave its timer, as a refused one does) and may write others.
        guarded(() => {
          nowMs += random(3) === 0 ? 0 : random(120)
          const expected = scanned(stores, nowMs)
          const due = ledger.dueHolds(nowMs)
          t.same(due, expected, `round ${round} step ${step}`)
          checks++
          if (expected.length > 0) nonEmpty++
          for (const timer of due)
            if (random(10) > 0) ledger.saveBooking(booking(timer.eventId, timer.bookingId, 'EXPIRED', 0))
          if (random(3) === 0) write()
        })
      else {
        // A commit, then a restart: new stores from the changelog, a new ledger over them.
        for (const [name, store] of stores)
          changelog.set(name, [...(changelog.get(name) ?? []), ...store.drainChangelog(name)])
        stores = storesOf(changelog)
        ledger = ledgerOf(stores)
      }
    }
  }
  t.ok(
    checks > 1000 && nonEmpty > 200 && checks - nonEmpty > 200,
    `${checks} ticks, ${nonEmpty} with timers due`,
  )
})

t.test('a tick reads no timer while the earliest one is not due', async (t) => {
  const stores = storesOf()
  const scans = countScans(stores)
  const ledger = ledgerOf(stores)
  ledger.saveBooking(booking('e', 'b1', 'PENDING_PAYMENT', 5_000))
  ledger.saveBooking(booking('e', 'b2', 'PENDING_PAYMENT', 3_000))
  t.same(ledger.dueHolds(1_000), [], 'nothing due')
  t.equal(scans(), 1, 'the first tick scans: the bound is unknown until then')
  t.same(ledger.dueHolds(2_999), [])
  t.equal(scans(), 1, 'later ticks before the earliest timer read none')
  ledger.saveBooking(booking('e', 'b3', 'PENDING_PAYMENT', 2_000))
  t.same(
    ledger.dueHolds(2_500).map((timer) => timer.bookingId),
    ['b3'],
    'a timer written earlier than the bound lowers it',
  )
  t.equal(scans(), 2)
  ledger.saveBooking(booking('e', 'b3', 'EXPIRED', 0))
  t.same(ledger.dueHolds(2_600), [], 'the tick after one with a timer due scans again')
  t.equal(scans(), 3)
  t.same(ledger.dueHolds(2_900), [])
  t.equal(scans(), 3, 'and then reads none until the next is due')
  t.same(
    ledger.dueHolds(3_000).map((timer) => timer.bookingId),
    ['b2'],
  )
})

t.test(
  'primeHolds reads every restored timer once, so the first tick after a restore reads none',
  async (t) => {
    const before = storesOf()
    const written = ledgerOf(before)
    written.saveBooking(booking('e', 'b1', 'PENDING_PAYMENT', 5_000))
    written.saveBooking(booking('e', 'b2', 'PENDING_PAYMENT', 3_000))
    const changelog = new Map<string, ChangelogRecord[]>()
    for (const [name, store] of before) changelog.set(name, store.drainChangelog(name))

    const stores = storesOf(changelog)
    const scans = countScans(stores)
    const ledger = ledgerOf(stores)
    ledger.primeHolds()
    t.equal(scans(), 1, 'the restored timers are read at start')
    t.same(ledger.dueHolds(2_999), [], 'nothing due before the earliest restored timer')
    t.equal(scans(), 1, 'and the first tick reads none')
    t.same(
      ledger.dueHolds(3_000).map((timer) => timer.bookingId),
      ['b2'],
      'the earliest restored timer is found when due',
    )
    ledger.primeHolds()
    t.equal(scans(), 2, 'priming again reads nothing: the bound is known')
  },
)
