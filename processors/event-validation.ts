import { MAX_CAPACITY, type PriceOptionState } from './ledger-state.ts'
import { refuse, type Refusal } from './reason-codes.ts'

/**
 * The field rules of an event that more than one command checks (CREATE, UPDATE, RESCHEDULE, price
 * options). Each returns the first rule broken as a VALIDATION_FAILED refusal, undefined when all hold.
 */

/** Title 3-255 characters; description empty (a DRAFT may lack one) or 10-5,000. */
export function validateTexts(title: string, description: string): Refusal | undefined {
  if (title.length < 3 || title.length > 255)
    return refuse('VALIDATION_FAILED', 'title must be 3-255 characters')
  if (description !== '' && (description.length < 10 || description.length > 5000))
    return refuse('VALIDATION_FAILED', 'description must be 10-5,000 characters')
  return undefined
}

/** The end after the start, and a place. */
export function validateSchedule(startsAtMs: number, endsAtMs: number, place: string): Refusal | undefined {
  if (!(endsAtMs > startsAtMs)) return refuse('VALIDATION_FAILED', 'the end must be after the start')
  if (place.trim() === '') return refuse('VALIDATION_FAILED', 'place is required')
  return undefined
}

/** Capacity 1-MAX_CAPACITY, hold time 1 minute to 7 days, booking deadline 0 hours to a year. */
export function validateNumbers(
  capacity: number,
  holdMinutes: number,
  deadlineHours: number,
): Refusal | undefined {
  if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_CAPACITY)
    return refuse('VALIDATION_FAILED', `capacity must be 1-${MAX_CAPACITY}`)
  if (!Number.isInteger(holdMinutes) || holdMinutes < 1 || holdMinutes > 7 * 24 * 60)
    return refuse('VALIDATION_FAILED', 'holdMinutes must be 1-10,080')
  if (!Number.isInteger(deadlineHours) || deadlineHours < 0 || deadlineHours > 24 * 365)
    return refuse('VALIDATION_FAILED', 'bookingDeadlineHours must be >= 0')
  return undefined
}

/** The seats the options allot together, which the capacity must hold. */
export function allotmentSum(options: readonly PriceOptionState[]): number {
  return options.reduce((sum, option) => sum + option.allotment, 0)
}
