/**
 * A flash sale with half the clients on gRPC and half on HTTP at once, on the in-process service: 200
 * users book a 20-seat event with idempotency keys (every third sends its request twice at once, each
 * books again under a second key). Then the HTTP sale's invariants (test/support/flash-sale-clients.ts):
 * every answer names its request, each key one request and one booking, every request ID resolves,
 * decided, for its sender, no booking exists that no client was told of, the seats held are the event's
 * figure within the capacity, one active booking per user.
 */
import t from 'tap'
import { httpStatusOf } from '../../query-api/errors.ts'
import {
  checkPromises,
  NoAnswer,
  runSale,
  type BookingSender,
  type SaleRecord,
} from '../support/flash-sale-clients.ts'
import { ORGANIZER, publishedEvent } from './api-harness.ts'
import { startGrpcHarness, type GrpcClients } from './grpc-harness.ts'

const USERS = 200
const CAPACITY = 20

/** CreateBooking over gRPC, its answer told as the HTTP API's. */
const grpcSender =
  (clients: GrpcClients): BookingSender =>
  async (token, key, body) => {
    const answer = await clients.call<{ requestId: string; status: string; bookingId: string }>(
      'guest',
      'BookingService',
      'CreateBooking',
      body,
      { idempotencyKey: key, deadlineMs: 20_000, metadata: { authorization: `Bearer ${token}` } },
    )
    if (answer.value !== undefined)
      return {
        status: answer.value.status === 'ACCEPTED' ? 201 : 202,
        requestId: answer.value.requestId,
        resourceId: answer.value.bookingId,
        code: undefined,
      }
    if (answer.reason === undefined) throw new NoAnswer(`no answer: ${answer.error?.message}`)
    const details = JSON.parse(answer.info?.details ?? '{}') as { requestId?: string; resourceId?: string }
    return {
      status: httpStatusOf(answer.reason),
      requestId: details.requestId,
      resourceId: details.resourceId,
      code: answer.reason,
    }
  }

t.test('half the clients on gRPC, half on HTTP: no oversell, every answer kept', async (t) => {
  const { h, clients, close } = await startGrpcHarness()
  t.teardown(close)
  const url = await h.app.listen({ host: '127.0.0.1', port: 0 })
  const eventId = await publishedEvent(h, { capacity: CAPACITY })

  const record: SaleRecord = { answers: [], lost: 0 }
  const send = grpcSender(clients)
  await runSale(record, {
    eventId,
    users: USERS,
    urlFor: () => url,
    senderFor: (client) => (client % 2 === 0 ? send : undefined),
    run: 'grpc-half',
  })
  const onGrpc = (user: string) => Number(user.split('-').at(-1)) % 2 === 0
  const grpcUsers = new Set(record.answers.filter((a) => onGrpc(a.user)).map((a) => a.user))
  t.equal(grpcUsers.size, USERS / 2, 'half the users booked over gRPC')
  t.equal(record.lost, 0, 'every request got an answer')
  const accepted = record.answers.filter((a) => a.status === 201)
  t.ok(
    accepted.some((a) => onGrpc(a.user)) && accepted.some((a) => !onGrpc(a.user)),
    'both transports got seats',
  )
  t.ok(
    record.answers.some((a) => a.code === 'NO_AVAILABLE_SEATS'),
    'the sale sold out: late clients were refused',
  )
  await checkPromises(t, record, {
    url,
    eventId,
    capacity: CAPACITY,
    organizer: { sub: ORGANIZER.sub, role: 'organizer' },
  })
})
