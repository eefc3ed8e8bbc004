/**
 * Two instances in one group on a real broker. One is killed mid-stream: the
 * survivor takes its tasks, restores their stores, and the result is exact.
 * Then a zombie: an instance paused with SIGSTOP until its tasks moved away,
 * then resumed, must not commit anything for them (its producers are fenced);
 * the result stays exact over the whole data.
 *
 * Both the kill and the zombie are shown to land on pending work (commit-hold.ts): each instance is
 * stopped holding a transaction whose output records the broker acknowledged and whose input offsets
 * are past the committed ones. The killed instance's held records, and the zombie's, which it tries to
 * commit after it resumed (the commit is refused), never reach read_committed readers; the checks read
 * every topic to its end offsets after all instances stopped.
 * The kill and the pause wait for the hold as the crash test does (kafka-eos-crash.test.ts, where moving
 * the kill before the first record or after the last was checked by hand to fail): with no transaction
 * writing output, the hold never comes and the test fails.
 */
import pino from 'pino'
import t from 'tap'
import { LocalSchemaRegistry } from '../../avro/index.ts'
import { COUNT_STORE, type CountState } from '../../examples/counting/count-sum.ts'
import { changelogTopicName, jsonSerde } from '../../streams/index.ts'
import { KafkaStreams } from '../../streams/kafka/kafka-streams.ts'
import {
  buildCountingTopology,
  countingTopics,
  createCountingSerdes,
  COUNTING_DEAD_LETTERS,
} from '../../examples/counting/counting-topology.ts'
import { checkCounting, countingInput } from '../support/counting-check.ts'
import type { HeldRecord, Holding } from '../support/commit-hold.ts'
import {
  committedOffsetSum,
  deleteTopicsMatching,
  kafkaClient,
  kafkaConnection,
  produce,
  readToEnd,
  requireKafka,
  stableEnds,
} from '../support/kafka.ts'
import { sleep, startApp, terminate, type AppProcess } from '../support/processes.ts'

const RECORDS = Number(process.env.REBALANCE_TEST_RECORDS ?? 120_000)
const ALL_TASKS = 12

t.test('a killed instance hands its tasks to the survivor; a resumed zombie commits nothing', async (t) => {
  await requireKafka()
  const appId = `rebalance-${Date.now()}`
  t.teardown(() => deleteTopicsMatching(appId))
  const names = { input: `${appId}-input`, output: `${appId}-output` }
  const registry = new LocalSchemaRegistry()
  const { input: inputSerde, output: outputSerde } = await createCountingSerdes(registry, names)
  const env = {
    TRANSPORT: 'kafka',
    APP_ID: appId,
    INPUT_TOPIC: names.input,
    OUTPUT_TOPIC: names.output,
    SCHEMA_REGISTRY_URL: '',
    SESSION_TIMEOUT_MS: '6000',
    LOG_LEVEL: 'warn',
  }
  const taskCount = (line: { tasks?: string[] }): number => line.tasks?.length ?? -1

  const a = startApp('test/support/counting-app.ts', env)
  await a.ready
  const b = startApp('test/support/counting-app.ts', env)
  await b.ready
  t.teardown(() => {
    for (const p of [a, b]) p.child.kill('SIGKILL')
  })
  await b.waitFor<{ tasks?: string[] }>((l) => taskCount(l) > 0 && taskCount(l) < ALL_TASKS, 60_000)
  await a.waitFor<{ tasks?: string[] }>((l) => taskCount(l) > 0 && taskCount(l) < ALL_TASKS, 60_000)
  t.pass('two instances share the tasks')

  const inputs = countingInput(RECORDS, 800, 7)
  const records = inputs.map((v) => ({ key: v.key, value: inputSerde.serialize(names.input, v) }))
  // Half the input before the kill, the other half once the zombie-to-be runs tasks: both land on work.
  const firstHalf = produce(names.input, records.slice(0, RECORDS / 2), { chunk: 2000, pauseMs: 150 })
  /** Arms `app`'s hold and waits for a transaction held with output records written (commit-hold.ts). */
  const holdOf = async (app: AppProcess, who: string): Promise<HeldRecord[]> => {
    app.child.kill('SIGUSR2')
    const { holding } = await app.waitFor<{ holding?: Holding }>((l) => l.holding !== undefined, 60_000)
    const outputs = holding!.records.filter((r) => r.topic === names.output)
    const stable = await stableEnds(names.output)
    t.ok(
      outputs.length > 0 && outputs.every((r) => (stable.get(r.partition) ?? 0) <= r.baseOffset),
      `${who} holds a transaction with output records written above the last stable offset`,
    )
    return outputs
  }
  const committed = async (who: string): Promise<void> => {
    const n = await committedOffsetSum(appId, names.input)
    t.ok(n > 0 && n < RECORDS, `${who}: committed input offsets above 0 and below ${RECORDS} (${n})`)
  }

  await a.waitFor<{ committed?: number }>((l) => (l.committed ?? 0) >= RECORDS / 8, 60_000)
  const held = await holdOf(a, 'A, before its kill')
  a.child.kill('SIGKILL')
  await a.exited
  await committed('at the kill of A')
  await b.waitFor<{ tasks?: string[] }>((l) => taskCount(l) === ALL_TASKS, 60_000)
  t.pass('the survivor runs every task after the kill')

  const c = startApp('test/support/counting-app.ts', env)
  t.teardown(() => c.child.kill('SIGKILL'))
  await c.ready
  await c.waitFor<{ tasks?: string[] }>((l) => taskCount(l) > 0, 60_000)
  await firstHalf
  const secondHalf = produce(names.input, records.slice(RECORDS / 2), { chunk: 2000, pauseMs: 150 })
  await c.waitFor<{ commits?: number }>((l) => (l.commits ?? 0) > 0, 60_000)
  // The zombie-to-be holds pending work: records written, offsets not committed.
  held.push(...(await holdOf(c, 'C, before its pause')))
  c.child.kill('SIGSTOP')
  // Read at the pause, while C holds its transaction: its input offsets are past the committed ones, so
  // the sum is below the total however fast B later takes C's tasks over and catches up (read after the
  // takeover, a quiet machine's B had committed all 120,000 by then).
  await committed('while C is paused')
  await b.waitFor<{ tasks?: string[] }>((l) => taskCount(l) === ALL_TASKS, 60_000)
  t.pass('the paused instance lost its tasks')
  c.child.kill('SIGCONT')
  c.child.kill('SIGUSR2') // the resumed zombie tries to commit the held transaction
  const { heldCommit } = await c.waitFor<{ heldCommit?: string }>((l) => l.heldCommit !== undefined, 60_000)
  t.equal(heldCommit, 'failed', "the zombie's commit of its pending work is refused")

  await secondHalf
  const deadline = Date.now() + 180_000
  while ((await committedOffsetSum(appId, names.input)) < RECORDS && Date.now() < deadline) await sleep(500)
  await terminate(t, [b, c], (app) => (app === b ? 'B' : 'C'))
  t.comment(`zombie commit failures: ${JSON.stringify(c.latest('commitFailures'))}`)

  // Every check from here on reads after all instances stopped, to the topics' end offsets.
  const { messages: outputs } = await readToEnd(names.output)
  const decoded = outputs.map((m) => outputSerde.deserialize(names.output, m.value!))
  const { problems, expected } = checkCounting(inputs, decoded)
  t.same(problems, [], 'every input counted exactly once, in order, over the whole data')
  t.equal(decoded.length, RECORDS)
  const delivered = new Set(outputs.map((m) => `${m.partition}:${m.offset}`))
  t.same(
    held.filter((r) => delivered.has(`${r.partition}:${r.baseOffset}`)),
    [],
    'no record of the killed or the zombie transaction was delivered',
  )

  const changelog = changelogTopicName(appId, COUNT_STORE)
  const stateSerde = jsonSerde<CountState>()
  const store = new Map<string, CountState>()
  for (const m of (await readToEnd(changelog)).messages)
    store.set(m.key!.toString(), stateSerde.deserialize(changelog, m.value!))
  const wrong = [...expected].filter(
    ([k, v]) => store.get(k)?.total !== v.total || store.get(k)?.count !== v.count,
  )
  t.same(wrong.slice(0, 5), [], 'the stores hold the exact sums')
})

t.test('an instance whose task was taken over cannot commit its pending work', async (t) => {
  await requireKafka()
  const appId = `fenced-${Date.now()}`
  t.teardown(() => deleteTopicsMatching(appId))
  const names = { input: `${appId}-input`, output: `${appId}-output` }
  const registry = new LocalSchemaRegistry()
  const { input: inputSerde, output: outputSerde } = await createCountingSerdes(registry, names)
  const instance = (commitIntervalMs: number): KafkaStreams =>
    new KafkaStreams(buildCountingTopology({ input: inputSerde, output: outputSerde }, names), {
      applicationId: appId,
      deadLetterTopic: COUNTING_DEAD_LETTERS,
      ...kafkaConnection(),
      topics: countingTopics(1, names),
      commitIntervalMs,
      logger: pino({ level: 'silent' }),
    })
  // Nothing commits on its own during the test: the work stays pending until close().
  const streams = instance(600_000)
  await streams.start()
  const inputs = countingInput(50, 5, 3)
  await produce(
    names.input,
    inputs.map((v) => ({ key: v.key, value: inputSerde.serialize(names.input, v) })),
  )
  const deadline = Date.now() + 60_000
  while ((await streams.metrics.recordsProcessed.get()).values.reduce((s, v) => s + v.value, 0) < 50) {
    if (Date.now() > deadline) throw new Error('the instance did not process the input')
    await sleep(100)
  }
  t.equal(await committedOffsetSum(appId, names.input), 0, 'its work is pending: no input offset committed')
  // The new owner of task 0_0: a producer with the task's transactional ID fences the old one.
  const usurper = kafkaClient('usurper').producer({
    transactionalId: `${appId}-${names.input}-0`,
    idempotent: true,
    maxInFlightRequests: 1,
  })
  await usurper.connect()
  await (await usurper.transaction()).abort() // kafkajs takes the transactional ID at its first transaction
  await streams.close()
  await usurper.disconnect()
  const failures = (await streams.metrics.commitFailures.get()).values
  t.ok(
    failures.some((f) => f.labels.reason === 'fenced' && f.value >= 1),
    'the pending commit was refused as fenced',
  )
  // readToEnd returns once the consumer has fetched up to the end offsets, so empty means empty.
  const { messages, ends } = await readToEnd(names.output)
  t.equal(messages.length, 0, 'nothing of the fenced instance is visible to read_committed consumers')
  t.comment(`output end offsets after the fenced commit: ${JSON.stringify([...ends])}`)
  t.equal(await committedOffsetSum(appId, names.input), 0, 'no input offset committed by the fenced instance')

  // The positive control: a next owner redoes the pending work and commits it, and the same read sees it.
  const next = instance(100)
  await next.start()
  const until = Date.now() + 60_000
  while ((await committedOffsetSum(appId, names.input)) < inputs.length) {
    if (Date.now() > until) throw new Error('the next owner did not commit the input')
    await sleep(200)
  }
  await next.close()
  const redone = (await readToEnd(names.output)).messages.map((m) =>
    outputSerde.deserialize(names.output, m.value!),
  )
  t.same(checkCounting(inputs, redone).problems, [], 'the next owner commits the work, each input once')
  t.equal(redone.length, inputs.length)
})
