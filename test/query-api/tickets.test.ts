/**
 * The PDF ticket and the calendar files through the API, on the whole service in-process (api-harness.ts):
 * a booking paid through the sandbox gateway and confirmed by the pipeline; its ticket read back as a
 * scanner and a reader would (test/support/ticket-qr.ts: pdftoppm, zbarimg, pdftotext); the .ics files
 * parsed with ical.js before and after a reschedule and after a cancellation; who may fetch what.
 */
import ICAL from 'ical.js'
import t from 'tap'
import {
  ADMIN,
  DAY_MS,
  eventBody,
  ORGANIZER,
  ORGANIZER2,
  startHarness,
  USER,
  USER2,
  WAIT,
  type Harness,
  type Signed,
} from './api-harness.ts'
import { decodeTicketQr, missingDocumentTools, pdfPageCount, pdfText } from '../support/ticket-qr.ts'

const TITLE = 'Сплав по Катуни'
const AREA = 'Алтай'
const MEETING_POINT = 'причал у Чемальского моста'
const PLACE = `${AREA}, Катунь, ${MEETING_POINT}`

// CI installs the tools (infra/test-tools.sh through up.sh): there a missing tool fails the run.
const missing = await missingDocumentTools()
if (missing.length > 0 && process.env.CI === 'true')
  t.fail(`missing ${missing.join(', ')}: infra/test-tools.sh installs poppler-utils and zbar-tools`)
const needsTools =
  missing.length === 0 ? {} : { skip: `missing ${missing.join(', ')} (bash infra/test-tools.sh)` }

const h = await startHarness()
t.teardown(() => h.close())

/** A minute from `ms` on, whole (calendar files count in seconds; events are set to the minute). */
const wholeMinute = (ms: number): number => Math.ceil(ms / 60_000) * 60_000

/** A published event with a Cyrillic title and place and one price option, starting in `days` days. */
async function cyrillicEvent(harness: Harness, days = 30): Promise<{ id: string; startsAt: string }> {
  const start = wholeMinute(Date.now() + days * DAY_MS)
  const body = eventBody({
    title: TITLE,
    place: PLACE,
    capacity: 10,
    startsAt: new Date(start).toISOString(),
    endsAt: new Date(start + DAY_MS).toISOString(),
  })
  const created = await harness.call(ORGANIZER, {
    method: 'POST',
    url: '/api/v1/events',
    headers: WAIT,
    payload: body,
  })
  if (created.statusCode !== 201) throw new Error(`create: ${created.statusCode} ${created.body}`)
  const id = created.json<{ id: string }>().id
  const steps = [
    {
      url: `/api/v1/events/${id}/price-options`,
      payload: { id: 'std', name: 'Стандарт', priceMinor: 500_000, allotment: 10 },
    },
    { url: `/api/v1/events/${id}/publish` },
  ]
  for (const step of steps) {
    const answer = await harness.call(ORGANIZER, { method: 'POST', headers: WAIT, ...step })
    if (answer.statusCode >= 300) throw new Error(`${step.url}: ${answer.statusCode} ${answer.body}`)
  }
  return { id, startsAt: body.startsAt as string }
}

/** Polls the booking until `done` holds (the projection is asynchronous). */
async function bookingWhen(as: Signed, id: string, done: (b: Record<string, unknown>) => boolean) {
  let booking: Record<string, unknown> = {}
  for (let i = 0; i < 200; i++) {
    booking = (await h.call(as, { method: 'GET', url: `/api/v1/bookings/${id}` })).json()
    if (done(booking)) return booking
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`booking ${id} never reached the state: ${JSON.stringify(booking)}`)
}

/** A booking of `seats` by `as`, left PENDING_PAYMENT. */
async function pendingBooking(as: Signed, eventId: string, seats = 2): Promise<string> {
  const booked = await h.call(as, {
    method: 'POST',
    url: '/api/v1/bookings',
    headers: WAIT,
    payload: { eventId, priceOptionId: 'std', seats },
  })
  if (booked.statusCode !== 201) throw new Error(`book: ${booked.statusCode} ${booked.body}`)
  return booked.json<{ id: string }>().id
}

/** A booking paid through the sandbox and CONFIRMED; its view as GET /bookings/{id} answers it. */
async function confirmedBooking(as: Signed, eventId: string, seats = 2): Promise<Record<string, unknown>> {
  const id = await pendingBooking(as, eventId, seats)
  const pay = await h.call(as, { method: 'POST', url: `/api/v1/bookings/${id}/pay`, headers: WAIT })
  if (pay.statusCode !== 201) throw new Error(`pay: ${pay.statusCode} ${pay.body}`)
  const paymentId = pay.json<{ paymentId: string }>().paymentId
  await h.call(as, { method: 'POST', url: `/api/v1/payments/sandbox/${paymentId}/complete` })
  return bookingWhen(as, id, (b) => b.status === 'CONFIRMED' && typeof b.ticketCode === 'string')
}

const ticket = (as: Signed | 'guest', id: string) =>
  h.call(as, { method: 'GET', url: `/api/v1/bookings/${id}/ticket.pdf` })

const { id: eventId } = await cyrillicEvent(h)
const booking = await confirmedBooking(USER, eventId)
const bookingId = booking.id as string

t.test(
  'the ticket PDF: its QR code decodes to the booking ticket code; the text layer has the Cyrillic title and the meeting point',
  needsTools,
  async (t) => {
    const answer = await ticket(USER, bookingId)
    t.equal(answer.statusCode, 200, answer.statusCode === 200 ? 'ok' : answer.body)
    t.equal(answer.headers['content-type'], 'application/pdf')
    t.equal(answer.headers['content-disposition'], `attachment; filename="ticket-${bookingId}.pdf"`)
    t.equal(answer.headers['cache-control'], 'private, no-store')
    const pdf = answer.rawPayload
    t.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-')
    t.equal(await pdfPageCount(pdf), 1, 'one page')

    const code = await decodeTicketQr(pdf)
    t.equal(
      code,
      booking.ticketCode,
      'the QR code is the ticket code of GET /bookings/{id}, character for character',
    )

    const text = await pdfText(pdf)
    t.match(text, TITLE, 'the Cyrillic title is in the text layer')
    t.match(text, MEETING_POINT, 'the full place, meeting point included')
    t.match(text, 'Стандарт', 'the price option')
    t.match(text, USER.sub, 'the holder')
    t.match(text, /Мест \/ Seats\s+2/, 'the seats')
    t.match(text, 'Europe/Moscow, GMT+03:00', 'the zone of the times is named')
    t.match(text.replace(/\s+/g, ''), String(booking.ticketCode), 'the code as text (wrapped over lines)')
  },
)

t.test(
  'the organizer of the event and admins get the ticket too; the same PDF content',
  needsTools,
  async (t) => {
    for (const who of [ORGANIZER, ADMIN]) {
      const answer = await ticket(who, bookingId)
      t.equal(answer.statusCode, 200, `${who.sub}: ${answer.statusCode}`)
      t.equal(await decodeTicketQr(answer.rawPayload), booking.ticketCode, `${who.sub}: the same code`)
    }
  },
)

t.test(
  'anyone else gets the 404 of GET /bookings/{id}; guests 401; no ticket before confirmation (409)',
  async (t) => {
    for (const who of [USER2, ORGANIZER2]) {
      const read = await h.call(who, { method: 'GET', url: `/api/v1/bookings/${bookingId}` })
      const answer = await ticket(who, bookingId)
      t.equal(answer.statusCode, 404, who.sub)
      t.equal(answer.json().code, 'BOOKING_NOT_FOUND')
      t.same(
        { ...answer.json(), traceId: null },
        { ...read.json(), traceId: null },
        `${who.sub}: the same answer as reading it`,
      )
    }
    const missingOne = await ticket(USER, 'no-such-booking')
    t.equal(missingOne.statusCode, 404)
    t.equal(missingOne.json().code, 'BOOKING_NOT_FOUND')

    const guest = await ticket('guest', bookingId)
    t.equal(guest.statusCode, 401)
    t.equal(guest.json().code, 'UNAUTHENTICATED')

    const pending = await pendingBooking(USER2, eventId, 1)
    const early = await ticket(USER2, pending)
    t.equal(early.statusCode, 409, early.body)
    t.same(Object.keys(early.json()).sort(), ['code', 'details', 'message', 'traceId'])
    t.equal(early.json().code, 'TICKET_NOT_AVAILABLE')
    t.same(early.json().details, { bookingId: pending, status: 'PENDING_PAYMENT' })
    const earlyCalendar = await h.call(USER2, {
      method: 'GET',
      url: `/api/v1/bookings/${pending}/calendar.ics`,
    })
    t.equal(earlyCalendar.statusCode, 409)
    t.equal(earlyCalendar.json().code, 'TICKET_NOT_AVAILABLE')
    const byStranger = await h.call(USER, { method: 'GET', url: `/api/v1/bookings/${pending}/calendar.ics` })
    t.equal(byStranger.statusCode, 404, 'the calendar entry of a booking follows the same rule')
  },
)

/** The one VEVENT of an .ics answer, parsed by ical.js, with the calendar's METHOD. */
function parseCalendar(text: string) {
  const calendar = new ICAL.Component(ICAL.parse(text))
  const vevents = calendar.getAllSubcomponents('vevent')
  if (vevents.length !== 1) throw new Error(`expected one VEVENT, found ${vevents.length}`)
  const vevent = vevents[0]!
  const event = new ICAL.Event(vevent)
  return {
    method: calendar.getFirstPropertyValue('method'),
    uid: event.uid,
    sequence: event.sequence,
    start: event.startDate,
    end: event.endDate,
    summary: event.summary,
    location: event.location,
    description: event.description,
    status: vevent.getFirstPropertyValue('status'),
  }
}

async function calendarOf(as: Signed | 'guest', url: string) {
  const answer = await h.call(as, { method: 'GET', url })
  if (answer.statusCode !== 200) throw new Error(`${url}: ${answer.statusCode} ${answer.body}`)
  return { answer, entry: parseCalendar(answer.body) }
}

t.test(
  'the .ics files: UTC instants, stable UID, SEQUENCE up after a reschedule, STATUS:CANCELLED after a cancellation',
  async (t) => {
    const { id, startsAt } = await cyrillicEvent(h, 20)
    const held = await confirmedBooking(USER, id, 1)
    const eventUrl = `/api/v1/events/${id}/calendar.ics`
    const bookingUrl = `/api/v1/bookings/${held.id as string}/calendar.ics`

    const first = await calendarOf('guest', eventUrl)
    t.equal(first.answer.headers['content-type'], 'text/calendar; charset=utf-8')
    t.equal(first.answer.headers['content-disposition'], `attachment; filename="event-${id}.ics"`)
    t.match(first.answer.body, /^BEGIN:VCALENDAR\r\n/, 'CRLF lines')
    t.equal(first.entry.method, 'PUBLISH')
    t.equal(first.entry.uid, `${id}@aquastream`)
    t.equal(first.entry.summary, TITLE)
    t.equal(first.entry.start.zone?.tzid, 'UTC', 'DTSTART is a UTC instant')
    t.equal(first.entry.start.toJSDate().toISOString(), new Date(startsAt).toISOString())
    t.equal(first.entry.end.toJSDate().getTime() - first.entry.start.toJSDate().getTime(), DAY_MS)
    t.equal(first.entry.status, 'CONFIRMED')
    t.equal(first.entry.location, AREA, 'guests get the area, as GET /events/{id} gives them')
    const signedIn = await calendarOf(USER2, eventUrl)
    t.equal(signedIn.entry.location, PLACE, 'signed-in callers see the whole place, as in GET /events/{id}')

    const booked = await calendarOf(USER, bookingUrl)
    t.equal(booked.answer.headers['cache-control'], 'private, no-store')
    t.equal(booked.entry.uid, `${held.id as string}.booking@aquastream`)
    t.equal(booked.entry.location, PLACE, 'the holder gets the meeting point')
    t.equal(booked.entry.start.toJSDate().toISOString(), new Date(startsAt).toISOString())
    t.match(booked.entry.description, 'Мест / Seats: 1')
    t.notMatch(booked.answer.body, String(held.ticketCode).slice(0, 20), 'no ticket code in a calendar file')

    const newStart = wholeMinute(Date.now() + 45 * DAY_MS + 3 * 3_600_000)
    const rescheduled = await h.call(ORGANIZER, {
      method: 'POST',
      url: `/api/v1/events/${id}/reschedule`,
      headers: WAIT,
      payload: {
        startsAt: new Date(newStart).toISOString(),
        endsAt: new Date(newStart + 2 * DAY_MS).toISOString(),
        place: PLACE,
      },
    })
    t.equal(rescheduled.statusCode, 200, rescheduled.body)
    for (const [url, before, as] of [
      [eventUrl, first.entry, 'guest'],
      [bookingUrl, booked.entry, USER],
    ] as const) {
      const after = (await calendarOf(as, url)).entry
      t.equal(after.uid, before.uid, `${url}: the same UID`)
      t.ok(after.sequence > before.sequence, `${url}: SEQUENCE ${before.sequence} → ${after.sequence}`)
      t.equal(after.start.zone?.tzid, 'UTC')
      t.equal(after.start.toJSDate().toISOString(), new Date(newStart).toISOString(), `${url}: the new start`)
      t.equal(
        after.end.toJSDate().toISOString(),
        new Date(newStart + 2 * DAY_MS).toISOString(),
        `${url}: the new end`,
      )
    }

    const beforeCancel = (await calendarOf('guest', eventUrl)).entry
    const canceled = await h.call(ORGANIZER, {
      method: 'POST',
      url: `/api/v1/events/${id}/cancel`,
      headers: WAIT,
      payload: { reason: 'high water' },
    })
    t.equal(canceled.statusCode, 200, canceled.body)
    const gone = (await calendarOf('guest', eventUrl)).entry
    t.equal(gone.status, 'CANCELLED')
    t.ok(gone.sequence > beforeCancel.sequence, 'the cancellation raises SEQUENCE too')
    await bookingWhen(USER, held.id as string, (b) => b.status === 'CANCELED')
    t.equal((await calendarOf(USER, bookingUrl)).entry.status, 'CANCELLED', "the booking's entry too")
    const noTicket = await ticket(USER, held.id as string)
    t.equal(noTicket.statusCode, 409, 'a canceled booking has no ticket')
    t.same(noTicket.json().details, { bookingId: held.id, status: 'CANCELED' })
  },
)

t.test('the OpenAPI document gives the media types of the three routes', async (t) => {
  const paths = h.openapi().paths
  const pdf = paths['/api/v1/bookings/{id}/ticket.pdf'].get
  t.ok(pdf.responses['200'].content['application/pdf'], 'application/pdf')
  t.ok(pdf.responses['4XX'] ?? pdf.responses['4xx'], 'the error answers')
  t.ok(paths['/api/v1/bookings/{id}/calendar.ics'].get.responses['200'].content['text/calendar'])
  t.ok(paths['/api/v1/events/{id}/calendar.ics'].get.responses['200'].content['text/calendar'])
})

t.test('the event .ics of a draft: its organizer and admins only, 404 for everyone else', async (t) => {
  const created = await h.call(ORGANIZER, {
    method: 'POST',
    url: '/api/v1/events',
    headers: WAIT,
    payload: eventBody({ title: TITLE, place: PLACE }),
  })
  t.equal(created.statusCode, 201, created.body)
  const url = `/api/v1/events/${created.json().id}/calendar.ics`
  t.equal((await calendarOf(ORGANIZER, url)).entry.status, 'TENTATIVE')
  t.equal((await h.call(ADMIN, { method: 'GET', url })).statusCode, 200)
  for (const who of ['guest', USER, ORGANIZER2] as const) {
    const answer = await h.call(who, { method: 'GET', url })
    t.equal(answer.statusCode, 404)
    t.equal(answer.json().code, 'EVENT_NOT_FOUND')
  }
  const none = await h.call('guest', { method: 'GET', url: '/api/v1/events/no-such-event/calendar.ics' })
  t.equal(none.statusCode, 404)
})
