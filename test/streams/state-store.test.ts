import t from 'tap'
import { InMemoryKeyValueStore, jsonSerde, Stores, stringSerde, type Serde } from '../../streams/index.ts'
import type { ChangelogRecord } from '../../streams/state-store.ts'

interface Value {
  readonly n: number
}
const valueSerde = jsonSerde<Value>()

const newStore = (logged = true): InMemoryKeyValueStore<string, Value> =>
  new InMemoryKeyValueStore('store', stringSerde, valueSerde, logged)

/** The value serde, counting its decodes. */
function countingSerde(): Serde<Value> & { readonly decoded: number } {
  let decoded = 0
  return {
    serialize: (topic, value) => valueSerde.serialize(topic, value),
    deserialize: (topic, bytes) => {
      decoded++
      return valueSerde.deserialize(topic, bytes)
    },
    get decoded() {
      return decoded
    },
  }
}

/** A changelog as [key, value | null] strings, sorted by key. */
const readable = (records: ChangelogRecord[]): [string, string | null][] =>
  records
    .map((r): [string, string | null] => [r.key.toString(), r.value === null ? null : r.value.toString()])
    .sort(([a], [b]) => (a < b ? -1 : 1))

t.test('get, put, delete, putIfAbsent, all and approximateNumEntries', async (t) => {
  const store = newStore()
  t.equal(store.name, 'store')
  t.equal(store.get('a'), undefined)
  store.put('a', { n: 1 })
  store.put('b', { n: 2 })
  store.put('a', { n: 3 })
  t.same(store.get('a'), { n: 3 })
  t.equal(store.approximateNumEntries(), 2)
  t.same(
    [...store.all()],
    [
      ['a', { n: 3 }],
      ['b', { n: 2 }],
    ],
  )
  t.same(store.putIfAbsent('a', { n: 9 }), { n: 3 }, 'returns the existing value')
  t.same(store.get('a'), { n: 3 }, 'and does not overwrite it')
  t.equal(store.putIfAbsent('c', { n: 4 }), undefined)
  t.same(store.get('c'), { n: 4 })
  t.same(store.delete('b'), { n: 2 }, 'delete returns the old value')
  t.equal(store.get('b'), undefined)
  t.equal(store.delete('b'), undefined, 'deleting an absent key returns undefined')
  t.equal(store.approximateNumEntries(), 2)
  store.put('c', null as unknown as Value)
  t.equal(store.get('c'), undefined, 'putting null deletes')
  t.same(
    [...store.all()].map(([k]) => k),
    ['a'],
  )
})

t.test('drainChangelog: one record per written key with its last value, then nothing', async (t) => {
  const store = newStore()
  store.put('a', { n: 1 })
  store.put('a', { n: 2 })
  store.put('b', { n: 1 })
  store.delete('b')
  store.put('c', { n: 1 })
  store.delete('c')
  store.put('c', { n: 5 })
  store.delete('never-there')
  const first = store.drainChangelog('app-store-changelog')
  t.same(readable(first), [
    ['a', '{"n":2}'],
    ['b', null],
    ['c', '{"n":5}'],
  ])
  t.same(store.drainChangelog('app-store-changelog'), [], 'nothing the second time')
  store.delete('a')
  t.same(readable(store.drainChangelog('app-store-changelog')), [['a', null]], 'a delete is a tombstone')
})

t.test('drainChangelog serializes with the changelog topic name', async (t) => {
  const topics: string[] = []
  const recording: Serde<string> = {
    serialize: (topic, data) => {
      topics.push(topic)
      return Buffer.from(data)
    },
    deserialize: (_topic, data) => data.toString(),
  }
  const store = new InMemoryKeyValueStore<string, string>('s', recording, recording)
  store.put('k', 'v')
  store.drainChangelog('app-s-changelog')
  t.same(topics, ['app-s-changelog', 'app-s-changelog'])
})

t.test('non-string keys are indexed by their serialized bytes', async (t) => {
  const store = new InMemoryKeyValueStore<{ eventId: string; seat: number }, Value>(
    'seats',
    jsonSerde(),
    valueSerde,
  )
  store.put({ eventId: 'e1', seat: 1 }, { n: 1 })
  t.same(store.get({ eventId: 'e1', seat: 1 }), { n: 1 }, 'an equal object (another instance) finds it')
  store.put({ eventId: 'e1', seat: 1 }, { n: 2 })
  store.put({ eventId: 'e1', seat: 2 }, { n: 3 })
  t.equal(store.approximateNumEntries(), 2)
  t.same(
    [...store.all()],
    [
      [{ eventId: 'e1', seat: 1 }, { n: 2 }],
      [{ eventId: 'e1', seat: 2 }, { n: 3 }],
    ],
  )
  t.same(store.delete({ eventId: 'e1', seat: 2 }), { n: 3 })
  t.same(readable(store.drainChangelog('c')), [
    ['{"eventId":"e1","seat":1}', '{"n":2}'],
    ['{"eventId":"e1","seat":2}', null],
  ])
  const numbers = new InMemoryKeyValueStore<number, string>('n', jsonSerde(), stringSerde)
  numbers.put(1, 'one')
  numbers.put(10, 'ten')
  t.equal(numbers.get(1), 'one')
  t.equal(numbers.get(10), 'ten')
  t.equal(numbers.get(100), undefined)
})

t.test('rollback restores previous values and removes keys added since the savepoint', async (t) => {
  const store = newStore()
  store.put('kept', { n: 1 })
  store.put('changed', { n: 1 })
  store.put('deleted', { n: 1 })
  store.drainChangelog('c')
  store.savepoint()
  store.put('changed', { n: 2 })
  store.put('changed', { n: 3 })
  store.delete('deleted')
  store.put('added', { n: 1 })
  store.put('added-then-deleted', { n: 1 })
  store.delete('added-then-deleted')
  store.rollback()
  t.same(
    Object.fromEntries(store.all()),
    { kept: { n: 1 }, changed: { n: 1 }, deleted: { n: 1 } },
    'the store is as at the savepoint',
  )
  t.equal(store.get('added'), undefined)
  // Whatever the changelog says after a rollback, it must describe the restored state.
  const state = new Map(store.drainChangelog('c').map((r) => [r.key.toString(), r.value?.toString() ?? null]))
  for (const [key, value] of state)
    t.equal(
      value,
      store.get(key) === undefined ? null : JSON.stringify(store.get(key)),
      `changelog of ${key}`,
    )

  // After a rollback the store is out of the savepoint: later writes stay.
  store.put('later', { n: 7 })
  store.rollback()
  t.same(store.get('later'), { n: 7 }, 'a rollback without a savepoint undoes nothing')
})

t.test('release keeps the writes and a new savepoint starts afresh', async (t) => {
  const store = newStore()
  store.put('a', { n: 1 })
  store.savepoint()
  store.put('a', { n: 2 })
  store.put('b', { n: 1 })
  store.release()
  t.same(store.get('a'), { n: 2 })
  t.same(store.get('b'), { n: 1 })
  store.savepoint()
  store.put('a', { n: 3 })
  store.rollback()
  t.same(store.get('a'), { n: 2 }, 'rolls back to the second savepoint, not the first')
  t.same(store.get('b'), { n: 1 })
  t.same(readable(store.drainChangelog('c')), [
    ['a', '{"n":2}'],
    ['b', '{"n":1}'],
  ])
})

t.test('restore applies changelog records; tombstones delete; nothing is re-logged', async (t) => {
  const store = newStore()
  store.restore(Buffer.from('a'), Buffer.from('{"n":1}'))
  store.restore(Buffer.from('b'), Buffer.from('{"n":2}'))
  store.restore(Buffer.from('a'), Buffer.from('{"n":3}'))
  store.restore(Buffer.from('b'), null)
  store.restore(Buffer.from('never'), null)
  t.same(Object.fromEntries(store.all()), { a: { n: 3 } })
  t.same(store.drainChangelog('c'), [], 'restored records are not written back to the changelog')

  const objects = new InMemoryKeyValueStore<{ id: number }, Value>('o', jsonSerde(), valueSerde)
  objects.restore(Buffer.from('{"id":1}'), Buffer.from('{"n":1}'))
  t.same(objects.get({ id: 1 }), { n: 1 }, 'restored object keys are found by value')
  objects.restore(Buffer.from('{"id":1}'), null)
  t.equal(objects.approximateNumEntries(), 0)
})

t.test('restored values are decoded on first use, once, from a copy of their bytes', async (t) => {
  const counting = countingSerde()
  const store = new InMemoryKeyValueStore<string, Value>('lazy', stringSerde, counting)
  const batch = Buffer.from('{"n":1}{"n":2}{"n":3}')
  store.restore(Buffer.from('a'), batch.subarray(0, 7))
  store.restore(Buffer.from('b'), batch.subarray(7, 14))
  store.restore(Buffer.from('c'), batch.subarray(14))
  batch.fill(0) // the fetched batch is reused: the store kept its own bytes
  t.equal(counting.decoded, 0, 'nothing is decoded while restoring')
  t.same(store.get('b'), { n: 2 })
  t.same(store.get('b'), { n: 2 })
  t.equal(counting.decoded, 1, 'a read decodes its value once')
  t.same(Object.fromEntries(store.all()), { a: { n: 1 }, b: { n: 2 }, c: { n: 3 } })
  t.equal(counting.decoded, 3, 'all() decodes the rest')
  store.savepoint()
  store.put('a', { n: 9 })
  store.rollback()
  t.same(store.get('a'), { n: 1 }, 'a rollback puts back the decoded value')
  t.equal(counting.decoded, 3)
})

t.test('a changelog drained from one store restores another to the same state', async (t) => {
  const source = newStore()
  for (let i = 0; i < 50; i++) source.put(`k${i % 7}`, { n: i })
  source.delete('k3')
  const target = newStore()
  for (const r of source.drainChangelog('c')) target.restore(r.key, r.value)
  t.same(Object.fromEntries(target.all()), Object.fromEntries(source.all()))
})

t.test('logged: false produces no changelog', async (t) => {
  const store = newStore(false)
  t.equal(store.logged, false)
  store.put('a', { n: 1 })
  store.delete('a')
  store.put('b', { n: 2 })
  t.same(store.drainChangelog('c'), [])
  t.same(store.get('b'), { n: 2 }, 'the store still works')
})

t.test('a stable restore keeps the bytes it is given (the embedded journal), without a copy', async (t) => {
  const store = new InMemoryKeyValueStore<string, Value>('stable', stringSerde, valueSerde)
  const journal = Buffer.from('{"n":1}{"n":2}')
  store.restore(Buffer.from('a'), journal.subarray(0, 7), true)
  store.restore(Buffer.from('b'), journal.subarray(7, 14))
  journal.write('{"n":8}{"n":9}')
  t.same(store.get('a'), { n: 8 }, 'a view into the given bytes')
  t.same(store.get('b'), { n: 2 }, 'a restore that is not stable copies')
})

t.test('restoreFrom (ranges of stable bytes) ends in the state restore ends in, keeping views', async (t) => {
  // One buffer holding keys and values back to back, as the journal does; each step is [key, value|null].
  let seed = 7
  const random = (n: number): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % n
  for (let round = 0; round < 20; round++) {
    const steps = Array.from({ length: 40 }, (_, i) => [
      `k${random(8)}é`, // a key of more than ASCII: both read it as UTF-8
      random(4) === 0 ? null : `{"n":${i}}`,
    ]) as [string, string | null][]
    const parts: Buffer[] = []
    const ranges: [number, number, number, number][] = []
    let at = 0
    for (const [key, value] of steps) {
      const k = Buffer.from(key)
      const v = value === null ? Buffer.alloc(0) : Buffer.from(value)
      ranges.push([at, k.length, at + k.length, value === null ? -1 : v.length])
      parts.push(k, v)
      at += k.length + v.length
    }
    const bytes = Buffer.concat(parts)
    const byRecords = newStore()
    const byRanges = newStore()
    steps.forEach(([key, value], i) => {
      byRecords.restore(Buffer.from(key), value === null ? null : Buffer.from(value))
      byRanges.restoreFrom(bytes, ...ranges[i]!)
    })
    t.same([...byRanges.all()], [...byRecords.all()], `round ${round}: same entries in the same order`)
    t.same(byRanges.drainChangelog('c'), [], 'nothing is re-logged')
  }
  const objects = new InMemoryKeyValueStore<{ id: number }, Value>('o', jsonSerde(), valueSerde)
  const journal = Buffer.from('{"id":1}{"n":1}')
  objects.restoreFrom(journal, 0, 8, 8, 7)
  t.same(objects.get({ id: 1 }), { n: 1 }, 'keys of another serde are deserialized')
  t.same([...objects.all()], [[{ id: 1 }, { n: 1 }]])
  const views = newStore()
  const shared = Buffer.from('a{"n":1}')
  views.restoreFrom(shared, 0, 1, 1, 7)
  shared.write('{"n":5}', 1)
  t.same(views.get('a'), { n: 5 }, 'the value is a view into the given bytes, read when first used')
  objects.restoreFrom(journal, 0, 8, 0, -1)
  t.equal(objects.approximateNumEntries(), 0, 'a value length of -1 is a tombstone')
})

t.test(
  'prefixScan answers what filtering all() answers, in the same order, through any writes',
  async (t) => {
    // Random puts, deletes, rolled-back and released savepoints and restores, with scans between them: the
    // one-segment prefixes (`e1/`) come from the segment index once it is built, the others from a full visit.
    let seed = 11
    const random = (n: number): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % n
    const key = () =>
      [`e${random(3)}/b${random(6)}`, `e${random(3)}/b${random(2)}/x`, `e${random(3)}`][random(3)]!
    const prefixes = ['e0/', 'e1/', 'e2/', 'e9/', 'e1/b1', 'e', '', 'e0/b1/']
    const expected = (store: InMemoryKeyValueStore<string, Value>, prefix: string) =>
      [...store.all()].filter(([k]) => k.startsWith(prefix))
    const store = newStore()
    const unlogged = newStore(false)
    let scans = 0
    for (let step = 0; step < 3_000; step++) {
      for (const s of [store, unlogged]) {
        const op = random(10)
        const k = key()
        if (op < 4) s.put(k, { n: step })
        else if (op < 6) s.delete(k)
        else if (op === 6) s.restore(Buffer.from(k), random(3) === 0 ? null : Buffer.from(`{"n":${-step}}`))
        else if (op === 7) s.savepoint()
        else if (op === 8) s.rollback()
        else s.release()
      }
      if (step % 7 === 0)
        for (const s of [store, unlogged]) {
          const prefix = prefixes[random(prefixes.length)]!
          const scanned = [...s.prefixScan(prefix)]
          if (JSON.stringify(scanned) !== JSON.stringify(expected(s, prefix)))
            t.fail(`step ${step}: prefixScan('${prefix}') differs from all() filtered`, { scanned })
          scans++
        }
    }
    t.ok(scans > 800)
    t.same(
      [...store.prefixScan('e1/')].map(([k]) => k),
      expected(store, 'e1/').map(([k]) => k),
      'the last scan agrees too',
    )
    t.ok(expected(store, 'e1/').length > 0, 'and is not empty')
    const iterating = newStore()
    iterating.put('e1/a', { n: 1 })
    iterating.put('e1/b', { n: 2 })
    for (const [k] of iterating.prefixScan('e1/')) iterating.delete(k)
    t.same([...iterating.all()], [], 'a scan is a snapshot: its keys may be deleted while iterating')
  },
)

t.test('prefixScan decodes only the restored values it returns', async (t) => {
  const counting = countingSerde()
  const store = new InMemoryKeyValueStore<string, Value>('lazy', stringSerde, counting)
  for (let i = 0; i < 1_000; i++) store.restore(Buffer.from(`e${i % 100}/b${i}`), Buffer.from(`{"n":${i}}`))
  t.same(
    [...store.prefixScan('e7/')].map(([, v]) => v.n),
    [7, 107, 207, 307, 407, 507, 607, 707, 807, 907],
  )
  t.equal(counting.decoded, 10, 'one segment: its ten values')
  t.same(
    [...store.prefixScan('e42/b4')].map(([k]) => k),
    ['e42/b42', 'e42/b442'],
  )
  t.equal(counting.decoded, 12, 'any other prefix: the matching values only')
  store.restore(Buffer.from('e7/b5000'), Buffer.from('{"n":5000}'))
  store.restore(Buffer.from('e7/b7'), null)
  t.same(
    [...store.prefixScan('e7/')].map(([, v]) => v.n),
    [107, 207, 307, 407, 507, 607, 707, 807, 907, 5000],
    'the index follows restores once built',
  )
  t.equal(counting.decoded, 13)
})

t.test('Stores.keyValueStoreBuilder builds a fresh logged (default) or unlogged store', async (t) => {
  const builder = Stores.keyValueStoreBuilder('counts', stringSerde, valueSerde)
  t.equal(builder.name, 'counts')
  t.equal(builder.logged, true)
  const a = builder.build()
  const b = builder.build()
  t.not(a, b, 'one instance per build (per task)')
  t.type(a, InMemoryKeyValueStore)
  ;(a as InMemoryKeyValueStore<string, Value>).put('x', { n: 1 })
  t.equal((b as InMemoryKeyValueStore<string, Value>).get('x'), undefined, 'instances share nothing')
  t.equal(a.drainChangelog('c').length, 1)
  const unlogged = Stores.keyValueStoreBuilder('cache', stringSerde, valueSerde, { logged: false })
  t.equal(unlogged.logged, false)
  const store = unlogged.build()
  t.equal(store.logged, false)
  ;(store as InMemoryKeyValueStore<string, Value>).put('x', { n: 1 })
  t.same(store.drainChangelog('c'), [])
})
