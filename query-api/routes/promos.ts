/**
 * Promo code reads: an event's codes for its organizer and admins, and the check a buyer runs before
 * booking. Writes (create, deactivate) are commands in event-writes.ts. Both answers read the read model:
 * terms from the event snapshots, uses counted from the projected bookings. The rule deciding whether a
 * code is usable is the ledger's own (`promoUnusable`, processors/promo-codes.ts).
 */
import type { FastifyInstance } from 'fastify'
import {
  applyPromo,
  PROMO_REFUSALS,
  type PromoTerms,
  promoUnusable,
  type PromoUnusable,
} from '../../processors/index.ts'
import type { ApiContext } from '../context.ts'
import { ApiError } from '../errors.ts'
import type { PromoCodeView as PromoCodeViewType } from '../../read-models/catalog/index.ts'
import { IdParams, PageOf, PageQuery, PromoCodeView, PromoValidateBody, PromoValidation } from '../schemas.ts'
import { checkEventOwnership, MANAGERS, ms, SIGNED_IN, viewerOf } from './route-support.ts'

/**
 * What the usability rule needs, from a read-model view (`uses` is the projected count) and the caller's
 * projected uses of the code (left out for a listing: no caller books there).
 */
function termsOf(promo: PromoCodeViewType, userUses: number | undefined): PromoTerms {
  return {
    active: promo.active,
    validFromMs: promo.validFrom === null ? null : ms(promo.validFrom),
    validUntilMs: ms(promo.validUntil),
    used: promo.uses,
    usageLimit: promo.usageLimit,
    maxUsesPerUser: promo.maxUsesPerUser,
    ...(userUses === undefined ? {} : { userUses }),
  }
}

function unusableNow(
  promo: PromoCodeViewType | undefined,
  nowMs: number,
  userUses?: number,
): PromoUnusable | undefined {
  return promoUnusable(promo === undefined ? undefined : termsOf(promo, userUses), nowMs)
}

export async function promoRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  app.get<{ Params: { id: string }; Querystring: { page: number; size: number } }>(
    '/events/:id/promos',
    {
      config: { roles: MANAGERS },
      schema: {
        tags: ['events'],
        summary: "An event's promo codes with their uses (its organizer, admins)",
        description:
          'Every code in creation order, deactivated ones included. `uses` counts the bookings holding the code or having used it (a pending hold counts, a confirmed booking keeps its use when canceled unless `cancelReturnsUse`) as the read model has projected them; `maxUsesPerUser` is the per-user limit (null: none): it may lag the pipeline, which alone decides a booking. `usableNow` and `unusableReason` apply the booking rule at the time of the answer.',
        params: IdParams,
        querystring: PageQuery,
        response: { 200: PageOf(PromoCodeView) },
      },
    },
    async (request) => {
      const eventId = request.params.id
      const event = await checkEventOwnership(context, request.principal, eventId)
      if (event === undefined) throw new ApiError('EVENT_NOT_FOUND', `no event ${eventId}`)
      const page = await context.readModel.listPromoCodes(eventId, request.query)
      const nowMs = Date.now()
      return {
        ...page,
        items: page.items.map((promo) => {
          const unusable = unusableNow(promo, nowMs) ?? null
          return { ...promo, usableNow: unusable === null, unusableReason: unusable }
        }),
      }
    },
  )

  app.post<{ Body: PromoValidateBody }>(
    '/promos/validate',
    {
      config: { roles: SIGNED_IN, rateLimit: context.bookingRateLimit },
      schema: {
        tags: ['bookings'],
        summary: 'Check a promo code for a booking and price it',
        description:
          'Signed-in callers only (guests get 401: booking needs an account, and an anonymous answer would be an oracle for guessing codes); rate-limited with the booking group figures (15 a minute for users). Answers 200 with `valid` and, when not valid, the reason code a booking would be refused with (`PROMO_INVALID`, `PROMO_EXHAUSTED`, `PROMO_USER_LIMIT`) and the finer `reason` (`UNKNOWN`, `INACTIVE`, `NOT_YET_VALID`, `EXPIRED`, `EXHAUSTED`, `USER_LIMIT`: the caller’s bookings on the event hold or used the code `maxUsesPerUser` times); `userUses` is that count; `amountMinor` is the price of `seats` seats of the option with the code applied (or without, when not valid). 404 for an event the caller cannot see or an unknown price option. A valid answer reserves nothing: the pipeline decides the booking, with the same rule, on its own count of uses; the other booking checks (status, deadline, seats, the option on sale) happen then.',
        body: PromoValidateBody,
        response: { 200: PromoValidation },
      },
    },
    async (request) => {
      const b = request.body
      const event = await context.readModel.getEvent(b.eventId, viewerOf(request.principal))
      if (event === undefined) throw new ApiError('EVENT_NOT_FOUND', `no event ${b.eventId}`)
      const option = event.priceOptions.find((candidate) => candidate.id === b.priceOptionId)
      if (option === undefined)
        throw new ApiError('PRICE_OPTION_NOT_FOUND', `no price option ${b.priceOptionId}`, {
          details: { eventId: b.eventId, priceOptionId: b.priceOptionId },
        })
      const [promo, userUses] = await Promise.all([
        context.readModel.getPromoCode(b.eventId, b.code),
        context.readModel.userPromoUses(b.eventId, b.code, request.principal.userId!),
      ])
      const unusable = unusableNow(promo, Date.now(), userUses)
      const grossMinor = option.priceMinor * b.seats
      const valid = promo !== undefined && unusable === undefined
      const amountMinor = valid ? applyPromo(grossMinor, promo) : grossMinor
      return {
        valid,
        reasonCode: unusable === undefined ? null : PROMO_REFUSALS[unusable],
        reason: unusable ?? null,
        eventId: b.eventId,
        code: b.code,
        priceOptionId: b.priceOptionId,
        seats: b.seats,
        currency: 'RUB' as const,
        grossMinor,
        discountMinor: grossMinor - amountMinor,
        amountMinor,
        // The terms only for a code the caller may use: an invalid answer reveals nothing about it.
        kind: valid ? promo.kind : null,
        value: valid ? promo.value : null,
        validUntil: valid ? promo.validUntil : null,
        maxUsesPerUser: valid ? promo.maxUsesPerUser : null,
        userUses,
      }
    },
  )
}
