import t from 'tap'
import type { Actor, BookingCommand } from '../../avro/index.ts'
import { HOUR_MS, WAITLIST_OFFER_MS, type WaitingListState } from '../../processors/ledger-state.ts'
import {
  closeWaitingList,
  joinWaitingList,
  leaveWaitingList,
  offerFreedSeats,
  removeFromWaitingList,
} from '../../processors/waiting-list.ts'
import { bookingCommand } from '../../query-api/commands/command-builders.ts'
import { draftEvent, NOW, publishedEvent } from './ledger-fixtures.ts'

const event = draftEvent()

t.test('closing a waiting list tells the offer holders, then the queue in order, once each', async (t) => {
  const list: WaitingListState = {
    eventId: 'e1',
    queue: [
      { userId: 'q1', seats: 2, joinedAtMs: NOW + 2 },
      { userId: 'q2', seats: 1, joinedAtMs: NOW + 3 },
    ],
    offers: [{ userId: 'o1', seats: 1, joinedAtMs: NOW + 1, offeredAtMs: NOW + 5, expiresAtMs: NOW + 9 }],
  }
  const outputs = closeWaitingList(event, list, { requestId: 'cancel-1', actorUserId: 'org' }, NOW + 10)
  t.match(
    outputs.filter((o) => o.to === 'booking-events').map((o) => o.value),
    [
      { type: 'WAITLIST_LEFT', userId: 'o1', seats: 1, reasonCode: 'EVENT_CANCELED', requestId: 'cancel-1' },
      { type: 'WAITLIST_LEFT', userId: 'q1', seats: 2, reasonCode: 'EVENT_CANCELED' },
      { type: 'WAITLIST_LEFT', userId: 'q2', seats: 1, reasonCode: 'EVENT_CANCELED' },
    ],
  )
  t.same(
    outputs.flatMap((o) => (o.to === 'notifications' ? [[o.value.dedupKey, o.value.params.hadOffer]] : [])),
    [
      ['waitlist.event_canceled:e1:o1', 'true'],
      ['waitlist.event_canceled:e1:q1', 'false'],
      ['waitlist.event_canceled:e1:q2', 'false'],
    ],
  )
  t.same(
    closeWaitingList(event, list, { requestId: 'cancel-1', actorUserId: 'org' }, NOW + 99).map((o) =>
      o.to === 'notifications' ? o.value.dedupKey : o.to,
    ),
    outputs.map((o) => (o.to === 'notifications' ? o.value.dedupKey : o.to)),
    'the same cause gives the same keys',
  )
  t.same(
    closeWaitingList(
      event,
      { eventId: 'e1', queue: [], offers: [] },
      { requestId: null, actorUserId: null },
      NOW,
    ),
    [],
  )
})

// ---- joining, leaving and offers, at their bounds and with the messages clients read -------------------

const full = publishedEvent({ seatsTaken: 5, bookingDeadlineHours: 24 }) // capacity 5, all taken
const deadline = full.startsAtMs - 24 * HOUR_MS
const asUser = (userId: string): Actor => ({ userId, role: 'USER' })
const join = (userId: string, seats: number, actor: Actor = asUser(userId)): BookingCommand =>
  bookingCommand(
    { requestId: `join-${userId}`, eventId: 'e1', actor, issuedAtMs: NOW },
    'JOIN_WAITING_LIST',
    {
      joinWaitingList: { userId, seats },
    },
  )
const leave = (userId: string, actor: Actor = asUser(userId)): BookingCommand =>
  bookingCommand(
    { requestId: `leave-${userId}`, eventId: 'e1', actor, issuedAtMs: NOW },
    'LEAVE_WAITING_LIST',
    {
      leaveWaitingList: { userId },
    },
  )
const refusalOf = (decision: ReturnType<typeof joinWaitingList>) =>
  decision.ok ? undefined : decision.refusal
const queued = (...entries: [string, number][]): WaitingListState => ({
  eventId: 'e1',
  queue: entries.map(([userId, seats], i) => ({ userId, seats, joinedAtMs: NOW + i })),
  offers: [],
})

t.test('joining the waiting list: who, when and how many', async (t) => {
  const twenty = joinWaitingList(full, undefined, undefined, join('u1', 20), NOW)
  t.match(twenty, { ok: true, message: 'position 1 on the waiting list' }, 'twenty seats may wait')
  t.same(twenty.ok ? twenty.list.queue.map((e) => [e.userId, e.seats]) : [], [['u1', 20]])
  const second = joinWaitingList(full, queued(['u1', 2]), undefined, join('u2', 1), NOW)
  t.match(second, { ok: true, message: 'position 2 on the waiting list' })
  const refusals: [string, ReturnType<typeof joinWaitingList>, string, string][] = [
    [
      '21 seats',
      joinWaitingList(full, undefined, undefined, join('u1', 21), NOW),
      'TOO_MANY_SEATS',
      'at most 20 seats',
    ],
    [
      '0 seats',
      joinWaitingList(full, undefined, undefined, join('u1', 0), NOW),
      'VALIDATION_FAILED',
      'seats must be 1-20',
    ],
    [
      '1.5 seats',
      joinWaitingList(full, undefined, undefined, join('u1', 1.5), NOW),
      'VALIDATION_FAILED',
      'seats must be 1-20',
    ],
    [
      'for another user',
      joinWaitingList(full, undefined, undefined, join('u1', 1, asUser('u2')), NOW),
      'FORBIDDEN',
      'users join for themselves only',
    ],
    [
      'the organizer',
      joinWaitingList(full, undefined, undefined, join('org', 1), NOW),
      'ORGANIZER_OWN_EVENT',
      'an organizer cannot book their own event',
    ],
    [
      'a draft',
      joinWaitingList(draftEvent(), undefined, undefined, join('u1', 1), NOW),
      'EVENT_NOT_BOOKABLE',
      'event is DRAFT',
    ],
    [
      'after the deadline',
      joinWaitingList(full, undefined, undefined, join('u1', 1), deadline + 1),
      'BOOKING_DEADLINE_PASSED',
      'booking is closed',
    ],
    [
      'with an active booking',
      joinWaitingList(full, undefined, 'b1', join('u1', 1), NOW),
      'DUPLICATE_BOOKING',
      'the user has an active booking',
    ],
    [
      'twice',
      joinWaitingList(full, queued(['u1', 1]), undefined, join('u1', 1), NOW),
      'ALREADY_ON_WAITING_LIST',
      'already on the waiting list',
    ],
    [
      'with seats free',
      joinWaitingList(publishedEvent({ seatsTaken: 4 }), undefined, undefined, join('u1', 1), NOW),
      'SEATS_AVAILABLE',
      'seats are available: book them',
    ],
    [
      'no payload',
      joinWaitingList(full, undefined, undefined, { ...join('u1', 1), joinWaitingList: null }, NOW),
      'VALIDATION_FAILED',
      'JOIN_WAITING_LIST needs its payload',
    ],
    [
      'no event',
      joinWaitingList(undefined, undefined, undefined, join('u1', 1), NOW),
      'EVENT_NOT_FOUND',
      'no event e1',
    ],
  ]
  for (const [what, decision, reasonCode, message] of refusals)
    t.same(refusalOf(decision), { reasonCode, message }, what)
  t.match(
    joinWaitingList(full, undefined, undefined, join('u1', 1), deadline),
    { ok: true },
    'open at the deadline',
  )
  t.match(
    joinWaitingList(full, undefined, undefined, join('u1', 1, { userId: 'admin', role: 'ADMIN' }), NOW),
    { ok: true },
    'an admin may join for a user',
  )
})

t.test('leaving the waiting list', async (t) => {
  const list: WaitingListState = {
    ...queued(['u1', 2], ['u2', 1]),
    offers: [
      { userId: 'o1', seats: 1, joinedAtMs: NOW, offeredAtMs: NOW, expiresAtMs: NOW + WAITLIST_OFFER_MS },
    ],
  }
  const left = leaveWaitingList(full, list, leave('u1'), NOW)
  t.match(left, { ok: true, message: 'left the waiting list' })
  t.same(left.ok ? left.list.queue.map((e) => e.userId) : [], ['u2'], 'the others keep their places')
  const gaveUp = leaveWaitingList(full, list, leave('o1'), NOW)
  t.same(gaveUp.ok ? [gaveUp.list.offers, gaveUp.list.queue.length] : [], [[], 2], 'an offer given up')
  t.same(refusalOf(leaveWaitingList(full, list, leave('u1', asUser('u2')), NOW)), {
    reasonCode: 'FORBIDDEN',
    message: 'users leave for themselves only',
  })
  t.same(refusalOf(leaveWaitingList(full, list, leave('u9'), NOW)), {
    reasonCode: 'NOT_ON_WAITING_LIST',
    message: 'not on the waiting list',
  })
  t.same(refusalOf(leaveWaitingList(full, undefined, leave('u1'), NOW)), {
    reasonCode: 'NOT_ON_WAITING_LIST',
    message: 'not on the waiting list',
  })
  t.same(refusalOf(leaveWaitingList(full, list, { ...leave('u1'), leaveWaitingList: null }, NOW)), {
    reasonCode: 'VALIDATION_FAILED',
    message: 'LEAVE_WAITING_LIST needs its payload',
  })
  t.same(refusalOf(leaveWaitingList(undefined, list, leave('u1'), NOW)), {
    reasonCode: 'EVENT_NOT_FOUND',
    message: 'no event e1',
  })
})

t.test('freed seats are offered to the head of the queue until the booking deadline', async (t) => {
  const twoFree = publishedEvent({ seatsTaken: 3, bookingDeadlineHours: 24 })
  const list = queued(['u1', 2], ['u2', 1])
  const offered = offerFreedSeats(twoFree, list, deadline)
  t.same(
    offered.list?.offers.map((o) => [o.userId, o.seats, o.expiresAtMs]),
    [['u1', 2, deadline + WAITLIST_OFFER_MS]],
    'the head gets its two seats for 30 minutes, at the deadline itself',
  )
  t.same(
    offered.outputs.flatMap((o) =>
      o.to === 'notifications' ? [[o.value.templateKey, o.value.dedupKey, o.value.params]] : [],
    ),
    [
      [
        'waitlist.offer',
        `waitlist.offer:e1:u1:${deadline}`,
        {
          eventId: 'e1',
          eventTitle: 'Sailing',
          seats: '2',
          offerExpiresAtMs: String(deadline + WAITLIST_OFFER_MS),
        },
      ],
    ],
  )
  t.same(offerFreedSeats(twoFree, list, deadline + 1), { list, outputs: [] }, 'none after the deadline')
  t.same(offerFreedSeats(twoFree, undefined, NOW), { list: undefined, outputs: [] }, 'no list')
  t.same(offerFreedSeats(twoFree, queued(), NOW), { list: queued(), outputs: [] }, 'an empty queue')
  t.same(offerFreedSeats({ ...twoFree, status: 'DRAFT' }, list, NOW), { list, outputs: [] }, 'not bookable')
})

t.test('a user who books leaves the queue and gives back an offer', async (t) => {
  const list: WaitingListState = {
    ...queued(['u1', 2], ['u2', 1]),
    offers: [
      { userId: 'o1', seats: 1, joinedAtMs: NOW, offeredAtMs: NOW, expiresAtMs: NOW + WAITLIST_OFFER_MS },
    ],
  }
  t.same(
    removeFromWaitingList(list, 'u1')?.queue.map((e) => e.userId),
    ['u2'],
  )
  t.same(removeFromWaitingList(list, 'o1')?.offers, [])
  t.equal(removeFromWaitingList(list, 'u9'), list, 'someone not on it changes nothing')
})
