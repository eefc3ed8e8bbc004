import { randomBytes } from 'node:crypto'
import t from 'tap'
import { Partitioners, type PartitionMetadata } from 'kafkajs'
import { defaultPartitioner, murmur2 } from '../../streams/index.ts'

// org.apache.kafka.common.utils.UtilsTest#testMurmur2 (Java client), signed 32-bit results.
const JAVA_VECTORS: readonly (readonly [string, number])[] = [
  ['21', -973932308],
  ['foobar', -790332482],
  ['a-little-bit-long-string', -985981536],
  ['a-little-bit-longer-string', -1486304829],
  ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
  ['abc', 479470107],
]

t.test("murmur2 matches the Java client's test vectors", async (t) => {
  for (const [input, expected] of JAVA_VECTORS) t.equal(murmur2(Buffer.from(input, 'utf8')), expected, input)
})

t.test('murmur2 returns a signed 32-bit integer and reads a Uint8Array like a Buffer', async (t) => {
  for (let i = 0; i < 200; i++) {
    const bytes = randomBytes(i % 40)
    const h = murmur2(bytes)
    t.ok(Number.isInteger(h) && h >= -(2 ** 31) && h < 2 ** 31, `in int32 range (${h})`)
    t.equal(murmur2(new Uint8Array(bytes)), h)
  }
})

t.test('defaultPartitioner is (murmur2(key) & 0x7fffffff) % partitions', async (t) => {
  for (const [input, hash] of JAVA_VECTORS)
    for (const n of [1, 2, 3, 7, 12, 100]) {
      const p = defaultPartitioner('any.topic', Buffer.from(input), Buffer.from('v'), n)
      t.equal(p, (hash & 0x7fffffff) % n, `${input} over ${n}`)
      t.ok(p >= 0 && p < n)
    }
  // Negative hashes must not give negative partitions (toPositive, not Math.abs).
  t.equal(defaultPartitioner('x', Buffer.from('21'), null, 12), (-973932308 & 0x7fffffff) % 12)
})

t.test('a null key goes to partition 0 whatever the value and the partition count', async (t) => {
  for (const n of [1, 5, 12]) {
    t.equal(defaultPartitioner('t', null, Buffer.from('value'), n), 0)
    t.equal(defaultPartitioner('t', null, null, n), 0)
  }
})

t.test("defaultPartitioner agrees with kafkajs' DefaultPartitioner on 10,000 random keys", async (t) => {
  const partitions = 12
  const partitionMetadata: PartitionMetadata[] = Array.from({ length: partitions }, (_, i) => ({
    partitionId: i,
    leader: 0,
    partitionErrorCode: 0,
    replicas: [0],
    isr: [0],
  }))
  const kafkajs = Partitioners.DefaultPartitioner()
  let mismatches = 0
  const firstMismatches: string[] = []
  const seen = new Set<number>()
  for (let i = 0; i < 10_000; i++) {
    // Mixed lengths (0..64 bytes, every tail length) and some UTF-8 text keys.
    const key =
      i % 4 === 0 ? Buffer.from(`event-${i}-ключ-${randomBytes(4).toString('hex')}`) : randomBytes(i % 65)
    const ours = defaultPartitioner('t', key, null, partitions)
    const theirs = kafkajs({ topic: 't', partitionMetadata, message: { key, value: null } })
    seen.add(ours)
    if (ours !== theirs) {
      mismatches++
      if (firstMismatches.length < 5) firstMismatches.push(`${key.toString('hex')}: ${ours} vs ${theirs}`)
    }
  }
  t.equal(mismatches, 0, firstMismatches.join('; '))
  t.equal(seen.size, partitions, 'random keys reach every partition')
})
