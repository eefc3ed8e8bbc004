// KAFKA_TOPIC_PREFIX goes in front of every declared topic, everywhere the names are used (the declared
// list, the serdes' subjects, the topology's sources and sinks, the catalog's and the analytics' topics, the
// dead-letter topic): the configuration passes it down as `topicNames(prefix)`; a bad prefix stops the
// service at start-up with a message naming the variable.
import t from 'tap'
import { loadConfig } from '../infra/config.ts'
import { declareTopics } from '../infra/topics.ts'
import { analyticsTopics } from '../read-models/analytics/index.ts'
import { catalogTopics } from '../read-models/catalog/index.ts'
import { LocalSchemaRegistry } from '../avro/index.ts'
import { buildBookingTopology, createBookingSerdes, topicNames } from '../topologies/index.ts'

const namesFor = (prefix: string | undefined) =>
  topicNames(loadConfig(prefix === undefined ? {} : { KAFKA_TOPIC_PREFIX: prefix }).kafkaTopicPrefix)

t.test('every declared topic and every topic the code uses carries the prefix', async (t) => {
  const plain = namesFor(undefined)
  const prefixed = namesFor('staging-2.')
  const declared = (names: typeof plain) => declareTopics(names).map((d) => d.name)
  const used = (names: typeof plain) => {
    const { sources, sinks } = buildBookingTopology({
      serdes: createBookingSerdes(new LocalSchemaRegistry(), names),
    }).topics()
    return [...sources, ...sinks, ...catalogTopics(names), ...analyticsTopics(names), names.deadLetters]
  }
  t.ok(declared(plain).includes('aquastream.booking.commands.v1'), 'no prefix: the README names')
  t.same(
    declared(prefixed),
    declared(plain).map((n) => `staging-2.${n}`),
  )
  t.same(
    Object.values(prefixed),
    Object.values(plain).map((n) => `staging-2.${n}`),
  )
  t.same(
    [...Object.values(prefixed)].sort(),
    [...declared(prefixed)].sort(),
    'the names are exactly the declared topics',
  )
  const undeclared = used(prefixed).filter((n) => !declared(prefixed).includes(n))
  t.same(undeclared, [], 'everything the code reads or writes is declared under the prefix')
})

t.test('a prefix that cannot start a topic name stops the service at start-up', async (t) => {
  t.throws(() => loadConfig({ KAFKA_TOPIC_PREFIX: 'no spaces/' }), {
    code: 'INVALID_CONFIG',
    message: /^KAFKA_TOPIC_PREFIX: "no spaces\/" is not allowed/,
  })
  t.throws(() => topicNames('no spaces/'), RangeError, 'and topicNames refuses it too')
})
