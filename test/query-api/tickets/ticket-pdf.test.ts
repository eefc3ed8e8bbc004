/**
 * The ticket renderer alone (query-api/tickets/ticket-pdf.ts), read back with Debian's tools
 * (test/support/ticket-qr.ts): the longest title and place the API accepts and a code as long as signed
 * codes get still make one page whose QR code decodes to the code; the zone is named; bad input rejects.
 */
import t from 'tap'
import { renderTicketPdf, type TicketData } from '../../../query-api/tickets/ticket-pdf.ts'
import { decodeTicketQr, missingDocumentTools, pdfPageCount, pdfText } from '../../support/ticket-qr.ts'

const missing = await missingDocumentTools()
if (missing.length > 0 && process.env.CI === 'true')
  t.fail(`missing ${missing.join(', ')}: infra/test-tools.sh installs poppler-utils and zbar-tools`)
const needsTools =
  missing.length === 0 ? {} : { skip: `missing ${missing.join(', ')} (bash infra/test-tools.sh)` }

/** A code shaped like the signed ones (`T1~eventId~bookingId~seats~issue~mac`), every base64url character. */
const LONG_CODE = `T1~${'e'.repeat(64)}~${'b'.repeat(64)}~20~7~ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_`

const DATA: TicketData = {
  bookingId: 'booking-1',
  eventId: 'event-1',
  eventTitle: 'Сплав по Катуни',
  startsAt: '2026-06-12T07:00:00.000Z',
  endsAt: '2026-06-13T15:00:00.000Z',
  timeZone: 'Europe/Moscow',
  place: 'Алтай, Катунь, причал у Чемальского моста',
  holder: 'user-1',
  seats: 3,
  priceOption: 'Стандарт',
  ticketCode: 'T1~event-1~booking-1~3~1~c2lnbmVkLWNvZGU',
}

t.test(
  'a ticket: one page, the QR code is the code, the text layer has the Cyrillic facts and local times',
  needsTools,
  async (t) => {
    const pdf = await renderTicketPdf(DATA)
    t.equal(await pdfPageCount(pdf), 1)
    t.equal(await decodeTicketQr(pdf), DATA.ticketCode)
    const text = await pdfText(pdf)
    for (const expected of [
      'Сплав по Катуни',
      'причал у Чемальского моста',
      'Стандарт',
      'user-1',
      'booking-1',
    ])
      t.match(text, expected)
    t.match(
      text,
      'пятница, 12 июня 2026 г. в 10:00 (Europe/Moscow, GMT+03:00)',
      '07:00 UTC is 10:00 in Moscow',
    )
    t.match(text, 'суббота, 13 июня 2026 г. в 18:00')
    t.match(text, 'действует на 3 места', 'Russian plural of the seats')
  },
)

t.test(
  'the longest title and place the API takes and a long code still make one page; the code decodes whole',
  needsTools,
  async (t) => {
    t.ok(LONG_CODE.length > 170, `a ${LONG_CODE.length}-character code`)
    const pdf = await renderTicketPdf({
      ...DATA,
      eventTitle: 'Сплав по Катуни — '.repeat(20).slice(0, 255),
      place: 'Алтай, Катунь, причал у Чемальского моста; '.repeat(20).slice(0, 500),
      priceOption: 'Т'.repeat(100),
      ticketCode: LONG_CODE,
    })
    t.equal(await pdfPageCount(pdf), 1, 'long text is cut, not spilled onto a second page')
    t.equal(await decodeTicketQr(pdf), LONG_CODE)
    t.match((await pdfText(pdf)).replace(/\s+/g, ''), LONG_CODE, 'the code as text, wrapped, whole')
  },
)

t.test('another zone prints its own offset', needsTools, async (t) => {
  const text = await pdfText(await renderTicketPdf({ ...DATA, timeZone: 'Asia/Barnaul' }))
  t.match(text, 'пятница, 12 июня 2026 г. в 14:00 (Asia/Barnaul, GMT+07:00)')
})

// Regression: the fonts are parsed once and shared; a ticket with the Cyrillic А (drawn with the Latin A)
// left the next ticket's Latin A without a code point, missing from its text layer.
t.test(
  'every letter stays in the text layer of the next ticket too (fonts shared between tickets)',
  needsTools,
  async (t) => {
    const cyrillic = 'АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ абвгдеёжзийклмнопрстуфхцчшщъыьэюя'
    const latin = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz 0123456789'
    await renderTicketPdf({ ...DATA, eventTitle: cyrillic, place: cyrillic, holder: cyrillic })
    for (const round of [1, 2]) {
      const pdf = await renderTicketPdf({
        ...DATA,
        eventTitle: latin,
        place: `${latin}, ${cyrillic}`,
        holder: latin,
      })
      const text = (await pdfText(pdf)).replace(/\s+/g, ' ') // the place wraps
      t.match(text, latin, `round ${round}: Latin`)
      t.match(text, cyrillic, `round ${round}: Cyrillic`)
    }
  },
)

t.test('tickets rendered at the same time keep their own codes and text', needsTools, async (t) => {
  const codes = ['A', 'B', 'C', 'D'].map((k) => `T1~event-${k}~booking-${k}~1~1~${k.repeat(43)}`)
  const pdfs = await Promise.all(
    codes.map((ticketCode, i) => renderTicketPdf({ ...DATA, ticketCode, eventTitle: `Сплав ${i}` })),
  )
  for (const [i, pdf] of pdfs.entries()) {
    t.equal(await decodeTicketQr(pdf), codes[i])
    t.match(await pdfText(pdf), `Сплав ${i}`)
  }
})

t.test('refusals: an unknown zone, a code too long for a QR code', async (t) => {
  await t.rejects(renderTicketPdf({ ...DATA, timeZone: 'Mars/Olympus' }), RangeError)
  await t.rejects(renderTicketPdf({ ...DATA, ticketCode: 'x'.repeat(5000) }))
})
