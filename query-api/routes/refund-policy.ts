/**
 * An event's own refund policy (MISSION.md, "Prices, promo codes, refunds"): tiers of hours before the
 * start and the percent each refunds, replacing the default policy for the event's cancellations.
 */
import type { FastifyInstance } from 'fastify'
import type { ApiContext } from '../context.ts'
import { ApiError } from '../errors.ts'
import { CommandHeaders, IdParams, RefundPolicyBody } from '../schemas.ts'
import { eventResponses, submitEventCommand } from './event-command-flow.ts'
import { checkEventOwnership, MANAGERS } from './route-support.ts'

/** PUT /events/{id}/refund-policy. */
export async function refundPolicyRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  app.put<{ Params: { id: string }; Body: RefundPolicyBody }>(
    '/events/:id/refund-policy',
    {
      config: { roles: MANAGERS },
      schema: {
        tags: ['events'],
        summary: "Set the event's own refund policy",
        description:
          'Tiers of distinct hours before the start; the first one whose hours are reached applies.',
        params: IdParams,
        headers: CommandHeaders,
        body: RefundPolicyBody,
        response: eventResponses(200),
      },
    },
    async (request, reply) => {
      await checkEventOwnership(context, request.principal, request.params.id)
      const tiers = request.body.tiers
      if (new Set(tiers.map((tier) => tier.minHoursBeforeStart)).size !== tiers.length)
        throw new ApiError('VALIDATION_FAILED', 'tier hours must be distinct', {
          details: { in: 'body', field: 'tiers' },
        })
      return submitEventCommand(
        context,
        request,
        reply,
        request.params.id,
        'SET_REFUND_POLICY',
        {
          refundPolicy: {
            tiers: tiers.map((tier) => ({
              minHoursBeforeStart: tier.minHoursBeforeStart,
              percent: tier.percent,
            })),
          },
        },
        { resourceType: 'REFUND_POLICY' },
      )
    },
  )
}
