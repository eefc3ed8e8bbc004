import type { CreatePromoCode, PromoCodeSnapshot } from '../avro/index.ts'
import {
  DAY_MS,
  MAX_ACTIVE_PROMO_CODES,
  type BookingState,
  type EventState,
  type PromoCodeState,
} from './ledger-state.ts'
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
  const perUser = input.maxUsesPerUser ?? null
  if (perUser !== null && !(Number.isInteger(perUser) && perUser >= 1 && perUser <= input.usageLimit))
    return refuse('VALIDATION_FAILED', 'maxUsesPerUser must be 1 to usageLimit')
  return {
    code: input.code,
    kind: input.kind,
    value: input.value,
    usageLimit: input.usageLimit,
    used: 0,
    validFromMs: input.validFromMs,
    validUntilMs: input.validUntilMs,
    active: true,
    maxUsesPerUser: perUser,
    cancelReturnsUse: input.cancelReturnsUse ?? false,
  }
}

/**
 * The per-user terms of a promo code: stored states and snapshots written before EventDomainEvent v3 have
 * neither field, and read as no per-user limit and a canceled confirmed booking keeping its use.
 */
export function perUserTerms(promo: Partial<Pick<PromoCodeState, 'maxUsesPerUser' | 'cancelReturnsUse'>>): {
  maxUsesPerUser: number | null
  cancelReturnsUse: boolean
} {
  return { maxUsesPerUser: promo.maxUsesPerUser ?? null, cancelReturnsUse: promo.cancelReturnsUse ?? false }
}

/**
 * Whether a booking holds (or has used) a use of its promo code: while it holds seats (PENDING_PAYMENT,
 * CONFIRMED); once ended, when a ticket was issued with the code, unless it was CANCELED and the code gives
 * canceled uses back. An unpaid hold that ended (expired, payment failed, canceled) holds none. The same
 * rule counts the code's total (`used`, kept by `usePromo` calls) and each user's uses.
 */
export function holdsPromoUse(
  booking: Pick<BookingState, 'status' | 'ticketCode'>,
  promo: Partial<Pick<PromoCodeState, 'cancelReturnsUse'>>,
): boolean {
  if (booking.status === 'PENDING_PAYMENT' || booking.status === 'CONFIRMED') return true
  if (booking.ticketCode === null) return false
  return !(booking.status === 'CANCELED' && perUserTerms(promo).cancelReturnsUse)
}

/** How many of `bookings` (one user's bookings on the event) hold a use of `promo`. */
export function userPromoUses(
  bookings: readonly BookingState[],
  promo: Pick<PromoCodeState, 'code'> & Partial<Pick<PromoCodeState, 'cancelReturnsUse'>>,
): number {
  let uses = 0
  for (const booking of bookings)
    if (booking.promoCode === promo.code && holdsPromoUse(booking, promo)) uses++
  return uses
}

/**
 * Why a promo code cannot be used at `nowMs`, finer than the reason code a booking is refused with:
 * `UNKNOWN` (no such code on the event), `INACTIVE` (deactivated), `NOT_YET_VALID` (before validFrom),
 * `EXPIRED` (after validUntil), `EXHAUSTED` (uses reached the limit), `USER_LIMIT` (the user's uses reached
 * the code's maxUsesPerUser).
 */
export type PromoUnusable = 'UNKNOWN' | 'INACTIVE' | 'NOT_YET_VALID' | 'EXPIRED' | 'EXHAUSTED' | 'USER_LIMIT'

/** The reason code a booking with an unusable promo code is refused with (processors/reason-codes.ts). */
export const PROMO_REFUSALS = {
  UNKNOWN: 'PROMO_INVALID',
  INACTIVE: 'PROMO_INVALID',
  NOT_YET_VALID: 'PROMO_INVALID',
  EXPIRED: 'PROMO_INVALID',
  EXHAUSTED: 'PROMO_EXHAUSTED',
  USER_LIMIT: 'PROMO_USER_LIMIT',
} as const satisfies Record<PromoUnusable, ReasonCode>

/**
 * What deciding a promo code's usability needs: the ledger's state, or a read model's view of it, with
 * the booking user's uses of it (`userUses`; left out: the per-user limit is not checked).
 */
export type PromoTerms = Pick<
  PromoCodeState,
  'active' | 'validFromMs' | 'validUntilMs' | 'used' | 'usageLimit'
> &
  Partial<Pick<PromoCodeState, 'maxUsesPerUser'>> & { readonly userUses?: number }

/**
 * The one rule of promo usability, shared by the ledger (checkPromo) and the query API's validation:
 * checked in order unknown, inactive, window (both ends inclusive), uses, the user's uses. Undefined when
 * usable.
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
  const perUser = promo.maxUsesPerUser ?? null
  if (perUser !== null && promo.userUses !== undefined && promo.userUses >= perUser) return 'USER_LIMIT'
  return undefined
}

const REFUSAL_MESSAGES: Readonly<Record<PromoUnusable, string>> = {
  UNKNOWN: 'is not valid',
  INACTIVE: 'is not valid',
  NOT_YET_VALID: 'is not valid now',
  EXPIRED: 'is not valid now',
  EXHAUSTED: 'is used up',
  USER_LIMIT: 'was used as often as one user may',
}

/**
 * The usable promo code, or why not: PROMO_INVALID (unknown, inactive, out of window), PROMO_EXHAUSTED,
 * PROMO_USER_LIMIT (`userBookings`, the booking user's bookings on the event, hold maxUsesPerUser uses).
 */
export function checkPromo(
  event: EventState,
  code: string,
  userBookings: readonly BookingState[],
  nowMs: number,
): PromoCodeState | Refusal {
  const promo = event.promoCodes.find((candidate) => candidate.code === code)
  const unusable = promoUnusable(
    promo === undefined ? undefined : { ...promo, userUses: userPromoUses(userBookings, promo) },
    nowMs,
  )
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
 * them in the snapshot's shape, with the per-user terms filled in for codes stored before v3.
 */
export function promoCodeSnapshots(event: EventState): readonly PromoCodeSnapshot[] {
  return event.promoCodes.map((promo) => ({ ...promo, ...perUserTerms(promo) }))
}

export function isRefusal(value: object): value is Refusal {
  return 'reasonCode' in value
}
