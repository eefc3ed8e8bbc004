import type { ReviewStatus } from '../avro/index.ts'
import { REVIEW_WINDOW_MS, type EventState } from './ledger-state.ts'
import { refuse, type Refusal } from './reason-codes.ts'

/**
 * A review as the review ledger keeps it (plain JSON, never mutated: decisions return new objects). A
 * deleted review stays with status DELETED, so a repeat of its ID is told what happened to it.
 */
export interface ReviewState {
  readonly reviewId: string
  readonly eventId: string
  readonly authorId: string
  readonly authorName: string | null
  readonly rating: number
  readonly text: string
  readonly status: ReviewStatus
  readonly rejectionReason: string | null
  readonly reply: string | null
  readonly repliedAtMs: number | null
  /** Who marked it helpful, in vote order (one vote per user). */
  readonly helpfulVoters: readonly string[]
  readonly submittedAtMs: number
  readonly updatedAtMs: number
}

export const MIN_RATING = 1
export const MAX_RATING = 5
export const MIN_REVIEW_TEXT = 5
export const MAX_REVIEW_TEXT = 1000
export const MAX_REPLY_TEXT = 1000
export const MAX_REJECTION_REASON = 500

/** Markup of any kind: a tag, a comment or a doctype (`<b>`, `</p>`, `<!-- -->`, `<img src=x>`). */
const HTML = /<\s*[/!?a-zA-Z][^>]*>?/

/** Characters as users count them (code points, not UTF-16 units). */
const length = (text: string): number => [...text].length

/**
 * Checks a review's or reply's text: trimmed, between `min` and `max` characters, and no HTML (refused
 * rather than stripped, so what the author sees is what was stored).
 */
export function checkText(field: string, text: string, min: number, max: number): Refusal | null {
  const trimmed = text.trim()
  if (length(trimmed) < min || length(trimmed) > max)
    return refuse('VALIDATION_FAILED', `${field} must have ${min} to ${max} characters`)
  if (HTML.test(trimmed)) return refuse('VALIDATION_FAILED', `${field} must not contain HTML`)
  return null
}

/** Checks a rating and a review text. */
export function checkReview(rating: number, text: string): Refusal | null {
  if (!Number.isInteger(rating) || rating < MIN_RATING || rating > MAX_RATING)
    return refuse('VALIDATION_FAILED', `rating must be an integer from ${MIN_RATING} to ${MAX_RATING}`)
  return checkText('text', text, MIN_REVIEW_TEXT, MAX_REVIEW_TEXT)
}

/**
 * Whether the event takes reviews at `nowMs`: COMPLETED and within REVIEW_WINDOW_MS of its end. Refused
 * with REVIEW_WINDOW_CLOSED once the window passed (the event is, or is about to be, REVIEWED), and with
 * REVIEW_NOT_ALLOWED before it completed (or when it was canceled).
 */
export function reviewWindowRefusal(event: EventState, nowMs: number): Refusal | null {
  if (
    event.status === 'REVIEWED' ||
    (event.status === 'COMPLETED' && nowMs >= event.endsAtMs + REVIEW_WINDOW_MS)
  )
    return refuse('REVIEW_WINDOW_CLOSED', `reviews of ${event.eventId} closed 30 days after it ended`)
  if (event.status !== 'COMPLETED')
    return refuse('REVIEW_NOT_ALLOWED', `event ${event.eventId} is ${event.status}, not COMPLETED`)
  return null
}

/** The event's rating: the mean of its ACTIVE reviews' ratings rounded to 1 decimal, and how many. */
export function eventRating(reviews: Iterable<ReviewState>): { rating: number | null; count: number } {
  let sum = 0
  let count = 0
  for (const review of reviews) {
    if (review.status !== 'ACTIVE') continue
    sum += review.rating
    count++
  }
  return { rating: count === 0 ? null : roundRating(sum / count), count }
}

/** Rounds a mean rating to 1 decimal (half up), the precision the catalog shows. */
export function roundRating(mean: number): number {
  return Math.round(mean * 10 + 1e-9) / 10
}
