/**
 * A bulk job survives a crash of the service on the real stack (`node main.ts` on Kafka with EOS,
 * PostgreSQL, Redis; topics, consumer groups and a read-model schema of this run's own): 100 bookings
 * across 5 events canceled in one job, paced at 10 commands a second, SIGKILL mid-job, restart; the checks
 * are test/support/bulk-crash-scenario.ts's, the topics read with read_committed.
 */
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { loadConfig } from '../../infra/config.ts'
import { serdesFor } from '../../infra/serdes.ts'
import { bulkCrashScenario } from '../support/bulk-crash-scenario.ts'
import { readToEnd, requireKafka } from '../support/kafka.ts'
import { startService } from './service-process.ts'
import { dropRunState } from '../support/run-cleanup.ts'

await requireKafka()
const config = loadConfig()
const run = randomUUID().replaceAll('-', '').slice(0, 10)
const appId = `bulk-crash-${run}`
const prefix = `test-${run}.`
const schema = `bulk_crash_${run}`
const dataDir = mkdtempSync(join(tmpdir(), 'bulk-crash-real-'))

t.teardown(async () => {
  rmSync(dataDir, { recursive: true, force: true })
  await dropRunState({
    databaseUrl: config.databaseUrl,
    schema,
    topicPrefixes: [prefix, appId],
    groups: [appId, `${appId}-catalog`, `${appId}-analytics`],
  })
})

t.test('on the real stack: a bulk cancel survives SIGKILL mid-job and a restart', async (t) => {
  await bulkCrashScenario(t, {
    events: 5,
    perEvent: 20,
    organizer: { sub: `org-bulk-crash-${run}`, role: 'organizer' },
    eventId: (i) => `bulk-crash-${run}-${i}`,
    start: () =>
      startService({
        APPLICATION_ID: appId,
        KAFKA_TOPIC_PREFIX: prefix,
        KAFKA_BROKERS: config.kafkaBrokers.join(','),
        KAFKA_SESSION_TIMEOUT_MS: '6000',
        SCHEMA_REGISTRY_URL: config.schemaRegistryUrl,
        DATABASE_URL: config.databaseUrl,
        READ_MODEL_SCHEMA: schema,
        REDIS_URL: config.redisUrl,
        CLICKHOUSE_URL: '',
        DATA_DIR: dataDir,
        PAYMENT_WEBHOOK_SECRET: 'test-webhook-secret-of-the-bulk-crash-at-least-32-bytes',
        TICKET_SECRET: 'test-ticket-secret-of-the-bulk-crash-at-least-32-bytes',
        BULK_COMMANDS_PER_SECOND: '10',
      }),
    serdes: await serdesFor({ schemaRegistryUrl: config.schemaRegistryUrl, kafkaTopicPrefix: prefix }),
    async values(topic) {
      const { messages } = await readToEnd(topic)
      return messages.flatMap((m) => (m.value === null ? [] : [m.value]))
    },
  })
})
