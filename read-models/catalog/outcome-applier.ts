/**
 * Writes a batch of the outcomes topic (`aquastream.request.outcomes.v1`) into `request_outcomes`, in the
 * caller's transaction.
 */
import type { RequestOutcome } from '../../avro/index.ts'
import type { Queryable } from './db.ts'
import { outcomeRows } from './outcome-rows.ts'
import type { AppliedChanges } from './read-model.ts'

/**
 * Upserts one row per request ID (the latest record wins, as on the compacted topic). Returns the
 * requests, their events, and the bookings they name as their resource, so the API can wake the requests
 * waiting on them. Rejects with the database's error; the caller's transaction then rolls back.
 */
export async function applyRequestOutcomes(
  tx: Queryable,
  outcomes: readonly RequestOutcome[],
): Promise<AppliedChanges> {
  const rows = outcomeRows(outcomes)
  if (rows.length > 0)
    await tx.query(
      `INSERT INTO request_outcomes (request_id, event_id, command_type, accepted, resource_type, resource_id,
         reason_code, message, decided_at, actor_user_id, idempotency_key, original_request_id, check_in)
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(request_id text, event_id text, command_type text,
         accepted boolean, resource_type text, resource_id text, reason_code text, message text,
         decided_at timestamptz, actor_user_id text, idempotency_key text, original_request_id text,
         check_in jsonb)
       ON CONFLICT (request_id) DO UPDATE SET event_id = EXCLUDED.event_id,
         command_type = EXCLUDED.command_type, accepted = EXCLUDED.accepted,
         resource_type = EXCLUDED.resource_type, resource_id = EXCLUDED.resource_id,
         reason_code = EXCLUDED.reason_code, message = EXCLUDED.message, decided_at = EXCLUDED.decided_at,
         actor_user_id = EXCLUDED.actor_user_id, idempotency_key = EXCLUDED.idempotency_key,
         original_request_id = EXCLUDED.original_request_id, check_in = EXCLUDED.check_in`,
      [JSON.stringify(rows)],
    )
  return {
    eventIds: [...new Set(rows.map((r) => r.event_id))],
    bookingIds: [...new Set(rows.filter((r) => r.resource_type === 'BOOKING').map((r) => r.resource_id))],
    requestIds: rows.map((r) => r.request_id),
  }
}
