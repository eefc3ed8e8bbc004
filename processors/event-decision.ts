import type { EventCommand, ResourceType } from '../avro/index.ts'
import type { LedgerOutput } from './ledger-outputs.ts'
import type { EventState } from './ledger-state.ts'
import { refuse, type Refusal } from './reason-codes.ts'

/**
 * What an event command or timer asks of the event's bookings after the event itself changed; the
 * processor runs it over the bookings store (booking-cancel.ts `cancelForEvent` and schedule-notices.ts
 * decide each booking).
 */
export type BookingsFollowUp = 'CANCEL_ALL' | 'NOTIFY_RESCHEDULED' | 'NOTIFY_RESTORED' | 'REMIND'

/**
 * An accepted event command: the event after it, what to emit, what its bookings must undergo, and the
 * resource its outcome names.
 */
export interface EventAccepted {
  readonly ok: true
  readonly event: EventState
  readonly outputs: readonly LedgerOutput[]
  readonly followUp: BookingsFollowUp | null
  readonly resourceType: ResourceType
  readonly resourceId: string
  readonly message: string
}

/** What an event command decides; `refusal` when it is refused (the state is then untouched). */
export type EventDecision = EventAccepted | { readonly ok: false; readonly refusal: Refusal }

/**
 * Decides one command family on an existing event the actor may manage, at the version the command
 * expects: event-lifecycle.ts checks those before it calls one.
 */
export type EventCommandDecider = (event: EventState, command: EventCommand, nowMs: number) => EventDecision

/** The decision that refuses the command. */
export function refused(refusal: Refusal): EventDecision {
  return { ok: false, refusal }
}

/** An accepted command; the resource it names is the event unless said otherwise. */
export function accepted(
  event: EventState,
  outputs: readonly LedgerOutput[],
  message: string,
  followUp: BookingsFollowUp | null = null,
  resource: { resourceType: ResourceType; resourceId: string } = {
    resourceType: 'EVENT',
    resourceId: event.eventId,
  },
): EventAccepted {
  return { ok: true, event, outputs, followUp, message, ...resource }
}

/** The event with `changes`, one version on: every change the event's facts show bumps its version. */
export function nextVersion(event: EventState, changes: Partial<Omit<EventState, 'version'>>): EventState {
  return { ...event, ...changes, version: event.version + 1 }
}

const EDITABLE = new Set(['DRAFT', 'PUBLISHED', 'RESCHEDULED'])

/** Whether the event may still change (text, prices, promo codes, policy, crew): not canceled or over. */
export function isEditable(event: EventState): boolean {
  return EDITABLE.has(event.status)
}

/** INVALID_TRANSITION, for a change to an event that is no longer editable. */
export function notEditable(event: EventState): EventDecision {
  return refused(refuse('INVALID_TRANSITION', `event is ${event.status}`))
}
