import type { EventCommand, PriceOptionInput } from '../avro/index.ts'
import {
  accepted,
  isEditable,
  nextVersion,
  notEditable,
  refused,
  type EventDecision,
} from './event-decision.ts'
import { allotmentSum } from './event-validation.ts'
import { causeOf, eventFact } from './ledger-outputs.ts'
import { MAX_PRICE_MINOR, MAX_PRICE_OPTIONS, type EventState, type PriceOptionState } from './ledger-state.ts'
import { refuse, type Refusal } from './reason-codes.ts'

function validatePriceOption(input: PriceOptionInput): Refusal | undefined {
  if (input.priceOptionId === '' || input.name.trim() === '')
    return refuse('VALIDATION_FAILED', 'price option ID and name are required')
  if (!Number.isInteger(input.priceMinor) || input.priceMinor < 0 || input.priceMinor > MAX_PRICE_MINOR)
    return refuse('VALIDATION_FAILED', 'price must be 0-1,000,000.00')
  if (!Number.isInteger(input.allotment) || input.allotment < 0)
    return refuse('VALIDATION_FAILED', 'allotment must be >= 0')
  if (input.validFromMs !== null && input.validUntilMs !== null && input.validFromMs >= input.validUntilMs)
    return refuse('VALIDATION_FAILED', 'validFrom must be before validUntil')
  return undefined
}

/**
 * ADD_PRICE_OPTION and UPDATE_PRICE_OPTION of an editable event: an option keeps the seats taken of it,
 * so its allotment may not go below them, and the allotments together may not exceed the capacity.
 *
 * Refusals: VALIDATION_FAILED (no payload, a field rule, allotment below the seats taken),
 * INVALID_TRANSITION (not editable), PRICE_OPTION_EXISTS (ADD), PRICE_OPTION_NOT_FOUND (UPDATE),
 * LIMIT_EXCEEDED (more than MAX_PRICE_OPTIONS options, allotments above the capacity).
 */
export function putPriceOption(event: EventState, command: EventCommand, nowMs: number): EventDecision {
  const input = command.priceOption
  if (input === null)
    return refused(refuse('VALIDATION_FAILED', `${command.type} needs the priceOption payload`))
  if (!isEditable(event)) return notEditable(event)
  const invalid = validatePriceOption(input)
  if (invalid !== undefined) return refused(invalid)
  const existing = event.priceOptions.find((o) => o.priceOptionId === input.priceOptionId)
  if (command.type === 'ADD_PRICE_OPTION' && existing !== undefined)
    return refused(refuse('PRICE_OPTION_EXISTS', `price option ${input.priceOptionId} exists`))
  if (command.type === 'UPDATE_PRICE_OPTION' && existing === undefined)
    return refused(refuse('PRICE_OPTION_NOT_FOUND', `no price option ${input.priceOptionId}`))
  if (existing === undefined && event.priceOptions.length >= MAX_PRICE_OPTIONS)
    return refused(refuse('LIMIT_EXCEEDED', `at most ${MAX_PRICE_OPTIONS} price options`))
  const taken = existing?.taken ?? 0
  if (input.allotment < taken)
    return refused(refuse('VALIDATION_FAILED', `allotment below the ${taken} seats already taken`))
  const option: PriceOptionState = { ...input, taken }
  const options =
    existing === undefined
      ? [...event.priceOptions, option]
      : event.priceOptions.map((o) => (o.priceOptionId === option.priceOptionId ? option : o))
  if (allotmentSum(options) > event.capacity)
    return refused(refuse('LIMIT_EXCEEDED', 'the allotments would exceed the capacity'))
  const next = nextVersion(event, { priceOptions: options })
  const type = existing === undefined ? 'PRICE_OPTION_ADDED' : 'PRICE_OPTION_UPDATED'
  return accepted(next, [eventFact(next, type, causeOf(command), nowMs, option.priceOptionId)], type, null, {
    resourceType: 'PRICE_OPTION',
    resourceId: option.priceOptionId,
  })
}

/**
 * REMOVE_PRICE_OPTION of an editable event: only an option no booking holds, and a published event keeps
 * at least one.
 *
 * Refusals: VALIDATION_FAILED (no payload, the last option of a non-DRAFT event), INVALID_TRANSITION (not
 * editable), PRICE_OPTION_NOT_FOUND, PRICE_OPTION_IN_USE.
 */
export function removePriceOption(event: EventState, command: EventCommand, nowMs: number): EventDecision {
  const id = command.removePriceOption?.priceOptionId
  if (id === undefined) return refused(refuse('VALIDATION_FAILED', 'REMOVE_PRICE_OPTION needs its payload'))
  if (!isEditable(event)) return notEditable(event)
  const existing = event.priceOptions.find((o) => o.priceOptionId === id)
  if (existing === undefined) return refused(refuse('PRICE_OPTION_NOT_FOUND', `no price option ${id}`))
  if (existing.taken > 0)
    return refused(refuse('PRICE_OPTION_IN_USE', `price option ${id} has active bookings`))
  if (event.status !== 'DRAFT' && event.priceOptions.length === 1)
    return refused(refuse('VALIDATION_FAILED', 'a published event keeps at least one price option'))
  const next = nextVersion(event, { priceOptions: event.priceOptions.filter((o) => o.priceOptionId !== id) })
  return accepted(
    next,
    [eventFact(next, 'PRICE_OPTION_REMOVED', causeOf(command), nowMs, id)],
    'price option removed',
    null,
    { resourceType: 'PRICE_OPTION', resourceId: id },
  )
}
