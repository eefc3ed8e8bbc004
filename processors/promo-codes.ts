import type { CreatePromoCode } from '../avro/index.ts'
import { DAY_MS, MAX_ACTIVE_PROMO_CODES, type EventState, type PromoCodeState } from './ledger-state.ts'
import { refuse, type Refusal } from './reason-codes.ts'

export const PROMO_CODE_PATTERN = /^[A-Z0-9]{3,20}$/

/** Validates a new promo code against the event's codes; returns the code's state or a refusal. */
export function createPromoCode(
  event: EventState,
  input: CreatePromoCode,
  nowMs: number,
): PromoCodeState | Refusal {
  if (!PROMO_CODE_PATTERN.test(input.code))
    return refuse('VALIDATION_FAILED', 'code must match ^[A-Z0-9]{3,20}$')
  if (event.promoCodes.some((promo) => promo.code === input.code))
    return refuse('PROMO_CODE_EXISTS', `promo code ${input.code} exists on this event`)
  if (event.promoCodes.filter((promo) => promo.active).length >= MAX_ACTIVE_PROMO_CODES)
    return refuse('LIMIT_EXCEEDED', `at most ${MAX_ACTIVE_PROMO_CODES} active promo codes per event`)
  if (
    input.kind === 'PERCENTAGE' &&
    !(Number.isInteger(input.value) && input.value >= 1 && input.value <= 100)
  )
    return refuse('VALIDATION_FAILED', 'a PERCENTAGE promo is 1-100')
  if (input.kind === 'FIXED_AMOUNT' && !(Number.isInteger(input.value) && input.value >= 1))
    return refuse('VALIDATION_FAILED', 'a FIXED_AMOUNT promo is at least 1 kopeck')
  if (!(Number.isInteger(input.usageLimit) && input.usageLimit >= 1))
    return refuse('VALIDATION_FAILED', 'usageLimit must be >= 1')
  if (input.validUntilMs <= nowMs || input.validUntilMs > nowMs + 366 * DAY_MS)
    return refuse('VALIDATION_FAILED', 'validUntil must be in the future and at most one year ahead')
  if (input.validFromMs !== null && input.validFromMs >= input.validUntilMs)
    return refuse('VALIDATION_FAILED', 'validFrom must be before validUntil')
  return {
    code: input.code,
    kind: input.kind,
    value: input.value,
    usageLimit: input.usageLimit,
    used: 0,
    validFromMs: input.validFromMs,
    validUntilMs: input.validUntilMs,
    active: true,
  }
}

/** The usable promo code, or why not: PROMO_INVALID (unknown, inactive, out of window), PROMO_EXHAUSTED. */
export function checkPromo(event: EventState, code: string, nowMs: number): PromoCodeState | Refusal {
  const promo = event.promoCodes.find((candidate) => candidate.code === code)
  if (promo === undefined || !promo.active) return refuse('PROMO_INVALID', `promo code ${code} is not valid`)
  if ((promo.validFromMs !== null && nowMs < promo.validFromMs) || nowMs > promo.validUntilMs)
    return refuse('PROMO_INVALID', `promo code ${code} is not valid now`)
  if (promo.used >= promo.usageLimit) return refuse('PROMO_EXHAUSTED', `promo code ${code} is used up`)
  return promo
}

/** The amount due for `grossMinor` with the promo applied, never below zero. */
export function applyPromo(grossMinor: number, promo: PromoCodeState | null): number {
  if (promo === null) return grossMinor
  const discount = promo.kind === 'PERCENTAGE' ? Math.floor((grossMinor * promo.value) / 100) : promo.value
  return Math.max(0, grossMinor - discount)
}

export function isRefusal(value: object): value is Refusal {
  return 'reasonCode' in value
}
