import type { FastifyBaseLogger, FastifyRequest } from 'fastify'
import type { CommandProducer } from './commands/command-producer.ts'
import type { RequestRegistry } from './idempotency.ts'
import type { ApiMetrics } from './metrics.ts'
import type { OutcomeWaiters } from './outcome-waiters.ts'
import type { SandboxPaymentGateway } from './payments/payment-gateway.ts'
import type { BulkJobRecord, ReadModel } from '../read-models/catalog/index.ts'
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
  /** Produces the commands of stored bulk jobs (bulk-jobs.ts `BulkJobRunner`). */
  readonly bulk: BulkJobs
  readonly bookingRateLimit: { groupId: string; max: (request: FastifyRequest) => number } | false
}

/** What the routes and the server use of the bulk-job producer (bulk-jobs.ts `BulkJobRunner`). */
export interface BulkJobs {
  /** Produces the job's remaining items in the background. */
  run(job: BulkJobRecord): Promise<void>
  /** Resumes every job with items left; how many. */
  resume(): Promise<number>
  /** Picks up, now and then, the jobs whose producer went quiet. */
  startSweeping(): void
  close(): Promise<void>
}
