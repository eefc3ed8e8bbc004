// Seat top-ups and re-confirmations in the read model, on both engines, driven through the real booking
// ledger: `topUpSeats` follows a paid booking's pending top-up (held, kept by the facts a pending top-up
// lives through, cleared when paid, withdrawn, expired, failed or canceled), `reconfirmedAt` the latest
// RECONFIRMED; a projection in one batch, record by record, or a rebuild gives the same rows.
import t from 'tap'
import type { BookingView } from '../../../read-models/catalog/index.ts'
import { rebuildReadModel } from '../../../read-models/catalog/rebuild.ts'
import {
  bookingCommand,
  bookingSerdes,
  bookRequest,
  DAY_MS,
  eventCommand,
  HOUR_MS,
  T0,
  user,
} from '../../topologies/booking-harness.ts'
import { createEvent, ORG_1 } from './scenario.ts'
import { dbOf, engines, PipelineScenario, project, projectedTables, seatFiguresOffCount } from './support.ts'

const serdes = await bookingSerdes()

const PRICE = 100_000
const MINUTE_MS = 60_000

for (const engine of engines()) {
  t.test(engine.name, async (t) => {
    t.teardown(() => engine.cleanup())

    t.test('a paid booking grows, is re-confirmed; replays and a rebuild agree', async (t) => {
      const scn = new PipelineScenario(serdes)
      t.teardown(() => scn.close())
      const model = await engine.open()
      t.teardown(() => model.close())
      createEvent(scn, 'ev-top', { title: 'Top-ups', capacity: 8 }, { priceMinor: PRICE })

      const accept = (command: Parameters<PipelineScenario['booking']>[0]) => {
        const outcome = scn.booking(command)
        if (!outcome.accepted) throw new Error(`${command.type} refused: ${outcome.message}`)
      }
      const changeSeats = (seats: number) =>
        accept(
          bookingCommand('ev-top', 'CHANGE_SEATS', { changeSeats: { bookingId: 'b1', seats } }, user('u1')),
        )
      const reconfirm = () =>
        accept(bookingCommand('ev-top', 'RECONFIRM', { reconfirm: { bookingId: 'b1' } }, user('u1')))
      const now = () => new Date(scn.clock.now()).toISOString()
      /** Projects what the ledger wrote so far (batch by batch: the row before comes from the table). */
      const check = async (expected: Partial<BookingView>, what: string) => {
        await project(scn.log, model, serdes)
        const booking = await model.getBooking('b1')
        const shown = Object.fromEntries(
          Object.keys(expected).map((k) => [k, booking?.[k as keyof BookingView]]),
        )
        t.strictSame(shown, expected, what)
        const event = await model.getEvent('ev-top', { role: 'organizer', userId: ORG_1 })
        t.equal(event?.seatsTaken, booking?.status === 'CANCELED' ? 0 : booking?.seats, `${what}: seats held`)
      }

      accept(bookRequest('ev-top', 'u1', 'b1', 2))
      scn.payment('ev-top', 'b1', 'COMPLETED', 2 * PRICE)
      await check(
        { status: 'CONFIRMED', seats: 2, topUpSeats: null, reconfirmedAt: null, holdExpiresAt: null },
        'paid',
      )

      changeSeats(4)
      const heldUntil = new Date(scn.clock.now() + 2 * HOUR_MS).toISOString()
      await check(
        {
          status: 'CONFIRMED',
          lastEvent: 'SEATS_CHANGE_HELD',
          seats: 4,
          topUpSeats: 2,
          amountMinor: 4 * PRICE,
          paidMinor: 2 * PRICE,
          holdExpiresAt: heldUntil,
        },
        'two seats added: held as a top-up',
      )

      scn.payment('ev-top', 'b1', 'COMPLETED', PRICE / 2, 'pay-b1-short')
      await check(
        { lastEvent: 'LATE_PAYMENT_REFUNDED', seats: 4, topUpSeats: 2, holdExpiresAt: heldUntil },
        'an underpayment is refunded whole; the top-up stays pending',
      )

      scn.payment('ev-top', 'b1', 'COMPLETED', 2 * PRICE, 'pay-b1-top-up-1')
      await check(
        {
          lastEvent: 'SEATS_CHANGED',
          seats: 4,
          topUpSeats: null,
          holdExpiresAt: null,
          amountMinor: 4 * PRICE,
        },
        'the top-up paid: four confirmed seats',
      )

      changeSeats(5)
      await check({ lastEvent: 'SEATS_CHANGE_HELD', seats: 5, topUpSeats: 1 }, 'one more seat held')
      changeSeats(4)
      await check(
        { lastEvent: 'SEATS_CHANGE_RELEASED', seats: 4, topUpSeats: null, holdExpiresAt: null },
        'changed back: the top-up withdrawn',
      )

      changeSeats(6)
      await check({ lastEvent: 'SEATS_CHANGE_HELD', seats: 6, topUpSeats: 2 }, 'two more seats held')
      scn.advance(10 * MINUTE_MS)
      const start = T0 + 40 * DAY_MS
      const rescheduled = scn.event(
        eventCommand('ev-top', 'RESCHEDULE', {
          reschedule: { startsAtMs: start, endsAtMs: start + DAY_MS, place: 'Karelia, new pier' },
        }),
      )
      t.ok(rescheduled.accepted, rescheduled.message)
      scn.advance(MINUTE_MS)
      reconfirm()
      const firstReconfirmation = now()
      await check(
        { lastEvent: 'RECONFIRMED', seats: 6, topUpSeats: 2, reconfirmedAt: firstReconfirmation },
        're-confirmed with the top-up pending: both shown',
      )
      // The log so far folded in one batch: every row before comes from memory, not from the table.
      const folded = await engine.open()
      t.teardown(() => folded.close())
      await project(scn.log, folded, serdes)
      t.same(await folded.getBooking('b1'), await model.getBooking('b1'), 'folded in one batch: same booking')

      scn.advance(2 * HOUR_MS)
      await check(
        {
          lastEvent: 'SEATS_CHANGE_RELEASED',
          reasonCode: 'EXPIRED',
          status: 'CONFIRMED',
          seats: 4,
          topUpSeats: null,
          holdExpiresAt: null,
          reconfirmedAt: firstReconfirmation,
        },
        'the unpaid top-up expired: back to the confirmed seats, the re-confirmation kept',
      )

      const restored = scn.event(eventCommand('ev-top', 'RESTORE_SCHEDULE'))
      t.ok(restored.accepted, restored.message)
      scn.advance(MINUTE_MS)
      reconfirm()
      const secondReconfirmation = now()
      await check(
        { lastEvent: 'RECONFIRMED', seats: 4, topUpSeats: null, reconfirmedAt: secondReconfirmation },
        'the latest re-confirmation wins',
      )

      changeSeats(5)
      scn.payment('ev-top', 'b1', 'INITIATED', 1000, 'pay-b1-top-up-2')
      scn.payment('ev-top', 'b1', 'FAILED', 0, 'pay-b1-top-up-2')
      await check(
        { lastEvent: 'SEATS_CHANGE_RELEASED', reasonCode: 'PAYMENT_FAILED', seats: 4, topUpSeats: null },
        'a failed top-up payment releases it',
      )

      changeSeats(6)
      await check({ lastEvent: 'SEATS_CHANGE_HELD', seats: 6, topUpSeats: 2 }, 'held once more')
      accept(
        bookingCommand(
          'ev-top',
          'CANCEL',
          { cancel: { bookingId: 'b1', reason: null, forceMajeure: false } },
          user('u1'),
        ),
      )
      await check(
        { status: 'CANCELED', topUpSeats: null, holdExpiresAt: null, reconfirmedAt: secondReconfirmation },
        'canceled with its top-up',
      )

      await project(scn.log, folded, serdes)
      const perRecord = await engine.open()
      t.teardown(() => perRecord.close())
      await project(scn.log, perRecord, serdes, 1)
      const expected = await projectedTables(model)
      t.same(await projectedTables(folded), expected, 'two big batches: same rows')
      t.same(await projectedTables(perRecord), expected, 'record by record: same rows')
      for (const m of [model, folded, perRecord])
        t.same(await seatFiguresOffCount(m), [], 'every seat figure equals a count of its bookings')

      const report = await rebuildReadModel(dbOf(model), { serdes, source: { log: scn.log } })
      t.equal(report.rows.bookings, 1)
      t.same(await projectedTables(model), expected, 'rebuilt: same rows')
    })
  })
}
