/**
 * The `request_outcomes` rows of a batch of request outcomes (`aquastream.request.outcomes.v1`). Pure: no
 * SQL, no I/O; outcome-applier.ts writes what this returns.
 */
import type { RequestOutcome } from '../../avro/index.ts'
import { isoOfMs } from './instants.ts'
import type { CheckInResultView } from './views.ts'

/** One row of `request_outcomes`: the outcome of one request ID. */
export interface OutcomeRow {
  readonly request_id: string
  readonly event_id: string
  readonly command_type: string
  readonly accepted: boolean
  readonly resource_type: string
  readonly resource_id: string
  readonly reason_code: string | null
  readonly message: string
  readonly decided_at: string
  readonly actor_user_id: string | null
  readonly idempotency_key: string | null
  readonly original_request_id: string | null
  /** A CHECK_IN's result as the view shows it (ISO instants); null for other commands. */
  readonly check_in: CheckInResultView | null
}

/**
 * One row per request ID of `outcomes`, in the order each ID first appears. The topic is compacted and
 * keyed by request ID, so the latest record of a request wins.
 */
export function outcomeRows(outcomes: readonly RequestOutcome[]): OutcomeRow[] {
  const latest = new Map<string, RequestOutcome>()
  for (const o of outcomes) latest.set(o.requestId, o)
  return [...latest.values()].map((o) => ({
    request_id: o.requestId,
    event_id: o.eventId,
    command_type: o.commandType,
    accepted: o.accepted,
    resource_type: o.resourceType,
    resource_id: o.resourceId,
    reason_code: o.reasonCode,
    message: o.message,
    decided_at: isoOfMs(o.decidedAtMs),
    actor_user_id: o.actorUserId,
    idempotency_key: o.idempotencyKey,
    original_request_id: o.originalRequestId,
    check_in:
      o.checkIn === null
        ? null
        : {
            bookingId: o.checkIn.bookingId,
            seats: o.checkIn.seats,
            checkedInSeats: o.checkIn.checkedInSeats,
            firstScannedAt: isoOfMs(o.checkIn.firstScannedAtMs),
            scannedAt: isoOfMs(o.checkIn.scannedAtMs),
          },
  }))
}
