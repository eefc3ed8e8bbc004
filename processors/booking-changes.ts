import type { BookingCommand } from '../avro/index.ts'
import { cancelBooking } from './booking-cancel.ts'
import { changeSeats } from './booking-change-seats.ts'
import type { BookingDecision } from './booking-decision.ts'
import { reconfirmBooking } from './booking-reconfirm.ts'
import { reissueTicket } from './booking-tickets.ts'
import type { BookingState, EventState, WaitingListState } from './ledger-state.ts'
import type { TicketSigner } from './ticket-code.ts'

/** The commands on an existing booking, each decided by its own file. */
export type BookingChangeType = 'CANCEL' | 'CHANGE_SEATS' | 'RECONFIRM' | 'REISSUE_TICKET'

/** The booking a command on an existing booking names; '' when its payload is missing. */
export function changedBookingId(command: BookingCommand & { type: BookingChangeType }): string {
  const payload =
    command.type === 'CANCEL'
      ? command.cancel
      : command.type === 'RECONFIRM'
        ? command.reconfirm
        : command.type === 'REISSUE_TICKET'
          ? command.reissueTicket
          : command.changeSeats
  return payload?.bookingId ?? ''
}

/**
 * Decides a command on an existing booking: CANCEL (booking-cancel.ts), CHANGE_SEATS
 * (booking-change-seats.ts), RECONFIRM (booking-reconfirm.ts), REISSUE_TICKET (booking-tickets.ts).
 */
export function decideBookingChange(
  event: EventState,
  booking: BookingState | undefined,
  waitingList: WaitingListState | undefined,
  command: BookingCommand & { type: BookingChangeType },
  nowMs: number,
  tickets: TicketSigner,
): BookingDecision {
  switch (command.type) {
    case 'CANCEL':
      return cancelBooking(event, booking, command, nowMs)
    case 'RECONFIRM':
      return reconfirmBooking(event, booking, command, nowMs)
    case 'REISSUE_TICKET':
      return reissueTicket(event, booking, command, nowMs, tickets)
    case 'CHANGE_SEATS':
      return changeSeats(event, booking, waitingList, command, nowMs, tickets)
  }
}
