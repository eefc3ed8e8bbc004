import { createHmac, timingSafeEqual } from 'node:crypto'

/**
 * What a ticket code says: the booking of the event it admits, its seat count, and which issue of the
 * booking's ticket it is (1 for the first; a seat change or a re-issue makes the next, and only the
 * booking's current issue checks in).
 */
export interface TicketClaim {
  readonly eventId: string
  readonly bookingId: string
  readonly seats: number
  readonly issue: number
}

/** A scanned code read back: its claim, and whether the server's key signed it. */
export interface ReadTicket {
  readonly claim: TicketClaim
  readonly genuine: boolean
}

/** The key of development and test runs; production refuses it (infra/config.ts). */
export const DEVELOPMENT_TICKET_SECRET = 'development-ticket-secret-do-not-use-in-production'

const VERSION = 'T1'
const SEPARATOR = '~' // never in an ID (query-api/schemas.ts `Id`)
const MAC_CHARS = 22 // 132 bits of base64url

/**
 * Signs and reads ticket codes: `T1~eventId~bookingId~seats~issue~mac`, the mac an HMAC-SHA256 of the
 * claim under the server's TICKET_SECRET. A code is checked offline (no lookup tells a forged code from a
 * real one); whether it is the booking's current issue is the event's task's to say. The same claim
 * always signs to the same code, so a replay or a restored task issues the same ticket.
 */
export class TicketSigner {
  readonly #key: Buffer

  constructor(secret: string) {
    if (secret === '') throw new Error('a ticket signer needs a secret')
    this.#key = Buffer.from(secret, 'utf8')
  }

  sign(claim: TicketClaim): string {
    const fields = [VERSION, claim.eventId, claim.bookingId, String(claim.seats), String(claim.issue)]
    return [...fields, this.#mac(fields)].join(SEPARATOR)
  }

  /** The claim of a well-formed code, and whether it is genuine; undefined when it is no ticket code at all. */
  read(code: string): ReadTicket | undefined {
    const parts = code.trim().split(SEPARATOR)
    if (parts.length !== 6 || parts[0] !== VERSION) return undefined
    const [, eventId, bookingId, seatsText, issueText, mac] = parts as [
      string,
      string,
      string,
      string,
      string,
      string,
    ]
    const seats = wholeNumber(seatsText)
    const issue = wholeNumber(issueText)
    if (eventId === '' || bookingId === '' || seats === undefined || issue === undefined) return undefined
    const expected = Buffer.from(this.#mac(parts.slice(0, 5)))
    const given = Buffer.from(mac)
    const genuine = given.length === expected.length && timingSafeEqual(given, expected)
    return { claim: { eventId, bookingId, seats, issue }, genuine }
  }

  #mac(fields: readonly string[]): string {
    return createHmac('sha256', this.#key)
      .update(fields.join('\u0000'))
      .digest('base64url')
      .slice(0, MAC_CHARS)
  }
}

function wholeNumber(text: string): number | undefined {
  if (!/^[1-9][0-9]{0,5}$/.test(text)) return undefined
  return Number(text)
}

/**
 * Whether `code` has the shape of the unsigned 12-hex codes of bookings confirmed before signed tickets
 * (sha256 of the event and booking IDs, no key). Such a code proves nothing by itself: it checks in only
 * by exact match with the `ticketCode` its booking still holds (booking-check-in.ts), and stops working
 * once the booking gets a signed code (a seat change or a re-issue).
 */
export function isLegacyTicketCode(code: string): boolean {
  return /^[0-9A-F]{12}$/.test(code)
}
