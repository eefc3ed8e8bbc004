import { defaultPartitioner } from '../../streams/partitioner.ts'
import type { EmbeddedLog } from '../../streams/embedded/log.ts'
import type { CommandRecord, CommandTransport } from './command-producer.ts'
import { BOOKING_COMMANDS_TOPIC } from '../../topologies/topic-names.ts'

/**
 * Appends commands to the embedded log of the pipeline (`infra/pipeline.ts`), on the partition Kafka's
 * default partitioner would choose, so the embedded mode routes exactly as Kafka does. An append is
 * written to the journal before it returns.
 */
export class EmbeddedCommandTransport implements CommandTransport {
  readonly #log: EmbeddedLog

  constructor(log: EmbeddedLog) {
    this.#log = log
  }

  async send(record: CommandRecord): Promise<void> {
    const partition = defaultPartitioner(
      record.topic,
      record.key,
      record.value,
      this.#log.partitions(record.topic),
    )
    this.#log.append([
      {
        topic: record.topic,
        partition,
        key: record.key,
        value: record.value,
        timestamp: Date.now(),
        headers: record.headers,
      },
    ])
  }

  async health(): Promise<void> {
    // partitions() throws when the topic is missing, append when the log is closed
    this.#log.partitions(BOOKING_COMMANDS_TOPIC)
  }

  async close(): Promise<void> {
    // the pipeline owns the log
  }
}
