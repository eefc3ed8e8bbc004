import { Kafka, type KafkaConfig } from 'kafkajs'
import { installReadCommittedFilter } from './read-committed.ts'

/**
 * Every kafkajs client of the project comes from here, so that its consumers read `read_committed`
 * correctly (kafkajs alone hands out records of aborted transactions: read-committed.ts).
 */
export function createKafka(config: KafkaConfig): Kafka {
  installReadCommittedFilter()
  return new Kafka(config)
}
