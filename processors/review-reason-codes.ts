import type { ErrorSpec } from '../streams/index.ts'

/**
 * The refusals of review commands: part of the refusal section of the one error catalogue (reason-codes.ts
 * spreads them into REASON_CODES, so `refuse` and docs/errors.md know them like any other).
 */
export const REVIEW_REASON_CODES = {
  REVIEW_NOT_FOUND: {
    httpStatus: 404,
    retriable: false,
    meaning: 'No review with this ID on this event, or a deleted one.',
  },
  REVIEW_NOT_ALLOWED: {
    httpStatus: 403,
    retriable: false,
    meaning:
      'Only a user with a CONFIRMED booking of the COMPLETED event may review it (not its organizer, not before it ends).',
  },
  REVIEW_WINDOW_CLOSED: {
    httpStatus: 422,
    retriable: false,
    meaning:
      'Reviews are taken for 30 days after the event ends; this one came later (the event is REVIEWED).',
  },
  DUPLICATE_REVIEW: {
    httpStatus: 409,
    retriable: false,
    meaning:
      'The user already reviewed this event (one review per user per event; delete a pending one first).',
  },
  INVALID_REVIEW_STATE: {
    httpStatus: 422,
    retriable: false,
    meaning:
      'The review status does not allow this: edits and deletions while PENDING, moderation of a PENDING one.',
  },
  REVIEW_ALREADY_REPLIED: {
    httpStatus: 409,
    retriable: false,
    meaning: 'The organizer has replied to this review already (one reply per review).',
  },
  DUPLICATE_VOTE: {
    httpStatus: 409,
    retriable: false,
    meaning: 'The user has marked this review helpful already (one vote per user per review).',
  },
  VOTE_NOT_FOUND: {
    httpStatus: 422,
    retriable: false,
    meaning: 'The user has no helpful vote on this review to take back.',
  },
  OWN_REVIEW_VOTE: {
    httpStatus: 422,
    retriable: false,
    meaning: 'Authors may not vote on their own review.',
  },
} as const satisfies Record<string, ErrorSpec>
