/**
 * How a write becomes a command and an answer: the request ID, the command produced to the pipeline,
 * then either `202 Accepted` with a link to the outcome, or, with `Prefer: wait=N` (N <= 10 s), the
 * decision answered like a synchronous API: the resource with 201/200, or the refusal's reason code with
 * its HTTP status (the error catalogue).
 *
 * With an `Idempotency-Key`, the request ID and any new resource ID are derived from (user, key, route,
 * event): every retry, on any instance, after any crash or cache loss, names the same request and the same
 * resource, and the event's task (which keeps keys and outcomes for 24 h) decides it once. A decided
 * request is answered from its durable outcome without producing again. The registry (Redis or memory)
 * only adds the 409 for a key reused with another body, and the pending state of `GET /requests/{id}`.
 */
import { createHash, randomUUID } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { ResourceType } from '../avro/index.ts'
import { actorOf, type Principal } from './auth.ts'
import type { ApiContext } from './context.ts'
import { TooManyKeysError, type IdempotentRequest } from './idempotency.ts'
import { ApiError, refusalError } from './errors.ts'
import type { RequestOutcomeView } from '../read-models/catalog/index.ts'

/** Parses `Prefer: wait=N` (RFC 7240); the wait is capped at `maxMs`. Undefined without it. */
export function preferredWaitMs(prefer: string | undefined, maxMs: number): number | undefined {
  if (prefer === undefined) return undefined
  const match = /(?:^|[,;\s])wait\s*=\s*"?(\d{1,6})"?/i.exec(prefer)
  if (match === null) return undefined
  return Math.min(Number(match[1]) * 1000, maxMs)
}

/** What a command route hands to `submitCommand`. */
export interface CommandPlan<R> {
  readonly eventId: string
  readonly resourceType: ResourceType
  /** The resource the command names; for creations, a new ID (kept across idempotent repeats). */
  readonly resourceId: string | ((fresh: string) => string)
  /** `booking.REQUEST`, `event.PUBLISH`, … */
  readonly commandType: string
  /** Sends the command with this request ID, resource ID and the client's Idempotency-Key (or null). */
  readonly send: (ids: {
    requestId: string
    resourceId: string
    idempotencyKey: string | null
  }) => Promise<void>
  /** Reads the resource once decided; undefined while the read model has not caught up. */
  readonly load?: (resourceId: string, outcome: RequestOutcomeView) => Promise<R | undefined>
  /** 201 for creations, 200 otherwise. */
  readonly successStatus: 200 | 201
  /** Where the resource lives (Location header). */
  readonly location?: (resourceId: string) => string
}

/** An ID derived from `name` (UUID version 5 format): the same name gives the same ID, anywhere. */
function derivedId(name: string): string {
  const hash = createHash('sha1').update(ID_NAMESPACE).update(name).digest()
  hash[6] = (hash[6]! & 0x0f) | 0x50
  hash[8] = (hash[8]! & 0x3f) | 0x80
  const hex = hash.subarray(0, 16).toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

const ID_NAMESPACE = 'backend-event/idempotency/v1\n'

function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const key = request.headers['idempotency-key']
  return typeof key === 'string' ? key : undefined
}

/**
 * A new resource ID for the request (an event, price option, booking, crew request): derived from the
 * user and the `Idempotency-Key` when the request has one, so a retry names the same resource; random
 * otherwise. `purpose` tells apart the IDs one request derives.
 */
export function freshId(request: FastifyRequest, purpose: string): string {
  const key = idempotencyKeyOf(request)
  if (key === undefined) return randomUUID()
  const { userId } = actorOf(request.principal)
  return derivedId(JSON.stringify([userId, key, request.method, request.routeOptions.url, purpose]))
}

/** Whose Idempotency-Keys a key belongs to: the user, or a check-in device on its own (not its organizer). */
function idempotencyScopeOf(principal: Principal): string {
  return principal.device !== undefined ? `device:${principal.device.deviceId}` : actorOf(principal).userId
}

/**
 * The request IDs of a request that produces `count` commands at once (a batch): derived from (user,
 * Idempotency-Key, route, event, place in the batch) when the request has a key, so a retry names the same
 * requests and the event's task answers them with their kept outcomes; random otherwise. A key reused with
 * another body is 409 IDEMPOTENCY_KEY_REUSED, as for one command.
 */
export async function batchRequestIds(
  context: ApiContext,
  request: FastifyRequest,
  eventId: string,
  count: number,
): Promise<string[]> {
  const key = idempotencyKeyOf(request)
  if (key === undefined) return Array.from({ length: count }, () => randomUUID())
  const userId = idempotencyScopeOf(request.principal)
  const ids = Array.from({ length: count }, (_, i) =>
    derivedId(JSON.stringify([userId, key, request.method, request.routeOptions.url, eventId, 'request', i])),
  )
  const candidate: IdempotentRequest = {
    requestId: ids[0]!,
    resourceId: eventId,
    fingerprint: fingerprint(request),
  }
  const { entry } = await context.requests.claim(userId, key, candidate).catch((error: unknown) => {
    if (error instanceof TooManyKeysError)
      throw new ApiError('IDEMPOTENCY_KEYS_EXHAUSTED', error.message, { details: { limit: error.limit } })
    throw error
  })
  if (entry.fingerprint !== candidate.fingerprint || entry.requestId !== candidate.requestId)
    throw new ApiError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used for another request', {
      details: { requestId: entry.requestId },
    })
  return ids
}

function fingerprint(request: FastifyRequest): string {
  return createHash('sha256')
    .update(`${request.method} ${request.routeOptions.url ?? request.url}\n`)
    .update(JSON.stringify(request.params ?? {}))
    .update(JSON.stringify(request.body ?? null))
    .digest('base64url')
}

export async function submitCommand<R>(
  context: ApiContext,
  request: FastifyRequest,
  reply: FastifyReply,
  plan: CommandPlan<R>,
): Promise<unknown> {
  const actor = actorOf(request.principal)
  const key = idempotencyKeyOf(request) ?? null
  const requestId =
    key === null
      ? randomUUID()
      : derivedId(
          JSON.stringify([
            actor.userId,
            key,
            request.method,
            request.routeOptions.url,
            plan.eventId,
            'request',
          ]),
        )
  const resourceId =
    typeof plan.resourceId === 'string' ? plan.resourceId : plan.resourceId(freshId(request, 'resource'))
  if (key !== null) {
    const candidate: IdempotentRequest = { requestId, resourceId, fingerprint: fingerprint(request) }
    const { entry } = await context.requests.claim(actor.userId, key, candidate).catch((error: unknown) => {
      if (error instanceof TooManyKeysError)
        throw new ApiError('IDEMPOTENCY_KEYS_EXHAUSTED', error.message, { details: { limit: error.limit } })
      throw error
    })
    if (entry.fingerprint !== candidate.fingerprint || entry.requestId !== requestId)
      throw new ApiError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used for another request', {
        details: { requestId: entry.requestId },
      })
    // Decided already (before a restart, on another instance): answer it, produce nothing.
    const decided = await context.readModel.getOutcome(requestId)
    if (decided !== undefined) {
      reply.header('x-request-id', requestId)
      return answerDecided(context, reply, plan, requestId, resourceId, {
        outcome: decided,
        resource: decided.accepted ? await plan.load?.(resourceId, decided) : undefined,
      })
    }
  }
  await context.requests.register({
    requestId,
    userId: actor.userId,
    eventId: plan.eventId,
    resourceType: plan.resourceType,
    resourceId,
    commandType: plan.commandType,
    acceptedAtMs: Date.now(),
  })
  // A repeat of an idempotent request not decided yet is sent again: the pipeline answers a known request
  // ID or key with its kept outcome and no second effect, and a first send that failed half-way gets its
  // second chance.
  await plan.send({ requestId, resourceId, idempotencyKey: key })
  context.metrics.commands.inc({ command: plan.commandType })
  request.log.info(
    { requestId, resourceId, command: plan.commandType, eventId: plan.eventId },
    'command sent',
  )
  reply.header('x-request-id', requestId)

  const waitMs = preferredWaitMs(request.headers.prefer as string | undefined, context.maxWaitMs)
  if (waitMs !== undefined && waitMs > 0) {
    const decided = await awaitDecision(context, request, plan, requestId, resourceId, waitMs)
    if (decided !== undefined) {
      context.metrics.waitOutcomes.inc({ result: 'decided' })
      reply.header('preference-applied', `wait=${Math.round(waitMs / 1000)}`)
      return answerDecided(context, reply, plan, requestId, resourceId, decided)
    }
    context.metrics.waitOutcomes.inc({ result: 'timeout' })
  }
  if (plan.location) reply.header('content-location', plan.location(resourceId))
  return reply.code(202).send({
    requestId,
    resourceId,
    status: 'PENDING',
    links: { outcome: `/api/v1/requests/${encodeURIComponent(requestId)}` },
  })
}

/**
 * The answer of a decided command: the resource (or the outcome) with the plan's success status, or the
 * refusal's error. A request that repeated an earlier request's key is answered as that request.
 */
function answerDecided<R>(
  context: ApiContext,
  reply: FastifyReply,
  plan: CommandPlan<R>,
  requestId: string,
  resourceId: string,
  decided: { outcome: RequestOutcomeView; resource: R | undefined },
): FastifyReply {
  const { outcome, resource } = decided
  const answeredId = outcome.originalRequestId ?? requestId
  if (answeredId !== requestId) reply.header('x-request-id', answeredId)
  if (!outcome.accepted)
    throw refusalError(outcome.reasonCode ?? 'VALIDATION_FAILED', outcome.message, {
      requestId: answeredId,
      resourceId: outcome.resourceId,
      reasonCode: outcome.reasonCode,
    })
  if (plan.location) reply.header('location', plan.location(outcome.resourceId || resourceId))
  return reply.code(plan.successStatus).send(resource ?? outcomeBody(outcome))
}

/** The outcome and, when the read model shows it in time, the resource as it is after the decision. */
async function awaitDecision<R>(
  context: ApiContext,
  request: FastifyRequest,
  plan: CommandPlan<R>,
  requestId: string,
  resourceId: string,
  waitMs: number,
): Promise<{ outcome: RequestOutcomeView; resource: R | undefined } | undefined> {
  const deadline = Date.now() + waitMs
  const abort = new AbortController()
  request.raw.once('close', () => {
    if (request.raw.destroyed) abort.abort()
  })
  context.metrics.waiting.inc()
  try {
    const outcome = await awaitOutcome(context, requestId, deadline, abort.signal)
    if (outcome === undefined) return undefined
    if (!outcome.accepted || plan.load === undefined) return { outcome, resource: undefined }
    // The outcome and the resource's facts are projected from different topics: wait (within the
    // deadline) for the resource to show the decision.
    for (;;) {
      const waiter = context.waiters.wait(
        resourceId,
        Math.min(100, Math.max(0, deadline - Date.now())),
        abort.signal,
      )
      const resource = await plan.load(resourceId, outcome)
      if (resource !== undefined || Date.now() >= deadline || abort.signal.aborted) {
        waiter.cancel()
        return { outcome, resource }
      }
      await waiter.promise
    }
  } finally {
    context.metrics.waiting.dec()
  }
}

/**
 * The outcome of `requestId` once the read model has it (woken by the outcome waiters), or undefined when
 * `deadlineMs` passes or `signal` aborts first. Many requests may wait at once (a batch of commands).
 */
export async function awaitOutcome(
  context: ApiContext,
  requestId: string,
  deadlineMs: number,
  signal: AbortSignal,
): Promise<RequestOutcomeView | undefined> {
  for (;;) {
    const waiter = context.waiters.wait(requestId, deadlineMs - Date.now(), signal)
    const outcome = await context.readModel.getOutcome(requestId)
    if (outcome !== undefined) {
      waiter.cancel()
      return outcome
    }
    const woken = await waiter.promise
    if (!woken && (Date.now() >= deadlineMs || signal.aborted)) return context.readModel.getOutcome(requestId)
  }
}

/** `GET /requests/{id}`'s body for a decided command. */
export function outcomeBody(outcome: RequestOutcomeView) {
  return {
    requestId: outcome.requestId,
    status: outcome.accepted ? ('ACCEPTED' as const) : ('REJECTED' as const),
    eventId: outcome.eventId,
    commandType: outcome.commandType,
    resourceType: outcome.resourceType,
    resourceId: outcome.resourceId,
    reasonCode: outcome.reasonCode,
    message: outcome.message,
    decidedAt: outcome.decidedAt,
    originalRequestId: outcome.originalRequestId,
    checkIn: outcome.checkIn,
  }
}

/** Whether a resource's `updatedAt` shows a decision taken at `decidedAt`. */
export function reflects(resource: { updatedAt: string }, outcome: RequestOutcomeView): boolean {
  return Date.parse(resource.updatedAt) >= Date.parse(outcome.decidedAt)
}
