/**
 * Imported first (before anything that imports the topic names) by a real-stack test that wants topics of
 * its own: every topic of infra/topics.ts then carries this run's `KAFKA_TOPIC_PREFIX`, so the test reads
 * no other run's records, whatever the broker has kept (ES modules run their imports in order).
 */
import { randomUUID } from 'node:crypto'

export const RUN_TOPIC_PREFIX = `test-${randomUUID().replaceAll('-', '').slice(0, 10)}.`
process.env.KAFKA_TOPIC_PREFIX = RUN_TOPIC_PREFIX
