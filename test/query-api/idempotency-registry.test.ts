// The registry cache on a real Redis: a key keeps its first request, a repeat gets it back, and a user may
// introduce only a bounded number of new keys in 24 hours (repeats of known keys do not count).
import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import t from 'tap'
import { loadConfig } from '../../infra/config.ts'
import { RedisRequestRegistry } from '../../query-api/idempotency.ts'

const redis = new Redis(loadConfig().redisUrl || 'redis://127.0.0.1:6379')
const prefix = `registry-test:${randomUUID()}:`
t.teardown(async () => {
  const keys = await redis.keys(`${prefix}*`)
  if (keys.length > 0) await redis.del(...keys)
  await redis.quit()
})

const entry = (n: number) => ({ requestId: `r-${n}`, resourceId: `b-${n}`, fingerprint: `f-${n}` })

t.test('claims, repeats and the per-user cap on Redis', async (t) => {
  const registry = new RedisRequestRegistry(redis, { prefix, maxKeysPerUser: 2 })
  t.same(await registry.claim('u1', 'k1', entry(1)), { entry: entry(1), fresh: true })
  t.same(await registry.claim('u1', 'k1', entry(9)), { entry: entry(1), fresh: false }, 'the first wins')
  t.same(await registry.claim('u1', 'k2', entry(2)), { entry: entry(2), fresh: true })
  await t.rejects(
    registry.claim('u1', 'k3', entry(3)),
    { name: 'TooManyKeysError', limit: 2 },
    'a third new key is refused',
  )
  t.same(
    await registry.claim('u1', 'k2', entry(8)),
    { entry: entry(2), fresh: false },
    'known keys still work',
  )
  t.same(await registry.claim('u2', 'k3', entry(3)), { entry: entry(3), fresh: true }, 'per user')
  const ttl = await redis.pttl(`${prefix}idem-count:u1`)
  t.ok(ttl > 0 && ttl <= 24 * 3600_000, `the count expires within 24 h (${ttl} ms)`)
})
