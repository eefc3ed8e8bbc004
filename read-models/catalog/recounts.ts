/**
 * The catalog's derived figures, recounted from the projected rows rather than copied from the facts:
 * seats taken and free, the lowest price, promo uses. The event and booking topics are separate logs with
 * no order between them, so counting what both wrote gives the same figures whatever order their batches
 * are applied in. Each applier recounts the events its batch touched, in the batch's transaction.
 */
import { recordAvailabilityChanges } from './availability.ts'
import type { Queryable } from './db.ts'

/**
 * Live availability of the given events, counted from scratch: each option's seats taken by active
 * (PENDING_PAYMENT, CONFIRMED) bookings, the event's total, its free seats (capacity left minus seats
 * offered to the waiting list, and no more than the options still hold), its lowest price. The ledger's
 * rule: seats are taken and given back through `takeSeats` (processors/booking-request.ts,
 * booking-change-seats.ts, booking-payment.ts, seat-release.ts) and free seats are `freeSeats`
 * (processors/seat-checks.ts). The event applier counts so (an event row or option that is new counts the
 * bookings projected before it); the booking applier moves the figures by what its batch changed
 * (`moveSeats`).
 */
export async function recomputeSeats(tx: Queryable, eventIds: readonly string[]): Promise<void> {
  if (eventIds.length === 0) return
  await tx.query(
    `UPDATE event_price_options o SET seats_taken = COALESCE((
       SELECT sum(b.seats) FROM bookings b
       WHERE b.event_id = o.event_id AND b.price_option_id = o.price_option_id
         AND b.status IN ('PENDING_PAYMENT', 'CONFIRMED')), 0)
     WHERE o.event_id = ANY($1)`,
    [eventIds],
  )
  await updateEventFigures(tx, eventIds)
}

/** A change of the seats active bookings hold on one price option (null: an event without options). */
export interface SeatsMoved {
  readonly eventId: string
  readonly priceOptionId: string | null
  readonly seats: number
}

/**
 * Moves the seat figures of the given events by what a batch of bookings changed (`moved`: each booking's
 * active seats after the batch less before it), then derives their free seats and lowest price again. The
 * same figures as `recomputeSeats` without reading every booking of the event: a sum of changes gives the
 * same total in any order, and an event or option row that does not exist yet is counted whole by the
 * event applier when it is written. Both run under the event's lock (projection-sink.ts `lockEvents`).
 */
export async function moveSeats(
  tx: Queryable,
  eventIds: readonly string[],
  moved: readonly SeatsMoved[],
): Promise<void> {
  if (eventIds.length === 0) return
  const changes = moved.filter((m) => m.seats !== 0)
  const onOptions = changes.filter((m) => m.priceOptionId !== null)
  if (onOptions.length > 0)
    await tx.query(
      `UPDATE event_price_options o SET seats_taken = o.seats_taken + m.seats
       FROM (SELECT k.event_id, k.price_option_id, sum(k.seats)::integer AS seats
             FROM unnest($1::text[], $2::text[], $3::integer[]) AS k(event_id, price_option_id, seats)
             GROUP BY k.event_id, k.price_option_id) m
       WHERE o.event_id = m.event_id AND o.price_option_id = m.price_option_id`,
      [onOptions.map((m) => m.eventId), onOptions.map((m) => m.priceOptionId), onOptions.map((m) => m.seats)],
    )
  await updateEventFigures(tx, eventIds, changes)
}

/** The seats an event's active bookings take, counted over all of them. */
const RECOUNTED_TAKEN = `COALESCE((SELECT sum(b.seats) FROM bookings b
           WHERE b.event_id = ev.id AND b.status IN ('PENDING_PAYMENT', 'CONFIRMED')), 0)`
/** The same, as the stored figure moved by the changes in $2 (event IDs) and $3 (seats). */
const MOVED_TAKEN = `ev.seats_taken + COALESCE((SELECT sum(k.seats)
           FROM unnest($2::text[], $3::integer[]) AS k(event_id, seats) WHERE k.event_id = ev.id), 0)`

/**
 * Sets the events' seats taken (recounted, or moved by `moved`), free seats and lowest price; records the
 * figures' changes for the live availability streams (availability.ts).
 */
async function updateEventFigures(
  tx: Queryable,
  eventIds: readonly string[],
  moved?: readonly SeatsMoved[],
): Promise<void> {
  const taken = moved === undefined ? RECOUNTED_TAKEN : MOVED_TAKEN
  const params: unknown[] =
    moved === undefined ? [eventIds] : [eventIds, moved.map((m) => m.eventId), moved.map((m) => m.seats)]
  await tx.query(
    `UPDATE events e SET seats_taken = s.taken,
       seats_available = GREATEST(0, CASE WHEN s.options = 0 THEN e.capacity - s.taken - s.offered
         ELSE LEAST(e.capacity - s.taken - s.offered, s.option_free) END),
       price_from = s.price_from
     FROM (
       SELECT ev.id,
         (${taken})::integer AS taken,
         COALESCE((SELECT sum(w.seats) FROM waitlist_entries w
           WHERE w.event_id = ev.id AND w.status = 'OFFERED'), 0)::integer AS offered,
         (SELECT count(*) FROM event_price_options o WHERE o.event_id = ev.id)::integer AS options,
         COALESCE((SELECT sum(GREATEST(0, o.allotment - o.seats_taken)) FROM event_price_options o
           WHERE o.event_id = ev.id), 0)::integer AS option_free,
         (SELECT min(o.price_minor) FROM event_price_options o WHERE o.event_id = ev.id) AS price_from
       FROM events ev WHERE ev.id = ANY($1)
     ) s
     WHERE e.id = s.id`,
    params,
  )
  await recordAvailabilityChanges(tx, eventIds)
}

/**
 * Promo uses of the given events, derived from the projected bookings like seats: a booking counts while
 * it holds the code (PENDING_PAYMENT, CONFIRMED) and keeps counting once a ticket was issued (a confirmed
 * booking canceled later keeps its use unless the code has `cancel_returns_use`; an unpaid hold that
 * expires, fails or is canceled gives it back). The ledger's rule (`holdsPromoUse`,
 * processors/promo-codes.ts), from its `usePromo` calls: a use is taken with the hold (`requestBooking` in
 * processors/booking-request.ts) or by a late payment that takes the seats again (booking-payment.ts), and
 * given back when the ended booking no longer holds one (`endBooking` in processors/seat-release.ts). Rows
 * whose count did not change are not rewritten.
 */
export async function recomputePromoUses(tx: Queryable, eventIds: readonly string[]): Promise<void> {
  if (eventIds.length === 0) return
  await tx.query(
    `UPDATE event_promo_codes p SET uses = s.uses
     FROM (
       SELECT c.event_id, c.code, count(b.id)::integer AS uses
       FROM event_promo_codes c
       LEFT JOIN bookings b ON b.event_id = c.event_id AND b.promo_code = c.code
         AND (b.status IN ('PENDING_PAYMENT', 'CONFIRMED')
           OR (b.ticket_code IS NOT NULL AND NOT (b.status = 'CANCELED' AND c.cancel_returns_use)))
       WHERE c.event_id = ANY($1)
       GROUP BY c.event_id, c.code, c.cancel_returns_use
     ) s
     WHERE p.event_id = s.event_id AND p.code = s.code AND p.uses <> s.uses`,
    [eventIds],
  )
}
