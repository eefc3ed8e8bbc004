/**
 * aquastream.v1.BookingService: the booking routes' rules (routes/booking-command-flow.ts,
 * routes/booking-access.ts) and schemas (schemas.ts), over gRPC. Each command names the HTTP route it
 * mirrors, so an idempotency key derives the same request and booking on either transport.
 */
import type { UntypedServiceImplementation } from '@grpc/grpc-js'
import type { BookingView } from '../../read-models/catalog/index.ts'
import type { CommandAnswer } from '../command-flow.ts'
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
import { runCommand, unary, type GrpcParts } from './calls.ts'

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
  const booking = 'userId' in answer.body ? answer.body : undefined
  return { requestId: answer.requestId, status: 'ACCEPTED', bookingId: answer.resourceId, booking }
}

export function bookingService(parts: GrpcParts): UntypedServiceImplementation {
  const { context } = parts
  return {
    CreateBooking: unary(parts, 'CreateBooking', SIGNED_IN, async (request: object, caller) => {
      const body = createBody(fields(request, ['eventId', 'priceOptionId', 'seats', 'promoCode', 'userId']))
      const plan = bookingRequestPlan(context, caller.principal, caller.traceId, body)
      const route = { method: 'POST', route: '/api/v1/bookings', params: {}, body }
      return bookingReply(await runCommand(parts, caller, route, plan))
    }),
    GetBooking: unary(parts, 'GetBooking', SIGNED_IN, async (request: object, caller) => {
      const { id } = idParams(fields(request, ['id']))
      return visibleBooking(context, caller.principal, id)
    }),
    CancelBooking: unary(parts, 'CancelBooking', SIGNED_IN, async (request: object, caller) => {
      const params = idParams(fields(request, ['id']))
      const body = cancelBody(fields(request, ['reason', 'forceMajeure']))
      const { plan } = await cancelBookingPlan(context, caller.principal, caller.traceId, params.id, body)
      const route = { method: 'POST', route: '/api/v1/bookings/:id/cancel', params, body }
      return bookingReply(await runCommand(parts, caller, route, plan))
    }),
    ChangeSeats: unary(parts, 'ChangeSeats', SIGNED_IN, async (request: object, caller) => {
      const params = idParams(fields(request, ['id']))
      const body = seatsBody(fields(request, ['seats']))
      const { plan } = await changeSeatsPlan(context, caller.principal, caller.traceId, params.id, body.seats)
      const route = { method: 'PATCH', route: '/api/v1/bookings/:id', params, body }
      return bookingReply(await runCommand(parts, caller, route, plan))
    }),
    ListMyBookings: unary(parts, 'ListMyBookings', SIGNED_IN, async (request: object, caller) => {
      const query = listQuery(fields(request, ['page', 'size', 'status']))
      return context.readModel.listUserBookings(caller.principal.userId!, bookingListRequest(query))
    }),
  }
}
