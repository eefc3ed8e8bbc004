/**
 * Writes a batch of the review topic (`aquastream.review.events.v1`) into `reviews`, in the caller's
 * transaction, then recounts the events' `rating` and `review_count`.
 */
import type { ReviewDomainEvent } from '../../avro/index.ts'
import type { Queryable } from './db.ts'
import type { AppliedChanges } from './read-model.ts'
import { reviewRows } from './review-rows.ts'

/**
 * Upserts one row per review (its latest fact in the batch) and recounts the ratings of the events the
 * batch touches. Returns those events and the request IDs of the facts. Rejects with the database's error;
 * the caller's transaction then rolls back.
 */
export async function applyReviewFacts(
  tx: Queryable,
  facts: readonly ReviewDomainEvent[],
): Promise<AppliedChanges> {
  const rows = reviewRows(facts)
  if (rows.length === 0) return { eventIds: [], bookingIds: [], requestIds: [] }
  await tx.query(
    `INSERT INTO reviews (id, event_id, author_id, author_name, organizer_id, rating, text, status,
       rejection_reason, reply, replied_at, helpful_count, submitted_at, updated_at)
     SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(id text, event_id text, author_id text,
       author_name text, organizer_id text, rating smallint, text text, status text, rejection_reason text,
       reply text, replied_at timestamptz, helpful_count integer, submitted_at timestamptz,
       updated_at timestamptz)
     ON CONFLICT (id) DO UPDATE SET author_name = EXCLUDED.author_name, rating = EXCLUDED.rating,
       text = EXCLUDED.text, status = EXCLUDED.status, rejection_reason = EXCLUDED.rejection_reason,
       reply = EXCLUDED.reply, replied_at = EXCLUDED.replied_at, helpful_count = EXCLUDED.helpful_count,
       updated_at = EXCLUDED.updated_at`,
    [JSON.stringify(rows)],
  )
  const eventIds = [...new Set(rows.map((r) => r.event_id))]
  await recomputeRatings(tx, eventIds)
  return {
    eventIds,
    bookingIds: [],
    requestIds: [...new Set(facts.flatMap((f) => (f.requestId === null ? [] : [f.requestId])))],
  }
}

/**
 * Sets each event's `rating` (the mean of its ACTIVE reviews rounded to 1 decimal, null with none) and
 * `review_count` from the `reviews` rows. Run after review facts and after event facts (an event row may
 * arrive after its reviews: the two topics are separate logs).
 */
export async function recomputeRatings(tx: Queryable, eventIds: readonly string[]): Promise<void> {
  if (eventIds.length === 0) return
  await tx.query(
    `UPDATE events e SET rating = r.rating, review_count = r.count
     FROM (SELECT id,
             (SELECT round(avg(v.rating)::numeric, 1)::double precision FROM reviews v
               WHERE v.event_id = ids.id AND v.status = 'ACTIVE') AS rating,
             (SELECT count(*)::integer FROM reviews v WHERE v.event_id = ids.id AND v.status = 'ACTIVE') AS count
           FROM unnest($1::text[]) AS ids(id)) r
     WHERE e.id = r.id AND (e.rating IS DISTINCT FROM r.rating OR e.review_count <> r.count)`,
    [eventIds],
  )
}
