/**
 * Check-in at the event's entrance: `POST /events/{id}/check-ins` takes one scanned ticket code or an
 * offline scanner's batch (up to 100), and produces one CHECK_IN command per scan, keyed by the event. The
 * event's task decides each by the scan's own time (processors/booking-check-in.ts): every seat once, the
 * same scan sent again counted once. With `Prefer: wait=N` the answer is every scan's result (200 once all
 * are decided); otherwise, or when the wait runs out first, 202 with the request IDs.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Type, type Static } from '@sinclair/typebox'
import type { Actor } from '../../avro/index.ts'
import type { RequestOutcomeView } from '../../read-models/catalog/index.ts'
import { actorOf, deviceIdOf, deviceMayCheckIn } from '../auth.ts'
import { ApiError } from '../errors.ts'
import { CHECK_IN_ROLES } from './check-in-devices.ts'
import { awaitOutcome, batchRequestIds, preferredWaitMs } from '../command-flow.ts'
import { checkInCommand } from '../commands/command-builders.ts'
import type { ApiContext } from '../context.ts'
import { CommandHeaders, IdParams, Instant } from '../schemas.ts'
import { checkEventOwnership, ms } from './route-support.ts'

/** The most scans one request may carry (an offline scanner sends its backlog in several). */
export const MAX_SCANS = 100

const strict = { additionalProperties: false } as const
const Code = Type.String({ minLength: 1, maxLength: 256, description: 'the ticket code as scanned' })
const Seats = Type.Integer({
  minimum: 1,
  maximum: 20,
  description: 'seats this scan admits (a group walking in on one ticket); default 1',
})

const OneScan = Type.Object(
  {
    code: Code,
    scannedAt: Type.Optional({ ...Instant, description: 'when it was scanned; default: now' }),
    seats: Type.Optional(Seats),
  },
  strict,
)
const Batch = Type.Object(
  {
    scans: Type.Array(
      Type.Object(
        {
          code: Code,
          scannedAt: { ...Instant, description: "when it was scanned, by the scanner's clock" },
          seats: Type.Optional(Seats),
        },
        strict,
      ),
      { minItems: 1, maxItems: MAX_SCANS },
    ),
  },
  strict,
)
export const CheckInBody = Type.Union([OneScan, Batch])
export type CheckInBody = Static<typeof CheckInBody>

export const ScanResult = Type.Object({
  requestId: Type.String(),
  code: Type.String(),
  accepted: Type.Boolean(),
  reasonCode: Type.Union([Type.String(), Type.Null()], {
    description: 'why a scan was refused (TICKET_ALREADY_USED, TICKET_SUPERSEDED, … docs/errors.md)',
  }),
  message: Type.String(),
  bookingId: Type.Union([Type.String(), Type.Null()], {
    description: 'null when the code names no booking of the event',
  }),
  seats: Type.Union([Type.Integer(), Type.Null()], { description: "the booking's seats" }),
  checkedInSeats: Type.Union([Type.Integer(), Type.Null()], {
    description: "the booking's seats checked in after this scan",
  }),
  firstScannedAt: Type.Union([Type.String(), Type.Null()], {
    description: "when the booking's first accepted scan was made",
  }),
})

const CheckInResults = Type.Object({ scans: Type.Array(ScanResult) })
const CheckInsAccepted = Type.Object(
  {
    status: Type.Literal('PENDING'),
    scans: Type.Array(
      Type.Object({
        requestId: Type.String(),
        code: Type.String(),
        links: Type.Object({ outcome: Type.String() }),
        result: Type.Union([ScanResult, Type.Null()], { description: 'the result, when decided in time' }),
      }),
    ),
  },
  { description: 'The scans were sent; each outcome is at its link' },
)

/** A scan to send: the code, when it was scanned, the seats it admits. */
interface Scan {
  readonly code: string
  readonly scannedAtMs: number
  readonly seats: number
}

/** Every check-in route. */
export async function checkInRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  checkIn(app, context)
}

/**
 * Who scans, as the CHECK_IN commands name it: the actor the event's task checks (its organizer or an
 * admin, `canManageEvent`) and the check-in device, if a device scanned. A person's token must manage the
 * event (403 for another organizer's event, 404 for a draft they may not see). A check-in device key
 * (routes/check-in-devices.ts) is valid for its own event only (the auth hook refuses it on another's:
 * checked again here), acts for the event's organizer and names itself in `deviceId`.
 */
async function scanner(
  context: ApiContext,
  request: FastifyRequest,
  eventId: string,
): Promise<{ actor: Actor; deviceId: string | null }> {
  if (request.principal.device !== undefined) {
    if (!deviceMayCheckIn(request.principal, eventId))
      throw new ApiError('FORBIDDEN', 'a check-in device key is valid for its own event only')
    return { actor: actorOf(request.principal), deviceId: deviceIdOf(request.principal) }
  }
  await checkEventOwnership(context, request.principal, eventId)
  return { actor: actorOf(request.principal), deviceId: null }
}

function checkIn(app: FastifyInstance, context: ApiContext): void {
  app.post<{ Params: { id: string }; Body: CheckInBody }>(
    '/events/:id/check-ins',
    {
      config: { roles: CHECK_IN_ROLES },
      schema: {
        tags: ['check-in'],
        summary: 'Check tickets in at the entrance',
        description:
          "One scan `{code, scannedAt?, seats?}` or an offline batch `{scans: [{code, scannedAt, seats?}]}` (at most 100), by the event organizer or an admin. Each scan becomes a CHECK_IN decided at its own `scannedAt` (default now): from 2 h before the start to the end, each seat of a confirmed booking once; the same scan (code, time, device) sent again counts once. Answers 202 with the request IDs; with `Prefer: wait=N`, 200 with every scan's result once all are decided (refusals such as TICKET_ALREADY_USED are results, not errors). `Idempotency-Key` makes a retry of the whole request safe.",
        params: IdParams,
        headers: CommandHeaders,
        body: CheckInBody,
        response: { 200: CheckInResults, 202: CheckInsAccepted },
      },
    },
    async (request, reply) => {
      const eventId = request.params.id
      const { actor, deviceId } = await scanner(context, request, eventId)
      const body = request.body
      const now = Date.now()
      const scans: Scan[] =
        'scans' in body
          ? body.scans.map((s) => ({ code: s.code, scannedAtMs: ms(s.scannedAt), seats: s.seats ?? 1 }))
          : [
              {
                code: body.code,
                scannedAtMs: body.scannedAt === undefined ? now : ms(body.scannedAt),
                seats: body.seats ?? 1,
              },
            ]
      const requestIds = await batchRequestIds(context, request, eventId, scans.length)
      // One command per scan, in the order given (one partition: the event's task sees that order).
      for (const [i, scan] of scans.entries()) {
        const requestId = requestIds[i]!
        await context.requests.register({
          requestId,
          userId: actor.userId,
          eventId,
          resourceType: 'BOOKING',
          resourceId: '',
          commandType: 'booking.CHECK_IN',
          acceptedAtMs: now,
        })
        // The Idempotency-Key is the request's, not each scan's: the derived request IDs carry it.
        await context.commands.sendBookingCommand(
          checkInCommand({ requestId, eventId, actor, idempotencyKey: null }, { ...scan, deviceId }),
          String(request.id),
        )
        context.metrics.commands.inc({ command: 'booking.CHECK_IN' })
      }
      request.log.info({ eventId, scans: scans.length, deviceId }, 'check-ins sent')

      const waitMs = preferredWaitMs(request.headers.prefer as string | undefined, context.maxWaitMs)
      const outcomes =
        waitMs !== undefined && waitMs > 0
          ? await awaitAll(context, request, requestIds, Date.now() + waitMs)
          : requestIds.map(() => undefined)
      if (outcomes.every((o) => o !== undefined)) {
        context.metrics.waitOutcomes.inc({ result: 'decided' })
        reply.header('preference-applied', `wait=${Math.round(waitMs! / 1000)}`)
        return reply.code(200).send({ scans: outcomes.map((o, i) => resultOf(scans[i]!.code, o)) })
      }
      if (waitMs !== undefined && waitMs > 0) context.metrics.waitOutcomes.inc({ result: 'timeout' })
      return reply.code(202).send({
        status: 'PENDING',
        scans: requestIds.map((requestId, i) => ({
          requestId,
          code: scans[i]!.code,
          links: { outcome: `/api/v1/requests/${encodeURIComponent(requestId)}` },
          result: outcomes[i] === undefined ? null : resultOf(scans[i]!.code, outcomes[i]),
        })),
      })
    },
  )
}

/** The outcomes of every request decided before the deadline (undefined for the others). */
async function awaitAll(
  context: ApiContext,
  request: FastifyRequest,
  requestIds: readonly string[],
  deadlineMs: number,
): Promise<(RequestOutcomeView | undefined)[]> {
  const abort = new AbortController()
  request.raw.once('close', () => {
    if (request.raw.destroyed) abort.abort()
  })
  context.metrics.waiting.inc()
  try {
    return await Promise.all(requestIds.map((id) => awaitOutcome(context, id, deadlineMs, abort.signal)))
  } finally {
    context.metrics.waiting.dec()
  }
}

function resultOf(code: string, outcome: RequestOutcomeView): Static<typeof ScanResult> {
  return {
    requestId: outcome.requestId,
    code,
    accepted: outcome.accepted,
    reasonCode: outcome.reasonCode,
    message: outcome.message,
    bookingId: outcome.checkIn?.bookingId ?? null,
    seats: outcome.checkIn?.seats ?? null,
    checkedInSeats: outcome.checkIn?.checkedInSeats ?? null,
    firstScannedAt: outcome.checkIn?.firstScannedAt ?? null,
  }
}
