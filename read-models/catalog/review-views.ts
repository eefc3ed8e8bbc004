/**
 * The review views of the read model and the queries it takes (the conventions of views.ts hold: ISO
 * instants, `null` for absent facts).
 */
import type { ReviewStatus } from '../../avro/index.ts'
import type { PageRequest } from './views.ts'

export type { ReviewStatus }

/** A review as the catalog shows it. */
export interface ReviewView {
  readonly id: string
  readonly eventId: string
  readonly authorId: string
  /** How the author is shown; null when the token carried no name. */
  readonly authorName: string | null
  readonly rating: number
  readonly text: string
  readonly status: ReviewStatus
  /** Why a REJECTED review was rejected (shown to its author and admins only; the API decides). */
  readonly rejectionReason: string | null
  /** The organizer's reply. */
  readonly reply: string | null
  readonly repliedAt: string | null
  readonly helpfulCount: number
  readonly submittedAt: string
  readonly updatedAt: string
}

/**
 * An event's reviews: the ACTIVE ones, by `helpful` (most helpful votes first, then newest) or `date`
 * (newest first); `viewerId`'s own review is added first whatever its status (an author sees their pending
 * or rejected review). `total` counts the same rows.
 */
export interface EventReviewsRequest extends PageRequest {
  readonly sort: 'helpful' | 'date'
  readonly viewerId?: string
}

/** The moderation queue: reviews of one status, oldest first. */
export interface ReviewQueueRequest extends PageRequest {
  readonly status: ReviewStatus
}
