/**
 * The analytics facts the API itself produces (JSON contracts in docs/analytics.md): a catalog view of an
 * event's details on `aquastream.analytics.views.v1` and a favorite change on `aquastream.favorites.v1`,
 * both keyed by event ID, through the command transport.
 *
 * Producing a view never fails or slows the read: it is sent after the current turn of the event loop and
 * a failure is only logged. A favorite change is awaited (its fact follows the stored change) but a
 * failure is logged, not answered: the favorite itself is stored.
 */
import type { FastifyBaseLogger, FastifyRequest } from 'fastify'
import { randomUUID } from 'node:crypto'
import type { CatalogView, FavoriteChange } from '../topologies/index.ts'
import type { CommandProducer } from './commands/command-producer.ts'

/** Header naming the client's session (guests' unique viewers); optional. */
export const SESSION_HEADER = 'x-session-id'
const MAX_SESSION_LENGTH = 128

/** The session ID of a request: the `x-session-id` header when it is 1-128 printable characters. */
export function sessionIdOf(request: FastifyRequest): string | null {
  const raw = request.headers[SESSION_HEADER]
  const value = Array.isArray(raw) ? raw[0] : raw
  if (value === undefined || value === '' || value.length > MAX_SESSION_LENGTH) return null
  return /^[\x21-\x7e]+$/.test(value) ? value : null
}

/** Fire-and-forget: a view of an event's details; errors are logged. */
export function produceView(
  commands: CommandProducer,
  logger: FastifyBaseLogger,
  request: FastifyRequest,
  eventId: string,
): void {
  const fact: CatalogView = {
    viewId: randomUUID(),
    eventId,
    userId: request.principal.userId ?? null,
    sessionId: sessionIdOf(request),
    occurredAtMs: Date.now(),
  }
  const traceId = String(request.id)
  setImmediate(() => {
    try {
      commands
        .sendJson('views', eventId, fact, traceId)
        .catch((error: unknown) => logger.error({ err: error, eventId }, 'view fact not produced'))
    } catch (error) {
      logger.error({ err: error, eventId }, 'view fact not produced')
    }
  })
}

/** A favorite change (call only when it changed); awaited, errors logged. */
export async function produceFavoriteChange(
  commands: CommandProducer,
  logger: FastifyBaseLogger,
  request: FastifyRequest,
  eventId: string,
  action: FavoriteChange['action'],
): Promise<void> {
  const fact: FavoriteChange = {
    eventId,
    userId: request.principal.userId!,
    action,
    occurredAtMs: Date.now(),
  }
  try {
    await commands.sendJson('favorites', eventId, fact, String(request.id))
  } catch (error) {
    logger.error({ err: error, eventId, action }, 'favorite fact not produced')
  }
}
