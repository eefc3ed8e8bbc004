import { cancelForEvent } from './booking-cancel.ts'
import type { BookingsFollowUp } from './event-decision.ts'
import type { Cause, LedgerOutput } from './ledger-outputs.ts'
import { isActive, type BookingState, type EventState, type WaitingListState } from './ledger-state.ts'
import { scheduleNotice } from './schedule-notices.ts'
import { closeWaitingList } from './waiting-list.ts'

/** What an event change's follow-up does to the event's bookings and waiting list. */
export interface FollowUpEffect {
  /** The event after it (CANCEL_ALL gives the canceled bookings' seats back). */
  readonly event: EventState
  /** The bookings it changed. */
  readonly bookings: readonly BookingState[]
  /** Whether the waiting list is closed (and to be dropped). */
  readonly listClosed: boolean
  readonly outputs: readonly LedgerOutput[]
}

/**
 * An event change's follow-up over its bookings: CANCEL_ALL cancels every active booking (booking-cancel.ts
 * `cancelForEvent`) and closes the waiting list; a schedule change notifies each booking's user
 * (schedule-notices.ts).
 */
export function followUpEffect(
  event: EventState,
  bookings: readonly BookingState[],
  list: WaitingListState | undefined,
  followUp: BookingsFollowUp,
  cause: Cause,
  nowMs: number,
): FollowUpEffect {
  if (followUp !== 'CANCEL_ALL')
    return {
      event,
      bookings: [],
      listClosed: false,
      outputs: bookings.flatMap((booking) => scheduleNotice(event, booking, followUp, nowMs)),
    }
  let current = event
  const changed: BookingState[] = []
  const outputs: LedgerOutput[] = []
  for (const booking of bookings) {
    if (!isActive(booking)) continue
    const effect = cancelForEvent(current, booking, cause, nowMs)
    if (effect.booking !== undefined) changed.push(effect.booking)
    current = effect.event
    outputs.push(...effect.outputs)
  }
  if (list !== undefined) outputs.push(...closeWaitingList(current, list, cause, nowMs))
  return { event: current, bookings: changed, listClosed: list !== undefined, outputs }
}
