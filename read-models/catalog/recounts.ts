/**
 * The catalog's derived figures, recounted from the projected rows rather than copied from the facts:
 * seats taken and free, the lowest price, promo uses. The event and booking topics are separate logs with
 * no order between them, so counting what both wrote gives the same figures whatever order their batches
 * are applied in. Each applier recounts the events its batch touched, in the batch's transaction.
 */
import { recordAvailabilityChanges } from './availability.ts'
import type { Queryable } from './db.ts'

/**
 * Live availability of the given events: each option's seats taken by active (PENDING_PAYMENT,
 * CONFIRMED) bookings, the event's total, its free seats (capacity left minus seats offered to the
 * waiting list, and no more than the options still hold), its lowest price. The ledger's rule: seats are
 * taken and given back through `takeSeats` (processors/booking-request.ts, booking-change-seats.ts,
 * booking-payment.ts, seat-release.ts) and free seats are `freeSeats` (processors/seat-checks.ts).
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
  await tx.query(
    `UPDATE events e SET seats_taken = s.taken,
       seats_available = GREATEST(0, CASE WHEN s.options = 0 THEN e.capacity - s.taken - s.offered
         ELSE LEAST(e.capacity - s.taken - s.offered, s.option_free) END),
       price_from = s.price_from
     FROM (
       SELECT ev.id,
         COALESCE((SELECT sum(b.seats) FROM bookings b
           WHERE b.event_id = ev.id AND b.status IN ('PENDING_PAYMENT', 'CONFIRMED')), 0)::integer AS taken,
         COALESCE((SELECT sum(w.seats) FROM waitlist_entries w
           WHERE w.event_id = ev.id AND w.status = 'OFFERED'), 0)::integer AS offered,
         (SELECT count(*) FROM event_price_options o WHERE o.event_id = ev.id)::integer AS options,
         COALESCE((SELECT sum(GREATEST(0, o.allotment - o.seats_taken)) FROM event_price_options o
           WHERE o.event_id = ev.id), 0)::integer AS option_free,
         (SELECT min(o.price_minor) FROM event_price_options o WHERE o.event_id = ev.id) AS price_from
       FROM events ev WHERE ev.id = ANY($1)
     ) s
     WHERE e.id = s.id`,
    [eventIds],
  )
  // The figures' changes, numbered for the live availability streams (availability.ts).
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
