import type { KeyValueStore, ProcessorContext } from '../streams/index.ts'
import type { ReviewState } from './review-state.ts'

/** The review ledger's own stores; keyed by event first, so one event's reviews live in its task. */
export const REVIEW_STORES = {
  /** `<eventId>/<reviewId>` → ReviewState (deleted ones stay, status DELETED). */
  reviews: 'review-reviews',
  /** `<eventId>/<authorId>` → reviewId of the author's standing (not deleted) review of the event. */
  authors: 'review-authors',
} as const

const key = (eventId: string, id: string) => `${eventId}/${id}`

/** The reviews and the one-per-author index, kept in step (the processor writes only through here). */
export class ReviewStores {
  readonly #reviews: KeyValueStore<string, ReviewState>
  readonly #authors: KeyValueStore<string, string>

  constructor(context: ProcessorContext<string, unknown>) {
    this.#reviews = context.getStateStore(REVIEW_STORES.reviews)
    this.#authors = context.getStateStore(REVIEW_STORES.authors)
  }

  review(eventId: string, reviewId: string): ReviewState | undefined {
    return this.#reviews.get(key(eventId, reviewId))
  }

  /** The ID of the user's standing review of the event. */
  reviewIdOf(eventId: string, userId: string): string | undefined {
    return this.#authors.get(key(eventId, userId))
  }

  reviewsOf(eventId: string): ReviewState[] {
    const prefix = `${eventId}/`
    return [...this.#reviews.all()].filter(([k]) => k.startsWith(prefix)).map(([, review]) => review)
  }

  /** Writes a review with its author index entry (dropped when the review is deleted). */
  saveReview(review: ReviewState): void {
    this.#reviews.put(key(review.eventId, review.reviewId), review)
    const authorKey = key(review.eventId, review.authorId)
    if (review.status !== 'DELETED') this.#authors.put(authorKey, review.reviewId)
    else if (this.#authors.get(authorKey) === review.reviewId) this.#authors.delete(authorKey)
  }
}
