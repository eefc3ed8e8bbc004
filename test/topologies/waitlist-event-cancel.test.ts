// An event cancel closes its waiting list on the TestDriver: everyone waiting or holding an offer is told
// once (stable dedup key), their entries end with reason EVENT_CANCELED, and nothing is offered later.
import t from 'tap'
import { LEDGER_STORES } from '../../processors/ledger-stores.ts'
import {
  BookingHarness,
  bookingCommand,
  bookingSerdes,
  bookRequest,
  eventCommand,
  user,
} from './booking-harness.ts'

const join = (userId: string, seats = 1) =>
  bookingCommand('e1', 'JOIN_WAITING_LIST', { joinWaitingList: { userId, seats } }, user(userId))

t.test('an event cancel notifies the waiting list and the offer holders once and closes it', async (t) => {
  const h = new BookingHarness(await bookingSerdes())
  t.teardown(() => h.close())
  h.publishedEvent('e1', { capacity: 2, priceMinor: 1000 })
  t.ok(h.booking(bookRequest('e1', 'u1', 'b1', 2)).accepted)
  for (const [userId, seats] of [
    ['u3', 1],
    ['u4', 2],
    ['u5', 1],
  ] as const)
    t.ok(h.booking(join(userId, seats)).accepted)
  t.ok(
    h.booking(
      bookingCommand('e1', 'CHANGE_SEATS', { changeSeats: { bookingId: 'b1', seats: 1 } }, user('u1')),
    ).accepted,
  )
  t.match(h.driver.getKeyValueStore(LEDGER_STORES.waitingLists).get('e1'), {
    offers: [{ userId: 'u3' }],
    queue: [{ userId: 'u4' }, { userId: 'u5' }],
  })
  h.drain()

  const cancel = eventCommand('e1', 'CANCEL', { cancel: { reason: 'storm' } }, undefined, 'cancel-e1')
  t.ok(h.event(cancel).accepted)
  const left = h.bookingEvents
    .readKeyValuesToList()
    .map(([, b]) => b!)
    .filter((b) => b.type === 'WAITLIST_LEFT')
  t.same(
    left.map((b) => [b.userId, b.seats, b.reasonCode, b.requestId, b.bookingId]),
    [
      ['u3', 1, 'EVENT_CANCELED', 'cancel-e1', null],
      ['u4', 2, 'EVENT_CANCELED', 'cancel-e1', null],
      ['u5', 1, 'EVENT_CANCELED', 'cancel-e1', null],
    ],
    'the offer holder first, then the queue in order',
  )
  const notes = h.notifications.readKeyValuesToList().map(([, n]) => n!)
  t.same(
    notes
      .filter((n) => n.templateKey === 'waitlist.event_canceled')
      .map((n) => [n.recipientUserId, n.dedupKey, n.params.hadOffer]),
    [
      ['u3', 'waitlist.event_canceled:e1:u3', 'true'],
      ['u4', 'waitlist.event_canceled:e1:u4', 'false'],
      ['u5', 'waitlist.event_canceled:e1:u5', 'false'],
    ],
  )
  t.same(
    notes.filter((n) => n.templateKey === 'event.canceled').map((n) => n.recipientUserId),
    ['u1'],
    'the booking user gets the booking notice, not a waiting-list one',
  )
  t.equal(h.driver.getKeyValueStore(LEDGER_STORES.waitingLists).get('e1'), undefined, 'the list is gone')

  t.ok(h.event(cancel).accepted, 'the repeated cancel command gets its outcome again')
  t.ok(h.bookingEvents.isEmpty() && h.notifications.isEmpty(), 'and nobody is told twice')
  t.equal(h.event(eventCommand('e1', 'CANCEL')).reasonCode, 'INVALID_TRANSITION')
  t.ok(h.notifications.isEmpty())
  h.driver.advanceWallClockTime(30 * 60_000)
  t.ok(h.bookingEvents.isEmpty(), 'the closed offer does not expire into a new offer')
  t.equal(
    h.booking(bookingCommand('e1', 'LEAVE_WAITING_LIST', { leaveWaitingList: { userId: 'u4' } }, user('u4')))
      .reasonCode,
    'NOT_ON_WAITING_LIST',
  )
  t.equal(h.booking(join('u6')).reasonCode, 'EVENT_NOT_BOOKABLE')
})

t.test('an event cancel with an empty waiting list notifies no waiting-list user', async (t) => {
  const h = new BookingHarness(await bookingSerdes())
  t.teardown(() => h.close())
  h.publishedEvent('e1', { capacity: 1 })
  h.booking(bookRequest('e1', 'u1', 'b1'))
  h.booking(join('u2'))
  h.booking(bookingCommand('e1', 'LEAVE_WAITING_LIST', { leaveWaitingList: { userId: 'u2' } }, user('u2')))
  h.drain()
  t.ok(h.event(eventCommand('e1', 'CANCEL')).accepted)
  t.same(
    h.notifications.readKeyValuesToList().map(([, n]) => n!.templateKey),
    ['event.canceled'],
  )
})
