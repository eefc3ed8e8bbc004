/**
 * How a write becomes a command and an answer: the request ID (from `Idempotency-Key`, else new), the
 * command produced to the pipeline, then either `202 Accepted` with a link to the outcome, or, with
 * `Prefer: wait=N` (N <= 10 s), the decision answered like a synchronous API: the resource with 201/200,
 * or the refusal's reason code with its HTTP status (processors/reason-codes.ts).
 */
import { createHash, randomUUID } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { ResourceType } from '../avro/index.ts'
import { actorOf } from './auth.ts'
import type { ApiContext } from './context.ts'
import type { IdempotentRequest } from './idempotency.ts'
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
  /** Sends the command with this request ID and resource ID. */
  readonly send: (ids: { requestId: string; resourceId: string }) => Promise<void>
  /** Reads the resource once decided; undefined while the read model has not caught up. */
  readonly load?: (resourceId: string, outcome: RequestOutcomeView) => Promise<R | undefined>
  /** 201 for creations, 200 otherwise. */
  readonly successStatus: 200 | 201
  /** Where the resource lives (Location header). */
  readonly location?: (resourceId: string) => string
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
  const key = request.headers['idempotency-key']
  const freshId = randomUUID()
  const candidate: IdempotentRequest = {
    requestId: randomUUID(),
    resourceId: typeof plan.resourceId === 'string' ? plan.resourceId : plan.resourceId(freshId),
    fingerprint: fingerprint(request),
  }
  let ids = candidate
  if (typeof key === 'string') {
    const { entry } = await context.requests.claim(actor.userId, key, candidate)
    if (entry.fingerprint !== candidate.fingerprint)
      throw new ApiError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used for another request', {
        details: { requestId: entry.requestId },
      })
    ids = entry
  }
  const { requestId, resourceId } = ids
  await context.requests.register({
    requestId,
    userId: actor.userId,
    eventId: plan.eventId,
    resourceType: plan.resourceType,
    resourceId,
    commandType: plan.commandType,
    acceptedAtMs: Date.now(),
  })
  // A repeat of an idempotent request is sent again: the pipeline answers a known request ID with its kept
  // outcome and no second effect, and a first send that failed half-way gets its second chance.
  await plan.send({ requestId, resourceId })
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
      const { outcome, resource } = decided
      if (!outcome.accepted)
        throw refusalError(outcome.reasonCode ?? 'VALIDATION_FAILED', outcome.message, {
          requestId,
          resourceId,
          reasonCode: outcome.reasonCode,
        })
      if (plan.location) reply.header('location', plan.location(resourceId))
      return reply.code(plan.successStatus).send(resource ?? outcomeBody(outcome))
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
    let outcome: RequestOutcomeView | undefined
    for (;;) {
      const waiter = context.waiters.wait(requestId, deadline - Date.now(), abort.signal)
      outcome = await context.readModel.getOutcome(requestId)
      if (outcome !== undefined) {
        waiter.cancel()
        break
      }
      const woken = await waiter.promise
      if (!woken && (Date.now() >= deadline || abort.signal.aborted)) {
        outcome = await context.readModel.getOutcome(requestId)
        if (outcome === undefined) return undefined
        break
      }
    }
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
  }
}

/** Whether a resource's `updatedAt` shows a decision taken at `decidedAt`. */
export function reflects(resource: { updatedAt: string }, outcome: RequestOutcomeView): boolean {
  return Date.parse(resource.updatedAt) >= Date.parse(outcome.decidedAt)
}
