/**
 * A gRPC command waits for the decision up to its deadline: with the pipeline stopped, a call whose
 * deadline passes gets DEADLINE_EXCEEDED, with its request ID in the initial metadata (sent as soon as
 * the command is produced); a call without a deadline, or with one beyond the longest wait, gets the
 * PENDING answer. Once the pipeline runs, RequestService answers the outcome under the same request ID,
 * and the booking is the one the answer named.
 */
import { status } from '@grpc/grpc-js'
import pino from 'pino'
import t from 'tap'
import { TOPICS } from '../../infra/topics.ts'
import { EmbeddedStreams } from '../../streams/index.ts'
import { buildBookingTopology } from '../../topologies/booking-topology.ts'
import { DEFAULT_TOPIC_NAMES } from '../../topologies/index.ts'
import { eventBody, ORGANIZER, serdes, USER } from './api-harness.ts'
import { startGrpcHarness } from './grpc-harness.ts'

const MAX_WAIT_MS = 1500
const { h, clients, close } = await startGrpcHarness({ withPipeline: false, maxWaitMs: MAX_WAIT_MS })
t.teardown(close)

type Reply = { requestId: string; status: string; bookingId: string }

t.test('past the deadline: DEADLINE_EXCEEDED, and the outcome later under the same request ID', async (t) => {
  // The event's commands wait in the log with the booking's: decided in order once the pipeline runs.
  const eventId = 'grpc-deadline-event'
  const organizer = async (url: string, payload?: object) =>
    (await h.call(ORGANIZER, { method: 'POST', url, ...(payload ? { payload } : {}) })).statusCode
  t.equal(await organizer('/api/v1/events', eventBody({ id: eventId, capacity: 5 })), 202)
  t.equal(
    await organizer(`/api/v1/events/${eventId}/price-options`, {
      id: 'std',
      name: 'Standard',
      priceMinor: 100_000,
      allotment: 5,
    }),
    202,
  )
  t.equal(await organizer(`/api/v1/events/${eventId}/publish`), 202)

  const request = { eventId, priceOptionId: 'std', seats: 2 }
  const started = Date.now()
  const late = await clients.call<Reply>(USER, 'BookingService', 'CreateBooking', request, {
    deadlineMs: 600,
    idempotencyKey: 'deadline-1',
  })
  t.equal(late.error?.code, status.DEADLINE_EXCEEDED, 'DEADLINE_EXCEEDED')
  t.ok(Date.now() - started < MAX_WAIT_MS, 'answered at the deadline, not after the longest wait')
  const requestId = late.headers?.get('x-request-id')[0] as string | undefined
  t.match(requestId, /^[\da-f-]{36}$/, 'the request ID came in the initial metadata')
  const pending = await clients.call<{ status: string; resourceId: string }>(
    USER,
    'RequestService',
    'GetOutcome',
    {
      requestId,
    },
  )
  t.equal(pending.value?.status, 'PENDING', 'not decided yet')

  const noDeadline = await clients.call<Reply>(USER, 'BookingService', 'CreateBooking', request, {
    idempotencyKey: 'deadline-2',
  })
  t.equal(noDeadline.value?.status, 'PENDING', 'without a deadline: PENDING after the longest wait')
  t.equal(noDeadline.value?.requestId, noDeadline.headers?.get('x-request-id')[0])
  const farDeadline = await clients.call<Reply>(USER, 'BookingService', 'CreateBooking', request, {
    deadlineMs: 30_000,
    idempotencyKey: 'deadline-1',
  })
  t.equal(farDeadline.value?.status, 'PENDING', 'a deadline beyond the longest wait: PENDING')
  t.equal(farDeadline.value?.requestId, requestId, 'the same key: the same request')

  const streams = new EmbeddedStreams(buildBookingTopology({ serdes: await serdes() }), {
    applicationId: 'api-test',
    deadLetterTopic: DEFAULT_TOPIC_NAMES.deadLetters,
    topics: TOPICS,
    commitIntervalMs: 5,
    logger: pino({ level: 'silent' }),
    log: h.log,
  })
  await streams.start()
  t.teardown(() => streams.close())

  const decided = async (id: string) => {
    for (const until = Date.now() + 30_000; Date.now() < until;) {
      const answer = await clients.call<{ status: string; resourceId: string; reasonCode?: string }>(
        USER,
        'RequestService',
        'GetOutcome',
        { requestId: id },
      )
      if (answer.value?.status !== 'PENDING') return answer.value
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    return undefined
  }
  const outcome = await decided(requestId!)
  t.equal(outcome?.status, 'ACCEPTED', 'the late request was decided: ACCEPTED')
  t.equal(outcome?.resourceId, farDeadline.value?.bookingId, 'its booking is the one the answer named')
  const second = await decided(noDeadline.value!.requestId)
  t.equal(second?.status, 'REJECTED', "the user's second booking of the event is refused")
  t.equal(second?.reasonCode, 'DUPLICATE_BOOKING')

  const booking = await clients.call<{ seats: number; userId: string }>(
    USER,
    'BookingService',
    'GetBooking',
    {
      id: outcome?.resourceId,
    },
  )
  t.equal(booking.value?.seats, 2)
  const repeat = await clients.call<Reply & { booking?: { id: string } }>(
    USER,
    'BookingService',
    'CreateBooking',
    request,
    { deadlineMs: 600, idempotencyKey: 'deadline-1' },
  )
  t.equal(repeat.value?.status, 'ACCEPTED', 'a repeat once decided: the decision at once')
  t.equal(repeat.value?.booking?.id, outcome?.resourceId)
})
