import type {
  BookingCommand,
  EventCommand,
  PaymentRequest,
  PaymentStatusChanged,
  ReviewCommand,
} from '../../avro/index.ts'
import type { BookingSerdes } from '../../topologies/index.ts'

/** The serdes of the command topics, and the topic names they belong to. */
export type CommandSerdes = Pick<
  BookingSerdes,
  'topics' | 'eventCommand' | 'bookingCommand' | 'paymentStatus' | 'paymentRequest' | 'reviewCommand'
>

/** One serialized record for a command topic (key: the event ID). */
export interface CommandRecord {
  readonly topic: string
  readonly key: Buffer
  readonly value: Buffer
  readonly headers: Readonly<Record<string, string>>
}

/** Where serialized commands go: the embedded log or a Kafka producer. */
export interface CommandTransport {
  /** Resolves once the record is durably appended (embedded) or acknowledged by all in-sync replicas. */
  send(record: CommandRecord): Promise<void>
  /** Resolves when the transport can take records (for `/readyz`). */
  health(): Promise<void>
  close(): Promise<void>
}

/**
 * Produces the API's commands to the pipeline's input topics, Avro-encoded with the topology's serdes and
 * keyed by event ID, so each lands on the partition of the task that owns the event.
 *
 * Errors: rejects when the transport cannot append (the API answers 503 UNAVAILABLE; the command may be
 * retried with the same Idempotency-Key, which the pipeline answers once).
 *
 * @example
 *   const producer = new CommandProducer(new EmbeddedCommandTransport(pipeline.log), serdes)
 *   await producer.sendBookingCommand(command)
 */
export class CommandProducer {
  readonly #transport: CommandTransport
  readonly #serdes: CommandSerdes

  constructor(transport: CommandTransport, serdes: CommandSerdes) {
    this.#transport = transport
    this.#serdes = serdes
  }

  sendEventCommand(command: EventCommand, traceId?: string): Promise<void> {
    const topic = this.#serdes.topics.eventCommands
    return this.#send(
      topic,
      command.eventId,
      this.#serdes.eventCommand.serialize(topic, command),
      command.requestId,
      traceId,
    )
  }

  sendBookingCommand(command: BookingCommand, traceId?: string): Promise<void> {
    const topic = this.#serdes.topics.bookingCommands
    return this.#send(
      topic,
      command.eventId,
      this.#serdes.bookingCommand.serialize(topic, command),
      command.requestId,
      traceId,
    )
  }

  sendReviewCommand(command: ReviewCommand, traceId?: string): Promise<void> {
    const topic = this.#serdes.topics.reviewCommands
    return this.#send(
      topic,
      command.eventId,
      this.#serdes.reviewCommand.serialize(topic, command),
      command.requestId,
      traceId,
    )
  }

  /** A payment to start, for the payment service (`POST /bookings/{id}/pay`). */
  sendPaymentRequest(request: PaymentRequest, traceId?: string): Promise<void> {
    const topic = this.#serdes.topics.paymentRequests
    return this.#send(
      topic,
      request.eventId,
      this.#serdes.paymentRequest.serialize(topic, request),
      request.requestId,
      traceId,
    )
  }

  /** A payment status: from the verified webhook, or the payment service's report. */
  sendPaymentStatus(status: PaymentStatusChanged, traceId?: string): Promise<void> {
    const topic = this.#serdes.topics.paymentStatus
    return this.#send(
      topic,
      status.eventId,
      this.#serdes.paymentStatus.serialize(topic, status),
      status.paymentId,
      traceId,
    )
  }

  /**
   * A UTF-8 JSON record keyed by event ID on a topic of the API's own facts (`views`, `favorites`:
   * docs/analytics.md). Rejects like the commands when the transport cannot append; callers producing
   * analytics facts catch and log.
   */
  sendJson(role: 'views' | 'favorites', eventId: string, value: object, traceId?: string): Promise<void> {
    const topic = this.#serdes.topics[role]
    const headers: Record<string, string> = { 'content-type': 'application/json' }
    if (traceId !== undefined) headers['trace-id'] = traceId
    return this.#transport.send({
      topic,
      key: Buffer.from(eventId, 'utf8'),
      value: Buffer.from(JSON.stringify(value), 'utf8'),
      headers,
    })
  }

  health(): Promise<void> {
    return this.#transport.health()
  }

  close(): Promise<void> {
    return this.#transport.close()
  }

  #send(
    topic: string,
    eventId: string,
    value: Buffer,
    requestId: string,
    traceId: string | undefined,
  ): Promise<void> {
    const headers: Record<string, string> = { 'request-id': requestId }
    if (traceId !== undefined) headers['trace-id'] = traceId
    return this.#transport.send({ topic, key: Buffer.from(eventId, 'utf8'), value, headers })
  }
}
