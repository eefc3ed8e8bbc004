/**
 * Topics of this test run's own: every topic name with a run-unique `KAFKA_TOPIC_PREFIX` in front, so a
 * real-stack test reads no other run's records, whatever the broker has kept. Pass `RUN_TOPICS` where the
 * service takes topic names (serdes, declared topics), or `kafkaTopicPrefix: RUN_TOPIC_PREFIX` in its
 * configuration.
 */
import { randomUUID } from 'node:crypto'
import { topicNames } from '../../topologies/index.ts'

export const RUN_TOPIC_PREFIX = `test-${randomUUID().replaceAll('-', '').slice(0, 10)}.`
export const RUN_TOPICS = topicNames(RUN_TOPIC_PREFIX)
