import { createRequire } from 'node:module'

/**
 * Correct `read_committed` filtering for every kafkajs consumer of the process.
 *
 * A fetch in `read_committed` returns the records up to the last stable offset, aborted ones
 * included, with the list of aborted transactions (producer ID, first offset) that overlap them; the
 * client drops the aborted records. kafkajs 2.2.4 (src/consumer/filterAbortedMessages.js, unchanged
 * upstream) walks the records and starts ignoring a producer only when a record's offset reaches the
 * first offset of the *head* of that list, taking at most one entry per record. The broker lists the
 * aborted transactions in the order their abort markers were written (the transaction index), not
 * by first offset; so when transactions of several producers interleave on a partition and end out
 * of order, or several start before the first record of the fetch, records of an aborted
 * transaction reach the application as if committed. That is what happens when an instance dies:
 * its tasks' open transactions all write to the shared output partitions, and the new owners abort
 * them one task after the other. A downstream reader then sees a dead instance's uncommitted outputs
 * next to the ones the new owner commits for the same inputs.
 *
 * The patch does what Kafka's own consumer does (CompletedFetch): per record batch, every aborted
 * transaction whose first offset is at or below the batch's last offset marks its producer aborted;
 * the producer's abort marker clears it; transactional records of an aborted producer are dropped.
 * It runs where kafkajs parses Fetch responses (v4 and later carry aborted transactions): the
 * aborted records are flagged as control records, which kafkajs never hands to the application but
 * still counts for the batch's last offset (so a fetch of nothing but aborted records still moves
 * the consumer on), and the aborted-transaction list is emptied so kafkajs' own filter does nothing.
 */

/** A record as kafkajs decodes it from a v2 record batch (older message formats have no batch context). */
export interface FetchedRecord {
  readonly offset: string
  readonly key: Buffer | null
  isControlRecord: boolean
  readonly batchContext?: {
    readonly firstOffset: string
    readonly lastOffsetDelta: number
    readonly producerId: string
    readonly inTransaction: boolean
  }
}

export interface FetchedPartition {
  abortedTransactions?: { producerId: string; firstOffset: string }[]
  readonly messages: FetchedRecord[]
}

/** Flags the records of aborted transactions in one partition of a Fetch response as control records. */
export function hideAbortedRecords(partition: FetchedPartition): void {
  const aborted = partition.abortedTransactions
  if (aborted === undefined || aborted.length === 0) return
  const queue = aborted
    .map((t) => ({ producerId: t.producerId, firstOffset: BigInt(t.firstOffset) }))
    .sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0))
  const abortedProducers = new Set<string>()
  let next = 0
  for (const record of partition.messages) {
    const batch = record.batchContext
    if (batch === undefined) continue
    const batchLastOffset = BigInt(batch.firstOffset) + BigInt(batch.lastOffsetDelta)
    while (next < queue.length && queue[next]!.firstOffset <= batchLastOffset)
      abortedProducers.add(queue[next++]!.producerId)
    if (record.isControlRecord) {
      if (isAbortMarker(record)) abortedProducers.delete(batch.producerId)
    } else if (batch.inTransaction && abortedProducers.has(batch.producerId)) record.isControlRecord = true
  }
  partition.abortedTransactions = []
}

/** A control record's key: version (int16), type (int16, 0 = abort, 1 = commit). */
function isAbortMarker(record: FetchedRecord): boolean {
  return record.key !== null && record.key.length >= 4 && record.key.readInt16BE(2) === 0
}

interface FetchResponseModule {
  parse: (data: unknown) => Promise<{ responses?: { partitions?: FetchedPartition[] }[] }>
  [PATCHED]?: true
}

const PATCHED = Symbol.for('backend-event.kafkajs.read-committed')

/**
 * Installs the filter in kafkajs' Fetch response parsers, for every consumer of the process (idempotent).
 * `createKafka` (client.ts), which makes every kafkajs client of the project, installs it.
 */
export function installReadCommittedFilter(): void {
  const require = createRequire(import.meta.url)
  let found = 0
  for (let version = 4; version <= 11; version++) {
    let module: FetchResponseModule
    try {
      module = require(`kafkajs/src/protocol/requests/fetch/v${version}/response.js`) as FetchResponseModule
    } catch {
      continue
    }
    found++
    if (module[PATCHED] === true) continue
    const parse = module.parse
    module.parse = async (data) => {
      const parsed = await parse(data)
      for (const topic of parsed.responses ?? [])
        for (const p of topic.partitions ?? []) hideAbortedRecords(p)
      return parsed
    }
    module[PATCHED] = true
  }
  // A kafkajs with another layout needs this patch reviewed, not silently skipped.
  if (found === 0)
    throw new Error('kafkajs Fetch response parsers not found: read_committed filter not installed')
}
