import type { PromoKind } from '../../avro/index.ts'
import type { Queryable } from './db.ts'
import { clampPage } from './event-queries.ts'
import { isoOf } from './instants.ts'
import type { Page, PageRequest, PromoCodeView } from './views.ts'

const PROMO_COLUMNS = `p.code, p.kind, p.value, p.usage_limit, p.uses, p.valid_from, p.valid_until, p.active,
  p.max_uses_per_user, p.cancel_returns_use`

function toPromo(row: Record<string, unknown>): PromoCodeView {
  const usageLimit = Number(row.usage_limit)
  const uses = Number(row.uses)
  return {
    code: row.code as string,
    kind: row.kind as PromoKind,
    value: Number(row.value),
    usageLimit,
    uses,
    usesLeft: Math.max(0, usageLimit - uses),
    validFrom: isoOf(row.valid_from),
    validUntil: isoOf(row.valid_until)!,
    active: row.active as boolean,
    maxUsesPerUser: row.max_uses_per_user === null ? null : Number(row.max_uses_per_user),
    cancelReturnsUse: row.cancel_returns_use as boolean,
  }
}

/** An event's promo codes in creation order (the API checks who may list them). */
export async function listPromoCodes(
  db: Queryable,
  eventId: string,
  request: PageRequest,
): Promise<Page<PromoCodeView>> {
  const { page, size } = clampPage(request.page, request.size)
  const [rows, counted] = await Promise.all([
    db.query(
      `SELECT ${PROMO_COLUMNS} FROM event_promo_codes p WHERE p.event_id = $1
       ORDER BY p.position, p.code LIMIT $2 OFFSET $3`,
      [eventId, size, page * size],
    ),
    db.query<{ total: number }>(
      'SELECT count(*)::integer AS total FROM event_promo_codes WHERE event_id = $1',
      [eventId],
    ),
  ])
  return { items: rows.map(toPromo), page, size, total: Number(counted[0]?.total ?? 0) }
}

/** One promo code of an event, or undefined. */
export async function getPromoCode(
  db: Queryable,
  eventId: string,
  code: string,
): Promise<PromoCodeView | undefined> {
  const [row] = await db.query(
    `SELECT ${PROMO_COLUMNS} FROM event_promo_codes p WHERE p.event_id = $1 AND p.code = $2`,
    [eventId, code],
  )
  return row === undefined ? undefined : toPromo(row)
}

/**
 * How many of a user's projected bookings on the event hold or have used the code: the ledger's rule
 * (`holdsPromoUse`, processors/promo-codes.ts): while PENDING_PAYMENT or CONFIRMED, and once a ticket was
 * issued, unless CANCELED with a code that gives canceled uses back. 0 for an unknown code.
 */
export async function userPromoUses(
  db: Queryable,
  eventId: string,
  code: string,
  userId: string,
): Promise<number> {
  const [row] = await db.query<{ uses: number }>(
    `SELECT count(b.id)::integer AS uses
     FROM event_promo_codes p
     JOIN bookings b ON b.event_id = p.event_id AND b.promo_code = p.code AND b.user_id = $3
     WHERE p.event_id = $1 AND p.code = $2
       AND (b.status IN ('PENDING_PAYMENT', 'CONFIRMED')
         OR (b.ticket_code IS NOT NULL AND NOT (b.status = 'CANCELED' AND p.cancel_returns_use)))`,
    [eventId, code, userId],
  )
  return Number(row?.uses ?? 0)
}
