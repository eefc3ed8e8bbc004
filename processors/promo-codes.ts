import type { CreatePromoCode, PromoCodeSnapshot } from '../avro/index.ts'
import { DAY_MS, MAX_ACTIVE_PROMO_CODES, type EventState, type PromoCodeState } from './ledger-state.ts'
import { refuse, type ReasonCode, type Refusal } from './reason-codes.ts'

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

/**
 * Why a promo code cannot be used at `nowMs`, finer than the reason code a booking is refused with:
 * `UNKNOWN` (no such code on the event), `INACTIVE` (deactivated), `NOT_YET_VALID` (before validFrom),
 * `EXPIRED` (after validUntil), `EXHAUSTED` (uses reached the limit).
 */
export type PromoUnusable = 'UNKNOWN' | 'INACTIVE' | 'NOT_YET_VALID' | 'EXPIRED' | 'EXHAUSTED'

/** The reason code a booking with an unusable promo code is refused with (processors/reason-codes.ts). */
export const PROMO_REFUSALS = {
  UNKNOWN: 'PROMO_INVALID',
  INACTIVE: 'PROMO_INVALID',
  NOT_YET_VALID: 'PROMO_INVALID',
  EXPIRED: 'PROMO_INVALID',
  EXHAUSTED: 'PROMO_EXHAUSTED',
} as const satisfies Record<PromoUnusable, ReasonCode>

/** What deciding a promo code's usability needs: the ledger's state, or a read model's view of it. */
export type PromoTerms = Pick<
  PromoCodeState,
  'active' | 'validFromMs' | 'validUntilMs' | 'used' | 'usageLimit'
>

/**
 * The one rule of promo usability, shared by the ledger (checkPromo) and the query API's validation:
 * checked in order unknown, inactive, window (both ends inclusive), uses. Undefined when usable.
 *
 * @example
 * promoUnusable({ active: true, validFromMs: null, validUntilMs: t + 1, used: 5, usageLimit: 5 }, t) // 'EXHAUSTED'
 */
export function promoUnusable(promo: PromoTerms | undefined, nowMs: number): PromoUnusable | undefined {
  if (promo === undefined) return 'UNKNOWN'
  if (!promo.active) return 'INACTIVE'
  if (promo.validFromMs !== null && nowMs < promo.validFromMs) return 'NOT_YET_VALID'
  if (nowMs > promo.validUntilMs) return 'EXPIRED'
  if (promo.used >= promo.usageLimit) return 'EXHAUSTED'
  return undefined
}

const REFUSAL_MESSAGES: Readonly<Record<PromoUnusable, string>> = {
  UNKNOWN: 'is not valid',
  INACTIVE: 'is not valid',
  NOT_YET_VALID: 'is not valid now',
  EXPIRED: 'is not valid now',
  EXHAUSTED: 'is used up',
}

/** The usable promo code, or why not: PROMO_INVALID (unknown, inactive, out of window), PROMO_EXHAUSTED. */
export function checkPromo(event: EventState, code: string, nowMs: number): PromoCodeState | Refusal {
  const promo = event.promoCodes.find((candidate) => candidate.code === code)
  const unusable = promoUnusable(promo, nowMs)
  if (promo === undefined || unusable !== undefined) {
    const why = unusable ?? 'UNKNOWN'
    return refuse(PROMO_REFUSALS[why], `promo code ${code} ${REFUSAL_MESSAGES[why]}`)
  }
  return promo
}

/** The amount due for `grossMinor` with the promo applied, never below zero. */
export function applyPromo(grossMinor: number, promo: Pick<PromoCodeState, 'kind' | 'value'> | null): number {
  if (promo === null) return grossMinor
  const discount = promo.kind === 'PERCENTAGE' ? Math.floor((grossMinor * promo.value) / 100) : promo.value
  return Math.max(0, grossMinor - discount)
}

/**
 * The event's promo codes as the event snapshot carries them (EventDomainEvent `promoCodes`), in creation
 * order, deactivated ones included, with the ledger's use count at the time of the fact: the state keeps
 * them in the snapshot's shape, so they go as they are.
 */
export function promoCodeSnapshots(event: EventState): readonly PromoCodeSnapshot[] {
  return event.promoCodes
}

export function isRefusal(value: object): value is Refusal {
  return 'reasonCode' in value
}
