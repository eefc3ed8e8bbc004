/**
 * Exactly-once on a real broker through crashes: the counting topology over 200,000 records across 12
 * partitions while its process is killed with SIGKILL 5 times and restarted. The output topic and the
 * store (its changelog), read with read_committed to their end offsets after the last instance stopped,
 * must equal the exact sums.
 *
 * Every kill lands in the middle of work, and the test proves it rather than hoping for it:
 * - it comes when the instance has reported committed progress of its own (commit-hold.ts) into one of
 *   6 segments of the input, while that segment is still being produced;
 * - it comes while a transaction of the instance has written output records that the broker
 *   acknowledged, held just before its commit (SIGUSR2, commit-hold.ts);
 * - after the process is gone, the group's committed input offsets (on the broker) are above 0 and
 *   below the total, and the held output records sit at or above the output's last stable offset
 *   (written, not committed);
 * - at the end, none of the held records is among the read_committed outputs (they were aborted).
 * Checked by hand once (CRASH_TEST_RECORDS=12000, CRASH_TEST_KILLS=2, edits not kept): arming the first
 * kill before the first record is produced, and arming it only after every record was produced and its
 * offset committed, each make the test fail: no transaction writes output any more (or yet), the hold
 * never comes and the wait for it times out, so no kill is counted as landed.
 */
import t from 'tap'
import { LocalSchemaRegistry } from '../../avro/index.ts'
import { changelogTopicName, jsonSerde } from '../../streams/index.ts'
import { COUNT_STORE, type CountState } from '../../examples/counting/count-sum.ts'
import { createCountingSerdes } from '../../examples/counting/counting-topology.ts'
import type { HeldRecord, Holding } from '../support/commit-hold.ts'
import { checkCounting, countingInput } from '../support/counting-check.ts'
import {
  committedOffsetSum,
  deleteTopicsMatching,
  produce,
  readToEnd,
  requireKafka,
  stableEnds,
} from '../support/kafka.ts'
import { seededRandom, startApp, type AppProcess } from '../support/processes.ts'

const RECORDS = Number(process.env.CRASH_TEST_RECORDS ?? 200_000)
const KILLS = Number(process.env.CRASH_TEST_KILLS ?? 5)
const seed = Number(process.env.CRASH_TEST_SEED ?? Date.now() % 100_000)

t.test(`counting stays exact through ${KILLS} SIGKILLs on Kafka EOS (seed ${seed})`, async (t) => {
  await requireKafka()
  const appId = `crash-${seed}-${Date.now()}`
  t.teardown(() => deleteTopicsMatching(appId))
  const names = { input: `${appId}-input`, output: `${appId}-output` }
  const registry = new LocalSchemaRegistry()
  const { input: inputSerde, output: outputSerde } = await createCountingSerdes(registry, names)
  const inputs = countingInput(RECORDS, 1000, seed)
  const env = {
    TRANSPORT: 'kafka',
    APP_ID: appId,
    INPUT_TOPIC: names.input,
    OUTPUT_TOPIC: names.output,
    SCHEMA_REGISTRY_URL: '',
    LOG_LEVEL: 'warn',
  }

  const random = seededRandom(seed)
  let app: AppProcess = startApp('test/support/counting-app.ts', env)
  t.teardown(() => {
    if (app.child.exitCode === null && app.child.signalCode === null) app.child.kill('SIGKILL')
  })
  await app.ready
  // The input comes in KILLS + 1 segments, 2,000 records every 250 ms; each kill comes while its segment
  // is still being produced, once this instance reported committed progress into the segment.
  const records = inputs.map((v) => ({ key: v.key, value: inputSerde.serialize(names.input, v) }))
  const segment = Math.ceil(RECORDS / (KILLS + 1))
  const produceSegment = (k: number): Promise<void> =>
    produce(names.input, records.slice(k * segment, (k + 1) * segment), { chunk: 2000, pauseMs: 250 })
  const held: HeldRecord[] = []
  for (let kill = 0; kill < KILLS; kill++) {
    const producing = produceSegment(kill)
    const target = Math.round(kill * segment + (0.05 + random() * 0.25) * segment)
    await app.waitFor<{ committed?: number }>((l) => (l.committed ?? 0) >= target, 120_000)
    app.child.kill('SIGUSR2')
    const { holding } = await app.waitFor<{ holding?: Holding }>((l) => l.holding !== undefined, 60_000)
    app.child.kill('SIGKILL')
    await app.exited
    const committed = await committedOffsetSum(appId, names.input)
    t.ok(
      committed > 0 && committed < RECORDS,
      `kill ${kill + 1}: committed input offsets above 0 and below ${RECORDS} (${committed})`,
    )
    const outputs = holding!.records.filter((r) => r.topic === names.output)
    const stable = await stableEnds(names.output)
    const unstable = outputs.filter((r) => (stable.get(r.partition) ?? 0) <= r.baseOffset)
    t.ok(
      outputs.length > 0 && unstable.length === outputs.length,
      `kill ${kill + 1}: the open transaction had written ${outputs.length} output batches, all at or above ` +
        `the last stable offset`,
    )
    held.push(...outputs)
    app = startApp('test/support/counting-app.ts', env)
    await app.ready
    await producing
  }
  await produceSegment(KILLS)
  const deadline = Date.now() + 180_000
  while ((await committedOffsetSum(appId, names.input)) < RECORDS && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 500))
  app.child.kill('SIGTERM')
  const exit = await app.exited
  t.equal(exit.code, 0, 'the last instance shuts down cleanly')

  // Every check from here on reads after all instances stopped, to the topics' end offsets.
  t.equal(await committedOffsetSum(appId, names.input), RECORDS, 'every input offset committed')
  const { messages: outputs } = await readToEnd(names.output)
  const decoded = outputs.map((m) => outputSerde.deserialize(names.output, m.value!))
  const { problems, expected } = checkCounting(inputs, decoded)
  t.same(problems, [], 'outputs: every key counted exactly once per input, in order')
  t.equal(decoded.length, RECORDS, 'one output per input, read_committed')
  const delivered = new Set(outputs.map((m) => `${m.partition}:${m.offset}`))
  t.same(
    held.filter((r) => delivered.has(`${r.partition}:${r.baseOffset}`)),
    [],
    `none of the ${held.length} output batches written by killed transactions was delivered`,
  )

  const changelog = changelogTopicName(appId, COUNT_STORE)
  const stateSerde = jsonSerde<CountState>()
  const { messages: changes } = await readToEnd(changelog)
  const store = new Map<string, CountState>()
  for (const m of changes) store.set(m.key!.toString(), stateSerde.deserialize(changelog, m.value!))
  const mismatched = [...expected].filter(
    ([k, v]) => store.get(k)?.total !== v.total || store.get(k)?.count !== v.count,
  )
  t.same(mismatched.slice(0, 5), [], 'the store (its changelog) holds the exact sums for every key')
  t.equal(store.size, expected.size)
})
