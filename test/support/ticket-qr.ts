/**
 * Reading a rendered ticket the way a scanner and a reader would, with Debian's tools (installed by
 * infra/test-tools.sh): `pdftoppm` turns the page into a PNG, `zbarimg` decodes the QR code on it,
 * `pdftotext` gives the text layer, `pdfinfo` the page count. No PDF library of our own reads it back, so
 * a ticket that only our renderer could read would fail here.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** The binaries the functions below run (poppler-utils, zbar-tools). */
export const DOCUMENT_TOOLS = ['pdftoppm', 'pdftotext', 'pdfinfo', 'zbarimg'] as const

/** The tools of {@link DOCUMENT_TOOLS} not on PATH. */
export async function missingDocumentTools(): Promise<string[]> {
  const missing: string[] = []
  for (const tool of DOCUMENT_TOOLS) {
    try {
      await run('sh', ['-c', `command -v ${tool}`])
    } catch {
      missing.push(tool)
    }
  }
  return missing
}

/** Runs `fn` with the PDF written to a fresh temporary folder, removed afterwards. */
async function withPdf<T>(pdf: Buffer, fn: (dir: string, file: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'ticket-'))
  try {
    const file = join(dir, 'ticket.pdf')
    await writeFile(file, pdf)
    return await fn(dir, file)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** The first page as a PNG at `dpi` (`pdftoppm -png -r <dpi> -singlefile`). */
export function pdfPagePng(pdf: Buffer, dpi = 150): Promise<Buffer> {
  return withPdf(pdf, async (dir, file) => {
    await run('pdftoppm', [
      '-png',
      '-r',
      String(dpi),
      '-f',
      '1',
      '-l',
      '1',
      '-singlefile',
      file,
      join(dir, 'page'),
    ])
    return readFile(join(dir, 'page.png'))
  })
}

/**
 * The text of the one QR code on the first page of a ticket PDF, rendered at 150 dpi and decoded with
 * `zbarimg --raw -q`. Rejects when the page has no QR code or more than one.
 */
export function decodeTicketQr(pdf: Buffer): Promise<string> {
  return withPdf(pdf, async (dir, file) => {
    await run('pdftoppm', ['-png', '-r', '150', '-f', '1', '-l', '1', '-singlefile', file, join(dir, 'page')])
    // zbarimg prints one line per symbol (exit 4 when it finds none); stderr may carry D-Bus noise.
    const { stdout } = await run('zbarimg', [
      '--raw',
      '-q',
      '-Sdisable',
      '-Sqrcode.enable',
      join(dir, 'page.png'),
    ])
    const symbols = stdout.replace(/\n$/, '').split('\n')
    if (symbols.length !== 1 || symbols[0] === '')
      throw new Error(`expected one QR code on the page, found ${JSON.stringify(symbols)}`)
    return symbols[0]!
  })
}

/** The text layer of the PDF (`pdftotext -layout`), UTF-8. */
export function pdfText(pdf: Buffer): Promise<string> {
  return withPdf(
    pdf,
    async (_dir, file) => (await run('pdftotext', ['-layout', '-enc', 'UTF-8', file, '-'])).stdout,
  )
}

/** How many pages the PDF has (`pdfinfo`). */
export function pdfPageCount(pdf: Buffer): Promise<number> {
  return withPdf(pdf, async (_dir, file) => {
    const { stdout } = await run('pdfinfo', [file])
    const m = /^Pages:\s+(\d+)$/m.exec(stdout)
    if (m === null) throw new Error(`pdfinfo gave no page count: ${stdout}`)
    return Number(m[1])
  })
}
