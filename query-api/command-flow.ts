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
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify'
import type { ResourceType } from '../avro/index.ts'
import { actorOf, type Principal } from './auth.ts'
import type { Waiter } from './outcome-waiters.ts'
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
export function derivedId(name: string): string {
  const hash = createHash('sha1').update(ID_NAMESPACE).update(name).digest()
  hash[6] = (hash[6]! & 0x0f) | 0x50
  hash[8] = (hash[8]! & 0x3f) | 0x80
  const hex = hash.subarray(0, 16).toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

const ID_NAMESPACE = 'backend-event/idempotency/v1\n'

/**
 * A command call, whichever transport carried it (HTTP, gRPC). `method` and `route` name it as the HTTP
 * route does (`POST`, `/bookings`): the IDs an Idempotency-Key derives depend on them, so the same key
 * names the same request on either transport.
 */
export interface CommandCall {
  readonly principal: Principal
  readonly idempotencyKey: string | undefined
  readonly method: string
  readonly route: string
  /** What the key's fingerprint covers besides the route: the path parameters and the body. */
  readonly params: unknown
  readonly body: unknown
  /** How long to wait for the decision (already capped); undefined or 0: answer at once. */
  readonly waitMs: number | undefined
  /** Called when the wait starts: a signal aborted when the caller leaves, which ends the wait. */
  readonly leaving: () => AbortSignal
  readonly log: FastifyBaseLogger
}

/** The answer of a command call: pending (not decided in time) or decided and accepted. */
export type CommandAnswer<R> =
  | { readonly kind: 'pending'; readonly requestId: string; readonly resourceId: string }
  | {
      readonly kind: 'decided'
      /** The request answered: an earlier request's ID when this one repeated its key. */
      readonly requestId: string
      readonly resourceId: string
      readonly status: 200 | 201
      /**
       * The resource as the read model shows it after the decision; undefined for a plan without one, or
       * when the read model did not show it in time (the outcome and the resource come from different
       * topics).
       */
      readonly resource: R | undefined
      readonly outcome: RequestOutcomeView
      /** Whether the call waited for the decision (`Preference-Applied`). */
      readonly waited: boolean
    }

function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const key = request.headers['idempotency-key']
  return typeof key === 'string' ? key : undefined
}

/** `freshId` of a call: derived from the user, key and route with a key, random without. */
export function freshIdOf(
  call: Omit<CommandCall, 'params' | 'body' | 'waitMs' | 'leaving' | 'log'>,
  purpose: string,
): string {
  if (call.idempotencyKey === undefined) return randomUUID()
  const scope = idempotencyScopeOf(call.principal)
  return derivedId(JSON.stringify([scope, call.idempotencyKey, call.method, call.route, purpose]))
}

/**
 * A new resource ID for the request (an event, price option, booking, crew request): derived from the
 * user and the `Idempotency-Key` when the request has one, so a retry names the same resource; random
 * otherwise. `purpose` tells apart the IDs one request derives.
 */
export function freshId(request: FastifyRequest, purpose: string): string {
  return freshIdOf(
    {
      principal: request.principal,
      idempotencyKey: idempotencyKeyOf(request),
      method: request.method,
      route: request.routeOptions.url ?? request.url,
    },
    purpose,
  )
}

/**
 * Whose Idempotency-Keys a key belongs to: the user, or a check-in device on its own (not its organizer).
 * Every ID a key derives, and the key's claim, are in this scope.
 */
function idempotencyScopeOf(principal: Principal): string {
  return principal.device !== undefined ? `device:${principal.device.deviceId}` : actorOf(principal).userId
}

/** The request ID a key names for a command on `eventId` (`index`: its place in a batch). */
function keyedRequestId(
  scope: string,
  key: string,
  call: Pick<CommandCall, 'method' | 'route'>,
  eventId: string,
  index?: number,
): string {
  const parts: unknown[] = [scope, key, call.method, call.route, eventId, 'request']
  if (index !== undefined) parts.push(index)
  return derivedId(JSON.stringify(parts))
}

/**
 * Claims `key` for `candidate` in its scope: the first claim wins for 24 hours. A key already claimed by
 * another request (another body, route or event) is 409 IDEMPOTENCY_KEY_REUSED; too many keys in flight,
 * 429 IDEMPOTENCY_KEYS_EXHAUSTED.
 */
async function claimKey(
  context: ApiContext,
  scope: string,
  key: string,
  candidate: IdempotentRequest,
): Promise<void> {
  const { entry } = await context.requests.claim(scope, key, candidate).catch((error: unknown) => {
    if (error instanceof TooManyKeysError)
      throw new ApiError('IDEMPOTENCY_KEYS_EXHAUSTED', error.message, { details: { limit: error.limit } })
    throw error
  })
  if (entry.fingerprint !== candidate.fingerprint || entry.requestId !== candidate.requestId)
    throw new ApiError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used for another request', {
      details: { requestId: entry.requestId },
    })
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
  const scope = idempotencyScopeOf(request.principal)
  const call = {
    method: request.method,
    route: request.routeOptions.url ?? request.url,
    params: request.params,
    body: request.body,
  }
  const ids = Array.from({ length: count }, (_, i) => keyedRequestId(scope, key, call, eventId, i))
  await claimKey(context, scope, key, {
    requestId: ids[0]!,
    resourceId: eventId,
    fingerprint: fingerprint(call),
  })
  return ids
}

/** Hash of a request's method, route, parameters and body: tells a true repeat from a reused key. */
export function fingerprint(call: Pick<CommandCall, 'method' | 'route' | 'params' | 'body'>): string {
  return createHash('sha256')
    .update(`${call.method} ${call.route}\n`)
    .update(JSON.stringify(call.params ?? {}))
    .update(JSON.stringify(call.body ?? null))
    .digest('base64url')
}

/** The HTTP route's answer of a command: 202 with the outcome link, or the decision (commandAnswer). */
export async function submitCommand<R>(
  context: ApiContext,
  request: FastifyRequest,
  reply: FastifyReply,
  plan: CommandPlan<R>,
): Promise<unknown> {
  const call: CommandCall = {
    principal: request.principal,
    idempotencyKey: idempotencyKeyOf(request),
    method: request.method,
    route: request.routeOptions.url ?? request.url,
    params: request.params,
    body: request.body,
    waitMs: preferredWaitMs(request.headers.prefer as string | undefined, context.maxWaitMs),
    // Listened to from the start of the wait on: the request's body was read by then.
    leaving: () => {
      const abort = new AbortController()
      request.raw.once('close', () => {
        if (request.raw.destroyed) abort.abort()
      })
      return abort.signal
    },
    log: request.log,
  }
  const answer = await commandAnswer(context, call, plan, (requestId) =>
    reply.header('x-request-id', requestId),
  )
  // Accepted, but the resource does not show it yet: the success status promises the resource in the
  // body, so the answer is 202, as for a command not decided yet, telling the decision.
  const unseen = answer.kind === 'decided' && plan.load !== undefined && answer.resource === undefined
  if (answer.kind === 'pending' || unseen) {
    if (plan.location) reply.header('content-location', plan.location(answer.resourceId))
    return reply.code(202).send({
      requestId: answer.requestId,
      resourceId: answer.resourceId,
      status: answer.kind === 'pending' ? 'PENDING' : 'ACCEPTED',
      links: { outcome: `/api/v1/requests/${encodeURIComponent(answer.requestId)}` },
    })
  }
  if (answer.waited && call.waitMs !== undefined)
    reply.header('preference-applied', `wait=${Math.round(call.waitMs / 1000)}`)
  if (plan.location) reply.header('location', plan.location(answer.resourceId))
  return reply.code(answer.status).send(answer.resource ?? outcomeBody(answer.outcome))
}

/**
 * Runs a command call: derives its request and resource IDs, claims the Idempotency-Key, produces the
 * command (once per request ID: a repeat of a decided request is answered from its outcome) and waits for
 * the decision up to `call.waitMs`. A refusal throws its reason code's error, with the request ID in its
 * details. `answering` learns the request ID as soon as it is known, and again when the answer names an
 * earlier request (a repeated key).
 */
export async function commandAnswer<R>(
  context: ApiContext,
  call: CommandCall,
  plan: CommandPlan<R>,
  answering: (requestId: string) => void,
): Promise<CommandAnswer<R>> {
  const actor = actorOf(call.principal)
  const key = call.idempotencyKey ?? null
  const scope = idempotencyScopeOf(call.principal)
  const requestId = key === null ? randomUUID() : keyedRequestId(scope, key, call, plan.eventId)
  const resourceId =
    typeof plan.resourceId === 'string' ? plan.resourceId : plan.resourceId(freshIdOf(call, 'resource'))
  if (key !== null) {
    await claimKey(context, scope, key, { requestId, resourceId, fingerprint: fingerprint(call) })
    // Decided already (before a restart, on another instance): answer it, produce nothing.
    const decided = await context.readModel.getOutcome(requestId)
    if (decided !== undefined) {
      answering(requestId)
      return answerDecided(plan, requestId, resourceId, answering, false, {
        outcome: decided,
        resource: decided.accepted ? await plan.load?.(resourceId, decided) : undefined,
      })
    }
  }
  const waitMs = call.waitMs ?? 0
  const leaving = waitMs > 0 ? call.leaving() : undefined
  // A new request ID (no key) can have no outcome before its command is produced: waiting for it from
  // before the send, the caller need not look it up until it is woken.
  const woken =
    leaving !== undefined && key === null ? context.waiters.wait(requestId, waitMs, leaving) : undefined
  // A repeat of an idempotent request not decided yet is sent again: the pipeline answers a known request
  // ID or key with its kept outcome and no second effect, and a first send that failed half-way gets its
  // second chance.
  try {
    await produceCommand(
      context,
      plan,
      { requestId, resourceId, idempotencyKey: key },
      actor.userId,
      call.log,
    )
  } catch (error) {
    woken?.cancel()
    throw error
  }
  answering(requestId)

  if (leaving !== undefined) {
    const decided = await awaitDecision(context, leaving, plan, requestId, resourceId, waitMs, woken)
    if (decided !== undefined) {
      context.metrics.waitOutcomes.inc({ result: 'decided' })
      return answerDecided(plan, requestId, resourceId, answering, true, decided)
    }
    context.metrics.waitOutcomes.inc({ result: 'timeout' })
  }
  return { kind: 'pending', requestId, resourceId }
}

/**
 * Produces the command of `plan` under `ids` (registered first, so `GET /requests/{id}` knows it as
 * pending, readable by `userId`). Producing the same request ID again is safe: the event's task answers a
 * known request ID with its kept outcome and no second effect.
 */
export async function produceCommand<R>(
  context: ApiContext,
  plan: CommandPlan<R>,
  ids: { requestId: string; resourceId: string; idempotencyKey: string | null },
  userId: string,
  log: FastifyBaseLogger,
): Promise<void> {
  await context.requests.register({
    requestId: ids.requestId,
    userId,
    eventId: plan.eventId,
    resourceType: plan.resourceType,
    resourceId: ids.resourceId,
    commandType: plan.commandType,
    acceptedAtMs: Date.now(),
  })
  await plan.send(ids)
  context.metrics.commands.inc({ command: plan.commandType })
  log.info(
    {
      requestId: ids.requestId,
      resourceId: ids.resourceId,
      command: plan.commandType,
      eventId: plan.eventId,
    },
    'command sent',
  )
}

/**
 * The answer of a decided command: the resource (or the outcome) with the plan's success status, or the
 * refusal's error. A request that repeated an earlier request's key is answered as that request.
 */
function answerDecided<R>(
  plan: CommandPlan<R>,
  requestId: string,
  resourceId: string,
  answering: (requestId: string) => void,
  waited: boolean,
  decided: { outcome: RequestOutcomeView; resource: R | undefined },
): CommandAnswer<R> {
  const { outcome, resource } = decided
  const answeredId = outcome.originalRequestId ?? requestId
  if (answeredId !== requestId) answering(answeredId)
  if (!outcome.accepted)
    throw refusalError(outcome.reasonCode ?? 'VALIDATION_FAILED', outcome.message, {
      requestId: answeredId,
      resourceId: outcome.resourceId,
      reasonCode: outcome.reasonCode,
    })
  return {
    kind: 'decided',
    requestId: answeredId,
    resourceId: outcome.resourceId || resourceId,
    status: plan.successStatus,
    resource,
    outcome,
    waited,
  }
}

/** The outcome and, when the read model shows it in time, the resource as it is after the decision. */
async function awaitDecision<R>(
  context: ApiContext,
  signal: AbortSignal,
  plan: CommandPlan<R>,
  requestId: string,
  resourceId: string,
  waitMs: number,
  registered?: Waiter,
): Promise<{ outcome: RequestOutcomeView; resource: R | undefined } | undefined> {
  const deadline = Date.now() + waitMs
  context.metrics.waiting.inc()
  try {
    const outcome = await awaitOutcome(context, requestId, deadline, signal, registered)
    if (outcome === undefined) return undefined
    if (!outcome.accepted || plan.load === undefined) return { outcome, resource: undefined }
    // The outcome and the resource's facts are projected from different topics: wait (within the
    // deadline) for the resource to show the decision.
    for (;;) {
      const waiter = context.waiters.wait(
        resourceId,
        Math.min(100, Math.max(0, deadline - Date.now())),
        signal,
      )
      const resource = await plan.load(resourceId, outcome)
      if (resource !== undefined || Date.now() >= deadline || signal.aborted) {
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
 * `registered`: a waiter of `requestId` registered before its command was produced, so the read model is
 * first read when it wakes (nothing applied before it can be the outcome).
 */
export async function awaitOutcome(
  context: ApiContext,
  requestId: string,
  deadlineMs: number,
  signal: AbortSignal,
  registered?: Waiter,
): Promise<RequestOutcomeView | undefined> {
  for (let first = registered; ; first = undefined) {
    const waiter = first ?? context.waiters.wait(requestId, deadlineMs - Date.now(), signal)
    const outcome = first === undefined ? await context.readModel.getOutcome(requestId) : undefined
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
