/**
 * The rows an event snapshot (`aquastream.event.events.v1`) becomes: the `events` row, its price options
 * and its promo codes. Pure: no SQL, no I/O; event-applier.ts writes what these return.
 */
import type { EventDomainEvent } from '../../avro/index.ts'
import { isoOfMs } from './instants.ts'
import type { CrewView } from './views.ts'

/** One row of `event_price_options`, in the snapshot's order (`position`). */
export interface PriceOptionRow {
  readonly event_id: string
  readonly price_option_id: string
  readonly position: number
  readonly name: string
  readonly price_minor: number
  readonly allotment: number
  readonly valid_from: string | null
  readonly valid_until: string | null
}

/** One row of `event_promo_codes`, in creation order (`position`); `uses` is recounted, not mapped. */
export interface PromoRow {
  readonly event_id: string
  readonly code: string
  readonly position: number
  readonly kind: string
  readonly value: number
  readonly usage_limit: number
  readonly valid_from: string | null
  readonly valid_until: string
  readonly active: boolean
  readonly max_uses_per_user: number | null
  readonly cancel_returns_use: boolean
}

/**
 * One row of `events` (seat figures and `price_from` are recounted, not mapped), with the rows of the two
 * tables that follow the snapshot.
 */
export interface EventRow {
  readonly id: string
  readonly version: number
  readonly status: string
  readonly organizer_id: string
  readonly title: string
  readonly description: string
  readonly place: string
  readonly area: string
  readonly starts_at: string
  readonly ends_at: string
  readonly publish_at: string | null
  readonly categories: readonly string[]
  readonly capacity: number
  readonly crew: CrewView[]
  readonly cancel_reason: string | null
  readonly created_at: string
  readonly updated_at: string
  /** The event's price options, replacing the stored ones. */
  readonly options: readonly PriceOptionRow[]
  /** The event's promo codes, replacing the stored ones; undefined: keep the stored rows. */
  readonly promos: readonly PromoRow[] | undefined
}

/**
 * What the next snapshot of an event takes from the row before it: the crew list and a cancellation's
 * reason (the snapshot carries only the latest crew request and reason), the creation time, and, from an
 * earlier snapshot of the same batch, its promo codes. A row read back from the table has no `promos`.
 */
export type EventRowBefore = Pick<EventRow, 'crew' | 'cancel_reason' | 'created_at'> &
  Partial<Pick<EventRow, 'promos'>>

/** The public part of a place: up to the first comma ("Карелия, причал у моста" → "Карелия"). */
export function areaOf(place: string): string {
  const comma = place.indexOf(',')
  return (comma < 0 ? place : place.slice(0, comma)).trim()
}

const HELD_CREW = new Set(['REQUESTED', 'ASSIGNED'])

/** The crew list after one event fact (the event topic names the crew request in `detail`). */
function nextCrew(crew: readonly CrewView[], fact: EventDomainEvent): CrewView[] {
  const id = fact.detail
  const set = (status: CrewView['status']): CrewView[] =>
    id === null
      ? [...crew]
      : crew.some((c) => c.crewRequestId === id)
        ? crew.map((c) => (c.crewRequestId === id ? { crewRequestId: id, status } : c))
        : [...crew, { crewRequestId: id, status }]
  switch (fact.type) {
    case 'CREW_REQUESTED':
      return set('REQUESTED')
    case 'CREW_ASSIGNED':
      // An answer for a canceled or completed event releases the member at once (processors/crew.ts).
      return set(fact.status === 'CANCELED' || fact.status === 'COMPLETED' ? 'RELEASED' : 'ASSIGNED')
    case 'CREW_UNAVAILABLE':
      return set('UNAVAILABLE')
    case 'CANCELED':
      return crew.map((c) => (HELD_CREW.has(c.status) ? { ...c, status: 'RELEASED' } : c))
    default:
      return [...crew]
  }
}

/**
 * The event's promo codes after `fact`. A snapshot lists every code of the event, deactivated ones
 * included, so it replaces the rows. Its `promoCodes` is null when its writer predates promo codes in the
 * snapshot (EventDomainEvent v1): that writer knew nothing of them, so what an earlier snapshot said is
 * kept (undefined when no earlier snapshot is at hand: the stored rows stay) rather than erased.
 */
function promoRows(
  fact: EventDomainEvent,
  before: EventRowBefore | undefined,
): readonly PromoRow[] | undefined {
  if (fact.promoCodes === null) return before?.promos
  return fact.promoCodes.map((p, position) => ({
    event_id: fact.eventId,
    code: p.code,
    position,
    kind: p.kind,
    value: p.value,
    usage_limit: p.usageLimit,
    valid_from: isoOfMs(p.validFromMs),
    valid_until: isoOfMs(p.validUntilMs),
    active: p.active,
    max_uses_per_user: p.maxUsesPerUser,
    cancel_returns_use: p.cancelReturnsUse,
  }))
}

/**
 * The event's rows after `fact`, given its row before (undefined for a new event). The caller skips
 * snapshots at or below the stored version; this maps whatever it is given.
 */
export function eventRow(fact: EventDomainEvent, before: EventRowBefore | undefined): EventRow {
  return {
    id: fact.eventId,
    version: fact.version,
    status: fact.status,
    organizer_id: fact.organizerId,
    title: fact.title,
    description: fact.description,
    place: fact.place,
    area: areaOf(fact.place),
    starts_at: isoOfMs(fact.startsAtMs),
    ends_at: isoOfMs(fact.endsAtMs),
    publish_at: isoOfMs(fact.publishAtMs),
    categories: fact.categories,
    capacity: fact.capacity,
    crew: nextCrew(before?.crew ?? [], fact),
    // The reason comes with the CANCELED fact only; later facts of a canceled event (crew answers) keep it.
    cancel_reason:
      fact.type === 'CANCELED'
        ? fact.detail
        : fact.status === 'CANCELED'
          ? (before?.cancel_reason ?? null)
          : null,
    created_at: before?.created_at ?? isoOfMs(fact.occurredAtMs),
    updated_at: isoOfMs(fact.occurredAtMs),
    options: fact.priceOptions.map((o, position) => ({
      event_id: fact.eventId,
      price_option_id: o.priceOptionId,
      position,
      name: o.name,
      price_minor: o.priceMinor,
      allotment: o.allotment,
      valid_from: isoOfMs(o.validFromMs),
      valid_until: isoOfMs(o.validUntilMs),
    })),
    promos: promoRows(fact, before),
  }
}
