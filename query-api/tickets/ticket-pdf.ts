/**
 * The PDF ticket of a confirmed booking: one A4 page with the event, its times in a named zone, the full
 * meeting point, the holder, the seats, the price option, and the ticket code twice: as a QR code for the
 * organizer's scanner and as text for typing in by hand. Pure: data in, PDF bytes out (no I/O but reading
 * the fonts once per process).
 *
 * Text is set in DejaVu Sans (npm `dejavu-fonts-ttf`), embedded and subset by pdfkit, so Cyrillic titles and
 * places render and stay in the text layer (searchable, copyable); the PDF standard fonts have no Cyrillic.
 * The QR code is drawn as vector squares from the module matrix of `qrcode` (error correction M, the quiet
 * zone of 4 modules the standard asks for), so it stays sharp at any zoom or print resolution.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type * as Fontkit from 'fontkit'
import type { Font } from 'fontkit'
import type PDFDocument from 'pdfkit'
import type QRCode from 'qrcode'
import { localDateTime, zoneLabel } from './event-time.ts'

/** What a ticket shows. Instants are ISO 8601 in UTC, as the read model gives them. */
export interface TicketData {
  readonly bookingId: string
  readonly eventId: string
  readonly eventTitle: string
  readonly startsAt: string
  readonly endsAt: string
  /** The IANA zone the times are shown in (event-time.ts: the catalog has none per event). */
  readonly timeZone: string
  /** The full place, meeting point included: the holder is entitled to it. */
  readonly place: string
  /** Who holds the ticket: the booking's user (the read model knows users by ID only). */
  readonly holder: string
  readonly seats: number
  /** The price option's name; null when the event no longer lists it. */
  readonly priceOption: string | null
  /** The ticket code, opaque here: what the QR code encodes, character for character. */
  readonly ticketCode: string
}

const PAGE = { width: 595.28, height: 841.89 } // A4, points
const MARGIN = 48
const CONTENT_WIDTH = PAGE.width - 2 * MARGIN
const QR_SIZE = 200
/** Modules of white around the symbol (ISO/IEC 18004 asks for 4). */
const QUIET_ZONE = 4
const INK = '#111111'
const MUTED = '#5f6368'

interface Fonts {
  readonly regular: Font
  readonly bold: Font
  readonly mono: Font
}

/**
 * pdfkit, fontkit and qrcode load with the first ticket, not with the service: together they are a tenth
 * of a second of the start, and most processes never render a ticket.
 */
let libraries:
  | Promise<{
      readonly PDFDocument: typeof PDFDocument
      readonly createQr: typeof QRCode.create
      readonly fonts: Fonts
    }>
  | undefined
const loadLibraries = () =>
  (libraries ??= Promise.all([import('pdfkit'), import('qrcode'), import('fontkit')]).then(
    ([pdfkit, qrcode, fontkit]) => ({
      PDFDocument: pdfkit.default,
      createQr: qrcode.default.create,
      fonts: loadFonts(fontkit.create),
    }),
  ))

/**
 * The DejaVu faces of the `dejavu-fonts-ttf` package, parsed once per process and shared by every ticket:
 * pdfkit takes a parsed fontkit font as well as the file, and parsing the three files again for each
 * ticket (and warming their glyph caches) cost ~200 ms a PDF where a shared parse costs ~10 ms. Each
 * document still embeds its own subset.
 */
function loadFonts(createFont: typeof Fontkit.create): Fonts {
  const require = createRequire(import.meta.url)
  const open = (file: string): Font => {
    const font = createFont(readFileSync(require.resolve(`dejavu-fonts-ttf/ttf/${file}`)))
    if (!('layout' in font)) throw new Error(`${file} is a font collection, not one face`)
    // fontkit caches one glyph object per glyph, with the code points it was first asked for; pdfkit's
    // text layer (ToUnicode) maps each glyph to those. Embedding a subset asks for the components of
    // composite glyphs without code points (DejaVu draws the Cyrillic А with the Latin A), so a shared
    // font would give the next ticket an A without a code point: missing from its text layer. Asking
    // for every mapped code point first gives each glyph its own.
    for (const codePoint of font.characterSet) font.glyphForCodePoint(codePoint)
    return font
  }
  return {
    regular: open('DejaVuSans.ttf'),
    bold: open('DejaVuSans-Bold.ttf'),
    mono: open('DejaVuSansMono.ttf'),
  }
}

/**
 * Renders the ticket as a one-page PDF. The longest title (255 characters) and place (500) the API
 * accepts still fit: longer text is cut with an ellipsis rather than spilling onto a second page.
 * Rejects when the zone is unknown (RangeError) or the code cannot be encoded as a QR code (longer than a
 * version-40 symbol holds, ~2,300 characters).
 *
 * @example
 *   const pdf = await renderTicketPdf({ bookingId: 'b-1', eventId: 'e-1', eventTitle: 'Сплав по Катуни',
 *     startsAt: '2026-06-12T07:00:00.000Z', endsAt: '2026-06-13T15:00:00.000Z', timeZone: 'Europe/Moscow',
 *     place: 'Алтай, Катунь, причал у Чемальского моста', holder: 'user-1', seats: 2,
 *     priceOption: 'Стандарт', ticketCode: 'T1~e-1~b-1~2~1~…' })
 */
export async function renderTicketPdf(data: TicketData): Promise<Buffer> {
  const { PDFDocument, createQr, fonts } = await loadLibraries()
  return new Promise((resolve, reject) => {
    try {
      const qr = createQr(data.ticketCode, { errorCorrectionLevel: 'M' })
      const doc = new PDFDocument({
        size: 'A4',
        margin: MARGIN,
        info: {
          Title: `Билет: ${data.eventTitle}`,
          Author: 'Aquastream',
          Subject: `Booking ${data.bookingId}`,
        },
        lang: 'ru-RU',
      })
      const chunks: Buffer[] = []
      doc.on('data', (chunk: Buffer) => chunks.push(chunk))
      doc.on('end', () => resolve(Buffer.concat(chunks)))
      doc.on('error', reject)
      const { regular, bold, mono } = fonts
      // pdfkit's types know font files only; its PDFFontFactory takes a parsed fontkit font as is.
      const face = (font: Font) => font as unknown as PDFKit.Mixins.PDFFontSource
      doc.registerFont('regular', face(regular))
      doc.registerFont('bold', face(bold))
      doc.registerFont('mono', face(mono))
      layout(doc, data, qr.modules)
      doc.end()
    } catch (error) {
      reject(error instanceof Error ? error : new Error(String(error)))
    }
  })
}

/** The page, top to bottom: heading, title, the facts, then the QR code with the code beside it. */
function layout(doc: PDFKit.PDFDocument, data: TicketData, modules: QRCode.BitMatrix): void {
  doc
    .font('bold')
    .fontSize(10)
    .fillColor(MUTED)
    .text('AQUASTREAM · ЭЛЕКТРОННЫЙ БИЛЕТ / E-TICKET', MARGIN, MARGIN, { width: CONTENT_WIDTH })
  doc.moveDown(0.6)
  doc.font('bold').fontSize(20).fillColor(INK)
  doc.text(data.eventTitle, { width: CONTENT_WIDTH, height: doc.currentLineHeight(true) * 4, ellipsis: true })
  doc.moveDown(0.4)
  rule(doc)

  const zone = zoneLabel(data.startsAt, data.timeZone)
  field(doc, 'Начало / Starts', `${localDateTime(data.startsAt, data.timeZone)} (${zone})`)
  field(doc, 'Окончание / Ends', `${localDateTime(data.endsAt, data.timeZone)} (${zone})`)
  field(doc, 'Место сбора / Meeting point', data.place, 7)
  field(doc, 'Участник / Holder', data.holder)
  field(doc, 'Мест / Seats', String(data.seats))
  field(doc, 'Тариф / Price option', data.priceOption ?? '—')
  field(doc, 'Бронирование / Booking', data.bookingId)

  const top = PAGE.height - MARGIN - QR_SIZE
  drawQr(doc, modules, MARGIN, top, QR_SIZE)
  const textLeft = MARGIN + QR_SIZE + 16
  const textWidth = PAGE.width - MARGIN - textLeft
  doc
    .font('regular')
    .fontSize(9)
    .fillColor(MUTED)
    .text('Код билета / Ticket code', textLeft, top + 10, { width: textWidth })
  doc.moveDown(0.3)
  doc.font('mono').fontSize(9).fillColor(INK)
  for (const line of codeLines(doc, data.ticketCode, textWidth)) {
    doc.text(line, textLeft, doc.y, { lineBreak: false })
    doc.moveDown(1)
  }
  doc.moveDown(0.8)
  doc.font('regular').fontSize(9).fillColor(MUTED)
  doc.text(
    `Покажите QR-код организатору при посадке; код действует на ${seatsInRussian(data.seats)}. ` +
      `Show the QR code to the organizer at check-in; valid for ${data.seats} seat${data.seats === 1 ? '' : 's'}.`,
    textLeft,
    doc.y,
    { width: textWidth },
  )
}

const SEAT_WORDS: Partial<Record<Intl.LDMLPluralRule, string>> = { one: 'место', few: 'места', many: 'мест' }
const russianPlural = new Intl.PluralRules('ru-RU')

/** `1 место`, `2 места`, `5 мест`. */
function seatsInRussian(seats: number): string {
  return `${seats} ${SEAT_WORDS[russianPlural.select(seats)] ?? 'мест'}`
}

/** A label above its value; the value is cut to `maxLines` lines with an ellipsis. */
function field(doc: PDFKit.PDFDocument, label: string, value: string, maxLines = 2): void {
  doc.moveDown(0.5)
  doc.font('regular').fontSize(9).fillColor(MUTED).text(label, MARGIN, doc.y, { width: CONTENT_WIDTH })
  doc.font('regular').fontSize(12).fillColor(INK)
  doc.text(value, MARGIN, doc.y, {
    width: CONTENT_WIDTH,
    height: doc.currentLineHeight(true) * maxLines,
    ellipsis: true,
  })
}

function rule(doc: PDFKit.PDFDocument): void {
  doc
    .moveTo(MARGIN, doc.y)
    .lineTo(PAGE.width - MARGIN, doc.y)
    .lineWidth(0.5)
    .strokeColor('#c0c4c8')
    .stroke()
}

/**
 * The code cut into lines that fit `width` in the current (monospaced) font, each set on its own without
 * pdfkit's line wrapping: a code has no spaces, and the wrapper would break it at its hyphens instead.
 */
function codeLines(doc: PDFKit.PDFDocument, code: string, width: number): string[] {
  const perLine = Math.max(1, Math.floor(width / doc.widthOfString('0')))
  const lines: string[] = []
  for (let i = 0; i < code.length; i += perLine) lines.push(code.slice(i, i + perLine))
  return lines
}

/** Dark modules as filled squares, merged into runs per row; the quiet zone stays white. */
function drawQr(
  doc: PDFKit.PDFDocument,
  modules: QRCode.BitMatrix,
  x: number,
  y: number,
  size: number,
): void {
  const count = modules.size + 2 * QUIET_ZONE
  const unit = size / count
  doc.rect(x, y, size, size).fill('#ffffff')
  for (let row = 0; row < modules.size; row++) {
    let col = 0
    while (col < modules.size) {
      if (!modules.get(row, col)) {
        col++
        continue
      }
      const start = col
      while (col < modules.size && modules.get(row, col)) col++
      doc.rect(x + (QUIET_ZONE + start) * unit, y + (QUIET_ZONE + row) * unit, (col - start) * unit, unit)
    }
  }
  doc.fill('#000000')
}
