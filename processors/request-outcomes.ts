import type { RequestOutcome, ResourceType } from '../avro/index.ts'
import { DAY_MS } from './ledger-state.ts'
import type { Refusal } from './reason-codes.ts'

/**
 * How long the outcome of a request ID, and the first request of an Idempotency-Key, are kept to answer
 * repeats: at least 24 hours (pruned by a punctuator every OUTCOME_PRUNE_INTERVAL_MS, so they live 24 h
 * to 24 h + that interval). A request ID or key repeated later than that is decided afresh.
 */
export const OUTCOME_RETENTION_MS = DAY_MS
export const OUTCOME_PRUNE_INTERVAL_MS = 10 * 60 * 1000

export interface CommandIdentity {
  readonly requestId: string
  readonly eventId: string
  /** `event.PUBLISH`, `booking.REQUEST`, … */
  readonly commandType: string
  /** Who sent it. */
  readonly actorUserId: string
  /** The client's Idempotency-Key, scoped to the actor; null when none was sent. */
  readonly idempotencyKey: string | null
}

/** The identity of an event or booking command (`area` names its family in `commandType`). */
export function identityOf(
  area: 'event' | 'booking',
  command: {
    readonly requestId: string
    readonly eventId: string
    readonly type: string
    readonly actor: { readonly userId: string }
    readonly idempotencyKey: string | null
  },
): CommandIdentity {
  return {
    requestId: command.requestId,
    eventId: command.eventId,
    commandType: `${area}.${command.type}`,
    actorUserId: command.actor.userId,
    idempotencyKey: command.idempotencyKey,
  }
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
    originalRequestId: null,
    accepted: true,
    resourceType,
    resourceId,
    reasonCode: null,
    message,
    decidedAtMs: nowMs,
    checkIn: null,
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
    originalRequestId: null,
    accepted: false,
    resourceType,
    resourceId,
    reasonCode: refusal.reasonCode,
    message: refusal.message,
    decidedAtMs: nowMs,
    checkIn: null,
  }
}

/**
 * The outcome of a request that repeats an earlier request's (actor, Idempotency-Key) under another request
 * ID: the earlier decision, under this request ID, naming the request that was decided.
 */
export function repeatedOutcome(original: RequestOutcome, repeat: CommandIdentity): RequestOutcome {
  return {
    ...original,
    requestId: repeat.requestId,
    originalRequestId: original.originalRequestId ?? original.requestId,
  }
}

/** Whether a kept outcome (or Idempotency-Key) decided at `decidedAtMs` may be dropped at `nowMs`. */
export function outcomeExpired(outcome: { readonly decidedAtMs: number }, nowMs: number): boolean {
  return nowMs - outcome.decidedAtMs > OUTCOME_RETENTION_MS
}
