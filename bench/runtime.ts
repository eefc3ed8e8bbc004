/**
 * `npm run bench:runtime`: the streams runtime's throughput, end-to-end
 * latency and restore rate on the counting topology (Avro values, 12
 * partitions, 10,000 keys), on the embedded log and on Kafka with EOS.
 *
 * Prints a table with the floors; a missed floor is marked FAIL but the exit
 * code stays 0 (benchmarks inform, tests gate). Kafka topics and groups get a
 * per-run prefix and are deleted at the end. Sizes can be overridden:
 *
 *   BENCH_EMBEDDED_RECORDS=300000  BENCH_KAFKA_RECORDS=200000  BENCH_RESTORE_KEYS=1000000
 *   BENCH_SKIP_KAFKA=1  (embedded only)
 */
import { availableParallelism, loadavg, totalmem } from 'node:os'
import { embeddedRestore, embeddedThroughputAndLatency } from './support/embedded-phases.ts'
import {
  cleanupKafka,
  COMMIT_INTERVAL_MS,
  kafkaRestore,
  kafkaThroughputAndLatency,
} from './support/kafka-phases.ts'
import { failures, log, renderTable, type Row } from './support/report.ts'
import { KEYS, PARTITIONS } from './support/counting-data.ts'
import { brokers } from '../test/support/kafka.ts'

const env = (name: string, fallback: number): number => Number(process.env[name] ?? fallback)
const EMBEDDED_RECORDS = env('BENCH_EMBEDDED_RECORDS', 300_000)
const EMBEDDED_LATENCY_RATE = 20_000
const EMBEDDED_LATENCY_SECONDS = 10
const KAFKA_RECORDS = env('BENCH_KAFKA_RECORDS', 200_000)
const KAFKA_LATENCY_RATE = 2_000
const KAFKA_LATENCY_SECONDS = 15
const RESTORE_KEYS = env('BENCH_RESTORE_KEYS', 1_000_000)
const SKIP_KAFKA = process.env.BENCH_SKIP_KAFKA === '1'

const rows: Row[] = []
const started = Date.now()
const errorRow = (transport: string, metric: string, unit: string, error: unknown, floor?: number): Row => ({
  transport,
  metric,
  value: undefined,
  unit,
  ...(floor === undefined ? {} : { floor }),
  note: `error: ${(error as Error).message.split('\n')[0]}`,
})

console.log(
  `runtime benchmark: counting topology, Avro values, ${PARTITIONS} partitions, ${KEYS.toLocaleString('en-US')} keys, ` +
    `commit interval ${COMMIT_INTERVAL_MS} ms; node ${process.version}, ${availableParallelism()} cpus, ` +
    `${Math.round(totalmem() / 2 ** 30)} GiB; load average ${loadavg()[0]!.toFixed(2)} (other processes skew the figures)`,
)

try {
  const { throughput, latency } = await embeddedThroughputAndLatency({
    records: EMBEDDED_RECORDS,
    latencyRate: EMBEDDED_LATENCY_RATE,
    latencySeconds: EMBEDDED_LATENCY_SECONDS,
  })
  rows.push(
    {
      transport: 'embedded',
      metric: 'throughput',
      value: throughput.perSecond,
      unit: 'rec/s',
      floor: 100_000,
      note:
        `${throughput.records.toLocaleString('en-US')} records pre-appended (${Math.round(throughput.fillMs)} ms), ` +
        `start() → last output frame appended ${Math.round(throughput.processMs)} ms; ` +
        `journal ${Math.round(throughput.journalBytes / 2 ** 20)} MiB, fsync every 100 ms`,
    },
    {
      transport: 'embedded',
      metric: `latency p50 @ ${EMBEDDED_LATENCY_RATE.toLocaleString('en-US')}/s`,
      value: latency.p50,
      unit: 'ms',
      note:
        `append → output appended, ${latency.samples.toLocaleString('en-US')} records over ` +
        `${EMBEDDED_LATENCY_SECONDS} s (achieved ${Math.round(latency.achievedPerSecond)}/s), max ${latency.max.toFixed(1)} ms`,
    },
    {
      transport: 'embedded',
      metric: `latency p99 @ ${EMBEDDED_LATENCY_RATE.toLocaleString('en-US')}/s`,
      value: latency.p99,
      unit: 'ms',
    },
  )
} catch (error) {
  log(`embedded throughput/latency failed: ${(error as Error).stack}`)
  rows.push(errorRow('embedded', 'throughput', 'rec/s', error, 100_000))
}

try {
  const restore = await embeddedRestore(RESTORE_KEYS)
  rows.push({
    transport: 'embedded',
    metric: 'restore',
    value: restore.perSecond,
    unit: 'rec/s',
    note:
      `${restore.records.toLocaleString('en-US')} keys into 12 stores in ${Math.round(restore.ms)} ms ` +
      `(journal read at open before that: ${Math.round(restore.openMs ?? 0)} ms)`,
  })
} catch (error) {
  log(`embedded restore failed: ${(error as Error).stack}`)
  rows.push(errorRow('embedded', 'restore', 'rec/s', error))
}

if (!SKIP_KAFKA) {
  const prefix = `bench-runtime-${Date.now().toString(36)}`
  log(`kafka: brokers ${brokers().join(',')}, topic prefix ${prefix}`)
  try {
    const { throughput, latency } = await kafkaThroughputAndLatency({
      prefix,
      records: KAFKA_RECORDS,
      latencyRate: KAFKA_LATENCY_RATE,
      latencySeconds: KAFKA_LATENCY_SECONDS,
    })
    rows.push({
      transport: 'kafka EOS',
      metric: 'throughput',
      value: throughput.perSecond,
      unit: 'rec/s',
      floor: 10_000,
      note:
        `${throughput.complete ? '' : `INCOMPLETE: only ${throughput.records.toLocaleString('en-US')} of ${KAFKA_RECORDS.toLocaleString('en-US')} outputs within 120 s, rate so far; `}` +
        `${KAFKA_RECORDS.toLocaleString('en-US')} records pre-produced; app "tasks ready" → last output ` +
        `read_committed ${throughput.processMs} ms (startup ${throughput.startupMs} ms excluded; first output ` +
        `${throughput.firstOutputAfterReadyMs} ms after ready; first → last output ` +
        `${Math.round(throughput.steadyPerSecond).toLocaleString('en-US')} rec/s; app error lines ` +
        `${throughput.appErrors}, task reassignments ${throughput.reassignments})`,
    })
    const latencyMetric = (p: string): string =>
      `latency ${p} @ ${KAFKA_LATENCY_RATE.toLocaleString('en-US')}/s`
    rows.push(
      {
        transport: 'kafka EOS',
        metric: latencyMetric('p50'),
        value: latency.p50,
        unit: 'ms',
        note:
          `producer timestamp → read_committed receipt, ${latency.samples.toLocaleString('en-US')} records over ` +
          `${KAFKA_LATENCY_SECONDS} s (achieved ${Math.round(latency.achievedPerSecond)}/s), max ${latency.max} ms` +
          `${throughput.complete ? ', same instance after the throughput run' : ', on a fresh app (the backlog was not drained)'}`,
      },
      { transport: 'kafka EOS', metric: latencyMetric('p99'), value: latency.p99, unit: 'ms' },
    )
  } catch (error) {
    log(`kafka throughput/latency failed: ${(error as Error).stack}`)
    rows.push(errorRow('kafka EOS', 'throughput', 'rec/s', error, 10_000))
  }
  try {
    const restore = await kafkaRestore({ prefix, keys: RESTORE_KEYS })
    rows.push({
      transport: 'kafka',
      metric: 'changelog restore',
      value: restore.perSecond,
      unit: 'rec/s',
      floor: 100_000,
      note: `${restore.records.toLocaleString('en-US')} keys, 12 partitions, "stores restored" line: ${restore.ms} ms`,
    })
  } catch (error) {
    log(`kafka restore failed: ${(error as Error).stack}`)
    rows.push(errorRow('kafka', 'changelog restore', 'rec/s', error, 100_000))
  }
  await cleanupKafka(prefix).catch((error: unknown) => log(`cleanup failed: ${(error as Error).message}`))
}

console.log('')
console.log(renderTable(rows))
const missed = failures(rows)
console.log('')
console.log(
  `${missed.length === 0 ? 'all floors met' : `FAIL: ${missed.length} floor(s) missed`} ` +
    `(total ${Math.round((Date.now() - started) / 1000)} s, load average ${loadavg()[0]!.toFixed(2)}; ` +
    `the exit code stays 0: benchmarks inform, tests gate)`,
)
