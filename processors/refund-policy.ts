import type { RefundTier } from '../avro/index.ts'
import { HOUR_MS } from './ledger-state.ts'
import { refuse, type Refusal } from './reason-codes.ts'

/**
 * MISSION.md's default policy by time left before the start: 7 days or more 100%, 48 hours to 7 days
 * 80%, 24 to 48 hours 50%, under 24 hours nothing.
 */
export const DEFAULT_REFUND_POLICY: readonly RefundTier[] = [
  { minHoursBeforeStart: 168, percent: 100 },
  { minHoursBeforeStart: 48, percent: 80 },
  { minHoursBeforeStart: 24, percent: 50 },
  { minHoursBeforeStart: 0, percent: 0 },
]

/** The percent a user cancellation refunds at `nowMs`: the first tier (most hours first) reached. */
export function refundPercent(
  policy: readonly RefundTier[] | null,
  startsAtMs: number,
  nowMs: number,
): number {
  const hoursLeft = (startsAtMs - nowMs) / HOUR_MS
  const tiers = [...(policy ?? DEFAULT_REFUND_POLICY)].sort(
    (a, b) => b.minHoursBeforeStart - a.minHoursBeforeStart,
  )
  for (const tier of tiers) if (hoursLeft >= tier.minHoursBeforeStart) return tier.percent
  return 0
}

/**
 * The refund of `percent` of `baseMinor`, rounded down to a kopeck and capped so that the booking's
 * refunds never exceed what was paid.
 */
export function refundAmount(
  percent: number,
  baseMinor: number,
  paidMinor: number,
  refundedMinor: number,
): number {
  const wanted = Math.floor((baseMinor * percent) / 100)
  return Math.max(0, Math.min(wanted, paidMinor - refundedMinor))
}

/** Checks an event's own policy: 1-10 tiers, percents 0-100, hours >= 0, distinct hours. */
export function validateRefundPolicy(tiers: readonly RefundTier[]): Refusal | undefined {
  if (tiers.length === 0 || tiers.length > 10) return refuse('VALIDATION_FAILED', 'a policy has 1-10 tiers')
  const hours = new Set<number>()
  for (const tier of tiers) {
    if (!Number.isInteger(tier.percent) || tier.percent < 0 || tier.percent > 100)
      return refuse('VALIDATION_FAILED', 'tier percent must be 0-100')
    if (!Number.isInteger(tier.minHoursBeforeStart) || tier.minHoursBeforeStart < 0)
      return refuse('VALIDATION_FAILED', 'tier hours must be >= 0')
    if (hours.has(tier.minHoursBeforeStart)) return refuse('VALIDATION_FAILED', 'tier hours must be distinct')
    hours.add(tier.minHoursBeforeStart)
  }
  return undefined
}
