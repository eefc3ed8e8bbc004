import { ServiceError } from '../../processors/index.ts'
import type { DateRange } from './stats-range.ts'

/**
 * Who may see which stats: an admin every event, an organizer the events it organizes. Lists are narrowed in
 * SQL (through `event_dim`, since booking facts carry no organizer); one event's stats are refused outright.
 * The read model cannot import the processors' `canManageEvent` (layers), so the rule is restated here.
 */

/** Who asks: an admin sees every event, an organizer only the events it organizes. */
export type StatsViewer =
  { readonly role: 'ADMIN' } | { readonly role: 'ORGANIZER'; readonly organizerId: string }

/** The event filter of a viewer (and an optional event), on a table with `event_id`: `AND …`, or empty. */
export function viewerScope(db: string, viewer: StatsViewer, eventId?: string): string {
  const parts: string[] = []
  if (viewer.role === 'ORGANIZER')
    parts.push(`event_id IN (SELECT event_id FROM ${db}.event_dim WHERE organizer_id = {organizerId:String})`)
  if (eventId !== undefined) parts.push('event_id = {eventId:String}')
  return parts.length === 0 ? '' : `AND ${parts.join(' AND ')}`
}

/** The query parameters of {@link viewerScope} and of the range (`from`, `to`). */
export function viewerParams(
  viewer: StatsViewer,
  range: DateRange,
  eventId?: string,
): Record<string, unknown> {
  return {
    from: range.from,
    to: range.to,
    ...(viewer.role === 'ORGANIZER' ? { organizerId: viewer.organizerId } : {}),
    ...(eventId === undefined ? {} : { eventId }),
  }
}

/** platform_daily for an admin's view of every event, else event_daily narrowed to the viewer's events. */
export function dailyOf(db: string, viewer: StatsViewer, eventId?: string): { table: string; where: string } {
  return viewer.role === 'ADMIN' && eventId === undefined
    ? { table: `${db}.platform_daily`, where: '' }
    : { table: `${db}.event_daily`, where: viewerScope(db, viewer, eventId) }
}

/**
 * Throws unless `viewer` may see the stats of `event`: an admin, or its organizer. Another organizer's draft
 * answers EVENT_NOT_FOUND (404), as the catalog answers for a draft the caller may not see, so that stats do
 * not tell which draft IDs exist; any other event of another organizer FORBIDDEN (403).
 */
export function checkViewerSees(
  viewer: StatsViewer,
  event: { readonly organizerId: string; readonly status?: string },
): void {
  if (viewer.role === 'ADMIN' || event.organizerId === viewer.organizerId) return
  if (event.status === 'DRAFT') throw new ServiceError('EVENT_NOT_FOUND', 'no event to show the stats of')
  throw new ServiceError('FORBIDDEN', 'organizers see the stats of their own events only')
}
