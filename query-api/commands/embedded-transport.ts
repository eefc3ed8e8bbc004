import { defaultPartitioner, RuntimeError, type EmbeddedLog } from '../../streams/index.ts'
import type { CommandRecord, CommandTransport } from './command-producer.ts'

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
    if (this.#log.closed) throw new RuntimeError('LOG_CLOSED', 'the embedded log is closed')
  }

  async close(): Promise<void> {
    // the pipeline owns the log
  }
}
