// Check-ins and re-issued tickets in the read model, on both engines, driven through the real booking
// ledger: `checkedInSeats` counts the CHECKED_IN facts (whose `seats` are the scan's, never the booking's),
// `firstCheckedInAt` is the earliest scan time even when a later scan arrived first, and a re-issue shows
// the new ticket code; a projection in one batch, record by record, or a rebuild gives the same rows.
import t from 'tap'
import type { BookingDomainEvent } from '../../../avro/index.ts'
import { bookingRow, type BookingRow } from '../../../read-models/catalog/booking-rows.ts'
import type { BookingView } from '../../../read-models/catalog/index.ts'
import { rebuildReadModel } from '../../../read-models/catalog/rebuild.ts'
import {
  bookingCommand,
  bookingSerdes,
  bookRequest,
  DAY_MS,
  HOUR_MS,
  T0,
  user,
} from '../../topologies/booking-harness.ts'
import { createEvent, ORG_1 } from './scenario.ts'
import { dbOf, engines, PipelineScenario, project, projectedTables, seatFiguresOffCount } from './support.ts'

const serdes = await bookingSerdes()
const PRICE = 100_000
const MINUTE_MS = 60_000
/** createPayload's start: T0 + 30 days. */
const STARTS = T0 + 30 * DAY_MS

t.test('the row a CHECKED_IN fact leaves keeps the booking seats and takes the total', async (t) => {
  const base: BookingDomainEvent = {
    eventId: 'ev-1',
    bookingId: 'b1',
    userId: 'u1',
    type: 'CONFIRMED',
    status: 'CONFIRMED',
    priceOptionId: 'std',
    seats: 3,
    amountMinor: 300,
    paidMinor: 300,
    refundMinor: 0,
    promoCode: null,
    ticketCode: 'T1~ev-1~b1~3~1~mac',
    reasonCode: null,
    holdExpiresAtMs: null,
    offerExpiresAtMs: null,
    requestId: 'r1',
    occurredAtMs: T0,
    eventSeatsTaken: 3,
    checkedInSeats: null,
    scannedAtMs: null,
    deviceId: null,
  }
  const scan = (seats: number, total: number, scannedAtMs: number): BookingDomainEvent => ({
    ...base,
    type: 'CHECKED_IN',
    seats,
    checkedInSeats: total,
    scannedAtMs,
    deviceId: 'dev-1',
    occurredAtMs: T0 + HOUR_MS,
  })
  const rows: BookingRow[] = []
  for (const fact of [
    base,
    scan(1, 1, T0 + 20 * MINUTE_MS),
    scan(1, 2, T0 + 10 * MINUTE_MS), // an offline scanner's earlier scan, sent later
    { ...base, type: 'TICKET_REISSUED' as const, ticketCode: 'T1~ev-1~b1~3~2~mac' },
  ])
    rows.push(bookingRow(fact, rows.at(-1)))
  t.strictSame(
    rows.map((r) => [r.seats, r.checked_in_seats, r.first_checked_in_at, r.ticket_code, r.last_event]),
    [
      [3, 0, null, 'T1~ev-1~b1~3~1~mac', 'CONFIRMED'],
      [3, 1, new Date(T0 + 20 * MINUTE_MS).toISOString(), 'T1~ev-1~b1~3~1~mac', 'CHECKED_IN'],
      [3, 2, new Date(T0 + 10 * MINUTE_MS).toISOString(), 'T1~ev-1~b1~3~1~mac', 'CHECKED_IN'],
      [3, 2, new Date(T0 + 10 * MINUTE_MS).toISOString(), 'T1~ev-1~b1~3~2~mac', 'TICKET_REISSUED'],
    ],
  )
})

for (const engine of engines()) {
  t.test(engine.name, async (t) => {
    t.teardown(() => engine.cleanup())

    t.test('check-ins and a re-issue show in the booking and the event list; replays agree', async (t) => {
      const scn = new PipelineScenario(serdes)
      t.teardown(() => scn.close())
      const model = await engine.open()
      t.teardown(() => model.close())
      createEvent(scn, 'ev-in', { title: 'Check-in', capacity: 8 }, { priceMinor: PRICE })
      const organizer = { userId: ORG_1, role: 'ORGANIZER' as const }
      const accept = (command: Parameters<PipelineScenario['booking']>[0]) => {
        const outcome = scn.booking(command)
        if (!outcome.accepted) throw new Error(`${command.type} refused: ${outcome.message}`)
        return outcome
      }
      const booking = async (): Promise<BookingView> => {
        await project(scn.log, model, serdes)
        return (await model.getBooking('b1'))!
      }
      accept(bookRequest('ev-in', 'u1', 'b1', 3))
      scn.payment('ev-in', 'b1', 'COMPLETED', 3 * PRICE)
      const first = await booking()
      t.match(first, { status: 'CONFIRMED', seats: 3, checkedInSeats: 0, firstCheckedInAt: null })
      t.match(first.ticketCode, /^T1~ev-in~b1~3~1~/)

      scn.advance(30 * DAY_MS - HOUR_MS)
      const scan = (code: string, scannedAtMs: number, seats: number) =>
        accept(
          bookingCommand(
            'ev-in',
            'CHECK_IN',
            { checkIn: { code, scannedAtMs, seats, deviceId: 'dev-1' } },
            organizer,
          ),
        )
      scan(first.ticketCode!, STARTS - 70 * MINUTE_MS, 2)
      scan(first.ticketCode!, STARTS - 80 * MINUTE_MS, 1)
      t.match(await booking(), {
        seats: 3,
        checkedInSeats: 3,
        firstCheckedInAt: new Date(STARTS - 80 * MINUTE_MS).toISOString(),
        lastEvent: 'CHECKED_IN',
      })
      const event = await model.getEvent('ev-in', { role: 'organizer', userId: ORG_1 })
      t.equal(event?.seatsTaken, 3, 'check-ins take no seats')

      accept(bookingCommand('ev-in', 'REISSUE_TICKET', { reissueTicket: { bookingId: 'b1' } }, user('u1')))
      const reissued = await booking()
      t.match(reissued, { lastEvent: 'TICKET_REISSUED', checkedInSeats: 3 })
      t.match(reissued.ticketCode, /^T1~ev-in~b1~3~2~/)
      t.not(reissued.ticketCode, first.ticketCode)
      const listed = await model.listEventBookings('ev-in', { page: 0, size: 20 })
      t.match(listed.items, [{ id: 'b1', checkedInSeats: 3, ticketCode: reissued.ticketCode }])

      const folded = await engine.open()
      t.teardown(() => folded.close())
      await project(scn.log, folded, serdes)
      const perRecord = await engine.open()
      t.teardown(() => perRecord.close())
      await project(scn.log, perRecord, serdes, 1)
      const expected = await projectedTables(model)
      t.same(await projectedTables(folded), expected, 'one batch: same rows')
      t.same(await projectedTables(perRecord), expected, 'record by record: same rows')
      for (const m of [model, folded, perRecord])
        t.same(await seatFiguresOffCount(m), [], 'every seat figure equals a count of its bookings')
      await rebuildReadModel(dbOf(model), { serdes, source: { log: scn.log } })
      t.same(await projectedTables(model), expected, 'rebuilt: same rows')
    })
  })
}
