import t from 'tap'
import type { Actor, ReviewCommand } from '../../avro/index.ts'
import { DAY_MS, REVIEW_WINDOW_MS, type EventState } from '../../processors/ledger-state.ts'
import { decideReviewCommand, type ReviewContext } from '../../processors/review-decision.ts'
import {
  checkReview,
  checkText,
  reviewWindowRefusal,
  roundRating,
  type ReviewState,
} from '../../processors/review-state.ts'
import { reviewCommand } from '../../query-api/commands/command-builders.ts'
import { NOW, publishedEvent } from './ledger-fixtures.ts'

const completed: EventState = publishedEvent({ status: 'COMPLETED' })
const AT = completed.endsAtMs + DAY_MS
const author: Actor = { userId: 'u1', role: 'USER' }
const other: Actor = { userId: 'u2', role: 'USER' }
const organizer: Actor = { userId: 'org', role: 'ORGANIZER' }
const admin: Actor = { userId: 'adm', role: 'ADMIN' }

const review = (overrides: Partial<ReviewState> = {}): ReviewState => ({
  reviewId: 'r1',
  eventId: 'e1',
  authorId: 'u1',
  authorName: 'Ann',
  rating: 4,
  text: 'Great day out',
  status: 'PENDING',
  rejectionReason: null,
  reply: null,
  repliedAtMs: null,
  helpfulVoters: [],
  submittedAtMs: NOW,
  updatedAtMs: NOW,
  ...overrides,
})

const ctx = (overrides: Partial<ReviewContext> = {}): ReviewContext => ({
  event: completed,
  review: review(),
  actorReviewId: undefined,
  attended: true,
  ...overrides,
})

const cmd = (
  actor: Actor,
  type: ReviewCommand['type'],
  payload: Parameters<typeof reviewCommand>[3] = {},
): ReviewCommand =>
  reviewCommand({ requestId: 'q1', eventId: 'e1', actor, issuedAtMs: NOW }, type, 'r1', payload)

const refusal = (reasonCode: string, message: string) => ({ ok: false, refusal: { reasonCode, message } })
const ok = (r: ReviewState, type: string, message: string, voterUserId: string | null = null) => ({
  ok: true,
  review: r,
  type,
  voterUserId,
  notifications: [],
  message,
})

t.test('missing event and review', async (t) => {
  t.strictSame(
    decideReviewCommand(ctx({ event: undefined }), cmd(author, 'DELETE'), AT),
    refusal('EVENT_NOT_FOUND', 'no event e1'),
  )
  t.strictSame(
    decideReviewCommand(ctx({ review: undefined }), cmd(author, 'DELETE'), AT),
    refusal('REVIEW_NOT_FOUND', 'no review r1 of event e1'),
  )
  t.strictSame(
    decideReviewCommand(ctx({ review: review({ status: 'DELETED' }) }), cmd(author, 'DELETE'), AT),
    refusal('REVIEW_NOT_FOUND', 'no review r1 of event e1'),
  )
  t.strictSame(
    decideReviewCommand(ctx(), { ...cmd(author, 'DELETE'), type: 'BOGUS' as ReviewCommand['type'] }, AT),
    refusal('VALIDATION_FAILED', 'unknown review command BOGUS'),
  )
})

t.test('EDIT and DELETE are the author’s while PENDING', async (t) => {
  t.strictSame(
    decideReviewCommand(ctx(), cmd(other, 'DELETE'), AT),
    refusal('FORBIDDEN', 'only the author may change a review'),
  )
  t.strictSame(
    decideReviewCommand(ctx({ review: review({ status: 'ACTIVE' }) }), cmd(author, 'EDIT'), AT),
    refusal('INVALID_REVIEW_STATE', 'review r1 is ACTIVE'),
  )
  t.strictSame(
    decideReviewCommand(ctx(), cmd(author, 'DELETE'), AT),
    ok(review({ status: 'DELETED', updatedAtMs: AT }), 'DELETED', 'review deleted'),
  )
  t.strictSame(
    decideReviewCommand(ctx(), cmd(author, 'EDIT'), AT),
    refusal('VALIDATION_FAILED', 'EDIT needs its payload'),
  )
  t.strictSame(
    decideReviewCommand(ctx(), cmd(author, 'EDIT', { edit: { rating: 6, text: 'Fine day' } }), AT),
    refusal('VALIDATION_FAILED', 'rating must be an integer from 1 to 5'),
  )
  t.strictSame(
    decideReviewCommand(ctx(), cmd(author, 'EDIT', { edit: { rating: 2, text: '  Fine day  ' } }), AT),
    ok(review({ rating: 2, text: 'Fine day', updatedAtMs: AT }), 'EDITED', 'review edited'),
  )
})

t.test('REPLY is the organizer’s, once, on an ACTIVE review', async (t) => {
  const active = ctx({ review: review({ status: 'ACTIVE' }) })
  const reply = (text: string) => cmd(organizer, 'REPLY', { reply: { text } })
  t.strictSame(
    decideReviewCommand(active, cmd({ userId: 'org', role: 'USER' }, 'REPLY', { reply: { text: 'x' } }), AT),
    refusal('FORBIDDEN', "only the event's organizer may reply"),
  )
  t.strictSame(
    decideReviewCommand(active, cmd({ userId: 'o2', role: 'ORGANIZER' }, 'REPLY'), AT),
    refusal('FORBIDDEN', "only the event's organizer may reply"),
  )
  t.strictSame(
    decideReviewCommand(ctx(), reply('Thanks'), AT),
    refusal('INVALID_REVIEW_STATE', 'review r1 is PENDING'),
  )
  t.strictSame(
    decideReviewCommand(ctx({ review: review({ status: 'ACTIVE', reply: 'x' }) }), reply('Thanks'), AT),
    refusal('REVIEW_ALREADY_REPLIED', 'review r1 has a reply'),
  )
  t.strictSame(
    decideReviewCommand(active, cmd(organizer, 'REPLY'), AT),
    refusal('VALIDATION_FAILED', 'reply must have 1 to 1000 characters'),
  )
  t.strictSame(
    decideReviewCommand(active, reply('<b>hi</b>'), AT),
    refusal('VALIDATION_FAILED', 'reply must not contain HTML'),
  )
  t.strictSame(
    decideReviewCommand(active, reply('  Thanks  '), AT),
    ok(review({ status: 'ACTIVE', reply: 'Thanks', repliedAtMs: AT, updatedAtMs: AT }), 'REPLIED', 'replied'),
  )
})

t.test('helpful votes: one per user on an ACTIVE review, never the author’s', async (t) => {
  const active = ctx({ review: review({ status: 'ACTIVE', helpfulVoters: ['u3'] }) })
  t.strictSame(
    decideReviewCommand(ctx({ review: review({ status: 'REJECTED' }) }), cmd(other, 'VOTE_HELPFUL'), AT),
    refusal('INVALID_REVIEW_STATE', 'review r1 is REJECTED'),
  )
  t.strictSame(
    decideReviewCommand(active, cmd(author, 'VOTE_HELPFUL'), AT),
    refusal('OWN_REVIEW_VOTE', 'authors may not vote on their own review'),
  )
  t.strictSame(
    decideReviewCommand(active, cmd({ userId: 'u3', role: 'USER' }, 'VOTE_HELPFUL'), AT),
    refusal('DUPLICATE_VOTE', 'marked helpful already'),
  )
  t.strictSame(
    decideReviewCommand(active, cmd(other, 'VOTE_HELPFUL'), AT),
    ok(
      review({ status: 'ACTIVE', helpfulVoters: ['u3', 'u2'], updatedAtMs: AT }),
      'VOTED_HELPFUL',
      'marked helpful',
      'u2',
    ),
  )
  t.strictSame(
    decideReviewCommand(active, cmd(other, 'UNVOTE'), AT),
    refusal('VOTE_NOT_FOUND', 'no helpful vote to take back'),
  )
  t.strictSame(
    decideReviewCommand(active, cmd({ userId: 'u3', role: 'USER' }, 'UNVOTE'), AT),
    ok(review({ status: 'ACTIVE', helpfulVoters: [], updatedAtMs: AT }), 'UNVOTED', 'vote taken back', 'u3'),
  )
})

t.test('SUBMIT needs a confirmed booking of the completed event, once per user', async (t) => {
  const submit = (text = '  Great day out  ', rating = 4) =>
    cmd(author, 'SUBMIT', { submit: { rating, text, authorName: 'Ann' } })
  const fresh = (overrides: Partial<ReviewContext> = {}) => ctx({ review: undefined, ...overrides })
  t.strictSame(
    decideReviewCommand(fresh(), cmd(author, 'SUBMIT'), AT),
    refusal('VALIDATION_FAILED', 'SUBMIT needs its payload'),
  )
  t.strictSame(
    decideReviewCommand(fresh(), submit('tiny'), AT),
    refusal('VALIDATION_FAILED', 'text must have 5 to 1000 characters'),
  )
  t.strictSame(decideReviewCommand(ctx(), submit(), AT), refusal('DUPLICATE_REVIEW', 'review ID r1 is taken'))
  t.strictSame(
    decideReviewCommand(fresh({ event: publishedEvent() }), submit(), AT),
    refusal('REVIEW_NOT_ALLOWED', 'event e1 is PUBLISHED, not COMPLETED'),
  )
  t.strictSame(
    decideReviewCommand(fresh({ attended: false }), submit(), AT),
    refusal('REVIEW_NOT_ALLOWED', 'only participants with a confirmed booking may review'),
  )
  t.strictSame(
    decideReviewCommand(
      fresh(),
      cmd(organizer, 'SUBMIT', { submit: { rating: 4, text: 'Great day', authorName: null } }),
      AT,
    ),
    refusal('REVIEW_NOT_ALLOWED', 'only participants with a confirmed booking may review'),
  )
  t.strictSame(
    decideReviewCommand(fresh({ actorReviewId: 'r0' }), submit(), AT),
    refusal('DUPLICATE_REVIEW', 'the user reviewed e1 already'),
  )
  t.strictSame(
    decideReviewCommand(fresh(), submit(), AT),
    ok(review({ submittedAtMs: AT, updatedAtMs: AT }), 'SUBMITTED', 'review submitted for moderation'),
  )
})

t.test('MODERATE is an admin’s with a second factor on a PENDING review', async (t) => {
  const moderate = (
    status: 'ACTIVE' | 'REJECTED',
    reason: string | null,
    secondFactor = true,
    actor = admin,
  ) => cmd(actor, 'MODERATE', { moderate: { status, reason, secondFactor } })
  t.strictSame(
    decideReviewCommand(ctx(), moderate('ACTIVE', null, true, organizer), AT),
    refusal('FORBIDDEN', 'only admins moderate reviews'),
  )
  t.strictSame(
    decideReviewCommand(ctx(), cmd(admin, 'MODERATE'), AT),
    refusal('VALIDATION_FAILED', 'MODERATE needs its payload'),
  )
  t.strictSame(
    decideReviewCommand(ctx(), moderate('ACTIVE', null, false), AT),
    refusal('FORBIDDEN', 'moderation needs a second factor'),
  )
  t.strictSame(
    decideReviewCommand(ctx({ review: review({ status: 'ACTIVE' }) }), moderate('ACTIVE', null), AT),
    refusal('INVALID_REVIEW_STATE', 'review r1 is ACTIVE'),
  )
  t.strictSame(
    decideReviewCommand(ctx(), moderate('REJECTED', null), AT),
    refusal('VALIDATION_FAILED', 'reason must have 1 to 500 characters'),
  )
  t.strictSame(
    decideReviewCommand(ctx(), moderate('REJECTED', '   '), AT),
    refusal('VALIDATION_FAILED', 'reason must have 1 to 500 characters'),
  )
  const notice = (status: string, extra: Record<string, string> = {}) => ({
    to: 'notifications',
    value: {
      dedupKey: 'review.moderated:r1',
      recipientUserId: 'u1',
      templateKey: 'review.moderated',
      locale: 'ru-RU',
      params: { eventId: 'e1', eventTitle: 'Sailing', reviewId: 'r1', status, ...extra },
      eventId: 'e1',
      createdAtMs: AT,
    },
  })
  t.strictSame(decideReviewCommand(ctx(), moderate('REJECTED', '  spam  '), AT), {
    ok: true,
    review: review({ status: 'REJECTED', rejectionReason: 'spam', updatedAtMs: AT }),
    type: 'MODERATED',
    voterUserId: null,
    notifications: [notice('REJECTED', { reason: 'spam' })],
    message: 'review REJECTED',
  })
  t.strictSame(decideReviewCommand(ctx(), moderate('ACTIVE', ' ok '), AT), {
    ok: true,
    review: review({ status: 'ACTIVE', rejectionReason: null, updatedAtMs: AT }),
    type: 'MODERATED',
    voterUserId: null,
    notifications: [notice('ACTIVE')],
    message: 'review ACTIVE',
  })
})

t.test('review texts: length in code points, trimmed, no markup', async (t) => {
  t.equal(checkText('reply', 'a', 1, 3), null)
  t.equal(checkText('reply', 'abc', 1, 3), null)
  t.strictSame(checkText('reply', 'abcd', 1, 3), {
    reasonCode: 'VALIDATION_FAILED',
    message: 'reply must have 1 to 3 characters',
  })
  t.equal(checkText('text', 'a <3 and 2 > 1', 1, 100), null, 'a < before a digit is no tag')
  t.equal(checkText('text', '2<3 yes', 1, 100), null)
  for (const markup of [
    '<b>bold</b>',
    'x < b>y',
    'see <img src=x',
    '<!-- c -->',
    '</p>',
    '<br>',
    '<b>',
    '< b',
  ])
    t.strictSame(
      checkText('text', markup, 1, 100),
      { reasonCode: 'VALIDATION_FAILED', message: 'text must not contain HTML' },
      markup,
    )
  t.strictSame(checkReview(0, 'Great day'), {
    reasonCode: 'VALIDATION_FAILED',
    message: 'rating must be an integer from 1 to 5',
  })
  t.strictSame(checkReview(5, 'Grt'), {
    reasonCode: 'VALIDATION_FAILED',
    message: 'text must have 5 to 1000 characters',
  })
  t.equal(checkReview(1, 'Great'), null)
})

t.test('the review window: COMPLETED, until 30 days after the end', async (t) => {
  const closedAt = completed.endsAtMs + REVIEW_WINDOW_MS
  t.equal(reviewWindowRefusal(completed, closedAt - 1), null)
  t.strictSame(reviewWindowRefusal(completed, closedAt), {
    reasonCode: 'REVIEW_WINDOW_CLOSED',
    message: 'reviews of e1 closed 30 days after it ended',
  })
  t.strictSame(reviewWindowRefusal({ ...completed, status: 'REVIEWED' }, AT), {
    reasonCode: 'REVIEW_WINDOW_CLOSED',
    message: 'reviews of e1 closed 30 days after it ended',
  })
  t.strictSame(reviewWindowRefusal({ ...completed, status: 'CANCELED' }, closedAt + 1), {
    reasonCode: 'REVIEW_NOT_ALLOWED',
    message: 'event e1 is CANCELED, not COMPLETED',
  })
  t.equal(roundRating(4.25), 4.3)
  t.equal(roundRating(4.35), 4.4, 'half up despite 4.35 being stored as 4.3499…')
  t.equal(roundRating(4.24), 4.2)
})
