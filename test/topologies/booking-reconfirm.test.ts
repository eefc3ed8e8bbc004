// RECONFIRM on the TestDriver, the clock moved by hand: after a reschedule (or a restore) the participants
// of the event re-confirm; re-confirming records the acceptance once and keeps the full-refund right until
// the start; bookings never re-confirmed stay, and their reminder says re-confirmation is still due.
import t, { type Test } from 'tap'
import type { BookingDomainEvent } from '../../avro/index.ts'
import { LEDGER_STORES } from '../../processors/ledger-stores.ts'
import type { BookingState } from '../../processors/ledger-state.ts'
import {
  ADMIN,
  BookingHarness,
  bookingCommand,
  bookingSerdes,
  bookRequest,
  DAY_MS,
  eventCommand,
  HOUR_MS,
  ORGANIZER,
  T0,
  user,
} from './booking-harness.ts'

async function harness(t: { teardown(fn: () => void): void }): Promise<BookingHarness> {
  const h = new BookingHarness(await bookingSerdes())
  t.teardown(() => h.close())
  return h
}

const reconfirm = (bookingId: string, actor = user('u1'), eventId = 'e1', requestId?: string) =>
  bookingCommand(eventId, 'RECONFIRM', { reconfirm: { bookingId } }, actor, requestId)
const cancel = (bookingId: string, actor = user('u1')) =>
  bookingCommand('e1', 'CANCEL', { cancel: { bookingId, reason: null, forceMajeure: false } }, actor)
const reschedule = (startsAtMs: number) =>
  eventCommand('e1', 'RESCHEDULE', {
    reschedule: { startsAtMs, endsAtMs: startsAtMs + DAY_MS, place: `Place at ${startsAtMs}` },
  })
function factsAre(t: Test, h: BookingHarness, expected: readonly object[]): void {
  const actual: BookingDomainEvent[] = h.bookingEvents.readKeyValuesToList().map(([, v]) => v!)
  t.equal(actual.length, expected.length, `${expected.length} booking facts`)
  t.match(actual, expected)
}
const bookingState = (h: BookingHarness, bookingId: string) =>
  h.driver.getKeyValueStore<string, BookingState>(LEDGER_STORES.bookings).get(`e1/${bookingId}`)!

/** e1 (1000 a seat) with b1 of u1 paid and b2 of u2 held, both made before any schedule change. */
function withBookings(h: BookingHarness): void {
  h.publishedEvent('e1', { priceMinor: 1000 })
  h.booking(bookRequest('e1', 'u1', 'b1'))
  h.payment('e1', 'b1', 'COMPLETED', 1000)
  h.booking(bookRequest('e1', 'u2', 'b2'))
  h.drain()
}

t.test('re-confirming after a reschedule: recorded and notified once, for the booking user', async (t) => {
  const h = await harness(t)
  withBookings(h)
  t.equal(
    h.booking(reconfirm('b1')).reasonCode,
    'RECONFIRMATION_NOT_REQUIRED',
    'nothing to re-confirm before a schedule change',
  )
  h.driver.advanceWallClockTime(HOUR_MS)
  const rescheduledAtMs = h.driver.clock.now()
  t.ok(h.event(reschedule(T0 + 40 * DAY_MS)).accepted)
  h.drain()

  t.equal(h.booking(reconfirm('b1', user('u2'))).reasonCode, 'FORBIDDEN', "not another user's booking")
  t.equal(h.booking(reconfirm('b1', ORGANIZER)).reasonCode, 'FORBIDDEN', 'the organizer does not accept')
  t.equal(h.booking(reconfirm('nope')).reasonCode, 'BOOKING_NOT_FOUND')
  t.equal(h.booking(reconfirm('b1', user('u1'), 'no-event')).reasonCode, 'EVENT_NOT_FOUND')
  t.equal(
    h.booking(bookingCommand('e1', 'RECONFIRM', {}, user('u1'))).reasonCode,
    'VALIDATION_FAILED',
    'RECONFIRM needs its payload',
  )
  t.ok(h.bookingEvents.isEmpty(), 'refusals change nothing')

  const command = reconfirm('b1', user('u1'), 'e1', 'reconfirm-once')
  t.match(h.booking(command), { accepted: true, resourceType: 'BOOKING', resourceId: 'b1' })
  factsAre(t, h, [
    { type: 'RECONFIRMED', bookingId: 'b1', status: 'CONFIRMED', requestId: 'reconfirm-once', seats: 1 },
  ])
  const notes = h.notifications.readKeyValuesToList().map(([, n]) => n!)
  t.match(notes, [
    {
      recipientUserId: 'u1',
      templateKey: 'booking.reconfirmed',
      dedupKey: `booking.reconfirmed:b1:${rescheduledAtMs}`,
      params: { startsAtMs: String(T0 + 40 * DAY_MS), fullRefundUntilMs: String(T0 + 40 * DAY_MS) },
    },
  ])
  t.equal(notes.length, 1)
  t.same(bookingState(h, 'b1').reconfirmation, {
    scheduleChangedAtMs: rescheduledAtMs,
    atMs: rescheduledAtMs,
  })
  t.match(h.booking(command), { accepted: true }, 'a repeated request ID gets the same outcome')
  t.ok(h.bookingEvents.isEmpty() && h.notifications.isEmpty(), 'and no second effect')
  t.match(
    h.booking(reconfirm('b1')),
    { reasonCode: 'RECONFIRMATION_NOT_REQUIRED', message: /already/ },
    'a new request to re-confirm the same change',
  )
  t.ok(h.booking(reconfirm('b2', ADMIN)).accepted, 'an admin re-confirms for the user; a held booking too')
  t.ok(h.booking(bookRequest('e1', 'u3', 'b3')).accepted)
  t.match(
    h.booking(reconfirm('b3', user('u3'))),
    { reasonCode: 'RECONFIRMATION_NOT_REQUIRED', message: /has not changed since/ },
    'a booking made after the change knew the new schedule',
  )
})

t.test('a re-confirmed booking keeps the full refund until the start', async (t) => {
  const h = await harness(t)
  withBookings(h)
  h.driver.advanceWallClockTime(28 * DAY_MS) // 2 days before the start: the policy would refund 80%
  t.ok(h.event(reschedule(T0 + 29 * DAY_MS + 12 * HOUR_MS)).accepted)
  t.ok(h.booking(reconfirm('b1')).accepted)
  h.drain()
  t.ok(h.booking(cancel('b1')).accepted)
  t.same(
    h.refunds.readKeyValuesToList().map(([, r]) => [r!.amountMinor, r!.reason]),
    [[1000, 'RESCHEDULE_CANCELED']],
    'MISSION.md: until the event they may cancel with a full refund',
  )
  t.equal(h.booking(reconfirm('b1')).reasonCode, 'INVALID_BOOKING_STATE', 'a canceled booking')
})

t.test('every schedule change asks again; a restore too', async (t) => {
  const h = await harness(t)
  withBookings(h)
  h.driver.advanceWallClockTime(HOUR_MS)
  h.event(reschedule(T0 + 40 * DAY_MS))
  t.ok(h.booking(reconfirm('b1')).accepted)
  h.driver.advanceWallClockTime(HOUR_MS)
  h.event(reschedule(T0 + 45 * DAY_MS))
  h.drain()
  t.ok(h.booking(reconfirm('b1')).accepted, 'the second reschedule is a new change to accept')
  h.driver.advanceWallClockTime(HOUR_MS)
  t.ok(h.event(eventCommand('e1', 'RESTORE_SCHEDULE')).accepted)
  const restoreNotes = h.notifications
    .readKeyValuesToList()
    .map(([, n]) => n!)
    .filter((n) => n.templateKey === 'event.schedule_restored')
  t.ok(restoreNotes.every((n) => n.params.reconfirmationRequired === 'true'))
  t.ok(h.booking(reconfirm('b1')).accepted, 'the restored schedule is accepted again')
  t.equal(h.booking(reconfirm('b1')).reasonCode, 'RECONFIRMATION_NOT_REQUIRED')
})

t.test('never re-confirmed: the booking stays, and its reminder says so; not after the start', async (t) => {
  const h = await harness(t)
  h.publishedEvent('e1', { priceMinor: 0 })
  h.booking(bookRequest('e1', 'u1', 'b1'))
  h.booking(bookRequest('e1', 'u2', 'b2'))
  h.driver.advanceWallClockTime(HOUR_MS)
  const startsAtMs = T0 + 20 * DAY_MS
  t.ok(h.event(reschedule(startsAtMs)).accepted)
  t.ok(h.booking(reconfirm('b2', user('u2'))).accepted)
  h.drain()
  h.driver.advanceWallClockTime(startsAtMs - 24 * HOUR_MS - h.driver.clock.now())
  const reminders = h.notifications.readKeyValuesToList().map(([, n]) => n!)
  t.same(
    reminders.map((n) => [n.recipientUserId, n.templateKey, n.params.reconfirmationRequired]),
    [
      ['u1', 'event.reminder', 'true'],
      ['u2', 'event.reminder', undefined],
    ],
  )
  t.equal(bookingState(h, 'b1').status, 'CONFIRMED', 'a booking never re-confirmed is kept')
  h.driver.advanceWallClockTime(24 * HOUR_MS)
  t.match(
    h.booking(reconfirm('b1')),
    { reasonCode: 'INVALID_BOOKING_STATE', message: /started/ },
    'no re-confirmation once the event has started',
  )
})
