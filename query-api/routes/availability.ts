/**
 * GET /events/{id}/availability: the event's live availability as Server-Sent Events (@fastify/sse).
 *
 * Wire format, one `message` event per state, `id:` its position (1, 2, … per event, the same on every
 * API instance):
 *
 *   id: 42
 *   data: {"kind":"snapshot","position":42,"eventId":"…","status":"PUBLISHED","seatsAvailable":7,
 *          "options":[{"id":"std","name":"Standard","available":7}]}
 *
 * First a snapshot (the latest state), then `kind: "change"` for every change the catalog projection
 * applies. A client reconnecting with `Last-Event-ID: n` gets every change after n, in order, once, and
 * no snapshot (a snapshot when the changes after n are no longer kept). Comment lines keep the connection
 * alive. The stream ends after a state whose status is CANCELED, COMPLETED or REVIEWED; reconnecting after
 * that state answers 204 No Content, which stops an EventSource from retrying.
 */
import { fastifySSE } from '@fastify/sse'
import type { FastifyInstance, FastifyReply } from 'fastify'
import type { AvailabilityChange, EventDetails } from '../../read-models/catalog/index.ts'
import { AvailabilityFeeds, StreamSlots } from '../availability-feeds.ts'
import type { Principal } from '../auth.ts'
import type { ApiContext } from '../context.ts'
import { ApiError } from '../errors.ts'
import { IdParams } from '../schemas.ts'
import { ANYONE, viewerOf } from './route-support.ts'

/** Caps and timings of the availability streams of one API instance. */
export interface AvailabilityStreamOptions {
  /** Open streams one client address may hold (default 20). */
  readonly maxStreamsPerIp: number
  /** Open streams on the instance (default 2,000). */
  readonly maxStreams: number
  /** Heartbeat comment interval; also how often a feed reads without a notification (default 15 s). */
  readonly heartbeatMs: number
}

export const AVAILABILITY_STREAM_DEFAULTS: AvailabilityStreamOptions = {
  maxStreamsPerIp: 20,
  maxStreams: 2000,
  heartbeatMs: 15_000,
}

const FINAL_STATUSES = new Set(['CANCELED', 'COMPLETED', 'REVIEWED'])

/** Accept headers served: a list of text/event-stream, text/* and *\/* with no parameters. */
const ACCEPTS_STREAM =
  /^\s*(text\/event-stream|text\/\*|\*\/\*)\s*(,\s*(text\/event-stream|text\/\*|\*\/\*)\s*)*$/

/** The state before any change was recorded (events projected before live availability existed). */
function unrecorded(event: EventDetails): AvailabilityChange {
  return {
    position: 0,
    status: event.status,
    seatsAvailable: event.seatsAvailable,
    options: event.priceOptions.map((o) => ({
      id: o.id,
      name: o.name,
      available: Math.max(0, Math.min(o.seatsAvailable, event.seatsAvailable)),
    })),
  }
}

/** The latest availability of an event the caller may see (404 otherwise), for a one-off read. */
export async function currentAvailability(
  context: ApiContext,
  principal: Principal,
  eventId: string,
): Promise<AvailabilityChange & { eventId: string }> {
  const event = await context.readModel.getEvent(eventId, viewerOf(principal))
  if (event === undefined) throw new ApiError('EVENT_NOT_FOUND', `no event ${eventId}`)
  return { eventId, ...((await context.readModel.latestAvailability(eventId)) ?? unrecorded(event)) }
}

/** The position a Last-Event-ID names, or undefined when there is none or it is not one of ours. */
function lastPosition(header: string | null): number | undefined {
  if (header === null || !/^\d{1,15}$/.test(header)) return undefined
  return Number(header)
}

export async function availabilityRoutes(
  app: FastifyInstance,
  context: ApiContext,
  options: AvailabilityStreamOptions = AVAILABILITY_STREAM_DEFAULTS,
): Promise<void> {
  await app.register(fastifySSE, { heartbeatInterval: options.heartbeatMs })
  const slots = new StreamSlots(options.maxStreamsPerIp, options.maxStreams)
  const feeds = new AvailabilityFeeds({
    readModel: context.readModel,
    waiters: context.waiters,
    pollMs: options.heartbeatMs,
    logger: app.log,
  })

  app.get<{ Params: { id: string } }>(
    '/events/:id/availability',
    {
      sse: 'only',
      // The plugin answers an Accept it cannot serve with its own 406 body: refuse those first, in the
      // API's error format.
      preValidation: async (request) => {
        const accept = request.headers.accept
        if (accept !== undefined && !ACCEPTS_STREAM.test(accept))
          throw new ApiError('VALIDATION_FAILED', 'Accept must admit text/event-stream', {
            details: { in: 'header', field: 'accept' },
          })
      },
      config: { roles: ANYONE },
      schema: {
        tags: ['catalog'],
        summary: 'Live availability of an event (text/event-stream)',
        description: `Server-Sent Events: a snapshot \`{kind, position, eventId, status, seatsAvailable, options: [{id, name, available}]}\`, then one event per change the catalog applies, \`id:\` the position; reconnect with \`Last-Event-ID\` to resume without a gap or a repeat. Heartbeat comments every ${options.heartbeatMs / 1000} s; the stream ends once the event is CANCELED, COMPLETED or REVIEWED. Guests allowed; at most ${options.maxStreamsPerIp} open streams per address and ${options.maxStreams} per instance (429 TOO_MANY_STREAMS). 404 for an event the caller cannot see.`,
        params: IdParams,
      },
    },
    async (request, reply) => {
      const eventId = request.params.id
      const event = await context.readModel.getEvent(eventId, viewerOf(request.principal))
      if (event === undefined) throw new ApiError('EVENT_NOT_FOUND', `no event ${eventId}`)
      // A client that saw the final state reconnects (EventSource does): 204 tells it to stop.
      const after = lastPosition(reply.sse.lastEventId)
      if (after !== undefined) {
        const latest = await context.readModel.latestAvailability(eventId)
        if (latest !== undefined && FINAL_STATUSES.has(latest.status) && after >= latest.position)
          return reply.code(204).send()
      }
      const release = slots.acquire(request.ip)
      if (release === 'ip' || release === 'instance')
        throw new ApiError(
          'TOO_MANY_STREAMS',
          release === 'ip'
            ? `at most ${options.maxStreamsPerIp} open availability streams per address`
            : 'this instance holds as many availability streams as it may; retry later',
          { details: { cap: release } },
        )
      await stream(reply, event, release)
    },
  )

  /** Sends the start and every change after it until the client leaves or the event ends. */
  async function stream(reply: FastifyReply, event: EventDetails, release: () => void): Promise<void> {
    const sse = reply.sse
    let last = -1
    let ended = false
    let chain = Promise.resolve()
    // Subscribed before the first read: changes applied meanwhile are buffered in the chain, not lost.
    const unsubscribe = feeds.subscribe(event.id, (changes) => {
      chain = chain.then(() => deliver(changes)).catch(fail)
    })
    const fail = (error: unknown) => {
      reply.log.warn({ err: error, eventId: event.id }, 'availability stream failed')
      end()
      sse.close()
    }
    const end = () => {
      if (ended) return
      ended = true
      unsubscribe()
      release()
    }
    sse.onClose(end)
    sse.keepAlive()

    const send = async (state: AvailabilityChange, kind: 'snapshot' | 'change') => {
      if (ended || !sse.isConnected) return
      last = state.position
      await sse.send({ id: String(state.position), data: { kind, eventId: event.id, ...state } })
      if (FINAL_STATUSES.has(state.status)) {
        end()
        sse.close()
      }
    }
    /** Sends the changes after `last` in order: from `changes` when they follow on, else read again. */
    const deliver = async (changes: readonly AvailabilityChange[]) => {
      if (ended) return
      const next = changes.filter((c) => c.position > last)
      if (next.length === 0) return
      if (next[0]!.position !== last + 1) {
        const read = await context.readModel.availabilityChanges(event.id, last, 10_000)
        if (!read.complete) return void (await snapshot())
        for (const change of read.changes) await send(change, 'change')
        return
      }
      for (const change of next) await send(change, 'change')
    }
    const snapshot = async () =>
      send((await context.readModel.latestAvailability(event.id)) ?? unrecorded(event), 'snapshot')

    const start = async () => {
      const after = lastPosition(sse.lastEventId)
      if (after === undefined) return snapshot()
      last = after
      const read = await context.readModel.availabilityChanges(event.id, after, 10_000)
      if (!read.complete) return snapshot()
      for (const change of read.changes) await send(change, 'change')
    }
    chain = chain.then(start).catch(fail)
    await chain
  }
}
