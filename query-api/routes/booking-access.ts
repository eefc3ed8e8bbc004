/**
 * Who may see and act on a booking through the API, by the processors' own predicates
 * (processors/authorization.ts), so the API refuses early exactly what the ledger would refuse and the two
 * cannot drift. The ledger stays the judge: it checks again on its own state.
 */
import { canActOnBooking, canChangeBooking } from '../../processors/index.ts'
import type { BookingView } from '../../read-models/catalog/index.ts'
import { actorOf, type Principal } from '../auth.ts'
import type { ApiContext } from '../context.ts'
import { ApiError } from '../errors.ts'

/**
 * Whether the caller may see and cancel `booking` (`canActOnBooking`): its user, the event's organizer
 * (with the ORGANIZER role), an admin. Before the read model knows the event (`eventOrganizerId` null)
 * no organizer can be recognized: its user and admins only, which is what `canChangeBooking` allows.
 */
function mayActOn(booking: BookingView, principal: Principal): boolean {
  const actor = actorOf(principal)
  return booking.eventOrganizerId === null
    ? canChangeBooking(booking, actor)
    : canActOnBooking(booking, { organizerId: booking.eventOrganizerId }, actor)
}

/**
 * A booking the caller may see and cancel: its user, the event's organizer, admins. Anyone else gets 404
 * BOOKING_NOT_FOUND, as for a booking that does not exist (no leak of its existence).
 */
export async function visibleBooking(
  context: ApiContext,
  principal: Principal,
  id: string,
): Promise<BookingView> {
  const booking = await context.readModel.getBooking(id)
  if (booking === undefined || !mayActOn(booking, principal))
    throw new ApiError('BOOKING_NOT_FOUND', `no booking ${id}`)
  return booking
}

/**
 * A booking the caller may change itself (`canChangeBooking`: its seats, a re-confirmation, paying what is
 * left): its user or an admin. The organizer sees and may cancel it ({@link visibleBooking}) but gets 403
 * FORBIDDEN here: those are the participant's choices.
 */
export async function bookingToChange(
  context: ApiContext,
  principal: Principal,
  id: string,
): Promise<BookingView> {
  const booking = await visibleBooking(context, principal, id)
  if (!canChangeBooking(booking, actorOf(principal)))
    throw new ApiError('FORBIDDEN', 'only the booking user or an admin may change a booking', {
      details: { bookingId: id },
    })
  return booking
}
