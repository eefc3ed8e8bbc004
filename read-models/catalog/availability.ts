/**
 * Live availability of events: the projection records every change of an event's status or free seats as
 * a numbered row of `event_availability_changes` (position 1, 2, … per event: the last one plus one), in
 * the transaction that changed them; readers stream those rows in order. The seat recount of the same
 * transaction has locked the event's row, so one event's positions are taken and committed in order, and
 * every reader on every instance sees the same sequence. The table is a delivery log, not a projected
 * state: how many changes it has depends on how the batches fell (a replay may number fewer).
 */
import type { Queryable } from './db.ts'
import type { AvailabilityChange } from './views.ts'

/** Changes older than this many positions are dropped: a client further behind starts from a snapshot. */
export const AVAILABILITY_CHANGES_KEPT = 10_000

/**
 * Records a change for each of `eventIds` whose status, free seats or per-option free seats differ from its
 * last recorded change, and drops the changes more than `kept` positions behind an event's new one. Runs
 * after the seat figures in the same transaction (which holds the event rows).
 */
export async function recordAvailabilityChanges(
  tx: Queryable,
  eventIds: readonly string[],
  kept = AVAILABILITY_CHANGES_KEPT,
): Promise<void> {
  if (eventIds.length === 0) return
  const recorded = await tx.query<{ event_id: string; position: number | string }>(
    `WITH now_figures AS (
       SELECT e.id, e.status, e.seats_available,
         COALESCE((SELECT jsonb_agg(jsonb_build_object('id', o.price_option_id, 'name', o.name,
             'available', GREATEST(0, LEAST(o.allotment - o.seats_taken, e.seats_available)))
             ORDER BY o.position)
           FROM event_price_options o WHERE o.event_id = e.id), '[]'::jsonb) AS options
       FROM events e WHERE e.id = ANY($1)
     ),
     changed AS (
       SELECT f.*, COALESCE(last.position, 0) + 1 AS position FROM now_figures f
       LEFT JOIN LATERAL (SELECT c.position, c.status, c.seats_available, c.options
         FROM event_availability_changes c
         WHERE c.event_id = f.id ORDER BY c.position DESC LIMIT 1) last ON true
       WHERE last.status IS NULL
         OR (last.status, last.seats_available, last.options) IS DISTINCT FROM
            (f.status, f.seats_available, f.options)
     )
     INSERT INTO event_availability_changes (event_id, position, status, seats_available, options)
     SELECT id, position, status, seats_available, options FROM changed
     RETURNING event_id, position`,
    [eventIds],
  )
  // Only an event that just recorded a change can have one more to drop: the others were trimmed then.
  const full = recorded.filter((r) => Number(r.position) > kept)
  if (full.length > 0)
    await tx.query(
      `DELETE FROM event_availability_changes c
       USING unnest($1::text[], $2::bigint[]) AS k(event_id, latest)
       WHERE c.event_id = k.event_id AND c.position <= k.latest - $3`,
      [full.map((r) => r.event_id), full.map((r) => Number(r.position)), kept],
    )
}

function toChange(row: Record<string, unknown>): AvailabilityChange {
  return {
    position: Number(row.position),
    status: row.status as AvailabilityChange['status'],
    seatsAvailable: Number(row.seats_available),
    options: row.options as AvailabilityChange['options'],
  }
}

/** The event's latest recorded availability, or undefined when none was recorded (or no such event). */
export async function latestAvailability(
  db: Queryable,
  eventId: string,
): Promise<AvailabilityChange | undefined> {
  const [row] = await db.query(
    `SELECT position, status, seats_available, options FROM event_availability_changes
     WHERE event_id = $1 ORDER BY position DESC LIMIT 1`,
    [eventId],
  )
  return row === undefined ? undefined : toChange(row)
}

/**
 * The event's changes after `afterPosition`, oldest first, at most `limit`; `complete` is false when
 * changes right after `afterPosition` were dropped already (the reader must start from a snapshot).
 */
export async function availabilityChanges(
  db: Queryable,
  eventId: string,
  afterPosition: number,
  limit: number,
): Promise<{ changes: AvailabilityChange[]; complete: boolean }> {
  const rows = await db.query(
    `SELECT position, status, seats_available, options FROM event_availability_changes
     WHERE event_id = $1 AND position > $2 ORDER BY position LIMIT $3`,
    [eventId, afterPosition, limit],
  )
  const changes = rows.map(toChange)
  return { changes, complete: changes.length === 0 || changes[0]!.position === afterPosition + 1 }
}
