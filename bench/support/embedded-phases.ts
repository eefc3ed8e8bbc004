/**
 * The embedded transport's phases: throughput over a pre-filled input topic,
 * end-to-end latency at a fixed offered rate, and store restore from a
 * changelog of a million keys. Everything runs on a real journal in a
 * temporary folder (group commit: fdatasync at most 100 ms after an append,
 * the configured default).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { COUNT_STORE } from '../../examples/counting/count-sum.ts'
import {
  changelogTopicName,
  defaultPartitioner,
  EmbeddedLog,
  EmbeddedStreams,
  type OutgoingRecord,
  type TopicSpec,
} from '../../streams/index.ts'
import {
  buildCountingTopology,
  countingTopics,
  COUNTING_DEAD_LETTERS,
} from '../../examples/counting/counting-topology.ts'
import { countingSerdes, inputValue, PARTITIONS, type CountingSerdes } from './counting-data.ts'
import { log, now, percentile, rate, sleep } from './report.ts'

const names = { input: 'bench.counting-input', output: 'bench.counting-output' }
const FSYNC_INTERVAL_MS = 100
const COMMIT_INTERVAL_MS = 100

export interface EmbeddedThroughput {
  readonly records: number
  readonly fillMs: number
  readonly processMs: number
  readonly perSecond: number
  readonly journalBytes: number
}

export interface LatencyResult {
  readonly offeredPerSecond: number
  readonly achievedPerSecond: number
  readonly samples: number
  readonly p50: number
  readonly p99: number
  readonly max: number
}

export interface RestoreResult {
  readonly records: number
  readonly ms: number
  readonly perSecond: number
  /** Embedded only: reading the journal back at open, before the restore. */
  readonly openMs?: number
}

function inputRecords(
  serdes: CountingSerdes,
  from: number,
  count: number,
  timestamp: number,
): OutgoingRecord[] {
  const out: OutgoingRecord[] = new Array(count)
  for (let j = 0; j < count; j++) {
    const v = inputValue(from + j, timestamp)
    const key = Buffer.from(v.key, 'utf8')
    out[j] = {
      topic: names.input,
      partition: defaultPartitioner(names.input, key, null, PARTITIONS),
      key,
      value: serdes.input.serialize(names.input, v),
      timestamp,
      headers: {},
    }
  }
  return out
}

/**
 * Throughput, then latency on the same running instance (the store is warm,
 * as in a long-running process).
 */
export async function embeddedThroughputAndLatency(options: {
  records: number
  latencyRate: number
  latencySeconds: number
}): Promise<{ throughput: EmbeddedThroughput; latency: LatencyResult }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-embedded-'))
  const serdes = await countingSerdes(names)
  const topics = countingTopics(PARTITIONS, names)
  const embeddedLog = EmbeddedLog.open({ dir, fsyncIntervalMs: FSYNC_INTERVAL_MS })
  let streams: EmbeddedStreams | undefined
  try {
    embeddedLog.createTopics(topics)
    const n = options.records
    const fillStarted = now()
    for (let i = 0; i < n; i += 5000)
      embeddedLog.append(inputRecords(serdes, i, Math.min(5000, n - i), Date.now()))
    embeddedLog.sync()
    const fillMs = now() - fillStarted
    log(`embedded: ${n} inputs appended in ${Math.round(fillMs)} ms`)

    // Outputs are visible when their commit frame is appended: count them as the log hands them out.
    let outputs = 0
    let lastOutputAt = 0
    const fifo = new Map<string, number[]>()
    const latencies: number[] = []
    let measuring = false
    const unsubscribe = embeddedLog.onAppend((records) => {
      const at = now()
      for (const r of records) {
        if (r.topic !== names.output) continue
        outputs++
        lastOutputAt = at
        if (!measuring) continue
        // Each input makes exactly one output of its key, in order: match them per key.
        const sent = fifo.get(r.key!.toString('latin1'))?.shift()
        if (sent !== undefined) latencies.push(at - sent)
      }
    })
    streams = new EmbeddedStreams(buildCountingTopology(serdes, names), {
      applicationId: 'bench-embedded',
      deadLetterTopic: COUNTING_DEAD_LETTERS,
      topics,
      commitIntervalMs: COMMIT_INTERVAL_MS,
      log: embeddedLog,
    })
    const started = now()
    await streams.start()
    const deadline = started + 120_000
    while (outputs < n && now() < deadline) await sleep(1)
    if (outputs < n) throw new Error(`embedded: only ${outputs} of ${n} outputs after 120 s`)
    const processMs = lastOutputAt - started
    const throughput: EmbeddedThroughput = {
      records: n,
      fillMs,
      processMs,
      perSecond: rate(n, processMs),
      journalBytes: embeddedLog.journalBytes(),
    }
    log(`embedded: processed ${n} in ${Math.round(processMs)} ms`)

    // Latency: an open-loop generator appending small batches at a fixed rate, in the same process
    // (the embedded mode's producers, the HTTP API, live there too).
    measuring = true
    const target = options.latencyRate
    const total = target * options.latencySeconds
    const base = outputs
    let sent = 0
    const genStarted = now()
    while (sent < total) {
      const due = Math.min(total, Math.floor((target * (now() - genStarted)) / 1000))
      if (due > sent) {
        const batch = inputRecords(serdes, n + sent, due - sent, Date.now())
        const at = now()
        for (const r of batch) {
          const k = r.key!.toString('latin1')
          let q = fifo.get(k)
          if (q === undefined) fifo.set(k, (q = []))
          q.push(at)
        }
        embeddedLog.append(batch)
        sent = due
      }
      await sleep(1)
    }
    const genMs = now() - genStarted
    const waitUntil = now() + 10_000
    while (outputs - base < total && now() < waitUntil) await sleep(1)
    unsubscribe()
    const latency: LatencyResult = {
      offeredPerSecond: target,
      achievedPerSecond: rate(total, genMs),
      samples: latencies.length,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: percentile(latencies, 100),
    }
    log(`embedded: latency over ${latencies.length} records, p50 ${latency.p50.toFixed(2)} ms`)
    return { throughput, latency }
  } finally {
    await streams?.close()
    embeddedLog.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Changelog of `keys` keys appended to a journal, the log closed, reopened, and a fresh instance restored. */
export async function embeddedRestore(keys: number): Promise<RestoreResult> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-embedded-restore-'))
  const applicationId = 'bench-embedded-restore'
  const serdes = await countingSerdes(names)
  const changelog = changelogTopicName(applicationId, COUNT_STORE)
  const changelogSpec: TopicSpec = {
    name: changelog,
    partitions: PARTITIONS,
    cleanupPolicy: 'compact',
    retentionMs: null,
  }
  const topics = countingTopics(PARTITIONS, names)
  try {
    const writer = EmbeddedLog.open({ dir, fsyncIntervalMs: FSYNC_INTERVAL_MS })
    writer.createTopics([...topics, changelogSpec])
    const timestamp = Date.now()
    for (let i = 0; i < keys; i += 10_000) {
      const batch: OutgoingRecord[] = []
      for (let j = i; j < Math.min(keys, i + 10_000); j++) {
        const key = Buffer.from(`key-${j}`, 'utf8')
        batch.push({
          topic: changelog,
          partition: defaultPartitioner(changelog, key, null, PARTITIONS),
          key,
          value: Buffer.from(JSON.stringify({ total: j % 1000, count: (j % 7) + 1 }), 'utf8'),
          timestamp,
          headers: {},
        })
      }
      writer.append(batch)
    }
    writer.close()

    const opened = now()
    const reader = EmbeddedLog.open({ dir, fsyncIntervalMs: FSYNC_INTERVAL_MS })
    const openMs = now() - opened
    const streams = new EmbeddedStreams(buildCountingTopology(serdes, names), {
      applicationId,
      deadLetterTopic: COUNTING_DEAD_LETTERS,
      topics,
      log: reader,
    })
    try {
      const started = now()
      streams.startSync() // builds the 12 tasks and restores their stores, synchronously
      const ms = now() - started
      let restored = 0
      for (let p = 0; p < PARTITIONS; p++) {
        const store = streams.stateStore(COUNT_STORE, p) as unknown as { approximateNumEntries(): number }
        restored += store.approximateNumEntries()
      }
      if (restored !== keys) throw new Error(`embedded restore: ${restored} keys restored, ${keys} written`)
      log(
        `embedded: restored ${restored} keys in ${Math.round(ms)} ms (journal read in ${Math.round(openMs)} ms)`,
      )
      return { records: restored, ms, perSecond: rate(restored, ms), openMs }
    } finally {
      await streams.close()
      reader.close()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
