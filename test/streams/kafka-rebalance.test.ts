/**
 * Two instances in one group on a real broker. One is killed mid-stream: the
 * survivor takes its tasks, restores their stores, and the result is exact.
 * Then a zombie: an instance paused with SIGSTOP until its tasks moved away,
 * then resumed, must not commit anything for them (its producers are fenced);
 * the result stays exact over the whole data.
 */
import t from 'tap'
import { avroSerde, LocalSchemaRegistry } from '../../avro/index.ts'
import {
  COUNT_STORE,
  type CountInputValue,
  type CountState,
  type CountTotalValue,
} from '../../processors/count-sum.ts'
import { changelogTopicName, jsonSerde } from '../../streams/index.ts'
import { checkCounting, countingInput } from '../support/counting-check.ts'
import { deleteTopicsMatching, produce, readCommitted, requireKafka } from '../support/kafka.ts'
import { sleep, startApp } from '../support/processes.ts'

const RECORDS = Number(process.env.REBALANCE_TEST_RECORDS ?? 120_000)
const ALL_TASKS = 12

t.test('a killed instance hands its tasks to the survivor; a resumed zombie commits nothing', async (t) => {
  await requireKafka()
  const appId = `rebalance-${Date.now()}`
  t.teardown(() => deleteTopicsMatching(appId))
  const names = { input: `${appId}-input`, output: `${appId}-output` }
  const registry = new LocalSchemaRegistry()
  const inputSerde = avroSerde<CountInputValue>({
    registry,
    schema: 'aquastream.runtime.CountInput',
    topics: [names.input],
  })
  const outputSerde = avroSerde<CountTotalValue>({
    registry,
    schema: 'aquastream.runtime.CountTotal',
    topics: [names.output],
  })
  await inputSerde.init()
  await outputSerde.init()
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
  const late = await Promise.race([stopped.then(() => false), sleep(30_000).then(() => true)])
  if (late)
    t.fail(
      `an instance did not stop within 30 s of SIGTERM:\nB:\n${b.stderr().slice(-4000)}\nC:\n${c.stderr().slice(-4000)}`,
    )
  const [bExit, cExit] = await stopped
  t.equal(bExit.code, 0)
  t.equal(cExit.code, 0)
  const failures = c.latest<{ value: number; labels: { reason?: string } }[]>('commitFailures') ?? []
  const fenced = failures.filter((f) => f.labels.reason === 'fenced').reduce((sum, f) => sum + f.value, 0)
  t.ok(fenced >= 1, `the resumed zombie tried to commit and was fenced (${fenced} times)`)
})
