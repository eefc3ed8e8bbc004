import t from 'tap'
import type { WaitingListState } from '../../processors/ledger-state.ts'
import { closeWaitingList } from '../../processors/waiting-list.ts'
import { draftEvent, NOW } from './ledger-fixtures.ts'

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
