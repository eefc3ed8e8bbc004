/** Percentiles, rates and the result table of `npm run bench:runtime`. */

export interface Row {
  readonly transport: string
  readonly metric: string
  /** The measured value; undefined when the phase failed. */
  readonly value: number | undefined
  readonly unit: string
  /** Minimum acceptable value; undefined when the row only informs. */
  readonly floor?: number
  /** How the value was obtained (one short line, printed under the table). */
  readonly note?: string
}

/** The p-th percentile (0..100) by nearest rank of an unsorted sample. */
export function percentile(sample: readonly number[], p: number): number {
  if (sample.length === 0) return NaN
  const sorted = [...sample].sort((a, b) => a - b)
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!
}

export function rate(records: number, ms: number): number {
  return ms > 0 ? records / (ms / 1000) : NaN
}

function formatValue(value: number | undefined, unit: string): string {
  if (value === undefined || Number.isNaN(value)) return 'n/a'
  if (unit === 'ms') return `${value < 10 ? value.toFixed(2) : value.toFixed(1)} ms`
  return `${Math.round(value).toLocaleString('en-US')} ${unit}`
}

function status(row: Row): string {
  if (row.floor === undefined) return ''
  if (row.value === undefined || Number.isNaN(row.value)) return 'FAIL (no value)'
  return row.value >= row.floor ? 'pass' : 'FAIL'
}

/** The compact table: transport, metric, value, floor, pass/fail; notes follow it. */
export function renderTable(rows: readonly Row[]): string {
  const header = ['transport', 'metric', 'value', 'floor', 'result']
  const cells = rows.map((r) => [
    r.transport,
    r.metric,
    formatValue(r.value, r.unit),
    r.floor === undefined ? '-' : `>= ${formatValue(r.floor, r.unit)}`,
    status(r) || '-',
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)))
  const line = (c: readonly string[]): string => `| ${c.map((s, i) => s.padEnd(widths[i]!)).join(' | ')} |`
  const out = [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.map(line)]
  const notes = rows.filter((r) => r.note !== undefined)
  if (notes.length > 0) {
    out.push('')
    for (const r of notes) out.push(`- ${r.transport} ${r.metric}: ${r.note}`)
  }
  return out.join('\n')
}

export function failures(rows: readonly Row[]): Row[] {
  return rows.filter((r) => status(r).startsWith('FAIL'))
}

/** Milliseconds since an arbitrary origin, sub-millisecond precision. */
export const now = (): number => performance.now()

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

export function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`)
}
