/**
 * Organizer and admin writes on events, one file per command family: each validates the body, checks the
 * caller may manage the event (`checkEventOwnership`; the processors check again), and produces an
 * EventCommand through event-command-flow.ts.
 */
import type { FastifyInstance } from 'fastify'
import type { ApiContext } from '../context.ts'
import { crewRequestRoutes } from './crew-requests.ts'
import { eventCreateEditRoutes } from './event-create-edit.ts'
import { eventLifecycleRoutes } from './event-lifecycle.ts'
import { priceOptionRoutes } from './price-options.ts'
import { promoCodeWriteRoutes } from './promo-code-writes.ts'
import { refundPolicyRoutes } from './refund-policy.ts'

/** Every event write route: create and edit, lifecycle, price options, promo codes, refund policy, crew. */
export async function eventWriteRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  await eventCreateEditRoutes(app, context)
  await eventLifecycleRoutes(app, context)
  await priceOptionRoutes(app, context)
  await promoCodeWriteRoutes(app, context)
  await refundPolicyRoutes(app, context)
  await crewRequestRoutes(app, context)
}
