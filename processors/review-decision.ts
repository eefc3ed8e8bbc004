import type { ReviewCommand, ReviewDomainEvent, ReviewEventType } from '../avro/index.ts'
import type { EventState } from './ledger-state.ts'
import { notify, type Cause, type LedgerOutput } from './ledger-outputs.ts'
import { refuse, type Refusal } from './reason-codes.ts'
import {
  checkReview,
  checkText,
  MAX_REJECTION_REASON,
  MAX_REPLY_TEXT,
  reviewWindowRefusal,
  type ReviewState,
} from './review-state.ts'

/** A notification output of the ledger's. */
export type Notice = Extract<LedgerOutput, { readonly to: 'notifications' }>

/** What a review command is decided with: the event's and the bookings' state at hand. */
export interface ReviewContext {
  readonly event: EventState | undefined
  /** The review the command names (`reviewId`), deleted ones included. */
  readonly review: ReviewState | undefined
  /** The ID of the actor's standing (not deleted) review of the event, if any. */
  readonly actorReviewId: string | undefined
  /** Whether the actor holds a CONFIRMED booking of the event. */
  readonly attended: boolean
}

/** A review command decided: the review after it, the fact's type, notifications; or the refusal. */
export type ReviewDecision =
  | {
      readonly ok: true
      readonly review: ReviewState
      readonly type: ReviewEventType
      readonly voterUserId: string | null
      readonly notifications: readonly Notice[]
      readonly message: string
    }
  | { readonly ok: false; readonly refusal: Refusal }

const refused = (refusal: Refusal): ReviewDecision => ({ ok: false, refusal })

function accepted(
  review: ReviewState,
  type: ReviewEventType,
  message: string,
  extra: { voterUserId?: string; notifications?: readonly Notice[] } = {},
): ReviewDecision {
  return {
    ok: true,
    review,
    type,
    voterUserId: extra.voterUserId ?? null,
    notifications: extra.notifications ?? [],
    message,
  }
}

/**
 * Decides one review command (a pure function of the context, the command and the clock). SUBMIT needs a
 * CONFIRMED booking of the COMPLETED event within 30 days of its end and no standing review by the user;
 * EDIT and DELETE are the author's while PENDING; MODERATE is an admin's with a second factor on a PENDING
 * review (the author is notified once, `review.moderated:<reviewId>`); REPLY is the event organizer's,
 * once, on an ACTIVE review; VOTE_HELPFUL / UNVOTE are one per user per ACTIVE review, never the author's.
 */
export function decideReviewCommand(
  context: ReviewContext,
  command: ReviewCommand,
  nowMs: number,
): ReviewDecision {
  const { event } = context
  if (event === undefined) return refused(refuse('EVENT_NOT_FOUND', `no event ${command.eventId}`))
  if (command.type === 'SUBMIT') return submit(context, event, command, nowMs)
  const review = context.review
  if (review === undefined || review.status === 'DELETED')
    return refused(refuse('REVIEW_NOT_FOUND', `no review ${command.reviewId} of event ${command.eventId}`))
  const actor = command.actor
  switch (command.type) {
    case 'EDIT':
    case 'DELETE': {
      if (actor.userId !== review.authorId)
        return refused(refuse('FORBIDDEN', 'only the author may change a review'))
      if (review.status !== 'PENDING')
        return refused(refuse('INVALID_REVIEW_STATE', `review ${review.reviewId} is ${review.status}`))
      if (command.type === 'DELETE')
        return accepted({ ...review, status: 'DELETED', updatedAtMs: nowMs }, 'DELETED', 'review deleted')
      const edit = command.edit
      if (edit === null) return refused(refuse('VALIDATION_FAILED', 'EDIT needs its payload'))
      const invalid = checkReview(edit.rating, edit.text)
      if (invalid !== null) return refused(invalid)
      const next = { ...review, rating: edit.rating, text: edit.text.trim(), updatedAtMs: nowMs }
      return accepted(next, 'EDITED', 'review edited')
    }
    case 'MODERATE':
      return moderate(event, review, command, nowMs)
    case 'REPLY': {
      if (actor.role !== 'ORGANIZER' || actor.userId !== event.organizerId)
        return refused(refuse('FORBIDDEN', "only the event's organizer may reply"))
      if (review.status !== 'ACTIVE')
        return refused(refuse('INVALID_REVIEW_STATE', `review ${review.reviewId} is ${review.status}`))
      if (review.reply !== null)
        return refused(refuse('REVIEW_ALREADY_REPLIED', `review ${review.reviewId} has a reply`))
      const text = command.reply?.text ?? ''
      const invalid = checkText('reply', text, 1, MAX_REPLY_TEXT)
      if (invalid !== null) return refused(invalid)
      return accepted(
        { ...review, reply: text.trim(), repliedAtMs: nowMs, updatedAtMs: nowMs },
        'REPLIED',
        'replied',
      )
    }
    case 'VOTE_HELPFUL':
    case 'UNVOTE': {
      if (review.status !== 'ACTIVE')
        return refused(refuse('INVALID_REVIEW_STATE', `review ${review.reviewId} is ${review.status}`))
      if (actor.userId === review.authorId)
        return refused(refuse('OWN_REVIEW_VOTE', 'authors may not vote on their own review'))
      const voted = review.helpfulVoters.includes(actor.userId)
      if (command.type === 'VOTE_HELPFUL') {
        if (voted) return refused(refuse('DUPLICATE_VOTE', 'marked helpful already'))
        const next = { ...review, helpfulVoters: [...review.helpfulVoters, actor.userId], updatedAtMs: nowMs }
        return accepted(next, 'VOTED_HELPFUL', 'marked helpful', { voterUserId: actor.userId })
      }
      if (!voted) return refused(refuse('VOTE_NOT_FOUND', 'no helpful vote to take back'))
      const voters = review.helpfulVoters.filter((voter) => voter !== actor.userId)
      return accepted(
        { ...review, helpfulVoters: voters, updatedAtMs: nowMs },
        'UNVOTED',
        'vote taken back',
        {
          voterUserId: actor.userId,
        },
      )
    }
    default:
      return refused(refuse('VALIDATION_FAILED', `unknown review command ${String(command.type)}`))
  }
}

function submit(
  context: ReviewContext,
  event: EventState,
  command: ReviewCommand,
  nowMs: number,
): ReviewDecision {
  const input = command.submit
  if (input === null) return refused(refuse('VALIDATION_FAILED', 'SUBMIT needs its payload'))
  const invalid = checkReview(input.rating, input.text)
  if (invalid !== null) return refused(invalid)
  if (context.review !== undefined)
    return refused(refuse('DUPLICATE_REVIEW', `review ID ${command.reviewId} is taken`))
  const closed = reviewWindowRefusal(event, nowMs)
  if (closed !== null) return refused(closed)
  if (!context.attended || command.actor.userId === event.organizerId)
    return refused(refuse('REVIEW_NOT_ALLOWED', 'only participants with a confirmed booking may review'))
  if (context.actorReviewId !== undefined)
    return refused(refuse('DUPLICATE_REVIEW', `the user reviewed ${event.eventId} already`))
  const review: ReviewState = {
    reviewId: command.reviewId,
    eventId: event.eventId,
    authorId: command.actor.userId,
    authorName: input.authorName,
    rating: input.rating,
    text: input.text.trim(),
    status: 'PENDING',
    rejectionReason: null,
    reply: null,
    repliedAtMs: null,
    helpfulVoters: [],
    submittedAtMs: nowMs,
    updatedAtMs: nowMs,
  }
  return accepted(review, 'SUBMITTED', 'review submitted for moderation')
}

function moderate(
  event: EventState,
  review: ReviewState,
  command: ReviewCommand,
  nowMs: number,
): ReviewDecision {
  const input = command.moderate
  if (command.actor.role !== 'ADMIN') return refused(refuse('FORBIDDEN', 'only admins moderate reviews'))
  if (input === null) return refused(refuse('VALIDATION_FAILED', 'MODERATE needs its payload'))
  if (!input.secondFactor) return refused(refuse('FORBIDDEN', 'moderation needs a second factor'))
  if (review.status !== 'PENDING')
    return refused(refuse('INVALID_REVIEW_STATE', `review ${review.reviewId} is ${review.status}`))
  const reason = input.reason?.trim() ?? ''
  if (input.status === 'REJECTED') {
    const invalid = checkText('reason', reason, 1, MAX_REJECTION_REASON)
    if (invalid !== null) return refused(invalid)
  }
  const next: ReviewState = {
    ...review,
    status: input.status,
    rejectionReason: input.status === 'REJECTED' ? reason : null,
    updatedAtMs: nowMs,
  }
  const params: Record<string, string> = { reviewId: review.reviewId, status: input.status }
  if (next.rejectionReason !== null) params.reason = next.rejectionReason
  // One moderation per review (only a PENDING one), so this key is sent once whatever the retries.
  const dedupKey = `review.moderated:${review.reviewId}`
  const notice = notify(event, review.authorId, 'review.moderated', dedupKey, nowMs, params) as Notice
  return accepted(next, 'MODERATED', `review ${input.status}`, { notifications: [notice] })
}

/** The fact of a review change, with the event's rating after it. */
export function reviewFact(
  event: EventState,
  review: ReviewState,
  type: ReviewEventType,
  rating: { rating: number | null; count: number },
  cause: Cause,
  nowMs: number,
  voterUserId: string | null = null,
): ReviewDomainEvent {
  return {
    eventId: review.eventId,
    reviewId: review.reviewId,
    type,
    status: review.status,
    authorId: review.authorId,
    authorName: review.authorName,
    organizerId: event.organizerId,
    rating: review.rating,
    text: review.text,
    rejectionReason: review.rejectionReason,
    reply: review.reply,
    repliedAtMs: review.repliedAtMs,
    helpfulCount: review.helpfulVoters.length,
    voterUserId,
    submittedAtMs: review.submittedAtMs,
    eventRating: rating.rating,
    eventReviewCount: rating.count,
    requestId: cause.requestId,
    actorUserId: cause.actorUserId,
    occurredAtMs: nowMs,
  }
}
