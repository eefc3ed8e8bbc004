import { randomUUID } from 'node:crypto'
import type { Admin, Kafka } from 'kafkajs'
import type { Logger } from 'pino'
import type { StreamsMetrics } from '../metrics.ts'
import type { StreamTask } from '../task.ts'

interface Target {
  readonly task: StreamTask
  readonly store: string
  readonly topic: string
  readonly partition: number
  readonly end: number
  position: number
  count: number
}

/**
 * Restores the stores of tasks from their changelog partitions, from the start
 * to the end offset measured after the task's producer fenced the previous
 * owner (so no transaction is open on those partitions and the high watermark
 * is the last stable offset). kafkajs cannot assign partitions by hand, so a
 * short-lived consumer in a group of its own reads the changelog topics and
 * pauses every partition it does not need or has finished; the group is
 * deleted afterwards. Progress is logged every second and counted in
 * `backend_event_streams_restore_records_total`.
 */
export async function restoreTasks(
  kafka: Kafka,
  admin: Admin,
  tasks: readonly StreamTask[],
  options: { applicationId: string; logger: Logger; metrics: StreamsMetrics },
): Promise<{ records: number; ms: number }> {
  const started = performance.now()
  const targets = new Map<string, Target>()
  const topics = new Set<string>()
  for (const task of tasks) for (const c of task.changelogPartitions()) topics.add(c.topic)
  const ends = new Map<string, { low: number; high: number }>()
  for (const topic of topics) {
    for (const o of await admin.fetchTopicOffsets(topic))
      ends.set(`${topic}:${o.partition}`, { low: Number(o.low), high: Number(o.high) })
  }
  for (const task of tasks) {
    for (const c of task.changelogPartitions()) {
      const range = ends.get(`${c.topic}:${c.partition}`)
      if (range === undefined || range.high <= range.low) continue
      targets.set(`${c.topic}:${c.partition}`, {
        task,
        store: c.store,
        topic: c.topic,
        partition: c.partition,
        end: range.high,
        position: range.low,
        count: 0,
      })
    }
  }
  if (targets.size === 0) return { records: 0, ms: performance.now() - started }

  const groupId = `${options.applicationId}-restore-${randomUUID()}`
  const consumer = kafka.consumer({
    groupId,
    readUncommitted: false,
    maxBytesPerPartition: 16 * 1024 * 1024,
    maxBytes: 64 * 1024 * 1024,
    maxWaitTimeInMs: 50,
    allowAutoTopicCreation: false,
  })
  let remaining = targets.size
  let total = 0
  let finish!: () => void
  let fail!: (error: unknown) => void
  const done = new Promise<void>((resolve, reject) => {
    finish = resolve
    fail = reject
  })
  const progress = setInterval(() => {
    options.logger.info({ restored: total, remainingPartitions: remaining }, 'restoring stores')
  }, 1000)
  const advance = (target: Target, nextOffset: number): void => {
    if (target.position >= target.end) return
    target.position = Math.max(target.position, nextOffset)
    if (target.position >= target.end) {
      consumer.pause([{ topic: target.topic, partitions: [target.partition] }])
      options.metrics.restoredRecords.inc({ store: target.store }, target.count)
      if (--remaining === 0) finish()
    }
  }
  try {
    await consumer.connect()
    // Batches that hold only control records or aborted data never reach eachBatch; this event still moves the position.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      const target = targets.get(`${payload.topic}:${payload.partition}`)
      if (target !== undefined) advance(target, Number(payload.lastOffset) + 1)
    })
    consumer.on(consumer.events.CRASH, ({ payload }) => fail(payload.error))
    await consumer.subscribe({ topics: [...topics], fromBeginning: true })
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: 4,
      eachBatch: async ({ batch }) => {
        const target = targets.get(`${batch.topic}:${batch.partition}`)
        if (target === undefined) {
          consumer.pause([{ topic: batch.topic, partitions: [batch.partition] }])
          return
        }
        if (target.position >= target.end) return
        for (const message of batch.messages) {
          const offset = Number(message.offset)
          if (offset >= target.end) break
          if (message.key !== null) target.task.restore(target.store, message.key, message.value)
          target.count++
          total++
        }
        advance(target, Math.min(Number(batch.lastOffset()) + 1, target.end))
      },
    })
    await done
  } finally {
    clearInterval(progress)
    await consumer.disconnect().catch(() => undefined)
    await admin.deleteGroups([groupId]).catch(() => undefined)
  }
  const ms = performance.now() - started
  options.logger.info(
    { records: total, ms: Math.round(ms), rate: Math.round(total / (ms / 1000)) },
    'stores restored',
  )
  return { records: total, ms }
}
