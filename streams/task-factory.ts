import { partitionsOf, type ResolvedStreamsConfig } from './streams-config.ts'
import { StreamTask } from './task.ts'
import type { Topology } from './topology.ts'

/** Every task a topology has: one per subtopology and partition of its sources. */
export function allTaskIds(
  topology: Topology,
  config: ResolvedStreamsConfig,
): { subtopology: number; partition: number }[] {
  const ids: { subtopology: number; partition: number }[] = []
  for (const sub of topology.subtopologies()) {
    const partitions = partitionsOf(config, sub.sourceTopics[0]!)
    for (let p = 0; p < partitions; p++) ids.push({ subtopology: sub.id, partition: p })
  }
  return ids
}

/** Builds a fresh task (new processor instances, empty stores). */
export function createTask(
  topology: Topology,
  config: ResolvedStreamsConfig,
  subtopology: number,
  partition: number,
): StreamTask {
  const sub = topology.subtopologies()[subtopology]
  if (sub === undefined) throw new RangeError(`no subtopology ${subtopology}`)
  return new StreamTask(sub, partition, {
    applicationId: config.applicationId,
    clock: config.clock,
    handlers: config.exceptionHandlers,
    logger: config.logger,
    partitionsOf: (topic) => partitionsOf(config, topic),
    deadLetterTopic: config.deadLetterTopic,
    maxRecordBytes: config.maxRecordBytes,
  })
}
