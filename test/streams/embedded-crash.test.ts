/**
 * Exactly-once on the embedded transport across process kills: 1,000,000
 * records in the durable embedded log; the counting app is killed with SIGKILL
 * at random moments while it processes, restarted, and finally stopped; the
 * output topic and the store equal the exact sums. No loss, no duplicate.
 * (The app gets through 200,000 records in about half a second, less than five
 * kills need: hence a million.)
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { LocalSchemaRegistry } from '../../avro/index.ts'
import type { CountTotalValue } from '../../examples/counting/count-sum.ts'
import { EmbeddedLog } from '../../streams/index.ts'
import { defaultPartitioner } from '../../streams/partitioner.ts'
import {
  countingTopics,
  createCountingSerdes,
  DEFAULT_COUNTING_TOPICS as names,
} from '../../examples/counting/counting-topology.ts'
import { checkCounting, countingInput } from '../support/counting-check.ts'
import { seededRandom, sleep, startApp, type AppProcess } from '../support/processes.ts'

const RECORDS = Number(process.env.CRASH_TEST_RECORDS ?? 1_000_000)
const KILLS = Number(process.env.CRASH_TEST_KILLS ?? 5)
const seed = Number(process.env.CRASH_TEST_SEED ?? Date.now() % 100_000)

t.test(`counting stays exact through ${KILLS} SIGKILLs on the embedded log (seed ${seed})`, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'embedded-crash-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const registry = new LocalSchemaRegistry()
  const { input: inputSerde, output: outputSerde } = await createCountingSerdes(registry, names)
  const inputs = countingInput(RECORDS, 1000, seed)

  const log = EmbeddedLog.open({ dir })
  log.createTopics(countingTopics(12))
  for (let i = 0; i < inputs.length; i += 5000) {
    log.append(
      inputs.slice(i, i + 5000).map((v) => {
        const key = Buffer.from(v.key)
        return {
          topic: names.input,
          partition: defaultPartitioner(names.input, key, null, 12),
          key,
          value: inputSerde.serialize(names.input, v),
          timestamp: 0,
          headers: {},
        }
      }),
    )
  }
  log.close()

  const env = {
    TRANSPORT: 'embedded',
    APP_ID: 'counting',
    DATA_DIR: dir,
    SCHEMA_REGISTRY_URL: '',
    DUMP_STORE: join(dir, 'store.json'),
  }
  const random = seededRandom(seed)
  let killedMidway = 0
  for (let kill = 0; kill < KILLS; kill++) {
    const app: AppProcess = startApp('test/support/counting-app.ts', env)
    await app.ready
    // Kill once processing is under way but before it ends: after the first commit of this run.
    const before = (await app.waitFor<{ committed?: number }>((l) => l.committed !== undefined, 10_000))
      .committed!
    await app.waitFor<{ committed?: number }>((l) => (l.committed ?? 0) > before || before >= RECORDS, 30_000)
    await sleep(random() * 150)
    app.child.kill('SIGKILL')
    await app.exited
    if ((app.latest<number>('committed') ?? RECORDS) < RECORDS) killedMidway++
  }
  t.equal(killedMidway, KILLS, `all ${KILLS} kills hit a run that was still processing`)

  const last = startApp('test/support/counting-app.ts', env)
  await last.ready
  await last.waitFor<{ committed?: number }>((l) => l.committed === RECORDS, 60_000)
  last.child.kill('SIGTERM')
  t.equal((await last.exited).code, 0, 'clean shutdown')

  const reopened = EmbeddedLog.open({ dir })
  t.teardown(() => reopened.close())
  const outputs: CountTotalValue[] = []
  for (let p = 0; p < 12; p++)
    for (let offset = 0; ;) {
      const batch = reopened.read(names.output, p, offset, 10_000)
      if (batch.length === 0) break
      for (const r of batch) outputs.push(outputSerde.deserialize(names.output, r.value!))
      offset = batch[batch.length - 1]!.offset + 1
    }
  const { problems, expected } = checkCounting(inputs, outputs)
  t.same(problems, [], 'outputs: every input counted exactly once, in order')
  t.equal(outputs.length, RECORDS)
  const store = JSON.parse(readFileSync(join(dir, 'store.json'), 'utf8')) as {
    [key: string]: { total: number; count: number }
  }
  const wrong = [...expected].filter(([k, v]) => store[k]?.total !== v.total || store[k]?.count !== v.count)
  t.same(wrong.slice(0, 5), [], 'the restored store holds the exact sums')
  t.equal(Object.keys(store).length, expected.size)
})
