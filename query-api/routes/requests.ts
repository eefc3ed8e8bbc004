import type { FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import { outcomeBody } from '../command-flow.ts'
import type { Principal } from '../auth.ts'
import type { ApiContext } from '../context.ts'
import { ApiError } from '../errors.ts'
import { NO_CONTROL_CHARACTERS, Outcome } from '../schemas.ts'
import { SIGNED_IN } from './route-support.ts'

/**
 * A request ID: other services choose their own, so any text, but no control characters: Postgres refuses
 * a NUL in a text parameter (a 500 the API fuzz test found).
 */
export const RequestIdParams = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 255, pattern: NO_CONTROL_CHARACTERS }) },
  { additionalProperties: false },
)

/** The outcome of any command: PENDING until decided, then ACCEPTED or REJECTED with the reason code. */
export async function requestRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  app.get<{ Params: { id: string } }>(
    '/requests/:id',
    {
      config: { roles: SIGNED_IN },
      schema: {
        tags: ['requests'],
        summary: 'The outcome of a command',
        description:
          'Readable by the command sender and admins (other services may send commands with their own request IDs: admins read those).',
        params: RequestIdParams,
        response: { 200: Outcome },
      },
    },
    async (request) => requestOutcome(context, request.principal, request.params.id),
  )
}

/**
 * The outcome of a request for its sender or an admin: decided (the durable outcome) or PENDING (the
 * registry knows it was produced); 404 REQUEST_NOT_FOUND for anyone else and for an unknown ID.
 */
export async function requestOutcome(context: ApiContext, principal: Principal, id: string) {
  // The durable outcome names its sender, so the answer survives any restart or cache loss; the
  // registry (24 h, Redis or memory) knows a command produced but not decided yet.
  const [outcome, registered] = await Promise.all([
    context.readModel.getOutcome(id),
    context.requests.lookup(id),
  ])
  const sender = outcome?.actorUserId ?? registered?.userId
  if (principal.role !== 'admin' && (sender === undefined || sender !== principal.userId))
    throw new ApiError('REQUEST_NOT_FOUND', `no request ${id}`)
  if (outcome !== undefined) return outcomeBody(outcome)
  if (registered === undefined) throw new ApiError('REQUEST_NOT_FOUND', `no request ${id}`)
  return {
    requestId: id,
    status: 'PENDING' as const,
    eventId: registered.eventId,
    commandType: registered.commandType,
    resourceType: registered.resourceType,
    resourceId: registered.resourceId,
    reasonCode: null,
    message: null,
    decidedAt: null,
    originalRequestId: null,
  }
}
