/** A sailing event `e1` of organizer `org`, ten days after `NOW`, as the processor tests start from. */
import { createEvent } from '../../processors/event-edit.ts'
import { DAY_MS, type EventState, type PriceOptionState } from '../../processors/ledger-state.ts'
import { DEVELOPMENT_TICKET_SECRET, TicketSigner } from '../../processors/ticket-code.ts'

export const NOW = Date.UTC(2026, 0, 1)

/** The ticket signer of development and test runs. */
export const TICKETS = new TicketSigner(DEVELOPMENT_TICKET_SECRET)

/** A DRAFT `e1` with capacity 5, starting `NOW` + 10 days. */
export const draftEvent = (): EventState =>
  createEvent(
    'e1',
    { userId: 'org', role: 'ORGANIZER' },
    {
      organizerId: null,
      title: 'Sailing',
      description: 'A day of sailing on the lake.',
      startsAtMs: NOW + 10 * DAY_MS,
      endsAtMs: NOW + 11 * DAY_MS,
      place: 'Lake',
      categories: ['sailing'],
      capacity: 5,
      holdMinutes: null,
      bookingDeadlineHours: null,
      locale: 'ru-RU',
    },
  ) as EventState

/** The option `std`: 1,000 kopecks a seat, `allotment` seats, `taken` of them taken. */
export const stdOption = (allotment: number, taken = 0): PriceOptionState => ({
  priceOptionId: 'std',
  name: 'Std',
  priceMinor: 1000,
  allotment,
  taken,
  validFromMs: null,
  validUntilMs: null,
})

/** `e1` PUBLISHED with the option `std` (allotment 3), then `overrides`. */
export const publishedEvent = (overrides: Partial<EventState> = {}): EventState => ({
  ...draftEvent(),
  status: 'PUBLISHED',
  priceOptions: [stdOption(3)],
  ...overrides,
})
