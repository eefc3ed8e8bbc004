import type { FastifyBaseLogger, FastifyRequest } from 'fastify'
import type { CommandProducer } from './commands/command-producer.ts'
import type { RequestRegistry } from './idempotency.ts'
import type { ApiMetrics } from './metrics.ts'
import type { OutcomeWaiters } from './outcome-waiters.ts'
import type { SandboxPaymentGateway } from './payments/payment-gateway.ts'
import type { ReadModel } from '../read-models/catalog/index.ts'
import type { ResponseCache } from './response-cache.ts'

/** What the routes share: built once by `buildApp`. */
export interface ApiContext {
  readonly readModel: ReadModel
  readonly commands: CommandProducer
  readonly requests: RequestRegistry
  readonly cache: ResponseCache
  readonly waiters: OutcomeWaiters
  readonly metrics: ApiMetrics
  /** The in-process payment service's sandbox provider (embedded mode), whose routes the API mounts. */
  readonly sandbox: SandboxPaymentGateway | undefined
  /** Where the payment provider sends the payer back (PAYMENT_RETURN_URL); null: its default. */
  readonly paymentReturnUrl: string | null
  readonly webhookSecret: string
  readonly maxWaitMs: number
  readonly audit: FastifyBaseLogger
  /** Route `config.rateLimit` of the booking method group (`false` when rate limiting is off). */
  readonly bookingRateLimit: { groupId: string; max: (request: FastifyRequest) => number } | false
}
