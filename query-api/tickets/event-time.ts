/**
 * Local times of an event for what people read (the PDF ticket). The catalog stores instants in UTC and
 * no time zone per event (the event contract has none), so the ticket shows them in one documented zone,
 * Moscow time by default, and always names the zone and its UTC offset next to the times: a trip on the
 * Katun (UTC+7) reads "10:00 (Europe/Moscow, GMT+03:00)", never a bare "10:00" that could be misread.
 * Calendar files carry UTC instants and need no zone (calendar-ics.ts).
 */

/** The zone tickets show times in while events carry none of their own. */
export const DEFAULT_EVENT_TIME_ZONE = 'Europe/Moscow'

/** The locale of the ticket's text: the events' default notification locale (`ru-RU`). */
export const TICKET_LOCALE = 'ru-RU'

/**
 * An instant as a date and time in `timeZone`, in Russian: `пятница, 12 июня 2026 г. в 10:00`.
 * Throws a RangeError for an unknown zone.
 */
export function localDateTime(instant: string | Date, timeZone: string = DEFAULT_EVENT_TIME_ZONE): string {
  return new Intl.DateTimeFormat(TICKET_LOCALE, {
    timeZone,
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  }).format(new Date(instant))
}

/** The zone and its offset at `instant`: `Europe/Moscow, GMT+03:00` (the offset may differ by date). */
export function zoneLabel(instant: string | Date, timeZone: string = DEFAULT_EVENT_TIME_ZONE): string {
  const offset = new Intl.DateTimeFormat('en-GB', { timeZone, timeZoneName: 'longOffset' })
    .formatToParts(new Date(instant))
    .find((part) => part.type === 'timeZoneName')?.value
  // `longOffset` writes UTC itself as a bare "GMT".
  return `${timeZone}, ${offset === undefined || offset === 'GMT' ? 'GMT+00:00' : offset}`
}
