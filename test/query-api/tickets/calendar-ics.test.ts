/**
 * The calendar writer alone (query-api/tickets/calendar-ics.ts), its files parsed with Mozilla's ical.js:
 * UTC instants, the RFC 5545 framing (CRLF, folded lines, escaped text), the UID and SEQUENCE rules of
 * events and bookings, and the status mapping.
 */
import ICAL from 'ical.js'
import t from 'tap'
import {
  bookingCalendarEntry,
  eventCalendarEntry,
  renderCalendar,
  type CalendarEntry,
} from '../../../query-api/tickets/calendar-ics.ts'
import type { BookingView, EventDetails } from '../../../read-models/catalog/index.ts'

const ENTRY: CalendarEntry = {
  uid: 'event-1@aquastream',
  sequence: 4,
  title: 'Сплав по Катуни; день 1, день 2',
  description: 'Две ночи в лагере.\nВзять: спальник, фонарь',
  location: 'Алтай, Катунь, причал у Чемальского моста',
  startsAt: '2026-06-12T07:00:00.999Z',
  endsAt: '2026-06-13T15:30:00.000Z',
  status: 'CONFIRMED',
  updatedAt: '2026-05-01T10:00:00.000Z',
}

function parse(text: string) {
  const calendar = new ICAL.Component(ICAL.parse(text))
  const vevent = calendar.getFirstSubcomponent('vevent')!
  return { calendar, vevent, event: new ICAL.Event(vevent) }
}

t.test('one VEVENT in a PUBLISH calendar, UTC instants (to the second), text round-trips', async (t) => {
  const text = renderCalendar(ENTRY, new Date('2026-05-02T00:00:00Z'))
  const { calendar, vevent, event } = parse(text)
  t.equal(calendar.getFirstPropertyValue('method'), 'PUBLISH')
  t.match(String(calendar.getFirstPropertyValue('prodid')), /Aquastream/)
  t.equal(calendar.getAllSubcomponents('vevent').length, 1)
  t.equal(event.uid, 'event-1@aquastream')
  t.equal(event.sequence, 4)
  t.match(text, /\r\nDTSTART:20260612T070000Z\r\n/, 'a UTC DATE-TIME, milliseconds dropped (not rounded up)')
  t.match(text, /\r\nDTEND:20260613T153000Z\r\n/)
  t.equal(event.startDate.toJSDate().toISOString(), '2026-06-12T07:00:00.000Z')
  t.equal(event.summary, ENTRY.title, 'semicolons and commas escaped and read back')
  t.equal(event.description, ENTRY.description, 'new lines too')
  t.equal(event.location, ENTRY.location)
  t.equal(vevent.getFirstPropertyValue('status'), 'CONFIRMED')
  t.match(text, /\r\nDTSTAMP:20260502T000000Z\r\n/)
})

t.test(
  'RFC 5545 framing: CRLF line ends, lines folded at 75 octets (Cyrillic counted in bytes)',
  async (t) => {
    const text = renderCalendar({ ...ENTRY, description: 'Катунь '.repeat(200) })
    t.notMatch(text.replace(/\r\n/g, ''), /\n/, 'every line ends with CRLF')
    for (const line of text.split('\r\n'))
      t.ok(Buffer.byteLength(line) <= 75, `${Buffer.byteLength(line)} octets`)
    const description = parse(text).event.description
    t.ok(description.length <= 2000, 'a long description is clipped')
    t.match(description, /^Катунь Катунь/)
  },
)

t.test('status: CANCELLED and TENTATIVE', async (t) => {
  for (const status of ['CANCELLED', 'TENTATIVE'] as const)
    t.equal(parse(renderCalendar({ ...ENTRY, status })).vevent.getFirstPropertyValue('status'), status)
})

const EVENT: EventDetails = {
  id: 'event-1',
  version: 7,
  status: 'RESCHEDULED',
  organizerId: 'org-1',
  title: 'Сплав по Катуни',
  area: 'Алтай',
  startsAt: '2026-06-12T07:00:00.000Z',
  endsAt: '2026-06-13T15:00:00.000Z',
  categories: ['rafting'],
  priceFrom: 500_000,
  currency: 'RUB',
  capacity: 10,
  seatsAvailable: 8,
  rating: null,
  reviewCount: 0,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-03-01T00:00:00.000Z',
  description: 'Два дня на реке.',
  place: 'Алтай, Катунь, причал у Чемальского моста',
  seatsTaken: 2,
  priceOptions: [
    {
      id: 'std',
      name: 'Стандарт',
      priceMinor: 500_000,
      allotment: 10,
      seatsTaken: 2,
      seatsAvailable: 8,
      validFrom: null,
      validUntil: null,
    },
  ],
  crew: [],
  publishAt: null,
  cancelReason: null,
}

const BOOKING: BookingView = {
  id: 'booking-1',
  eventId: 'event-1',
  eventOrganizerId: 'org-1',
  eventTitle: 'Сплав по Катуни',
  eventStartsAt: EVENT.startsAt,
  userId: 'user-1',
  status: 'CONFIRMED',
  priceOptionId: 'std',
  seats: 2,
  amountMinor: 1_000_000,
  paidMinor: 1_000_000,
  refundedMinor: 0,
  promoCode: null,
  ticketCode: 'T1~event-1~booking-1~2~1~c2lnbmVk',
  checkedInSeats: 0,
  firstCheckedInAt: null,
  reasonCode: null,
  holdExpiresAt: null,
  topUpSeats: null,
  reconfirmedAt: null,
  lastEvent: 'CONFIRMED',
  version: 3,
  createdAt: '2026-04-01T00:00:00.000Z',
  updatedAt: '2026-04-02T00:00:00.000Z',
}

t.test("an event's entry: UID by event, SEQUENCE = version, the place the viewer was given", async (t) => {
  const entry = eventCalendarEntry(EVENT)
  t.equal(entry.uid, 'event-1@aquastream')
  t.equal(entry.sequence, 7)
  t.equal(entry.location, EVENT.place)
  t.equal(entry.status, 'CONFIRMED', 'a rescheduled event takes place')
  t.equal(eventCalendarEntry({ ...EVENT, place: null }).location, 'Алтай', "a guest's view: the area")
  t.equal(eventCalendarEntry({ ...EVENT, status: 'CANCELED' }).status, 'CANCELLED')
  t.equal(eventCalendarEntry({ ...EVENT, status: 'DRAFT' }).status, 'TENTATIVE')
  t.equal(eventCalendarEntry({ ...EVENT, status: 'COMPLETED' }).status, 'CONFIRMED')
})

t.test("a booking's entry: its own UID, SEQUENCE = event + booking version, no ticket code", async (t) => {
  const entry = bookingCalendarEntry(BOOKING, EVENT)
  t.equal(entry.uid, 'booking-1.booking@aquastream')
  t.equal(entry.sequence, 10)
  t.equal(entry.location, EVENT.place)
  t.match(entry.description, 'Мест / Seats: 2')
  t.match(entry.description, 'Тариф / Price option: Стандарт')
  t.equal(entry.updatedAt, BOOKING.updatedAt, 'the later of the two changes')
  t.notMatch(renderCalendar(entry), 'c2lnbmVk', 'no ticket code')
  t.ok(
    bookingCalendarEntry(BOOKING, { ...EVENT, version: 8 }).sequence > entry.sequence,
    'a reschedule (a new event version) raises it',
  )
  t.equal(bookingCalendarEntry({ ...BOOKING, status: 'CANCELED' }, EVENT).status, 'CANCELLED')
  t.equal(bookingCalendarEntry(BOOKING, { ...EVENT, status: 'CANCELED' }).status, 'CANCELLED')
})
