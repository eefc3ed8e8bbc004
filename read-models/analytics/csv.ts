/**
 * RFC 4180 CSV of flat rows (the stats series): a header line of the columns, then one line per row,
 * CRLF line ends. Fields with a comma, quote, CR or LF are quoted, quotes doubled; null and undefined are
 * empty; numbers as JavaScript prints them. A field starting with `=`, `+`, `-` or `@` that is not a
 * number is prefixed with `'` so spreadsheets do not run it as a formula.
 *
 * @example
 *   toCsv([{ period: '2026-01-01', views: 3 }]) // 'period,views\r\n2026-01-01,3\r\n'
 */
export function toCsv<T extends object>(rows: readonly T[], columns?: readonly (keyof T & string)[]): string {
  const header = columns ?? (rows.length === 0 ? [] : (Object.keys(rows[0]!) as (keyof T & string)[]))
  const lines = [header.map(field).join(',')]
  for (const row of rows) lines.push(header.map((c) => field(row[c])).join(','))
  return lines.join('\r\n') + '\r\n'
}

function field(value: unknown): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
    return String(value)
  let text = typeof value === 'string' ? value : JSON.stringify(value)
  if (/^[=+\-@]/.test(text) && !/^[-+]?\d+(\.\d+)?$/.test(text)) text = `'${text}`
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}
