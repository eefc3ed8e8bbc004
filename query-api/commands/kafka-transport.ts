import { logLevel, Partitioners, type Kafka, type Producer } from 'kafkajs'
import { createKafka } from '../../streams/index.ts'
import type { CommandRecord, CommandTransport } from './command-producer.ts'

export interface KafkaCommandTransportOptions {
  readonly brokers: readonly string[]
  readonly clientId?: string
}

/**
 * Sends commands with an idempotent kafkajs producer (acks = all, retries without duplicates) and Kafka's
 * default murmur2 partitioner, the same one the Java client and the runtime's `defaultPartitioner` use.
 */
export class KafkaCommandTransport implements CommandTransport {
  readonly #kafka: Kafka
  readonly #producer: Producer
  #connected: Promise<void> | undefined

  constructor(options: KafkaCommandTransportOptions) {
    this.#kafka = createKafka({
      brokers: [...options.brokers],
      clientId: options.clientId ?? 'backend-event-api',
      logLevel: logLevel.ERROR,
    })
    this.#producer = this.#kafka.producer({
      idempotent: true,
      maxInFlightRequests: 5,
      createPartitioner: Partitioners.DefaultPartitioner,
    })
  }

  connect(): Promise<void> {
    this.#connected ??= this.#producer.connect()
    return this.#connected
  }

  async send(record: CommandRecord): Promise<void> {
    await this.connect()
    await this.#producer.send({
      topic: record.topic,
      acks: -1,
      messages: [{ key: record.key, value: record.value, headers: { ...record.headers } }],
    })
  }

  async health(): Promise<void> {
    await this.connect()
    const admin = this.#kafka.admin()
    await admin.connect()
    try {
      await admin.describeCluster()
    } finally {
      await admin.disconnect()
    }
  }

  async close(): Promise<void> {
    if (this.#connected !== undefined) await this.#producer.disconnect()
  }
}
