import type { Queryable } from './db.ts'
import { clampPage } from './event-queries.ts'
import { isoOf } from './instants.ts'
import type { EventReviewsRequest, ReviewQueueRequest, ReviewStatus, ReviewView } from './review-views.ts'
import type { Page } from './views.ts'

const COLUMNS = `r.id, r.event_id, r.author_id, r.author_name, r.rating, r.text, r.status, r.rejection_reason,
  r.reply, r.replied_at, r.helpful_count, r.submitted_at, r.updated_at`

function toView(row: Record<string, unknown>): ReviewView {
  return {
    id: row.id as string,
    eventId: row.event_id as string,
    authorId: row.author_id as string,
    authorName: (row.author_name as string | null) ?? null,
    rating: Number(row.rating),
    text: row.text as string,
    status: row.status as ReviewStatus,
    rejectionReason: (row.rejection_reason as string | null) ?? null,
    reply: (row.reply as string | null) ?? null,
    repliedAt: isoOf(row.replied_at),
    helpfulCount: Number(row.helpful_count),
    submittedAt: isoOf(row.submitted_at)!,
    updatedAt: isoOf(row.updated_at)!,
  }
}

/** See `EventReviewsRequest`. */
export async function listEventReviews(
  db: Queryable,
  eventId: string,
  request: EventReviewsRequest,
): Promise<Page<ReviewView>> {
  const { page, size } = clampPage(request.page, request.size)
  const viewer = request.viewerId ?? null
  // The viewer's own review (any status but DELETED) sorts first, then the ACTIVE ones in the asked order.
  const order =
    request.sort === 'helpful'
      ? 'r.helpful_count DESC, r.submitted_at DESC, r.id DESC'
      : 'r.submitted_at DESC, r.id DESC'
  const where = `r.event_id = $1 AND (r.status = 'ACTIVE' OR (r.author_id = $2 AND r.status <> 'DELETED'))`
  const [rows, [count]] = await Promise.all([
    db.query(
      `SELECT ${COLUMNS} FROM reviews r WHERE ${where}
       ORDER BY (r.author_id = $2) DESC, ${order} LIMIT $3 OFFSET $4`,
      [eventId, viewer, size, page * size],
    ),
    db.query<{ total: number }>(`SELECT count(*)::integer AS total FROM reviews r WHERE ${where}`, [
      eventId,
      viewer,
    ]),
  ])
  return { items: rows.map(toView), page, size, total: Number(count?.total ?? 0) }
}

/** One review (any status, deleted ones included); undefined when unknown. */
export async function getReview(db: Queryable, id: string): Promise<ReviewView | undefined> {
  const [row] = await db.query(`SELECT ${COLUMNS} FROM reviews r WHERE r.id = $1`, [id])
  return row === undefined ? undefined : toView(row)
}

/** See `ReviewQueueRequest`. */
export async function listReviewsByStatus(
  db: Queryable,
  request: ReviewQueueRequest,
): Promise<Page<ReviewView>> {
  const { page, size } = clampPage(request.page, request.size)
  const [rows, [count]] = await Promise.all([
    db.query(
      `SELECT ${COLUMNS} FROM reviews r WHERE r.status = $1 ORDER BY r.submitted_at, r.id LIMIT $2 OFFSET $3`,
      [request.status, size, page * size],
    ),
    db.query<{ total: number }>('SELECT count(*)::integer AS total FROM reviews WHERE status = $1', [
      request.status,
    ]),
  ])
  return { items: rows.map(toView), page, size, total: Number(count?.total ?? 0) }
}
