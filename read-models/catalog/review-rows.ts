/**
 * The `reviews` rows of a batch of review facts (`aquastream.review.events.v1`). Pure: no SQL, no I/O;
 * review-applier.ts writes what this returns.
 */
import type { ReviewDomainEvent } from '../../avro/index.ts'
import { isoOfMs } from './instants.ts'

/** One row of `reviews`: a review as its latest fact shows it. */
export interface ReviewRow {
  readonly id: string
  readonly event_id: string
  readonly author_id: string
  readonly author_name: string | null
  readonly organizer_id: string
  readonly rating: number
  readonly text: string
  readonly status: string
  readonly rejection_reason: string | null
  readonly reply: string | null
  readonly replied_at: string | null
  readonly helpful_count: number
  readonly submitted_at: string
  readonly updated_at: string
}

/**
 * One row per review of `facts`, from its latest fact. The topic is keyed by event ID, so one review's facts
 * are in one partition, in order: the last one in the batch is the review now.
 */
export function reviewRows(facts: readonly ReviewDomainEvent[]): ReviewRow[] {
  const latest = new Map<string, ReviewDomainEvent>()
  for (const fact of facts) latest.set(fact.reviewId, fact)
  return [...latest.values()].map((f) => ({
    id: f.reviewId,
    event_id: f.eventId,
    author_id: f.authorId,
    author_name: f.authorName,
    organizer_id: f.organizerId,
    rating: f.rating,
    text: f.text,
    status: f.status,
    rejection_reason: f.rejectionReason,
    reply: f.reply,
    replied_at: isoOfMs(f.repliedAtMs),
    helpful_count: f.helpfulCount,
    submitted_at: isoOfMs(f.submittedAtMs),
    updated_at: isoOfMs(f.occurredAtMs),
  }))
}
