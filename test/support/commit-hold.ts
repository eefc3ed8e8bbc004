/**
 * Instrumentation of a test process's transactional kafkajs producers (imported by the apps that crash
 * tests kill: counting-app.ts, booking-app.ts), so that a kill can be shown to land in the middle of work:
 *
 * - after every committed transaction that carried input offsets, the process prints
 *   `{"committed": N, "commits": C}`: N the sum of the input offsets this process committed (per
 *   topic-partition, the latest), C the number of such commits. The app reports its committed progress.
 * - SIGUSR2 arms a hold: the next transaction that wrote records *and* input offsets stops right before
 *   its commit, after the broker acknowledged its records (acks=-1), and the process prints
 *   `{"holding": {"transactionalId", "records": [{topic, partition, baseOffset}], "offsets": N}}`. The
 *   transaction never commits; the test kills the process then, so the kill interrupts written but
 *   uncommitted output, and the test can check on the broker that those records exist and never become
 *   visible to read_committed readers.
 * - a second SIGUSR2, once a commit is held, releases it: the commit is attempted, and the process prints
 *   `{"heldCommit": "committed"}` or `{"heldCommit": "failed", "error": name}` (a zombie's commit, refused).
 *
 * Only the test apps load this; the service's code is unchanged.
 */
import { Kafka, type Producer, type RecordMetadata, type Transaction } from 'kafkajs'

const PATCHED = Symbol.for('backend-event.test.commit-hold')

export interface HeldRecord {
  readonly topic: string
  readonly partition: number
  readonly baseOffset: number
}
export interface Holding {
  readonly transactionalId: string
  readonly records: HeldRecord[]
  /** Input records the held transaction would have committed, on partitions this process committed before. */
  readonly offsets: number
}

type OffsetsArg = Parameters<Transaction['sendOffsets']>[0]

export function installCommitHold(print: (line: object) => void): void {
  const proto = Kafka.prototype as unknown as { producer: Kafka['producer']; [PATCHED]?: true }
  if (proto[PATCHED] === true) return
  proto[PATCHED] = true
  let armed = false
  let release: (() => void) | undefined
  const committed = new Map<string, number>()
  let commits = 0
  process.on('SIGUSR2', () => {
    if (release === undefined) armed = true
    else release()
  })
  const original = proto.producer
  proto.producer = function (this: Kafka, config?: Parameters<Kafka['producer']>[0]): Producer {
    const producer = original.call(this, config)
    const transactionalId = config?.transactionalId
    if (transactionalId === undefined) return producer
    const begin = producer.transaction.bind(producer)
    producer.transaction = async (): Promise<Transaction> => {
      const tx = await begin()
      const written: HeldRecord[] = []
      let offsets: OffsetsArg | undefined
      const sendBatch = tx.sendBatch.bind(tx)
      tx.sendBatch = async (batch): Promise<RecordMetadata[]> => {
        const metadata = await sendBatch(batch)
        for (const m of metadata)
          if (m.baseOffset !== undefined)
            written.push({ topic: m.topicName, partition: m.partition, baseOffset: Number(m.baseOffset) })
        return metadata
      }
      const sendOffsets = tx.sendOffsets.bind(tx)
      tx.sendOffsets = async (arg): Promise<void> => {
        offsets = arg
        await sendOffsets(arg)
      }
      const commit = tx.commit.bind(tx)
      tx.commit = async (): Promise<void> => {
        if (armed && written.length > 0 && offsets !== undefined) {
          armed = false
          let pending = 0
          for (const { topic, partitions } of offsets.topics)
            for (const { partition, offset } of partitions)
              pending += Number(offset) - (committed.get(`${topic}:${partition}`) ?? Number(offset))
          print({ holding: { transactionalId, records: written, offsets: pending } })
          // Waits for the kill, or for a second SIGUSR2.
          await new Promise<void>((resolve) => (release = resolve))
          release = undefined
          try {
            await commit()
          } catch (error) {
            print({ heldCommit: 'failed', error: (error as Error).name })
            throw error
          }
          print({ heldCommit: 'committed' })
          return
        }
        await commit()
        if (offsets === undefined) return
        for (const { topic, partitions } of offsets.topics)
          for (const { partition, offset } of partitions)
            committed.set(`${topic}:${partition}`, Number(offset))
        commits++
        let sum = 0
        for (const offset of committed.values()) sum += offset
        print({ committed: sum, commits })
      }
      return tx
    }
    return producer
  }
}
