/**
 * Writes a batch of the event topic (`aquastream.event.events.v1`) into `events`, `event_price_options`
 * and `event_promo_codes`, in the caller's transaction, then recounts the events' seats and promo uses.
 */
import type { EventDomainEvent } from '../../avro/index.ts'
import type { Queryable } from './db.ts'
import { eventRow, type EventRow, type EventRowBefore } from './event-rows.ts'
import { isoOf } from './instants.ts'
import { recomputePromoUses, recomputeSeats } from './recounts.ts'
import type { AppliedChanges } from './read-model.ts'
import type { CrewView } from './views.ts'

/**
 * Applies event snapshots: each event's rows are folded in memory over the batch from the stored row
 * (locked `FOR UPDATE`), then written with one statement per table. A snapshot at or below the event's
 * stored version is a duplicate and changes nothing. Returns the events whose rows changed and the
 * request IDs of the facts. Rejects with the database's error; the caller's transaction then rolls back.
 */
export async function applyEventFacts(
  tx: Queryable,
  facts: readonly EventDomainEvent[],
): Promise<AppliedChanges> {
  const ids = [...new Set(facts.map((f) => f.eventId))]
  if (ids.length === 0) return { eventIds: [], bookingIds: [], requestIds: [] }
  const existing = await tx.query<{
    id: string
    version: number
    crew: CrewView[]
    cancel_reason: string | null
    created_at: unknown
  }>('SELECT id, version, crew, cancel_reason, created_at FROM events WHERE id = ANY($1) FOR UPDATE', [ids])
  const versions = new Map<string, number>()
  const rows = new Map<string, EventRowBefore>()
  for (const row of existing) {
    versions.set(row.id, Number(row.version))
    rows.set(row.id, { crew: row.crew, cancel_reason: row.cancel_reason, created_at: isoOf(row.created_at)! })
  }
  const changed = new Map<string, EventRow>()
  for (const fact of facts) {
    // The event topic is keyed by eventId: one partition, in order. A version at or below the stored one
    // is a duplicate (a retried produce) and changes nothing.
    if (fact.version <= (versions.get(fact.eventId) ?? 0)) continue
    const row = eventRow(fact, rows.get(fact.eventId))
    rows.set(fact.eventId, row)
    versions.set(fact.eventId, fact.version)
    changed.set(fact.eventId, row)
  }
  const written = [...changed.values()]
  if (written.length > 0) {
    await writeEvents(tx, written)
    const writtenIds = written.map((r) => r.id)
    await recomputeSeats(tx, writtenIds)
    await recomputePromoUses(tx, writtenIds)
  }
  return {
    eventIds: [...changed.keys()],
    bookingIds: [],
    requestIds: [...new Set(facts.flatMap((f) => (f.requestId === null ? [] : [f.requestId])))],
  }
}

/** Upserts the events and replaces their price options, and their promo codes where the rows say so. */
async function writeEvents(tx: Queryable, written: readonly EventRow[]): Promise<void> {
  await tx.query(
    `INSERT INTO events (id, version, status, organizer_id, title, description, place, area, starts_at,
       ends_at, publish_at, categories, capacity, crew, cancel_reason, created_at, updated_at)
     SELECT id, version, status, organizer_id, title, description, place, area, starts_at, ends_at,
       publish_at, categories, capacity, crew, cancel_reason, created_at, updated_at
     FROM jsonb_to_recordset($1::jsonb) AS r(id text, version bigint, status text, organizer_id text,
       title text, description text, place text, area text, starts_at timestamptz, ends_at timestamptz,
       publish_at timestamptz, categories text[], capacity integer, crew jsonb, cancel_reason text,
       created_at timestamptz, updated_at timestamptz)
     ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, status = EXCLUDED.status,
       organizer_id = EXCLUDED.organizer_id, title = EXCLUDED.title, description = EXCLUDED.description,
       place = EXCLUDED.place, area = EXCLUDED.area, starts_at = EXCLUDED.starts_at,
       ends_at = EXCLUDED.ends_at, publish_at = EXCLUDED.publish_at, categories = EXCLUDED.categories,
       capacity = EXCLUDED.capacity, crew = EXCLUDED.crew, cancel_reason = EXCLUDED.cancel_reason,
       updated_at = EXCLUDED.updated_at`,
    [JSON.stringify(written.map(({ options: _options, promos: _promos, ...row }) => row))],
  )
  await tx.query('DELETE FROM event_price_options WHERE event_id = ANY($1)', [written.map((r) => r.id)])
  const options = written.flatMap((r) => r.options)
  if (options.length > 0)
    await tx.query(
      `INSERT INTO event_price_options (event_id, price_option_id, position, name, price_minor, allotment,
         valid_from, valid_until)
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(event_id text, price_option_id text,
         position integer, name text, price_minor bigint, allotment integer, valid_from timestamptz,
         valid_until timestamptz)`,
      [JSON.stringify(options)],
    )
  // undefined: a snapshot from before promo codes were in it, which leaves the stored codes alone.
  const promoEvents = written.filter((r) => r.promos !== undefined)
  if (promoEvents.length === 0) return
  await tx.query('DELETE FROM event_promo_codes WHERE event_id = ANY($1)', [promoEvents.map((r) => r.id)])
  const promos = promoEvents.flatMap((r) => r.promos!)
  if (promos.length > 0)
    await tx.query(
      `INSERT INTO event_promo_codes (event_id, code, position, kind, value, usage_limit, valid_from,
         valid_until, active, max_uses_per_user, cancel_returns_use)
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(event_id text, code text, position integer,
         kind text, value bigint, usage_limit integer, valid_from timestamptz, valid_until timestamptz,
         active boolean, max_uses_per_user integer, cancel_returns_use boolean)`,
      [JSON.stringify(promos)],
    )
}
