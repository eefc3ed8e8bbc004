/**
 * How the catalog writes and reads instants: ISO 8601 strings in UTC (`2026-06-01T07:00:00.000Z`), the
 * form `jsonb_to_recordset` casts to `timestamptz` on the way in and the views hand out on the way back.
 */

/** A fact's epoch milliseconds as an ISO instant; null (an optional instant of the fact) stays null. */
export function isoOfMs(ms: number): string
export function isoOfMs(ms: number | null): string | null
export function isoOfMs(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString()
}

/**
 * A `timestamptz` column as read back, as an ISO instant: `pg` and PGlite return a `Date`, a string is
 * parsed; null or absent (a NULL column, a column not selected) gives null.
 */
export const isoOf = (value: unknown): string | null =>
  value === null || value === undefined
    ? null
    : value instanceof Date
      ? value.toISOString()
      : new Date(String(value)).toISOString()
