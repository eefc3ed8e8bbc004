/**
 * Writes a batch of the booking topic (`aquastream.booking.events.v1`) into `bookings` and
 * `waitlist_entries`, in the caller's transaction, then moves the events' seat figures by what changed and
 * recounts the promo uses of events whose bookings with a code changed.
 */
import type { BookingDomainEvent } from '../../avro/index.ts'
import { bookingRow, type BookingRow } from './booking-rows.ts'
import type { Queryable } from './db.ts'
import { isoOf } from './instants.ts'
import type { AppliedChanges } from './read-model.ts'
import { moveSeats, recomputePromoUses, type SeatsMoved } from './recounts.ts'
import { isWaitlistFact, waitlistEntryAfter, type WaitlistRow } from './waitlist-rows.ts'

/** A booking fact and its offset in its partition (the queue place of a waiting-list join). */
export interface BookingFactAt {
  readonly fact: BookingDomainEvent
  readonly offset: number
}

/** The map key of a waiting-list entry: event and user joined by NUL, which no stored ID can hold. */
const waitKey = (eventId: string, userId: string): string => `${eventId}\u0000${userId}`
const keyParts = (key: string): string[] => key.split('\u0000')

/**
 * Applies booking and waiting-list facts: the rows they touch are read (bookings locked `FOR UPDATE`),
 * folded in memory over the batch, then written with one statement per table; entries that ended are
 * deleted. Returns the events and bookings the batch touched and the request IDs of the facts. Rejects
 * with the database's error; the caller's transaction then rolls back.
 */
export async function applyBookingFacts(
  tx: Queryable,
  decoded: readonly BookingFactAt[],
): Promise<AppliedChanges> {
  const facts = decoded.map((d) => d.fact)
  const bookings = await loadBookings(tx, facts)
  const stored = new Map(bookings)
  const waitlist = await loadWaitlist(tx, facts)
  const changedBookings = new Set<string>()
  const changedWaitlist = new Set<string>()
  for (const { fact, offset } of decoded) {
    const key = waitKey(fact.eventId, fact.userId)
    const entry = waitlistEntryAfter(fact, offset, waitlist.get(key) ?? null)
    if (entry !== undefined) {
      waitlist.set(key, entry)
      changedWaitlist.add(key)
    }
    if (isWaitlistFact(fact) || fact.bookingId === null) continue
    bookings.set(fact.bookingId, bookingRow(fact, bookings.get(fact.bookingId)))
    changedBookings.add(fact.bookingId)
  }
  const written = [...changedBookings].map((id) => bookings.get(id)!)
  await writeBookings(tx, written)
  const ended = [...changedWaitlist].filter((k) => waitlist.get(k) === null)
  const active = [...changedWaitlist].flatMap((k) => {
    const row = waitlist.get(k)
    return row === null || row === undefined ? [] : [row]
  })
  await writeWaitlist(tx, ended.map(keyParts), active)
  const eventIds = [...new Set(facts.map((f) => f.eventId))]
  // Bookings change seats taken and promo uses; waiting-list offers hold seats back from everyone else.
  const moved = written.flatMap((row) => {
    const was = stored.get(row.id)
    return was === undefined ? [heldSeats(row, 1)] : [heldSeats(was, -1), heldSeats(row, 1)]
  })
  await moveSeats(tx, eventIds, moved)
  // Promo uses count bookings holding a code: bookings that held none before the batch and hold none after
  // it change none (most batches; the recount is a planned statement per batch, skipped for them).
  const withPromo = written.filter((row) => row.promo_code !== null || stored.get(row.id)?.promo_code != null)
  await recomputePromoUses(tx, [...new Set(withPromo.map((row) => row.event_id))])
  return {
    eventIds,
    bookingIds: [...changedBookings],
    requestIds: [...new Set(facts.flatMap((f) => (f.requestId === null ? [] : [f.requestId])))],
  }
}

/** The seats a booking row holds while active (PENDING_PAYMENT, CONFIRMED), times `sign`. */
function heldSeats(row: BookingRow, sign: 1 | -1): SeatsMoved {
  const active = row.status === 'PENDING_PAYMENT' || row.status === 'CONFIRMED'
  return { eventId: row.event_id, priceOptionId: row.price_option_id, seats: active ? sign * row.seats : 0 }
}

/** The stored rows of the facts' bookings, locked until the transaction ends. */
async function loadBookings(
  tx: Queryable,
  facts: readonly BookingDomainEvent[],
): Promise<Map<string, BookingRow>> {
  const ids = [...new Set(facts.flatMap((f) => (f.bookingId === null ? [] : [f.bookingId])))]
  const bookings = new Map<string, BookingRow>()
  if (ids.length === 0) return bookings
  for (const row of await tx.query<BookingRow>('SELECT * FROM bookings WHERE id = ANY($1) FOR UPDATE', [ids]))
    bookings.set(row.id, {
      ...row,
      refunded_minor: Number(row.refunded_minor),
      reconfirmed_at: isoOf(row.reconfirmed_at),
      checked_in_seats: Number(row.checked_in_seats),
      first_checked_in_at: isoOf(row.first_checked_in_at),
      created_at: isoOf(row.created_at)!,
    })
  return bookings
}

/**
 * The stored waiting-list entries of the facts' (event, user) pairs, by `waitKey`. The fold then marks an
 * entry that ends with null (to be deleted); a pair absent from the map has no entry.
 */
async function loadWaitlist(
  tx: Queryable,
  facts: readonly BookingDomainEvent[],
): Promise<Map<string, WaitlistRow | null>> {
  const pairs = [...new Set(facts.map((f) => waitKey(f.eventId, f.userId)))].map(keyParts)
  const waitlist = new Map<string, WaitlistRow | null>()
  for (const row of await tx.query<WaitlistRow>(
    `SELECT w.* FROM waitlist_entries w
     JOIN unnest($1::text[], $2::text[]) AS k(event_id, user_id) USING (event_id, user_id)`,
    [pairs.map((p) => p[0]), pairs.map((p) => p[1])],
  ))
    waitlist.set(waitKey(row.event_id, row.user_id), {
      ...row,
      queue_seq: Number(row.queue_seq),
      joined_at: isoOf(row.joined_at)!,
      offer_expires_at: isoOf(row.offer_expires_at),
    })
  return waitlist
}

async function writeBookings(tx: Queryable, written: readonly BookingRow[]): Promise<void> {
  if (written.length === 0) return
  await tx.query(
    `INSERT INTO bookings (id, event_id, user_id, status, price_option_id, seats, amount_minor, paid_minor,
       refunded_minor, promo_code, ticket_code, reason_code, hold_expires_at, top_up_seats, reconfirmed_at,
       checked_in_seats, first_checked_in_at, last_event, last_request_id, version, created_at, updated_at)
     SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(id text, event_id text, user_id text, status text,
       price_option_id text, seats integer, amount_minor bigint, paid_minor bigint, refunded_minor bigint,
       promo_code text, ticket_code text, reason_code text, hold_expires_at timestamptz,
       top_up_seats integer, reconfirmed_at timestamptz, checked_in_seats integer,
       first_checked_in_at timestamptz, last_event text, last_request_id text,
       version integer, created_at timestamptz, updated_at timestamptz)
     ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, price_option_id = EXCLUDED.price_option_id,
       seats = EXCLUDED.seats, amount_minor = EXCLUDED.amount_minor, paid_minor = EXCLUDED.paid_minor,
       refunded_minor = EXCLUDED.refunded_minor, promo_code = EXCLUDED.promo_code,
       ticket_code = EXCLUDED.ticket_code, reason_code = EXCLUDED.reason_code,
       hold_expires_at = EXCLUDED.hold_expires_at, top_up_seats = EXCLUDED.top_up_seats,
       reconfirmed_at = EXCLUDED.reconfirmed_at, checked_in_seats = EXCLUDED.checked_in_seats,
       first_checked_in_at = EXCLUDED.first_checked_in_at, last_event = EXCLUDED.last_event,
       last_request_id = EXCLUDED.last_request_id, version = EXCLUDED.version,
       updated_at = EXCLUDED.updated_at`,
    [JSON.stringify(written)],
  )
}

/** Deletes the entries that ended (as [eventId, userId] pairs), then upserts the active ones. */
async function writeWaitlist(
  tx: Queryable,
  removed: readonly string[][],
  kept: readonly WaitlistRow[],
): Promise<void> {
  if (removed.length > 0)
    await tx.query(
      `DELETE FROM waitlist_entries w USING unnest($1::text[], $2::text[]) AS k(event_id, user_id)
       WHERE w.event_id = k.event_id AND w.user_id = k.user_id`,
      [removed.map((p) => p[0]), removed.map((p) => p[1])],
    )
  if (kept.length > 0)
    await tx.query(
      `INSERT INTO waitlist_entries (event_id, user_id, seats, status, queue_seq, joined_at, offer_expires_at)
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(event_id text, user_id text, seats integer,
         status text, queue_seq bigint, joined_at timestamptz, offer_expires_at timestamptz)
       ON CONFLICT (event_id, user_id) DO UPDATE SET seats = EXCLUDED.seats, status = EXCLUDED.status,
         queue_seq = EXCLUDED.queue_seq, joined_at = EXCLUDED.joined_at,
         offer_expires_at = EXCLUDED.offer_expires_at`,
      [JSON.stringify(kept)],
    )
}
