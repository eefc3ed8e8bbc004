/**
 * The JSON facts the query API produces for the analytics besides the Avro topics of the booking topology
 * (`TopicNames.views`, `TopicNames.favorites`; docs/analytics.md, "JSON topic contracts"): values are UTF-8
 * JSON objects, keys the event ID. Unknown fields are ignored; a value that breaks the contract is skipped
 * and counted by the analytics sink, never retried.
 */

/** One catalog view of an event's detail page. `viewId` is unique per view (a UUID). */
export interface CatalogView {
  readonly viewId: string
  readonly eventId: string
  /** The signed-in viewer, or null for a guest. */
  readonly userId: string | null
  /** The guest's (or user's) session, for unique viewers; null when unknown. */
  readonly sessionId: string | null
  readonly occurredAtMs: number
}

/** A user added an event to their favorites, or removed it. */
export interface FavoriteChange {
  readonly eventId: string
  readonly userId: string
  readonly action: 'ADDED' | 'REMOVED'
  readonly occurredAtMs: number
}

const isString = (v: unknown): v is string => typeof v === 'string' && v !== ''
const isNullableString = (v: unknown): v is string | null => v === null || v === undefined || isString(v)
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0

function parseObject(bytes: Buffer): Record<string, unknown> | string {
  let value: unknown
  try {
    value = JSON.parse(bytes.toString('utf8'))
  } catch {
    return 'not JSON'
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object'
  return value as Record<string, unknown>
}

/** Reads a catalog view, or returns why the bytes break the contract. */
export function parseCatalogView(bytes: Buffer): CatalogView | string {
  const v = parseObject(bytes)
  if (typeof v === 'string') return v
  if (!isString(v.viewId)) return 'viewId must be a non-empty string'
  if (!isString(v.eventId)) return 'eventId must be a non-empty string'
  if (!isNullableString(v.userId)) return 'userId must be a non-empty string or null'
  if (!isNullableString(v.sessionId)) return 'sessionId must be a non-empty string or null'
  if (!isTime(v.occurredAtMs)) return 'occurredAtMs must be epoch milliseconds'
  return {
    viewId: v.viewId,
    eventId: v.eventId,
    userId: v.userId ?? null,
    sessionId: v.sessionId ?? null,
    occurredAtMs: v.occurredAtMs,
  }
}

/** Reads a favorite change, or returns why the bytes break the contract. */
export function parseFavoriteChange(bytes: Buffer): FavoriteChange | string {
  const v = parseObject(bytes)
  if (typeof v === 'string') return v
  if (!isString(v.eventId)) return 'eventId must be a non-empty string'
  if (!isString(v.userId)) return 'userId must be a non-empty string'
  if (v.action !== 'ADDED' && v.action !== 'REMOVED') return 'action must be ADDED or REMOVED'
  if (!isTime(v.occurredAtMs)) return 'occurredAtMs must be epoch milliseconds'
  return { eventId: v.eventId, userId: v.userId, action: v.action, occurredAtMs: v.occurredAtMs }
}
