// Every rule of the review commands on the TestDriver, with the hand-moved clock: who may review (a CONFIRMED
// booking of a COMPLETED event, within 30 days of its end, until the event is REVIEWED), one review per user
// per event, edits and deletions while PENDING, moderation by an admin with a second factor (the author
// notified once), one reply by the organizer, one helpful vote per user per review, and the event's rating.
import t from 'tap'
import { REVIEW_WINDOW_MS } from '../../processors/ledger-state.ts'
import {
  bookingCommand,
  bookingSerdes,
  bookRequest,
  ORGANIZER,
  user,
  DAY_MS,
  eventCommand,
} from './booking-harness.ts'
import { EVENT_END, moderate, ReviewHarness, reviewCommand, submit } from './review-harness.ts'

async function harness(t: { teardown(fn: () => void): void }): Promise<ReviewHarness> {
  const h = new ReviewHarness(await bookingSerdes())
  t.teardown(() => h.close())
  return h
}

const reply = (reviewId: string, text: string, actor = ORGANIZER) =>
  reviewCommand('e1', reviewId, 'REPLY', actor, { reply: { text } })
const vote = (reviewId: string, userId: string) => reviewCommand('e1', reviewId, 'VOTE_HELPFUL', user(userId))
const unvote = (reviewId: string, userId: string) => reviewCommand('e1', reviewId, 'UNVOTE', user(userId))

t.test('only a participant with a CONFIRMED booking of the COMPLETED event may review', async (t) => {
  const h = await harness(t)
  h.publishedEvent('e1')
  h.confirmedBookings('e1', ['u1', 'u3'])
  t.ok(
    h.booking(
      bookingCommand(
        'e1',
        'CANCEL',
        { cancel: { bookingId: 'b-u3', reason: null, forceMajeure: false } },
        user('u3'),
      ),
    ).accepted,
  )
  t.ok(
    h.booking(
      bookingCommand(
        'e1',
        'REQUEST',
        { request: { bookingId: 'b-u4', userId: 'u4', priceOptionId: 'std', seats: 1, promoCode: null } },
        user('u4'),
      ),
    ).accepted,
    'u4 holds seats it never pays',
  )
  // u5 canceled a first booking, then booked again and paid: the second, active one is what counts.
  t.ok(h.booking(bookRequest('e1', 'u5', 'b-u5-first')).accepted)
  const cancelFirst = { cancel: { bookingId: 'b-u5-first', reason: null, forceMajeure: false } }
  t.ok(h.booking(bookingCommand('e1', 'CANCEL', cancelFirst, user('u5'))).accepted)
  h.confirmedBookings('e1', ['u5'])
  // u6 is confirmed on another event only.
  h.publishedEvent('e2')
  h.confirmedBookings('e2', ['u6'])
  t.equal(
    h.review(submit('e1', 'r0', 'u1')).reasonCode,
    'REVIEW_NOT_ALLOWED',
    'not before the event completed',
  )
  h.advanceTo(EVENT_END + 1000)
  h.drain()
  const outcome = h.review(submit('e1', 'r1', 'u1', 4, '  Good guides, cold water.  '))
  t.match(outcome, { accepted: true, resourceType: 'REVIEW', resourceId: 'r1', commandType: 'review.SUBMIT' })
  t.match(h.facts(), [
    {
      type: 'SUBMITTED',
      status: 'PENDING',
      authorId: 'u1',
      rating: 4,
      text: 'Good guides, cold water.',
      eventRating: null,
      eventReviewCount: 0,
      organizerId: 'org-1',
    },
  ])
  t.equal(h.review(submit('e1', 'r2', 'u2')).reasonCode, 'REVIEW_NOT_ALLOWED', 'no booking')
  t.equal(h.review(submit('e1', 'r3', 'u3')).reasonCode, 'REVIEW_NOT_ALLOWED', 'a canceled booking')
  t.equal(h.review(submit('e1', 'r4', 'u4')).reasonCode, 'REVIEW_NOT_ALLOWED', 'an unpaid hold (expired)')
  t.equal(h.review(submit('e1', 'r7', 'u6')).reasonCode, 'REVIEW_NOT_ALLOWED', 'a booking of another event')
  t.equal(
    h.review(
      reviewCommand('e1', 'r5', 'SUBMIT', ORGANIZER, {
        submit: { rating: 5, text: 'Mine is best', authorName: null },
      }),
    ).reasonCode,
    'REVIEW_NOT_ALLOWED',
    'not the organizer',
  )
  t.equal(h.review(submit('e9', 'r6', 'u1')).reasonCode, 'EVENT_NOT_FOUND')
  t.same(h.facts(), [], 'refusals leave no fact')
  t.ok(h.review(submit('e1', 'r8', 'u5')).accepted, 'a confirmed booking after a canceled one')
})

t.test('a canceled event takes no reviews', async (t) => {
  const h = await harness(t)
  h.publishedEvent('e1')
  h.confirmedBookings('e1', ['u1'])
  t.ok(h.event(eventCommand('e1', 'CANCEL')).accepted)
  h.advanceTo(EVENT_END + 1000)
  t.equal(h.review(submit('e1', 'r1', 'u1')).reasonCode, 'REVIEW_NOT_ALLOWED')
})

t.test('rating 1 to 5, text 5 to 1,000 characters after trimming, no HTML', async (t) => {
  const h = await harness(t)
  h.completedEvent('e1', ['u1', 'u2', 'u3'])
  const cases: [number, string, string][] = [
    [0, 'Fine enough', 'rating 0'],
    [6, 'Fine enough', 'rating 6'],
    [5, '  abcd  ', '4 characters once trimmed'],
    [5, 'x'.repeat(1001), '1,001 characters'],
    [5, 'Nice <b>bold</b> trip', 'a tag'],
    [5, 'Click <a href="x">here</a>', 'a link'],
    [5, 'hello <script>alert(1)</script>', 'a script'],
  ]
  for (const [rating, text, what] of cases)
    t.equal(h.review(submit('e1', `bad-${what}`, 'u1', rating, text)).reasonCode, 'VALIDATION_FAILED', what)
  t.ok(h.review(submit('e1', 'r1', 'u1', 1, 'abcde')).accepted, '5 characters, 1 star')
  t.ok(h.review(submit('e1', 'r2', 'u2', 5, '🙂'.repeat(1000))).accepted, '1,000 characters (code points)')
  t.ok(
    h.review(submit('e1', 'r3', 'u3', 3, 'Water 2 < 3 degrees, a > b')).accepted,
    'comparison signs are not HTML',
  )
})

t.test('one review per user per event; a deleted pending one may be written again', async (t) => {
  const h = await harness(t)
  h.completedEvent('e1', ['u1', 'u2'])
  t.ok(h.review(submit('e1', 'r1', 'u1')).accepted)
  t.equal(h.review(submit('e1', 'r2', 'u1')).reasonCode, 'DUPLICATE_REVIEW')
  t.equal(h.review(submit('e1', 'r1', 'u2')).reasonCode, 'DUPLICATE_REVIEW', 'a taken review ID')
  t.equal(h.review(reviewCommand('e1', 'r1', 'DELETE', user('u2'))).reasonCode, 'FORBIDDEN', 'not the author')
  t.ok(h.review(reviewCommand('e1', 'r1', 'DELETE', user('u1'))).accepted)
  t.equal(h.review(reviewCommand('e1', 'r1', 'DELETE', user('u1'))).reasonCode, 'REVIEW_NOT_FOUND', 'deleted')
  t.ok(h.review(submit('e1', 'r3', 'u1')).accepted, 'after deleting, the user may review again')
  t.same(
    h.facts().map((f) => `${f.reviewId}:${f.type}:${f.status}`),
    ['r1:SUBMITTED:PENDING', 'r1:DELETED:DELETED', 'r3:SUBMITTED:PENDING'],
  )
})

t.test(
  'the 30-day window follows the hand-moved clock; the event passing to REVIEWED closes it',
  async (t) => {
    const h = await harness(t)
    h.completedEvent('e1', ['u1', 'u2', 'u3'])
    t.same(h.eventEvents.readKeyValuesToList(), [])
    h.advanceTo(EVENT_END + REVIEW_WINDOW_MS - 2000)
    t.ok(h.review(submit('e1', 'r1', 'u1')).accepted, 'a little before 30 days since the end')
    t.same(
      h.eventEvents.readKeyValuesToList().map(([, e]) => e!.type),
      [],
      'still COMPLETED',
    )
    h.advanceTo(EVENT_END + REVIEW_WINDOW_MS)
    t.same(
      h.eventEvents.readKeyValuesToList().map(([, e]) => [e!.type, e!.status]),
      [['REVIEWED', 'REVIEWED']],
      'the timer moves it to REVIEWED',
    )
    t.equal(h.review(submit('e1', 'r2', 'u2')).reasonCode, 'REVIEW_WINDOW_CLOSED')
    h.advanceTo(EVENT_END + REVIEW_WINDOW_MS + 40 * DAY_MS)
    t.equal(h.review(submit('e1', 'r3', 'u3')).reasonCode, 'REVIEW_WINDOW_CLOSED')
    t.ok(h.review(moderate('e1', 'r1', 'ACTIVE')).accepted, 'moderation goes on after the window')
  },
)

t.test('edits by the author while PENDING only', async (t) => {
  const h = await harness(t)
  h.completedEvent('e1', ['u1', 'u2'])
  t.ok(h.review(submit('e1', 'r1', 'u1', 2)).accepted)
  const edit = (actor: string, rating: number, text: string) =>
    reviewCommand('e1', 'r1', 'EDIT', user(actor), { edit: { rating, text } })
  t.equal(h.review(edit('u2', 5, 'Hijacked text')).reasonCode, 'FORBIDDEN')
  t.equal(h.review(edit('u1', 9, 'Better now')).reasonCode, 'VALIDATION_FAILED')
  t.ok(h.review(edit('u1', 4, 'Better after all')).accepted)
  t.ok(h.review(moderate('e1', 'r1', 'ACTIVE')).accepted)
  t.equal(
    h.review(edit('u1', 5, 'Even better')).reasonCode,
    'INVALID_REVIEW_STATE',
    'moderated: no more edits',
  )
  t.equal(h.review(reviewCommand('e1', 'r1', 'DELETE', user('u1'))).reasonCode, 'INVALID_REVIEW_STATE')
  t.equal(
    h.review(reviewCommand('e1', 'nope', 'EDIT', user('u1'), { edit: { rating: 4, text: 'Whatever' } }))
      .reasonCode,
    'REVIEW_NOT_FOUND',
  )
  t.match(h.facts(), [
    { type: 'SUBMITTED', rating: 2 },
    { type: 'EDITED', rating: 4, text: 'Better after all' },
    { type: 'MODERATED', status: 'ACTIVE', eventRating: 4, eventReviewCount: 1 },
  ])
})

t.test(
  'moderation: admins with a second factor; a reason to reject; the author notified exactly once',
  async (t) => {
    const h = await harness(t)
    h.completedEvent('e1', ['u1', 'u2'])
    t.ok(h.review(submit('e1', 'r1', 'u1', 5)).accepted)
    t.ok(h.review(submit('e1', 'r2', 'u2', 1)).accepted)
    t.equal(h.review(moderate('e1', 'r1', 'ACTIVE', null, user('u2'))).reasonCode, 'FORBIDDEN', 'a user')
    t.equal(
      h.review(moderate('e1', 'r1', 'ACTIVE', null, ORGANIZER)).reasonCode,
      'FORBIDDEN',
      'the organizer',
    )
    t.equal(
      h.review(moderate('e1', 'r1', 'ACTIVE', null, { userId: 'admin-1', role: 'ADMIN' }, false)).reasonCode,
      'FORBIDDEN',
      'an admin without a second factor',
    )
    t.equal(
      h.review(moderate('e1', 'r2', 'REJECTED', '  ')).reasonCode,
      'VALIDATION_FAILED',
      'rejected without a reason',
    )
    h.notifications.readKeyValuesToList()
    const approve = moderate('e1', 'r1', 'ACTIVE')
    const first = h.review(approve)
    t.ok(first.accepted)
    t.same(h.review(approve), first, 'the repeated request ID gets the same outcome')
    t.equal(
      h.review(moderate('e1', 'r1', 'REJECTED', 'late change of mind')).reasonCode,
      'INVALID_REVIEW_STATE',
      'moderated once',
    )
    t.ok(h.review(moderate('e1', 'r2', 'REJECTED', 'Insults the guide')).accepted)
    const notes = h.notifications.readKeyValuesToList().map(([, n]) => n!)
    t.same(
      notes.map((n) => [
        n.recipientUserId,
        n.templateKey,
        n.dedupKey,
        n.params.status,
        n.params.reason ?? null,
      ]),
      [
        ['u1', 'review.moderated', 'review.moderated:r1', 'ACTIVE', null],
        ['u2', 'review.moderated', 'review.moderated:r2', 'REJECTED', 'Insults the guide'],
      ],
    )
    t.match(h.facts().slice(-2), [
      { reviewId: 'r1', type: 'MODERATED', status: 'ACTIVE', eventRating: 5, eventReviewCount: 1 },
      {
        reviewId: 'r2',
        type: 'MODERATED',
        status: 'REJECTED',
        rejectionReason: 'Insults the guide',
        eventRating: 5,
        eventReviewCount: 1,
      },
    ])
  },
)

t.test('replies: the event organizer, once, on an ACTIVE review, up to 1,000 characters', async (t) => {
  const h = await harness(t)
  h.completedEvent('e1', ['u1', 'u2'])
  t.ok(h.review(submit('e1', 'r1', 'u1')).accepted)
  t.equal(h.review(reply('r1', 'Thanks!')).reasonCode, 'INVALID_REVIEW_STATE', 'not while PENDING')
  t.ok(h.review(moderate('e1', 'r1', 'ACTIVE')).accepted)
  t.equal(
    h.review(reply('r1', 'Thanks!', { userId: 'org-2', role: 'ORGANIZER' })).reasonCode,
    'FORBIDDEN',
    'another organizer',
  )
  t.equal(
    h.review(reply('r1', 'Thanks!', { userId: 'org-1', role: 'USER' })).reasonCode,
    'FORBIDDEN',
    'not with the USER role',
  )
  t.equal(h.review(reply('r1', 'x'.repeat(1001))).reasonCode, 'VALIDATION_FAILED')
  t.equal(h.review(reply('r1', 'Thanks <i>so</i> much')).reasonCode, 'VALIDATION_FAILED', 'no HTML')
  t.ok(h.review(reply('r1', 'x'.repeat(1000))).accepted)
  t.equal(h.review(reply('r1', 'And again')).reasonCode, 'REVIEW_ALREADY_REPLIED')
  t.match(h.facts().at(-1), { type: 'REPLIED', reply: 'x'.repeat(1000), repliedAtMs: h.driver.clock.now() })
})

t.test('helpful votes: one per user per ACTIVE review, not on their own, and taken back once', async (t) => {
  const h = await harness(t)
  h.completedEvent('e1', ['u1'])
  t.ok(h.review(submit('e1', 'r1', 'u1')).accepted)
  t.equal(h.review(vote('r1', 'u2')).reasonCode, 'INVALID_REVIEW_STATE', 'a PENDING review takes no votes')
  t.ok(h.review(moderate('e1', 'r1', 'ACTIVE')).accepted)
  t.equal(h.review(vote('r1', 'u1')).reasonCode, 'OWN_REVIEW_VOTE')
  t.ok(h.review(vote('r1', 'u2')).accepted, 'any signed-in user, attendee or not')
  t.ok(h.review(vote('r1', 'u3')).accepted)
  t.equal(h.review(vote('r1', 'u2')).reasonCode, 'DUPLICATE_VOTE')
  t.ok(h.review(unvote('r1', 'u2')).accepted)
  t.equal(h.review(unvote('r1', 'u2')).reasonCode, 'VOTE_NOT_FOUND')
  t.ok(h.review(vote('r1', 'u2')).accepted, 'may vote again after taking it back')
  t.same(
    h
      .facts()
      .slice(-4)
      .map((f) => [f.type, f.voterUserId, f.helpfulCount]),
    [
      ['VOTED_HELPFUL', 'u2', 1],
      ['VOTED_HELPFUL', 'u3', 2],
      ['UNVOTED', 'u2', 1],
      ['VOTED_HELPFUL', 'u2', 2],
    ],
  )
})

t.test('the rating is the mean of ACTIVE reviews to 1 decimal', async (t) => {
  const h = await harness(t)
  h.completedEvent('e1', ['u1', 'u2', 'u3', 'u4'])
  for (const [id, userId, rating] of [
    ['r1', 'u1', 5],
    ['r2', 'u2', 4],
    ['r3', 'u3', 4],
    ['r4', 'u4', 1],
  ] as const)
    t.ok(h.review(submit('e1', id, userId, rating)).accepted)
  h.facts()
  h.review(moderate('e1', 'r1', 'ACTIVE'))
  h.review(moderate('e1', 'r2', 'ACTIVE'))
  h.review(moderate('e1', 'r3', 'ACTIVE'))
  h.review(moderate('e1', 'r4', 'REJECTED', 'Off topic'))
  t.same(
    h.facts().map((f) => [f.eventRating, f.eventReviewCount]),
    [
      [5, 1],
      [4.5, 2],
      [4.3, 3],
      [4.3, 3],
    ],
  )
})

t.test(
  'an Idempotency-Key repeated under another request ID gets the first decision, and no second fact',
  async (t) => {
    const h = await harness(t)
    h.completedEvent('e1', ['u1'])
    const first = h.review({ ...submit('e1', 'r1', 'u1'), idempotencyKey: 'k-1' })
    const again = h.review({ ...submit('e1', 'r1', 'u1'), idempotencyKey: 'k-1' })
    t.ok(first.accepted)
    t.match(again, { accepted: true, resourceId: 'r1', originalRequestId: first.requestId })
    t.equal(h.facts().length, 1)
  },
)

t.test('reviews and votes survive a restart (the stores restore from their changelogs)', async (t) => {
  const h = await harness(t)
  h.completedEvent('e1', ['u1', 'u2'])
  t.ok(h.review(submit('e1', 'r1', 'u1')).accepted)
  t.ok(h.review(moderate('e1', 'r1', 'ACTIVE')).accepted)
  t.ok(h.review(vote('r1', 'u2')).accepted)
  h.driver.restart()
  t.equal(h.review(submit('e1', 'r2', 'u1')).reasonCode, 'DUPLICATE_REVIEW')
  t.equal(h.review(vote('r1', 'u2')).reasonCode, 'DUPLICATE_VOTE')
  t.ok(h.review(submit('e1', 'r2', 'u2')).accepted)
})
