import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { ReviewCommand } from '../../avro/index.ts'
import type { RequestOutcomeView, ReviewView } from '../../read-models/catalog/index.ts'
import { actorOf } from '../auth.ts'
import { freshId, reflects, submitCommand } from '../command-flow.ts'
import { reviewCommand } from '../commands/command-builders.ts'
import type { ApiContext } from '../context.ts'
import { ApiError } from '../errors.ts'
import {
  ModerateBody,
  ReplyBody,
  Review,
  ReviewBody,
  ReviewListQuery,
  ReviewPage,
  ReviewQueueQuery,
} from '../review-schemas.ts'
import { Accepted, CommandHeaders, IdParams, Outcome } from '../schemas.ts'
import { ADMIN_VIEWER, ADMINS, ANYONE, ERROR_RESPONSES, SIGNED_IN, viewerOf } from './route-support.ts'

type ReviewPayload = Partial<Pick<ReviewCommand, 'submit' | 'edit' | 'moderate' | 'reply'>>

/**
 * Reviews of completed events: the public list, the participant's review (submit, edit and delete while
 * pending), the organizer's reply, helpful votes, and the admins' moderation queue. Writes are review
 * commands keyed by the review's event, decided by the event's task (processors/review-decision.ts):
 * 202 at once, or with `Prefer: wait` the review (or the refusal's code).
 */
export async function reviewRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  const rateLimit = context.bookingRateLimit
  const write = (summary: string, body?: unknown, ok: 200 | 201 = 200, roles = SIGNED_IN) => ({
    config: { roles, rateLimit },
    schema: {
      tags: ['reviews'],
      summary,
      params: IdParams,
      headers: CommandHeaders,
      ...(body === undefined ? {} : { body }),
      response: { [ok]: ok === 201 ? Review : Outcome, 202: Accepted, ...ERROR_RESPONSES },
    },
  })

  /** The review as the read model shows it, once it reflects the decision. */
  const loadReview = async (id: string, outcome: RequestOutcomeView) => {
    const review = await context.readModel.getReview(id)
    return review !== undefined && reflects(review, outcome) ? review : undefined
  }

  /** A known, not deleted review (404 REVIEW_NOT_FOUND otherwise): commands on it go to its event. */
  const existing = async (id: string): Promise<ReviewView> => {
    const review = await context.readModel.getReview(id)
    if (review === undefined || review.status === 'DELETED')
      throw new ApiError('REVIEW_NOT_FOUND', `no review ${id}`)
    return review
  }

  const send = (
    request: FastifyRequest,
    reply: FastifyReply,
    review: { eventId: string; id: string },
    type: ReviewCommand['type'],
    payload: ReviewPayload = {},
  ) => {
    const actor = actorOf(request.principal)
    return submitCommand(context, request, reply, {
      eventId: review.eventId,
      resourceType: 'REVIEW',
      resourceId: review.id,
      commandType: `review.${type}`,
      successStatus: 200,
      send: ({ requestId, idempotencyKey }) =>
        context.commands.sendReviewCommand(
          reviewCommand(
            { requestId, eventId: review.eventId, actor, idempotencyKey },
            type,
            review.id,
            payload,
          ),
          String(request.id),
        ),
    })
  }

  app.get<{ Params: { id: string }; Querystring: { sort: 'helpful' | 'date'; page: number; size: number } }>(
    '/events/:id/reviews',
    {
      config: { roles: ANYONE },
      schema: {
        tags: ['reviews'],
        summary: "An event's reviews",
        description:
          'ACTIVE reviews by `helpful` (most votes first) or `date` (newest first), paged; a signed-in author also gets their own review first, whatever its status.',
        params: IdParams,
        querystring: ReviewListQuery,
        response: { 200: ReviewPage, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const viewer = viewerOf(request.principal)
      if ((await context.readModel.getEvent(request.params.id, viewer)) === undefined)
        throw new ApiError('EVENT_NOT_FOUND', `no event ${request.params.id}`)
      const page = await context.readModel.listEventReviews(request.params.id, {
        ...request.query,
        ...(viewer.userId === undefined ? {} : { viewerId: viewer.userId }),
      })
      // A rejection's reason is for its author (and admins), never for the public list.
      return {
        ...page,
        items: page.items.map((r) => (r.authorId === viewer.userId ? r : { ...r, rejectionReason: null })),
      }
    },
  )

  app.post<{ Params: { id: string }; Body: { rating: number; text: string } }>(
    '/events/:id/reviews',
    write('Review an event you attended (pending until moderated)', ReviewBody, 201),
    async (request, reply) => {
      const eventId = request.params.id
      if ((await context.readModel.getEvent(eventId, viewerOf(request.principal))) === undefined)
        throw new ApiError('EVENT_NOT_FOUND', `no event ${eventId}`)
      const actor = actorOf(request.principal)
      const { rating, text } = request.body
      return submitCommand(context, request, reply, {
        eventId,
        resourceType: 'REVIEW',
        resourceId: () => freshId(request, 'review'),
        commandType: 'review.SUBMIT',
        successStatus: 201,
        location: (id) => `/api/v1/reviews/${encodeURIComponent(id)}`,
        load: loadReview,
        send: ({ requestId, resourceId, idempotencyKey }) =>
          context.commands.sendReviewCommand(
            reviewCommand({ requestId, eventId, actor, idempotencyKey }, 'SUBMIT', resourceId, {
              submit: { rating, text, authorName: request.principal.name ?? null },
            }),
            String(request.id),
          ),
      })
    },
  )

  /** The caller's own review (403 FORBIDDEN for anyone else's: only authors edit and delete). */
  const own = async (request: FastifyRequest<{ Params: { id: string } }>): Promise<ReviewView> => {
    const review = await existing(request.params.id)
    if (review.authorId !== request.principal.userId)
      throw new ApiError('FORBIDDEN', 'only the author may change a review', {
        details: { reviewId: review.id },
      })
    return review
  }

  /** Another's review (422 OWN_REVIEW_VOTE for the caller's own: authors do not vote on theirs). */
  const othersReview = async (request: FastifyRequest<{ Params: { id: string } }>): Promise<ReviewView> => {
    const review = await existing(request.params.id)
    if (review.authorId === request.principal.userId)
      throw new ApiError('OWN_REVIEW_VOTE', 'authors may not vote on their own review')
    return review
  }

  app.patch<{ Params: { id: string }; Body: { rating: number; text: string } }>(
    '/reviews/:id',
    write('Edit your review while it is pending', ReviewBody),
    async (request, reply) => send(request, reply, await own(request), 'EDIT', { edit: request.body }),
  )

  app.delete<{ Params: { id: string } }>(
    '/reviews/:id',
    write('Delete your review while it is pending'),
    async (request, reply) => send(request, reply, await own(request), 'DELETE'),
  )

  app.post<{ Params: { id: string }; Body: { text: string } }>(
    '/reviews/:id/reply',
    write('Reply to a review of your event (once)', ReplyBody, 200, ['organizer']),
    async (request, reply) => {
      const review = await existing(request.params.id)
      // The processors' rule for who may reply: the event's organizer, with the ORGANIZER role.
      const event = await context.readModel.getEvent(review.eventId, ADMIN_VIEWER)
      if (event !== undefined && event.organizerId !== request.principal.userId)
        throw new ApiError('FORBIDDEN', 'organizers reply on their own events only', {
          details: { eventId: review.eventId },
        })
      return send(request, reply, review, 'REPLY', { reply: { text: request.body.text } })
    },
  )

  app.post<{ Params: { id: string } }>(
    '/reviews/:id/helpful',
    write('Mark a review helpful (one vote per user, not your own)'),
    async (request, reply) => send(request, reply, await othersReview(request), 'VOTE_HELPFUL'),
  )

  app.delete<{ Params: { id: string } }>(
    '/reviews/:id/helpful',
    write('Take back your helpful vote'),
    async (request, reply) => send(request, reply, await othersReview(request), 'UNVOTE'),
  )

  app.get<{ Querystring: { status: ReviewView['status']; page: number; size: number } }>(
    '/admin/reviews',
    {
      config: { roles: ADMINS },
      schema: {
        tags: ['reviews'],
        summary: 'The moderation queue (admins, with a second factor)',
        querystring: ReviewQueueQuery,
        response: { 200: ReviewPage, ...ERROR_RESPONSES },
      },
    },
    async (request) => context.readModel.listReviewsByStatus(request.query),
  )

  app.post<{ Params: { id: string }; Body: { status: 'ACTIVE' | 'REJECTED'; reason?: string } }>(
    '/admin/reviews/:id/moderate',
    write('Publish or reject a pending review (the author is notified once)', ModerateBody, 200, ADMINS),
    async (request, reply) => {
      const { status, reason } = request.body
      if (status === 'REJECTED' && reason === undefined)
        throw new ApiError('VALIDATION_FAILED', 'a rejection needs a reason', {
          details: { in: 'body', field: 'reason' },
        })
      return send(request, reply, await existing(request.params.id), 'MODERATE', {
        moderate: { status, reason: reason ?? null, secondFactor: request.principal.secondFactor },
      })
    },
  )
}
