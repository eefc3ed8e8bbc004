/**
 * Exactly-once on a real broker through crashes: the counting topology over
 * 200,000 records across 12 partitions while its process is killed with
 * SIGKILL at random moments (at least 5 times) and restarted. The output topic
 * (read_committed) and the store (its changelog) must equal the exact sums.
 */
import t from 'tap'
import { LocalSchemaRegistry } from '../../avro/index.ts'
import { changelogTopicName, jsonSerde } from '../../streams/index.ts'
import { COUNT_STORE, type CountState } from '../../examples/counting/count-sum.ts'
import { createCountingSerdes } from '../../examples/counting/counting-topology.ts'
import { checkCounting, countingInput } from '../support/counting-check.ts'
import { produce, readCommitted, requireKafka, deleteTopicsMatching } from '../support/kafka.ts'
import { seededRandom, sleep, startApp, type AppProcess } from '../support/processes.ts'

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
  await app.ready
  const producing = produce(
    names.input,
    inputs.map((v) => ({ key: v.key, value: inputSerde.serialize(names.input, v) })),
    { chunk: 2000, pauseMs: 40 },
  )
  for (let kill = 0; kill < KILLS; kill++) {
    await sleep(1500 + random() * 3000)
    app.child.kill('SIGKILL')
    await app.exited
    app = startApp('test/support/counting-app.ts', env)
    await app.ready
  }
  await producing
  const outputs = await readCommitted(names.output, { expected: RECORDS, timeoutMs: 180_000, settleMs: 3000 })
  app.child.kill('SIGTERM')
  const exit = await app.exited
  t.equal(exit.code, 0, 'the last instance shuts down cleanly')

  const decoded = outputs.map((m) => outputSerde.deserialize(names.output, m.value!))
  const { problems, expected } = checkCounting(inputs, decoded)
  t.same(problems, [], 'outputs: every key counted exactly once per input, in order')
  t.equal(decoded.length, RECORDS, 'one output per input, read_committed')

  const changelog = changelogTopicName(appId, COUNT_STORE)
  const stateSerde = jsonSerde<CountState>()
  const changes = await readCommitted(changelog, {
    expected: expected.size,
    timeoutMs: 60_000,
    settleMs: 2000,
  })
  const store = new Map<string, CountState>()
  for (const m of changes) store.set(m.key!.toString(), stateSerde.deserialize(changelog, m.value!))
  const mismatched = [...expected].filter(
    ([k, v]) => store.get(k)?.total !== v.total || store.get(k)?.count !== v.count,
  )
  t.same(mismatched.slice(0, 5), [], 'the store (its changelog) holds the exact sums for every key')
  t.equal(store.size, expected.size)
})
