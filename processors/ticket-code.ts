import { createHash } from 'node:crypto'

/**
 * The ticket code of a confirmed booking: 12 upper-case hex characters derived from the event and booking
 * IDs, so a replay or a restored task issues the same code.
 */
export function ticketCode(eventId: string, bookingId: string): string {
  return createHash('sha256').update(`${eventId}\u0000${bookingId}`).digest('hex').slice(0, 12).toUpperCase()
}
