import type { RequestOutcome, ResourceType } from '../avro/index.ts'
import { DAY_MS } from './ledger-state.ts'
import type { Refusal } from './reason-codes.ts'

/**
 * How long the outcome of a request ID is kept to answer repeats: at least 24 hours (pruned by a
 * punctuator every OUTCOME_PRUNE_INTERVAL_MS, so an outcome lives 24 h to 24 h + that interval). A request
 * ID repeated later than that is decided afresh.
 */
export const OUTCOME_RETENTION_MS = DAY_MS
export const OUTCOME_PRUNE_INTERVAL_MS = 10 * 60 * 1000

export interface CommandIdentity {
  readonly requestId: string
  readonly eventId: string
  /** `event.PUBLISH`, `booking.REQUEST`, … */
  readonly commandType: string
}

export function acceptedOutcome(
  command: CommandIdentity,
  resourceType: ResourceType,
  resourceId: string,
  message: string,
  nowMs: number,
): RequestOutcome {
  return {
    ...command,
    accepted: true,
    resourceType,
    resourceId,
    reasonCode: null,
    message,
    decidedAtMs: nowMs,
  }
}

export function refusedOutcome(
  command: CommandIdentity,
  resourceType: ResourceType,
  resourceId: string,
  refusal: Refusal,
  nowMs: number,
): RequestOutcome {
  return {
    ...command,
    accepted: false,
    resourceType,
    resourceId,
    reasonCode: refusal.reasonCode,
    message: refusal.message,
    decidedAtMs: nowMs,
  }
}

/** Whether a kept outcome may be dropped at `nowMs`. */
export function outcomeExpired(outcome: RequestOutcome, nowMs: number): boolean {
  return nowMs - outcome.decidedAtMs > OUTCOME_RETENTION_MS
}
