/**
 * `npm run topics:create`: creates the topics of infra/topics.ts under the configured names
 * (`KAFKA_TOPIC_PREFIX`) on `KAFKA_BROKERS` (default 127.0.0.1:9092; TLS and SASL from `KAFKA_SSL*` and
 * `KAFKA_SASL_*`), idempotently. A topic that exists with
 * the declared partition count is left alone (its cleanup.policy / retention.ms are brought in line when
 * they differ); one with a different partition count is an error: re-partitioning would break
 * co-partitioning by key, so it must be a deliberate migration.
 */
import pino from 'pino'
import { createKafka, ensureTopics } from '../streams/index.ts'
import { topicNames } from '../topologies/index.ts'
import { kafkaSecurityOf, loadConfig } from './config.ts'
import { declareTopics } from './topics.ts'

const config = loadConfig()
const logger = pino({ level: config.logLevel, base: { component: 'create-topics' } })
const brokers = config.kafkaBrokers.length > 0 ? config.kafkaBrokers : ['127.0.0.1:9092']
const topics = declareTopics(topicNames(config.kafkaTopicPrefix))
const admin = createKafka({
  ...kafkaSecurityOf(config),
  clientId: 'infra-create-topics',
  brokers,
  retry: { retries: 8 },
}).admin()
try {
  await admin.connect()
  const result = await ensureTopics(admin, topics, {
    replicationFactor: config.kafkaReplicationFactor,
    reconfigure: true,
    logger,
  })
  console.log(
    `topics: ${topics.length} declared, ${result.created.length} created, ${result.existing.length} already present` +
      (result.reconfigured.length > 0 ? `, ${result.reconfigured.length} reconfigured` : ''),
  )
} catch (error) {
  console.error(`topics: ${error instanceof Error ? error.message : String(error)}`)
  process.exitCode = 1
} finally {
  await admin.disconnect()
}
