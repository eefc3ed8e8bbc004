/**
 * Creating and deactivating an event's promo codes (at most 50 active). The reads (an event's codes,
 * checking a code) are in promos.ts; the processors keep the usage limit and the code's uniqueness.
 */
import type { FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import type { ApiContext } from '../context.ts'
import { ApiError } from '../errors.ts'
import { Accepted, CommandHeaders, Id, IdParams, Outcome, PromoBody } from '../schemas.ts'
import { submitEventCommand } from './event-command-flow.ts'
import { checkEventOwnership, MANAGERS, ms } from './route-support.ts'

/** A promo code's validity ends at most one year ahead (MISSION.md): 366 days, so a leap year counts. */
const MAX_VALIDITY_MS = 366 * 24 * 3600 * 1000

/** POST /events/{id}/promos and DELETE /events/{id}/promos/{code}. */
export async function promoCodeWriteRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  createPromoCode(app, context)
  deactivatePromoCode(app, context)
}

/**
 * 400 unless the terms hold: a percentage of 1-100, a per-user limit within the total, a window ending
 * after it starts, within a year.
 */
function checkPromoTerms(b: PromoBody): void {
  if (b.kind === 'PERCENTAGE' && b.value > 100)
    throw new ApiError('VALIDATION_FAILED', 'a PERCENTAGE promo is 1-100', {
      details: { in: 'body', field: 'value' },
    })
  const until = ms(b.validUntil)
  if (until > Date.now() + MAX_VALIDITY_MS)
    throw new ApiError('VALIDATION_FAILED', 'validUntil is at most one year ahead', {
      details: { in: 'body', field: 'validUntil' },
    })
  if (b.maxUsesPerUser !== undefined && b.maxUsesPerUser > b.usageLimit)
    throw new ApiError('VALIDATION_FAILED', 'maxUsesPerUser is at most usageLimit', {
      details: { in: 'body', field: 'maxUsesPerUser' },
    })
  if (b.validFrom !== undefined && ms(b.validFrom) >= until)
    throw new ApiError('VALIDATION_FAILED', 'validUntil must be after validFrom', {
      details: { in: 'body' },
    })
}

/** POST /events/{id}/promos: 201 with the outcome (the code is the resource ID). */
function createPromoCode(app: FastifyInstance, context: ApiContext): void {
  app.post<{ Params: { id: string }; Body: PromoBody }>(
    '/events/:id/promos',
    {
      config: { roles: MANAGERS },
      schema: {
        tags: ['events'],
        summary: 'Create a promo code (at most 50 active)',
        params: IdParams,
        headers: CommandHeaders,
        body: PromoBody,
        response: { 201: Outcome, 202: Accepted },
      },
    },
    async (request, reply) => {
      await checkEventOwnership(context, request.principal, request.params.id)
      const b = request.body
      checkPromoTerms(b)
      return submitEventCommand(
        context,
        request,
        reply,
        request.params.id,
        'CREATE_PROMO_CODE',
        {
          createPromoCode: {
            code: b.code,
            kind: b.kind,
            value: b.value,
            usageLimit: b.usageLimit,
            validFromMs: b.validFrom !== undefined ? ms(b.validFrom) : null,
            validUntilMs: ms(b.validUntil),
            maxUsesPerUser: b.maxUsesPerUser ?? null,
            cancelReturnsUse: b.cancelReturnsUse ?? false,
          },
        },
        { resourceType: 'PROMO_CODE', resourceId: b.code, successStatus: 201, load: null },
      )
    },
  )
}

/** DELETE /events/{id}/promos/{code}. */
function deactivatePromoCode(app: FastifyInstance, context: ApiContext): void {
  app.delete<{ Params: { id: string; code: string } }>(
    '/events/:id/promos/:code',
    {
      config: { roles: MANAGERS },
      schema: {
        tags: ['events'],
        summary: 'Deactivate a promo code',
        params: Type.Object(
          { id: Id, code: Type.String({ pattern: '^[A-Z0-9]{3,20}$' }) },
          { additionalProperties: false },
        ),
        headers: CommandHeaders,
        response: { 200: Outcome, 202: Accepted },
      },
    },
    async (request, reply) => {
      await checkEventOwnership(context, request.principal, request.params.id)
      return submitEventCommand(
        context,
        request,
        reply,
        request.params.id,
        'DEACTIVATE_PROMO_CODE',
        { deactivatePromoCode: { code: request.params.code } },
        {
          resourceType: 'PROMO_CODE',
          resourceId: request.params.code,
          load: null,
        },
      )
    },
  )
}
