/**
 * The reference payment service: follows the payment requests of the API and the refund requests of the
 * ledger, has a provider's adapter (a PaymentGateway) start the payments and execute the refunds, and
 * reports what happened on the payment status topic, keyed by event ID like every input of the ledger:
 *
 *   aquastream.payment.requests.v1 ─► start  ─► INITIATED (confirmation URL)      ─► aquastream.payment.status.v1
 *   aquastream.refund.requests.v1  ─► refund ─► REFUNDED | PARTIAL_REFUND | FAILED (with refundId, attempt)
 *   the payer at the provider      ─► COMPLETED | FAILED (the adapter's report, or the signed webhook)
 *
 * It keeps no position of its own: every start reads both topics from their beginning and repeats the
 * orders, which the adapter takes idempotently (the payment ID's idempotency key, the refund ID), and every
 * status it repeats is a no-op for the ledger (a payment settles once, a refund attempt is answered once)
 * and for the read model (statuses never go back). So a crash between an order and its report loses
 * nothing. The embedded service runs it in-process on the embedded log; `npm run payments:sandbox` runs it
 * as its own process on Kafka with the sandbox provider.
 */
import type { Logger } from 'pino'
import type { PaymentRequest, PaymentStatusChanged, RefundRequest } from '../../avro/index.ts'
import { currencyOf } from '../../processors/index.ts'
import {
  projectionOf,
  type ProjectionBatch,
  type ProjectionRunner,
  type ProjectionSink,
  type ProjectionSource,
  type Serde,
} from '../../streams/index.ts'
import type { TopicNames } from '../../topologies/index.ts'
import type { PaymentGateway, StatusReport } from './payment-gateway.ts'

/** The serdes and topic names the payment service reads with. */
export interface PaymentServiceSerdes {
  readonly topics: TopicNames
  readonly paymentRequest: Serde<PaymentRequest> & {
    prefetch?(topic: string, values: Buffer[]): Promise<void>
  }
  readonly refundRequest: Serde<RefundRequest> & { prefetch?(topic: string, values: Buffer[]): Promise<void> }
}

/** The topics the payment service follows, under the names of `topics`. */
export function paymentServiceTopics(topics: TopicNames): string[] {
  return [topics.paymentRequests, topics.refundRequests]
}

/**
 * The payment service as a sink of a projection runner (streams' EmbeddedProjection or KafkaProjection over
 * `paymentServiceTopics`). `report` puts a status on the status topic (CommandProducer.sendPaymentStatus);
 * the adapter is given it too (`connect`), for the outcomes it learns itself.
 *
 * Errors: `apply` rejects when a report cannot be produced (the runner then stops; a restart repeats the
 * batch). A request that cannot be decoded is logged and skipped; an adapter's failure to start a payment
 * is reported FAILED for the payment (the ledger releases the hold at once rather than at its expiry), a
 * failure to refund FAILED for the refund (the ledger retries it).
 */
export class PaymentService implements ProjectionSink {
  readonly #gateway: PaymentGateway
  readonly #serdes: PaymentServiceSerdes
  readonly #report: StatusReport
  readonly #logger: Logger

  constructor(options: {
    gateway: PaymentGateway
    serdes: PaymentServiceSerdes
    report: StatusReport
    logger: Logger
  }) {
    this.#gateway = options.gateway
    this.#serdes = options.serdes
    this.#report = reportingWith(options.report)
    this.#logger = options.logger
    this.#gateway.connect?.(options.report)
  }

  /** No stored position: every start reads from the beginning (see the file's comment). */
  async loadOffsets(): Promise<Map<string, number>> {
    return new Map()
  }

  async apply(batch: ProjectionBatch): Promise<void> {
    const requests = batch.topic === this.#serdes.topics.paymentRequests
    const serde = requests ? this.#serdes.paymentRequest : this.#serdes.refundRequest
    const values = batch.records.flatMap((r) => (r.value === null ? [] : [r.value]))
    await serde.prefetch?.(batch.topic, values)
    for (const record of batch.records) {
      if (record.value === null) continue
      let decoded: PaymentRequest | RefundRequest
      try {
        decoded = serde.deserialize(batch.topic, record.value)
      } catch (error) {
        this.#logger.error(
          { err: error, topic: batch.topic, partition: batch.partition, offset: record.offset },
          'undecodable payment service request skipped',
        )
        continue
      }
      if (requests) await this.#start(decoded as PaymentRequest)
      else await this.#refund(decoded as RefundRequest)
    }
  }

  async #start(request: PaymentRequest): Promise<void> {
    const base = {
      paymentId: request.paymentId,
      bookingId: request.bookingId,
      eventId: request.eventId,
      amountMinor: request.amountMinor,
      currency: request.currency,
      refundId: null,
      refundAttempt: null,
    }
    try {
      const started = await this.#gateway.start({
        paymentId: request.paymentId,
        bookingId: request.bookingId,
        eventId: request.eventId,
        userId: request.userId,
        amountMinor: request.amountMinor,
        currency: request.currency,
        returnUrl: request.returnUrl,
        idempotencyKey: request.idempotencyKey,
      })
      await this.#report({
        ...base,
        status: 'INITIATED',
        occurredAtMs: Date.now(),
        confirmationUrl: started.confirmationUrl,
        failureReason: null,
      })
    } catch (error) {
      if (isReportFailure(error)) throw error
      this.#logger.warn({ err: error, paymentId: request.paymentId }, 'the provider did not start a payment')
      await this.#report({
        ...base,
        status: 'FAILED',
        occurredAtMs: Date.now(),
        confirmationUrl: null,
        failureReason: reasonOf(error),
      })
    }
  }

  async #refund(request: RefundRequest): Promise<void> {
    const status = (
      result: PaymentStatusChanged['status'],
      failureReason: string | null,
    ): PaymentStatusChanged => ({
      paymentId: request.paymentId ?? '',
      bookingId: request.bookingId,
      eventId: request.eventId,
      status: result,
      amountMinor: request.amountMinor,
      occurredAtMs: Date.now(),
      currency: currencyOf(request),
      confirmationUrl: null,
      refundId: request.refundId,
      refundAttempt: request.attempt,
      failureReason,
    })
    if (request.paymentId === null) {
      await this.#report(status('FAILED', 'the refund names no payment'))
      return
    }
    let answer: PaymentStatusChanged
    try {
      const result = await this.#gateway.refund({
        refundId: request.refundId,
        attempt: request.attempt,
        paymentId: request.paymentId,
        bookingId: request.bookingId,
        eventId: request.eventId,
        amountMinor: request.amountMinor,
        currency: currencyOf(request),
      })
      answer = status(result.status, result.status === 'FAILED' ? result.reason : null)
    } catch (error) {
      answer = status('FAILED', reasonOf(error))
    }
    if (answer.status === 'FAILED')
      this.#logger.warn(
        { refundId: request.refundId, attempt: request.attempt, reason: answer.failureReason },
        'refund failed',
      )
    await this.#report(answer)
  }
}

/** A report that could not be produced: the batch must be repeated, not answered FAILED. */
class ReportFailure extends Error {}

const isReportFailure = (error: unknown): boolean => error instanceof ReportFailure

/** The `report` of a payment service, with its failures told apart from the adapter's. */
function reportingWith(send: StatusReport): StatusReport {
  return async (status) => {
    try {
      await send(status)
    } catch (error) {
      throw new ReportFailure('the payment status could not be produced', { cause: error })
    }
  }
}

function reasonOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 500)
}

/** Where the payment service reads its requests: the embedded log, or Kafka in the consumer group `groupId`. */
export type PaymentServiceSource = ProjectionSource

/**
 * Starts a payment service following `paymentServiceTopics` from `source`, its statuses sent with
 * `report`. Resolves once it follows them; `close()` the runner to stop it.
 */
export async function startPaymentService(options: {
  readonly gateway: PaymentGateway
  readonly serdes: PaymentServiceSerdes
  readonly source: PaymentServiceSource
  readonly report: StatusReport
  readonly logger: Logger
}): Promise<ProjectionRunner> {
  const sink = new PaymentService(options)
  const base = {
    name: 'payment-service',
    topics: paymentServiceTopics(options.serdes.topics),
    sink,
    logger: options.logger,
  }
  const runner = projectionOf(options.source, base)
  await runner.start()
  return runner
}
