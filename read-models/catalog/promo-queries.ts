import type { PromoKind } from '../../avro/index.ts'
import type { Queryable } from './db.ts'
import { clampPage } from './event-queries.ts'
import { isoOf } from './instants.ts'
import type { Page, PageRequest, PromoCodeView } from './views.ts'

const PROMO_COLUMNS = `p.code, p.kind, p.value, p.usage_limit, p.uses, p.valid_from, p.valid_until, p.active`

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
