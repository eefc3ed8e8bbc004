import { Kafka, type KafkaConfig } from 'kafkajs'
import { installReadCommittedFilter } from './read-committed.ts'

/**
 * How a client authenticates to the brokers and protects the connection: kafkajs' `ssl` (true, or Node's
 * TLS options: CA, client certificate and key) and `sasl` (mechanism, user name, password). The service
 * builds it once from its configuration and passes it to every place that creates a client.
 */
export type KafkaSecurity = Pick<KafkaConfig, 'ssl' | 'sasl'>

/**
 * Every kafkajs client of the project comes from here, so that its consumers read `read_committed`
 * correctly (kafkajs alone hands out records of aborted transactions: read-committed.ts).
 */
export function createKafka(config: KafkaConfig): Kafka {
  installReadCommittedFilter()
  return new Kafka(config)
}
