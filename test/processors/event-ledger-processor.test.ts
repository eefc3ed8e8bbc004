import t from 'tap'
import type { Actor, BookingCommand, RequestOutcome } from '../../avro/index.ts'
import { bookingCommand } from '../../query-api/commands/command-builders.ts'
import { EventLedgerProcessor } from '../../processors/event-ledger.ts'
import type { LedgerInput } from '../../processors/ledger-input.ts'
import { DAY_MS, type EventState, type WaitingListState } from '../../processors/ledger-state.ts'
import { LEDGER_STORES } from '../../processors/ledger-stores.ts'
import {
  InMemoryKeyValueStore,
  jsonSerde,
  Record,
  stringSerde,
  type ProcessorContext,
} from '../../streams/index.ts'
import { heldBooking, NOW, publishedEvent, TICKETS } from './ledger-fixtures.ts'

const ORGANIZER: Actor = { userId: 'org', role: 'ORGANIZER' }
const USER: Actor = { userId: 'u1', role: 'USER' }

/**
 * The ledger processor over real in-memory stores, its clock at `nowMs`; what it forwards lands in `forwarded`.
 * `restored`: [store, key, value] in the stores before the processor starts, as a restore leaves them.
 */
function ledger(nowMs = NOW, restored: readonly (readonly [string, string, unknown])[] = []) {
  const byName = new Map<string, InMemoryKeyValueStore<string, unknown>>()
  for (const name of Object.values(LEDGER_STORES))
    byName.set(name, new InMemoryKeyValueStore(name, stringSerde, jsonSerde<unknown>()))
  for (const [name, key, value] of restored)
    byName.get(name)!.restore(stringSerde.serialize(name, key), jsonSerde<unknown>().serialize(name, value))
  const forwarded: { to: string | undefined; key: string; value: unknown }[] = []
  const context = {
    getStateStore: (name: string) => byName.get(name),
    schedule: () => ({ cancel() {} }),
    currentSystemTimeMs: () => nowMs,
    forward: (record: Record<string, unknown>, childName?: string) =>
      forwarded.push({ to: childName, key: record.key, value: record.value }),
  }
  const processor = new EventLedgerProcessor(TICKETS)
  processor.init(context as unknown as ProcessorContext<string, unknown>)
  const store = (name: string) => byName.get(name)!
  /** The writes to a store since the last call: [key, value or null for a delete]. */
  const writes = (name: string) =>
    store(name)
      .drainChangelog('changelog')
      .map((r) => [r.key.toString(), r.value === null ? null : JSON.parse(r.value.toString())])
  const put = (name: string, key: string, value: unknown) => {
    store(name).put(key, value)
    writes(name)
  }
  const command = (value: BookingCommand) => {
    forwarded.length = 0
    processor.process(new Record('e1', { kind: 'booking-command', value } as LedgerInput, nowMs))
  }
  const outcomes = () => forwarded.filter((f) => f.to === 'outcomes').map((f) => f.value as RequestOutcome)
  return { processor, forwarded, writes, put, command, outcomes }
}

const envelope = (requestId: string, actor: Actor = USER, idempotencyKey: string | null = null) => ({
  requestId,
  eventId: 'e1',
  actor,
  issuedAtMs: NOW,
  idempotencyKey,
})

const saveEvent = (l: ReturnType<typeof ledger>, event: EventState) =>
  l.put(LEDGER_STORES.events, 'e1', event)

t.test('a booking command of an unknown type is refused, naming the type', async (t) => {
  const l = ledger()
  l.command(bookingCommand(envelope('r1'), 'BOGUS' as BookingCommand['type'], {}))
  t.strictSame(l.forwarded, [
    {
      to: 'outcomes',
      key: 'r1',
      value: {
        requestId: 'r1',
        eventId: 'e1',
        commandType: 'booking.BOGUS',
        actorUserId: 'u1',
        idempotencyKey: null,
        originalRequestId: null,
        accepted: false,
        resourceType: 'BOOKING',
        resourceId: '',
        reasonCode: 'VALIDATION_FAILED',
        message: 'unknown booking command BOGUS',
        decidedAtMs: NOW,
        checkIn: null,
      },
    },
  ])
})

t.test('a REQUEST without its payload is refused on no booking ID, with no rejection fact', async (t) => {
  const l = ledger()
  saveEvent(l, publishedEvent())
  l.command(bookingCommand(envelope('r1'), 'REQUEST', {}))
  t.equal(l.forwarded.length, 1)
  t.match(l.outcomes(), [{ requestId: 'r1', accepted: false, resourceType: 'BOOKING', resourceId: '' }])
})

t.test('a change of a booking of an unknown event: EVENT_NOT_FOUND naming the event', async (t) => {
  const l = ledger()
  l.command(
    bookingCommand(envelope('r1'), 'CANCEL', { cancel: { bookingId: 'b1' } } as Partial<BookingCommand>),
  )
  t.match(l.outcomes(), [
    {
      accepted: false,
      resourceId: 'b1',
      reasonCode: 'EVENT_NOT_FOUND',
      message: 'no event e1',
    },
  ])
  t.equal(l.outcomes()[0]?.message, 'no event e1')
})

t.test('a new request ID repeating a kept Idempotency-Key keeps its own outcome', async (t) => {
  const l = ledger()
  l.command(bookingCommand(envelope('r1', USER, 'k1'), 'BOGUS' as BookingCommand['type'], {}))
  const first = l.outcomes()[0]!
  l.writes(LEDGER_STORES.outcomes)
  l.command(bookingCommand(envelope('r2', USER, 'k1'), 'BOGUS' as BookingCommand['type'], {}))
  const repeat = { ...first, requestId: 'r2', originalRequestId: 'r1' }
  t.strictSame(l.outcomes(), [repeat])
  t.strictSame(l.writes(LEDGER_STORES.outcomes), [['r2', repeat]], 'the repeat is kept under its own ID')
})

t.test('a booking that uses no waiting-list place leaves the waiting list unwritten', async (t) => {
  const l = ledger()
  saveEvent(l, publishedEvent())
  const list: WaitingListState = { eventId: 'e1', queue: [], offers: [] }
  l.put(LEDGER_STORES.waitingLists, 'e1', list)
  l.command(
    bookingCommand(envelope('r1'), 'REQUEST', {
      request: { bookingId: 'b1', userId: 'u1', priceOptionId: 'std', seats: 1, promoCode: null },
    }),
  )
  t.match(l.outcomes(), [{ accepted: true, resourceId: 'b1' }])
  t.strictSame(l.writes(LEDGER_STORES.waitingLists), [])
})

t.test('a legacy ticket code checks in the booking of the event holding that exact code', async (t) => {
  const start = NOW + 10 * DAY_MS
  const l = ledger(start)
  saveEvent(l, publishedEvent())
  const holder = (bookingId: string, ticketCode: string) =>
    heldBooking({ bookingId, status: 'CONFIRMED', paidMinor: 2000, ticketCode, holdExpiresAtMs: null })
  l.put(LEDGER_STORES.bookings, 'e1/b1', holder('b1', 'ABCDEF000001'))
  l.put(LEDGER_STORES.bookings, 'e1/b2', holder('b2', 'ABCDEF000002'))
  const scan = (requestId: string, code: string) =>
    l.command(
      bookingCommand(envelope(requestId, ORGANIZER), 'CHECK_IN', {
        checkIn: { code, scannedAtMs: start, seats: 1, deviceId: null },
      }),
    )
  scan('r1', 'ABCDEF000002')
  t.match(l.outcomes(), [{ accepted: true, resourceId: 'b2' }])
  scan('r2', 'ABCDEF000003')
  t.match(l.outcomes(), [{ accepted: false, reasonCode: 'TICKET_INVALID' }])
})

t.test('a due hold timer whose booking is gone is dropped', async (t) => {
  const l = ledger(NOW, [
    [LEDGER_STORES.events, 'e1', publishedEvent()],
    [LEDGER_STORES.holdTimers, 'e1/b9', NOW],
    [LEDGER_STORES.holdTimers, 'e2/b8', NOW],
  ])
  l.processor.runTimers(NOW)
  t.strictSame(l.writes(LEDGER_STORES.holdTimers), [
    ['e1/b9', null],
    ['e2/b8', null],
  ])
  t.strictSame(l.forwarded, [])
})

t.test('a change that frees no seat for a waiting queue leaves the list unwritten', async (t) => {
  const list: WaitingListState = {
    eventId: 'e1',
    queue: [{ userId: 'q1', seats: 4, joinedAtMs: NOW }],
    offers: [],
  }
  const l = ledger(NOW, [
    [LEDGER_STORES.events, 'e1', publishedEvent({ seatsTaken: 5 })],
    [LEDGER_STORES.waitingLists, 'e1', list],
    [LEDGER_STORES.bookings, 'e1/b1', heldBooking({ holdExpiresAtMs: NOW })],
    [LEDGER_STORES.holdTimers, 'e1/b1', NOW],
  ])
  l.processor.runTimers(NOW)
  t.match(l.writes(LEDGER_STORES.bookings), [['e1/b1', { status: 'EXPIRED' }]])
  t.strictSame(l.writes(LEDGER_STORES.waitingLists), [], 'the queue head still waits: no write')
})
