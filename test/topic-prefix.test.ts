// KAFKA_TOPIC_PREFIX goes in front of every declared topic, everywhere the names are read (the declared
// list, the topology's constants, the analytics topics, the dead-letter topic); a bad prefix stops the
// process at once. Each case runs in a child process: the names are fixed when first imported.
import { spawnSync } from 'node:child_process'
import t from 'tap'

const script = `
  const { TOPICS } = await import('./infra/topics.ts')
  const names = await import('./topologies/topic-names.ts')
  const analytics = await import('./infra/clickhouse/analytics-topics.ts')
  console.log(JSON.stringify({
    declared: TOPICS.map((t) => t.name),
    constants: [...Object.values(names), analytics.VIEWS_TOPIC, analytics.FAVORITES_TOPIC],
  }))
`
const run = (prefix: string | undefined) => {
  const env = { ...process.env }
  if (prefix === undefined) delete env.KAFKA_TOPIC_PREFIX
  else env.KAFKA_TOPIC_PREFIX = prefix
  return spawnSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8' })
}

t.test('every declared topic and every topic constant carries the prefix', async (t) => {
  const plain = JSON.parse(run(undefined).stdout) as { declared: string[]; constants: string[] }
  const prefixed = JSON.parse(run('staging-2.').stdout) as { declared: string[]; constants: string[] }
  t.ok(plain.declared.includes('aquastream.booking.commands.v1'), 'no prefix: the README names')
  t.same(
    prefixed.declared,
    plain.declared.map((n) => `staging-2.${n}`),
  )
  t.same(
    prefixed.constants,
    plain.constants.map((n) => `staging-2.${n}`),
  )
  t.same(
    [...prefixed.constants].sort(),
    [...prefixed.declared].sort(),
    'the constants are exactly the declared topics',
  )
})

t.test('a prefix that cannot start a topic name stops the process', async (t) => {
  const bad = run('no spaces/')
  t.not(bad.status, 0)
  t.match(bad.stderr, /KAFKA_TOPIC_PREFIX "no spaces\/" is not a topic-name prefix/)
})
