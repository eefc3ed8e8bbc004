/**
 * Two instances in one group on a real broker. One is killed mid-stream: the
 * survivor takes its tasks, restores their stores, and the result is exact.
 * Then a zombie: an instance paused with SIGSTOP until its tasks moved away,
 * then resumed, must not commit anything for them (its producers are fenced);
 * the result stays exact over the whole data.
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
import {
  deleteTopicsMatching,
  kafkaClient,
  kafkaConnection,
  produce,
  readCommitted,
  requireKafka,
} from '../support/kafka.ts'
import { sleep, startApp } from '../support/processes.ts'

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
  const producing = produce(
    names.input,
    inputs.map((v) => ({ key: v.key, value: inputSerde.serialize(names.input, v) })),
    { chunk: 2000, pauseMs: 150 },
  )
  await sleep(3000)
  a.child.kill('SIGKILL')
  await a.exited
  await b.waitFor<{ tasks?: string[] }>((l) => taskCount(l) === ALL_TASKS, 60_000)
  t.pass('the survivor runs every task after the kill')

  const c = startApp('test/support/counting-app.ts', env)
  t.teardown(() => c.child.kill('SIGKILL'))
  await c.ready
  await c.waitFor<{ tasks?: string[] }>((l) => taskCount(l) > 0, 60_000)
  await sleep(1000)
  c.child.kill('SIGSTOP')
  await b.waitFor<{ tasks?: string[] }>((l) => taskCount(l) === ALL_TASKS, 60_000)
  t.pass('the paused instance lost its tasks')
  await sleep(1000)
  c.child.kill('SIGCONT')

  await producing
  const outputs = await readCommitted(names.output, { expected: RECORDS, timeoutMs: 180_000, settleMs: 4000 })
  const decoded = outputs.map((m) => outputSerde.deserialize(names.output, m.value!))
  const { problems, expected } = checkCounting(inputs, decoded)
  t.same(problems, [], 'every input counted exactly once, in order, over the whole data')
  t.equal(decoded.length, RECORDS)

  const changelog = changelogTopicName(appId, COUNT_STORE)
  const stateSerde = jsonSerde<CountState>()
  const store = new Map<string, CountState>()
  for (const m of await readCommitted(changelog, { expected: expected.size, timeoutMs: 60_000 }))
    store.set(m.key!.toString(), stateSerde.deserialize(changelog, m.value!))
  const wrong = [...expected].filter(
    ([k, v]) => store.get(k)?.total !== v.total || store.get(k)?.count !== v.count,
  )
  t.same(wrong.slice(0, 5), [], 'the stores hold the exact sums')

  for (const p of [b, c]) p.child.kill('SIGTERM')
  const stopped = Promise.all([b.exited, c.exited])
  let timer: NodeJS.Timeout | undefined
  const late = await Promise.race([
    stopped.then(() => false),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), 30_000))),
  ])
  clearTimeout(timer)
  if (late)
    t.fail(
      `an instance did not stop within 30 s of SIGTERM:\nB:\n${b.stderr().slice(-4000)}\nC:\n${c.stderr().slice(-4000)}`,
    )
  const [bExit, cExit] = await stopped
  t.equal(bExit.code, 0)
  t.equal(cExit.code, 0)
  // Whether the resumed instance still had uncommitted work (and so a refused commit) depends on timing;
  // the deterministic check of fencing is the next test.
  t.comment(`zombie commit failures: ${JSON.stringify(c.latest('commitFailures'))}`)
})

t.test('an instance whose task was taken over cannot commit its pending work', async (t) => {
  await requireKafka()
  const appId = `fenced-${Date.now()}`
  t.teardown(() => deleteTopicsMatching(appId))
  const names = { input: `${appId}-input`, output: `${appId}-output` }
  const registry = new LocalSchemaRegistry()
  const { input: inputSerde, output: outputSerde } = await createCountingSerdes(registry, names)
  const streams = new KafkaStreams(buildCountingTopology({ input: inputSerde, output: outputSerde }, names), {
    applicationId: appId,
    deadLetterTopic: COUNTING_DEAD_LETTERS,
    ...kafkaConnection(),
    topics: countingTopics(1, names),
    // Nothing commits on its own during the test: the work stays pending until close().
    commitIntervalMs: 600_000,
    logger: pino({ level: 'silent' }),
  })
  await streams.start()
  await produce(
    names.input,
    countingInput(50, 5, 3).map((v) => ({ key: v.key, value: inputSerde.serialize(names.input, v) })),
  )
  const deadline = Date.now() + 60_000
  while ((await streams.metrics.recordsProcessed.get()).values.reduce((s, v) => s + v.value, 0) < 50) {
    if (Date.now() > deadline) throw new Error('the instance did not process the input')
    await sleep(100)
  }
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
  const outputs = await readCommitted(names.output, { expected: 0, timeoutMs: 20_000, settleMs: 2000 })
  t.equal(outputs.length, 0, 'nothing of the fenced instance is visible to read_committed consumers')
})
