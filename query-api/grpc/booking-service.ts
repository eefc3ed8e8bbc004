/**
 * aquastream.v1.BookingService: the booking routes' rules (routes/booking-command-flow.ts,
 * routes/booking-access.ts) and schemas (schemas.ts), over gRPC. Each command names the HTTP route it
 * mirrors, so an idempotency key derives the same request and booking on either transport.
 */
import type { UntypedServiceImplementation } from '@grpc/grpc-js'
import type { BookingView } from '../../read-models/catalog/index.ts'
import type { CommandAnswer, CommandPlan } from '../command-flow.ts'
import { visibleBooking } from '../routes/booking-access.ts'
import { bookingRequestPlan, cancelBookingPlan, changeSeatsPlan } from '../routes/booking-command-flow.ts'
import { SIGNED_IN } from '../routes/route-support.ts'
import {
  BookingListQuery,
  bookingListRequest,
  CancelBookingBody,
  ChangeSeatsBody,
  CreateBookingBody,
  IdParams,
} from '../schemas.ts'
import { createAjv, validatorOf } from '../validation.ts'
import { runCommand, unary, type Caller, type GrpcParts } from './calls.ts'

const bodies = createAjv(false)
const texts = createAjv(true)
const createBody = validatorOf(bodies, CreateBookingBody, 'body')
const cancelBody = validatorOf(bodies, CancelBookingBody, 'body')
const seatsBody = validatorOf(bodies, ChangeSeatsBody, 'body')
const idParams = validatorOf(texts, IdParams, 'params')
const listQuery = validatorOf(texts, BookingListQuery, 'querystring')

/** The fields of a message that are set (`undefined` ones dropped: the schemas are strict). */
function fields(message: object, keys: readonly string[]): Record<string, unknown> {
  const record = message as Record<string, unknown>
  return Object.fromEntries(keys.filter((k) => record[k] !== undefined).map((k) => [k, record[k]]))
}

/** BookingReply of a command's answer: the booking when the read model shows the decision. */
function bookingReply(answer: CommandAnswer<BookingView>) {
  if (answer.kind === 'pending')
    return { requestId: answer.requestId, status: 'PENDING', bookingId: answer.resourceId }
  return {
    requestId: answer.requestId,
    status: 'ACCEPTED',
    bookingId: answer.resourceId,
    booking: answer.resource,
  }
}

/** A command on an existing booking: the booking before it goes to the audit line, then the answer. */
async function commandOnBooking(
  parts: GrpcParts,
  caller: Caller,
  route: Parameters<typeof runCommand>[2],
  planned: { booking: BookingView; plan: CommandPlan<BookingView> },
) {
  caller.audit.before = planned.booking
  return bookingReply(await runCommand(parts, caller, route, planned.plan))
}

export function bookingService(parts: GrpcParts): UntypedServiceImplementation {
  const { context } = parts
  /** A booking command: signed-in callers; an admin's call is audited. */
  const command = (name: string, handler: (request: object, caller: Caller) => Promise<unknown>) =>
    unary(parts, name, SIGNED_IN, handler, 'command')
  return {
    CreateBooking: command('CreateBooking', async (request, caller) => {
      const body = createBody(fields(request, ['eventId', 'priceOptionId', 'seats', 'promoCode', 'userId']))
      const plan = bookingRequestPlan(context, caller.principal, caller.traceId, body)
      const route = { method: 'POST', route: '/api/v1/bookings', params: {}, body }
      return bookingReply(await runCommand(parts, caller, route, plan))
    }),
    GetBooking: unary(parts, 'GetBooking', SIGNED_IN, async (request: object, caller) => {
      const { id } = idParams(fields(request, ['id']))
      return visibleBooking(context, caller.principal, id)
    }),
    CancelBooking: command('CancelBooking', async (request, caller) => {
      const params = idParams(fields(request, ['id']))
      const body = cancelBody(fields(request, ['reason', 'forceMajeure']))
      const route = { method: 'POST', route: '/api/v1/bookings/:id/cancel', params, body }
      const planned = cancelBookingPlan(context, caller.principal, caller.traceId, params.id, body)
      return commandOnBooking(parts, caller, route, await planned)
    }),
    ChangeSeats: command('ChangeSeats', async (request, caller) => {
      const params = idParams(fields(request, ['id']))
      const body = seatsBody(fields(request, ['seats']))
      const route = { method: 'PATCH', route: '/api/v1/bookings/:id', params, body }
      const planned = changeSeatsPlan(context, caller.principal, caller.traceId, params.id, body.seats)
      return commandOnBooking(parts, caller, route, await planned)
    }),
    ListMyBookings: unary(parts, 'ListMyBookings', SIGNED_IN, async (request: object, caller) => {
      const query = listQuery(fields(request, ['page', 'size', 'status']))
      return context.readModel.listUserBookings(caller.principal.userId!, bookingListRequest(query))
    }),
  }
}
