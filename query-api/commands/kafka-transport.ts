import { logLevel, Partitioners, type Admin, type Kafka, type Producer } from 'kafkajs'
import { createKafka, type KafkaSecurity } from '../../streams/index.ts'
import type { CommandRecord, CommandTransport } from './command-producer.ts'

export interface KafkaCommandTransportOptions {
  readonly brokers: readonly string[]
  readonly clientId?: string
  /** TLS and SASL of the connection (from the configuration's KAFKA_SSL* and KAFKA_SASL_*). */
  readonly kafka?: KafkaSecurity
}

/**
 * Sends commands with an idempotent kafkajs producer (acks = all, retries without duplicates) and Kafka's
 * default murmur2 partitioner, the same one the Java client and the runtime's `defaultPartitioner` use.
 * `health` asks the cluster through one admin client, connected on first use and kept.
 */
export class KafkaCommandTransport implements CommandTransport {
  readonly #kafka: Kafka
  readonly #producer: Producer
  readonly #admin: Admin
  #connected: Promise<void> | undefined
  #adminConnected: Promise<void> | undefined

  constructor(options: KafkaCommandTransportOptions) {
    this.#kafka = createKafka({
      ...options.kafka,
      brokers: [...options.brokers],
      clientId: options.clientId ?? 'backend-event-api',
      logLevel: logLevel.ERROR,
    })
    this.#producer = this.#kafka.producer({
      idempotent: true,
      maxInFlightRequests: 5,
      createPartitioner: Partitioners.DefaultPartitioner,
    })
    this.#admin = this.#kafka.admin()
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
    this.#adminConnected ??= this.#admin.connect().catch((error: unknown) => {
      this.#adminConnected = undefined
      throw error
    })
    await this.#adminConnected
    await this.#admin.describeCluster()
  }

  async close(): Promise<void> {
    if (this.#adminConnected !== undefined) await this.#admin.disconnect()
    if (this.#connected !== undefined) await this.#producer.disconnect()
  }
}
