import type { BookingCommand } from '../avro/index.ts'
import type { LedgerOutput } from './ledger-outputs.ts'
import type { BookingState, EventState } from './ledger-state.ts'
import { refuse, type Refusal } from './reason-codes.ts'

/**
 * What a booking command decides: the new event and booking state and what to emit, with the outcome's
 * message; `refusal` when the command is refused (the state is then untouched).
 */
export type BookingDecision =
  | {
      readonly ok: true
      readonly event: EventState
      readonly booking: BookingState
      readonly outputs: readonly LedgerOutput[]
      readonly message: string
    }
  | { readonly ok: false; readonly refusal: Refusal }

/**
 * What something other than a booking command does to one booking: a payment status, a hold expiry, an
 * event cancel. No outcome to answer; `booking` undefined when it is unchanged.
 */
export interface BookingEffect {
  readonly event: EventState
  readonly booking: BookingState | undefined
  readonly outputs: readonly LedgerOutput[]
}

/** The decision that refuses the command. */
export function refused(refusal: Refusal): BookingDecision {
  return { ok: false, refusal }
}

/** The effect that changes nothing. */
export function unchanged(event: EventState): BookingEffect {
  return { event, booking: undefined, outputs: [] }
}

/** FORBIDDEN, for an actor the booking's rule (processors/authorization.ts) leaves out. */
export function forbiddenOn(booking: BookingState, command: BookingCommand): Refusal {
  return refuse('FORBIDDEN', `${command.actor.userId} may not change booking ${booking.bookingId}`)
}
