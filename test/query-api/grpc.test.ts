/**
 * The gRPC API through a real @grpc/grpc-js client against the in-process service: every method for each
 * role, the same refusals as HTTP as gRPC status codes with the reason code in google.rpc.ErrorInfo and
 * the trailers, validation by the HTTP schemas, idempotency keys shared with HTTP, health checking and
 * server reflection.
 */
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import {
  credentials,
  loadPackageDefinition,
  status,
  type Client,
  type ClientDuplexStream,
  type GrpcObject,
  type ServiceClientConstructor,
} from '@grpc/grpc-js'
import { loadSync } from '@grpc/proto-loader'
import t, { type Test } from 'tap'
import { SERVICE_NAMES } from '../../query-api/grpc/protos.ts'
import {
  ADMIN,
  ADMIN_NO_2FA,
  ORGANIZER,
  ORGANIZER2,
  publishedEvent,
  USER,
  USER2,
  WAIT,
  eventBody,
  type Signed,
} from './api-harness.ts'
import { healthOf, startGrpcHarness, type GrpcAnswer } from './grpc-harness.ts'

const { h, clients, grpc, close } = await startGrpcHarness()
t.teardown(close)

type Reply = { requestId: string; status: string; bookingId: string; booking?: Record<string, unknown> }
const BOOKING = 'BookingService'

/** One seat of the event's `std` option. */
const bookOne = (as: Signed, eventId: string) =>
  clients.call<Reply>(as, BOOKING, 'CreateBooking', { eventId, priceOptionId: 'std', seats: 1 })

/** The status code and reason code of a refused call. */
function refusal(t: Test, answer: GrpcAnswer, code: status, reason: string, what: string): void {
  t.equal(answer.error?.code, code, `${what}: ${status[code]}`)
  t.equal(answer.reason, reason, `${what}: reason ${reason}`)
  t.equal(answer.error?.metadata.get('x-reason-code')[0], reason, `${what}: x-reason-code trailer`)
  t.match(answer.info?.traceId, /.+/, `${what}: trace ID in ErrorInfo`)
}

t.test('BookingService: create, read, change, cancel, list, with the roles of the HTTP routes', async (t) => {
  const eventId = await publishedEvent(h, { capacity: 5 })
  const book = (as: Parameters<typeof clients.call>[0], request: object, key?: string) =>
    clients.call<Reply>(
      as,
      BOOKING,
      'CreateBooking',
      request,
      key === undefined ? {} : { idempotencyKey: key },
    )

  refusal(
    t,
    await book('guest', { eventId, priceOptionId: 'std', seats: 1 }),
    status.UNAUTHENTICATED,
    'UNAUTHENTICATED',
    'a guest books',
  )
  refusal(
    t,
    await book(ADMIN_NO_2FA, { eventId, priceOptionId: 'std', seats: 1 }),
    status.PERMISSION_DENIED,
    'SECOND_FACTOR_REQUIRED',
    'an admin without a second factor',
  )
  refusal(
    t,
    await book(USER, { eventId, priceOptionId: 'std', seats: 1, userId: USER2.sub }),
    status.PERMISSION_DENIED,
    'FORBIDDEN',
    'a user books for another',
  )

  const created = await book(USER, { eventId, priceOptionId: 'std', seats: 1 })
  t.equal(created.error, undefined, 'the user books')
  const reply = created.value!
  t.equal(reply.status, 'ACCEPTED')
  t.equal(reply.booking?.userId, USER.sub)
  t.equal(reply.booking?.status, 'PENDING_PAYMENT')
  t.equal(reply.booking?.id, reply.bookingId)
  t.equal(created.headers?.get('x-request-id')[0], reply.requestId, 'the request ID in the initial metadata')
  const id = reply.bookingId

  const forUser2 = await book(ADMIN, { eventId, priceOptionId: 'std', seats: 1, userId: USER2.sub })
  t.equal(forUser2.value?.booking?.userId, USER2.sub, 'an admin books for another user')
  const audited = (
    await h.readModel.listAudit({ action: 'GRPC CreateBooking', actor: ADMIN.sub, page: 0, size: 10 })
  ).items.find((r) => r.requestId === forUser2.value?.requestId)
  t.match(
    audited,
    {
      actorUserId: ADMIN.sub,
      actorRole: 'admin',
      secondFactor: true,
      status: 0,
      input: { request: { userId: USER2.sub } },
    },
    "an admin's command is in the durable audit log",
  )

  const get = (as: Parameters<typeof clients.call>[0]) => clients.call(as, BOOKING, 'GetBooking', { id })
  t.equal((await get(USER)).value?.id, id, 'its user reads it')
  t.equal((await get(ORGANIZER)).value?.id, id, "the event's organizer reads it")
  t.equal((await get(ADMIN)).value?.id, id, 'an admin reads it')
  refusal(t, await get(USER2), status.NOT_FOUND, 'BOOKING_NOT_FOUND', "another user's booking")
  refusal(
    t,
    await get(ORGANIZER2),
    status.NOT_FOUND,
    'BOOKING_NOT_FOUND',
    "another organizer's event's booking",
  )
  refusal(t, await get('guest'), status.UNAUTHENTICATED, 'UNAUTHENTICATED', 'a guest reads')
  refusal(
    t,
    await clients.call(USER, BOOKING, 'GetBooking', { id: 'bad id!' }),
    status.INVALID_ARGUMENT,
    'VALIDATION_FAILED',
    'a malformed ID',
  )

  const seats = (as: Parameters<typeof clients.call>[0], n: number) =>
    clients.call<Reply>(as, BOOKING, 'ChangeSeats', { id, seats: n })
  refusal(t, await seats(ORGANIZER, 2), status.PERMISSION_DENIED, 'FORBIDDEN', 'the organizer changes seats')
  refusal(t, await seats(USER2, 2), status.NOT_FOUND, 'BOOKING_NOT_FOUND', 'another user changes seats')
  refusal(t, await seats(USER, 0), status.INVALID_ARGUMENT, 'VALIDATION_FAILED', 'zero seats')
  const changed = await seats(USER, 2)
  t.equal(changed.value?.booking?.seats, 2, 'its user changes the seats')

  const list = await clients.call<{ items: { id: string }[]; total: number }>(
    USER,
    BOOKING,
    'ListMyBookings',
    {},
  )
  t.same(
    list.value?.items.map((b) => b.id),
    [id],
    'the user lists their own bookings',
  )
  t.equal(
    (await clients.call<{ items: unknown[] }>(USER2, BOOKING, 'ListMyBookings', { size: 5 })).value?.items
      .length,
    1,
  )
  refusal(
    t,
    await clients.call(USER, BOOKING, 'ListMyBookings', { status: 'NOPE' }),
    status.INVALID_ARGUMENT,
    'VALIDATION_FAILED',
    'an unknown status',
  )
  refusal(
    t,
    await clients.call('guest', BOOKING, 'ListMyBookings', {}),
    status.UNAUTHENTICATED,
    'UNAUTHENTICATED',
    'a guest lists',
  )

  const cancel = (as: Parameters<typeof clients.call>[0], request: object = {}) =>
    clients.call<Reply>(as, BOOKING, 'CancelBooking', { id, ...request })
  refusal(
    t,
    await cancel(USER, { forceMajeure: true }),
    status.PERMISSION_DENIED,
    'FORBIDDEN',
    'force majeure by a user',
  )
  refusal(t, await cancel(USER2), status.NOT_FOUND, 'BOOKING_NOT_FOUND', 'another user cancels')
  const canceled = await cancel(ORGANIZER, { reason: 'weather' })
  t.equal(canceled.value?.booking?.status, 'CANCELED', "the event's organizer cancels")
  const again = await cancel(USER)
  refusal(t, again, status.FAILED_PRECONDITION, 'INVALID_BOOKING_STATE', 'a canceled booking canceled again')
  t.match(again.info?.requestId, /^[\w-]+$/, 'a refused command names its request ID')
  t.equal(again.error?.metadata.get('x-request-id')[0], again.info?.requestId)
  t.equal(again.headers?.get('x-request-id')[0], again.info?.requestId, 'in the initial metadata too')
})

t.test('validation errors are INVALID_ARGUMENT with the schema errors in the details', async (t) => {
  const answer = await clients.call(USER, BOOKING, 'CreateBooking', {
    priceOptionId: 'std',
    seats: 99,
    promoCode: 'lower',
  })
  refusal(t, answer, status.INVALID_ARGUMENT, 'VALIDATION_FAILED', 'an invalid booking request')
  const details = JSON.parse(answer.info!.details!) as {
    in: string
    errors: { path: string; keyword: string }[]
  }
  t.equal(details.in, 'body')
  t.same(
    details.errors.map((e) => `${e.path} ${e.keyword}`).sort(),
    [' required', '/promoCode pattern', '/seats maximum'],
    'every error, as the HTTP API lists them',
  )
  t.same(
    JSON.parse(answer.error!.metadata.get('x-error-details')[0] as string),
    details,
    'x-error-details trailer',
  )
})

t.test('refusals decided by the pipeline keep their reason code', async (t) => {
  const eventId = await publishedEvent(h, { capacity: 1 })
  const first = await bookOne(USER, eventId)
  t.equal(first.value?.status, 'ACCEPTED')
  const full = await clients.call(USER2, BOOKING, 'CreateBooking', {
    eventId,
    priceOptionId: 'std',
    seats: 1,
  })
  refusal(t, full, status.RESOURCE_EXHAUSTED, 'NO_AVAILABLE_SEATS', 'a sold-out event')
  const unknown = await clients.call(USER2, BOOKING, 'CreateBooking', {
    eventId: 'no-such-event',
    priceOptionId: 'std',
    seats: 1,
  })
  t.equal(unknown.error?.code, status.NOT_FOUND, 'an unknown event: NOT_FOUND')
})

t.test('an idempotency key names one request and one booking, on gRPC and HTTP alike', async (t) => {
  const eventId = await publishedEvent(h, { capacity: 5 })
  const body = { eventId, priceOptionId: 'std', seats: 1 }
  const [a, b] = await Promise.all([
    clients.call<Reply>(USER, BOOKING, 'CreateBooking', body, { idempotencyKey: 'grpc-key-1' }),
    clients.call<Reply>(USER, BOOKING, 'CreateBooking', body, { idempotencyKey: 'grpc-key-1' }),
  ])
  t.equal(a.value?.status, 'ACCEPTED')
  t.equal(b.value?.status, 'ACCEPTED')
  t.equal(a.value?.requestId, b.value?.requestId, 'the same request')
  t.equal(a.value?.bookingId, b.value?.bookingId, 'the same booking')
  const later = await clients.call<Reply>(USER, BOOKING, 'CreateBooking', body, {
    idempotencyKey: 'grpc-key-1',
  })
  t.equal(later.value?.bookingId, a.value?.bookingId, 'a later repeat: the same booking')
  const http = await h.call(USER, {
    method: 'POST',
    url: '/api/v1/bookings',
    headers: { ...WAIT, 'idempotency-key': 'grpc-key-1' },
    payload: body,
  })
  t.equal(http.statusCode, 201)
  t.equal(http.json<{ id: string }>().id, a.value?.bookingId, 'the same key over HTTP: the same booking')
  t.equal(http.headers['x-request-id'], a.value?.requestId, 'and the same request')
  const list = await clients.call<{ items: unknown[] }>(USER, BOOKING, 'ListMyBookings', {
    status: 'PENDING_PAYMENT',
  })
  t.ok(list.value!.items.length >= 1)
  const reused = await clients.call(
    USER,
    BOOKING,
    'CreateBooking',
    { ...body, seats: 2 },
    { idempotencyKey: 'grpc-key-1' },
  )
  refusal(t, reused, status.ALREADY_EXISTS, 'IDEMPOTENCY_KEY_REUSED', 'the key with another request')
})

t.test('EventService: guests read the catalog; drafts only their organizer and admins', async (t) => {
  const eventId = await publishedEvent(h, { capacity: 4 })
  const draft = await h.call(ORGANIZER, {
    method: 'POST',
    url: '/api/v1/events',
    headers: WAIT,
    payload: eventBody({ title: 'Draft kayak trip' }),
  })
  const draftId = draft.json<{ id: string }>().id
  const guestView = await clients.call<Record<string, unknown>>('guest', 'EventService', 'GetEvent', {
    id: eventId,
  })
  t.equal(guestView.value?.id, eventId)
  t.equal(guestView.value?.place, undefined, 'guests get no meeting point')
  t.equal((guestView.value?.priceOptions as unknown[]).length, 1)
  const userView = await clients.call<Record<string, unknown>>(USER, 'EventService', 'GetEvent', {
    id: eventId,
  })
  t.match(userView.value?.place, /Katun/, 'users get the meeting point')
  refusal(
    t,
    await clients.call('guest', 'EventService', 'GetEvent', { id: draftId }),
    status.NOT_FOUND,
    'EVENT_NOT_FOUND',
    'a guest reads a draft',
  )
  refusal(
    t,
    await clients.call(ORGANIZER2, 'EventService', 'GetEvent', { id: draftId }),
    status.NOT_FOUND,
    'EVENT_NOT_FOUND',
    'another organizer reads a draft',
  )
  t.equal(
    (await clients.call<{ id: string }>(ORGANIZER, 'EventService', 'GetEvent', { id: draftId })).value?.id,
    draftId,
    'its organizer reads the draft',
  )
  t.equal(
    (await clients.call<{ id: string }>(ADMIN, 'EventService', 'GetEvent', { id: draftId })).value?.id,
    draftId,
    'an admin reads the draft',
  )

  const found = await clients.call<{ items: { id: string }[]; total: number; totalIsEstimate: boolean }>(
    'guest',
    'EventService',
    'SearchEvents',
    { size: 100, sort: 'startsAt,asc' },
  )
  t.ok(
    found.value?.items.some((e) => e.id === eventId),
    'the search finds the published event',
  )
  t.notOk(
    found.value?.items.some((e) => e.id === draftId),
    'not the draft',
  )
  const drafts = await clients.call<{ items: { id: string }[] }>(ORGANIZER, 'EventService', 'SearchEvents', {
    status: 'DRAFT',
  })
  t.ok(
    drafts.value?.items.some((e) => e.id === draftId),
    'its organizer finds the draft',
  )
  refusal(
    t,
    await clients.call('guest', 'EventService', 'SearchEvents', { sort: 'nope' }),
    status.INVALID_ARGUMENT,
    'VALIDATION_FAILED',
    'an unknown sort',
  )
  refusal(
    t,
    await clients.call('guest', 'EventService', 'SearchEvents', { status: 'SOLD' }),
    status.INVALID_ARGUMENT,
    'VALIDATION_FAILED',
    'an unknown status',
  )

  await clients.call(USER, BOOKING, 'CreateBooking', { eventId, priceOptionId: 'std', seats: 3 })
  const availability = await clients.call<{
    eventId: string
    seatsAvailable: number
    status: string
    position: number
    options: { id: string; available: number }[]
  }>('guest', 'EventService', 'GetAvailability', { eventId })
  t.equal(availability.value?.seatsAvailable, 1, 'the seats left')
  t.same(
    availability.value?.options.map((o) => [o.id, o.available]),
    [['std', 1]],
  )
  t.equal(availability.value?.status, 'PUBLISHED')
  t.ok(availability.value!.position > 0)
  refusal(
    t,
    await clients.call('guest', 'EventService', 'GetAvailability', { eventId: draftId }),
    status.NOT_FOUND,
    'EVENT_NOT_FOUND',
    'a guest asks for a draft',
  )
})

t.test('RequestService: the sender and admins read an outcome', async (t) => {
  const eventId = await publishedEvent(h, { capacity: 2 })
  const created = await bookOne(USER, eventId)
  const requestId = created.value!.requestId
  const outcome = await clients.call<Record<string, unknown>>(USER, 'RequestService', 'GetOutcome', {
    requestId,
  })
  t.equal(outcome.value?.status, 'ACCEPTED')
  t.equal(outcome.value?.resourceId, created.value?.bookingId)
  t.equal(outcome.value?.commandType, 'booking.REQUEST')
  t.equal(
    (await clients.call<{ status: string }>(ADMIN, 'RequestService', 'GetOutcome', { requestId })).value
      ?.status,
    'ACCEPTED',
    'an admin reads it',
  )
  refusal(
    t,
    await clients.call(USER2, 'RequestService', 'GetOutcome', { requestId }),
    status.NOT_FOUND,
    'REQUEST_NOT_FOUND',
    'another user',
  )
  refusal(
    t,
    await clients.call('guest', 'RequestService', 'GetOutcome', { requestId }),
    status.UNAUTHENTICATED,
    'UNAUTHENTICATED',
    'a guest',
  )
  refusal(
    t,
    await clients.call(USER, 'RequestService', 'GetOutcome', { requestId: 'a\u0000b' }),
    status.INVALID_ARGUMENT,
    'VALIDATION_FAILED',
    'a control character',
  )
  refusal(
    t,
    await clients.call(USER, 'RequestService', 'GetOutcome', {}),
    status.INVALID_ARGUMENT,
    'VALIDATION_FAILED',
    'no request ID',
  )
})

t.test('standard health checking answers SERVING for the server and every service', async (t) => {
  for (const service of ['', ...SERVICE_NAMES])
    t.equal(await healthOf(grpc.address, service), 'SERVING', `${service || 'the server'} is SERVING`)
})

t.test('server reflection lists the services (what grpcurl asks)', async (t) => {
  const reflectionProto = join(
    dirname(createRequire(import.meta.url).resolve('@grpc/reflection')),
    '../proto/grpc/reflection/v1/reflection.proto',
  )
  const definition = loadPackageDefinition(loadSync(reflectionProto)) as unknown as {
    grpc: { reflection: { v1: GrpcObject } }
  }
  const Reflection = definition.grpc.reflection.v1.ServerReflection as ServiceClientConstructor
  const client = new Reflection(grpc.address, credentials.createInsecure()) as unknown as Client & {
    serverReflectionInfo(): ClientDuplexStream<
      object,
      {
        listServicesResponse?: { service: { name: string }[] }
        fileDescriptorResponse?: { fileDescriptorProto: Buffer[] }
      }
    >
  }
  t.teardown(() => client.close())
  const ask = (request: object) =>
    new Promise<{
      listServicesResponse?: { service: { name: string }[] }
      fileDescriptorResponse?: { fileDescriptorProto: Buffer[] }
    }>((resolve, reject) => {
      const stream = client.serverReflectionInfo()
      stream.once('data', (answer) => {
        resolve(answer)
        stream.end()
      })
      stream.once('error', reject)
      stream.write(request)
    })
  const listed = await ask({ listServices: '*' })
  const names = listed.listServicesResponse!.service.map((s) => s.name)
  for (const name of [...SERVICE_NAMES, 'grpc.health.v1.Health'])
    t.ok(names.includes(name), `${name} is listed`)
  const described = await ask({ fileContainingSymbol: 'aquastream.v1.BookingService' })
  t.ok(described.fileDescriptorResponse!.fileDescriptorProto.length > 0, 'its descriptors are served')
})
