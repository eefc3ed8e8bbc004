/**
 * Who may see and act on a booking through the API. The ledger stays the judge: it checks again on its
 * own state.
 */
import type { BookingView } from '../../read-models/catalog/index.ts'
import type { Principal } from '../auth.ts'
import type { ApiContext } from '../context.ts'
import { ApiError } from '../errors.ts'

/** A booking the caller may see: its user, the event's organizer, admins; else 404 (no leak). */
export async function visibleBooking(
  context: ApiContext,
  principal: Principal,
  id: string,
): Promise<BookingView> {
  const booking = await context.readModel.getBooking(id)
  const mine =
    booking !== undefined &&
    (principal.role === 'admin' ||
      booking.userId === principal.userId ||
      booking.eventOrganizerId === principal.userId)
  if (booking === undefined || !mine) throw new ApiError('BOOKING_NOT_FOUND', `no booking ${id}`)
  return booking
}

/** The booking its user (or an admin) acts on; the organizer sees it but gets 403 FORBIDDEN. */
export async function bookingToChange(
  context: ApiContext,
  principal: Principal,
  id: string,
): Promise<BookingView> {
  const booking = await visibleBooking(context, principal, id)
  if (principal.role !== 'admin' && booking.userId !== principal.userId)
    throw new ApiError('FORBIDDEN', 'only the booking user or an admin may change a booking', {
      details: { bookingId: id },
    })
  return booking
}
