import type { BookingEventType } from '../../avro/index.ts'
import type { Queryable } from './db.ts'
import { clampPage } from './event-queries.ts'
import { isoOf } from './instants.ts'
import type {
  BookingListRequest,
  BookingStatus,
  BookingView,
  CheckInResultView,
  Page,
  RequestOutcomeView,
  ResourceType,
  PageRequest,
  WaitlistEntryView,
} from './views.ts'

/**
 * The admins' booking search across events: every filter narrows (AND), unset filters do not apply;
 * `from`/`to` bound the creation instant, [from, to). Newest first.
 */
export interface BookingSearch extends PageRequest {
  readonly userId?: string
  readonly eventId?: string
  readonly status?: readonly BookingStatus[]
  readonly from?: string
  readonly to?: string
}

/** The most rows one participants export carries (an event's capacity is at most 10,000 seats). */
export const MAX_EXPORT_ROWS = 20_000

const BOOKING_COLUMNS = `b.*, e.organizer_id AS event_organizer_id, e.title AS event_title,
  e.starts_at AS event_starts_at`

function toBooking(row: Record<string, unknown>): BookingView {
  return {
    id: row.id as string,
    eventId: row.event_id as string,
    eventOrganizerId: (row.event_organizer_id as string | null) ?? null,
    eventTitle: (row.event_title as string | null) ?? null,
    eventStartsAt: isoOf(row.event_starts_at),
    userId: row.user_id as string,
    status: row.status as BookingStatus,
    priceOptionId: (row.price_option_id as string | null) ?? null,
    seats: Number(row.seats),
    amountMinor: Number(row.amount_minor),
    paidMinor: Number(row.paid_minor),
    refundedMinor: Number(row.refunded_minor),
    promoCode: (row.promo_code as string | null) ?? null,
    ticketCode: (row.ticket_code as string | null) ?? null,
    reasonCode: (row.reason_code as string | null) ?? null,
    holdExpiresAt: isoOf(row.hold_expires_at),
    topUpSeats: row.top_up_seats === null || row.top_up_seats === undefined ? null : Number(row.top_up_seats),
    reconfirmedAt: isoOf(row.reconfirmed_at),
    checkedInSeats: Number(row.checked_in_seats ?? 0),
    firstCheckedInAt: isoOf(row.first_checked_in_at),
    lastEvent: row.last_event as BookingEventType,
    version: Number(row.version),
    createdAt: isoOf(row.created_at)!,
    updatedAt: isoOf(row.updated_at)!,
  }
}

/** What a booking list shows unless asked for other statuses: the bookings that held seats. */
export const HELD_STATUSES: readonly BookingStatus[] = ['PENDING_PAYMENT', 'CONFIRMED', 'CANCELED', 'EXPIRED']

async function listBookings(
  db: Queryable,
  column: 'user_id' | 'event_id',
  id: string,
  request: BookingListRequest,
): Promise<Page<BookingView>> {
  const { page, size } = clampPage(request.page, request.size)
  const statuses = request.status ?? HELD_STATUSES
  const [rows, counted] = await Promise.all([
    db.query(
      `SELECT ${BOOKING_COLUMNS} FROM bookings b LEFT JOIN events e ON e.id = b.event_id
       WHERE b.${column} = $1 AND b.status = ANY($2::text[])
       ORDER BY b.created_at DESC, b.id DESC LIMIT $3 OFFSET $4`,
      [id, statuses, size, page * size],
    ),
    db.query<{ total: number }>(
      `SELECT count(*)::integer AS total FROM bookings b WHERE b.${column} = $1 AND b.status = ANY($2::text[])`,
      [id, statuses],
    ),
  ])
  return { items: rows.map(toBooking), page, size, total: Number(counted[0]?.total ?? 0) }
}

export const listUserBookings = (
  db: Queryable,
  userId: string,
  request: BookingListRequest,
): Promise<Page<BookingView>> => listBookings(db, 'user_id', userId, request)

export const listEventBookings = (
  db: Queryable,
  eventId: string,
  request: BookingListRequest,
): Promise<Page<BookingView>> => listBookings(db, 'event_id', eventId, request)

/**
 * Bookings across events matching every filter, newest first. Each filter has its index: user_id
 * (bookings_user_idx), event_id (bookings_event_idx), status (bookings_status_created_idx), the creation
 * range alone (bookings_created_idx).
 */
export async function searchBookings(db: Queryable, search: BookingSearch): Promise<Page<BookingView>> {
  const { page, size } = clampPage(search.page, search.size)
  const where: string[] = []
  const params: unknown[] = []
  const add = (clause: (n: number) => string, value: unknown): void => {
    params.push(value)
    where.push(clause(params.length))
  }
  if (search.userId !== undefined) add((n) => `b.user_id = $${n}`, search.userId)
  if (search.eventId !== undefined) add((n) => `b.event_id = $${n}`, search.eventId)
  if (search.status !== undefined) add((n) => `b.status = ANY($${n}::text[])`, search.status)
  if (search.from !== undefined) add((n) => `b.created_at >= $${n}::timestamptz`, search.from)
  if (search.to !== undefined) add((n) => `b.created_at < $${n}::timestamptz`, search.to)
  const filter = where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`
  const [rows, counted] = await Promise.all([
    db.query(
      `SELECT ${BOOKING_COLUMNS} FROM bookings b LEFT JOIN events e ON e.id = b.event_id ${filter}
       ORDER BY b.created_at DESC, b.id DESC LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, size, page * size],
    ),
    db.query<{ total: number }>(`SELECT count(*)::integer AS total FROM bookings b ${filter}`, params),
  ])
  return { items: rows.map(toBooking), page, size, total: Number(counted[0]?.total ?? 0) }
}

/** An event's bookings of `statuses`, oldest first, at most MAX_EXPORT_ROWS (the participants export). */
export async function exportEventBookings(
  db: Queryable,
  eventId: string,
  statuses: readonly BookingStatus[],
): Promise<BookingView[]> {
  const rows = await db.query(
    `SELECT ${BOOKING_COLUMNS} FROM bookings b LEFT JOIN events e ON e.id = b.event_id
     WHERE b.event_id = $1 AND b.status = ANY($2::text[])
     ORDER BY b.created_at, b.id LIMIT $3`,
    [eventId, statuses, MAX_EXPORT_ROWS],
  )
  return rows.map(toBooking)
}

export async function getBooking(db: Queryable, id: string): Promise<BookingView | undefined> {
  const [row] = await db.query(
    `SELECT ${BOOKING_COLUMNS} FROM bookings b LEFT JOIN events e ON e.id = b.event_id WHERE b.id = $1`,
    [id],
  )
  return row === undefined ? undefined : toBooking(row)
}

export async function listWaitlist(db: Queryable, userId: string): Promise<WaitlistEntryView[]> {
  const rows = await db.query(
    `SELECT w.*, e.title AS event_title, e.starts_at AS event_starts_at,
       (SELECT count(*) FROM waitlist_entries a WHERE a.event_id = w.event_id
          AND a.queue_seq <= w.queue_seq)::integer AS position
     FROM waitlist_entries w LEFT JOIN events e ON e.id = w.event_id
     WHERE w.user_id = $1
     ORDER BY e.starts_at ASC NULLS LAST, w.event_id ASC`,
    [userId],
  )
  return rows.map((row) => ({
    eventId: row.event_id as string,
    eventTitle: (row.event_title as string | null) ?? null,
    eventStartsAt: isoOf(row.event_starts_at),
    userId: row.user_id as string,
    seats: Number(row.seats),
    status: row.status as WaitlistEntryView['status'],
    position: Number(row.position),
    joinedAt: isoOf(row.joined_at)!,
    offerExpiresAt: isoOf(row.offer_expires_at),
  }))
}

export async function getOutcome(db: Queryable, requestId: string): Promise<RequestOutcomeView | undefined> {
  const [row] = await db.query('SELECT * FROM request_outcomes WHERE request_id = $1', [requestId])
  if (row === undefined) return undefined
  return {
    requestId: row.request_id as string,
    eventId: row.event_id as string,
    commandType: row.command_type as string,
    accepted: row.accepted as boolean,
    resourceType: row.resource_type as ResourceType,
    resourceId: row.resource_id as string,
    reasonCode: (row.reason_code as string | null) ?? null,
    message: row.message as string,
    decidedAt: isoOf(row.decided_at)!,
    actorUserId: (row.actor_user_id as string | null) ?? null,
    idempotencyKey: (row.idempotency_key as string | null) ?? null,
    originalRequestId: (row.original_request_id as string | null) ?? null,
    checkIn: (row.check_in as CheckInResultView | null) ?? null,
  }
}
