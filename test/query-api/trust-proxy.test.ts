// TRUST_PROXY: behind the configured proxies the client is the address X-Forwarded-For names (guests' rate
// limits count per client); without it, or from a sender that is not a trusted proxy, the header is
// ignored and the socket's address is the client.
import t from 'tap'
import type { RateLimitFigures } from '../../query-api/rate-limits.ts'
import { startHarness } from './api-harness.ts'

const TWO_PER_MINUTE: RateLimitFigures = {
  guest: { general: 2, booking: 2 },
  user: { general: 2, booking: 2 },
  organizer: { general: 2, booking: 2 },
  admin: { general: 2, booking: 2 },
  device: { general: 2, booking: 2 },
}

/** The statuses of three catalog reads from each of two clients behind the proxy at 10.0.0.5. */
async function readsFromTwoClients(
  trustProxy: false | number | readonly string[],
  proxy = '10.0.0.5',
): Promise<number[]> {
  const harness = await startHarness({ withPipeline: false, rateLimits: TWO_PER_MINUTE, trustProxy })
  try {
    const statuses: number[] = []
    for (const client of ['203.0.113.1', '203.0.113.2'])
      for (let i = 0; i < 3; i++) {
        const res = await harness.app.inject({
          method: 'GET',
          url: '/api/v1/categories',
          remoteAddress: proxy,
          headers: { 'x-forwarded-for': client },
        })
        statuses.push(res.statusCode)
      }
    return statuses
  } finally {
    await harness.close()
  }
}

t.test('a trusted proxy: each client behind it has its own limit', async (t) => {
  t.same(await readsFromTwoClients(['10.0.0.0/8']), [200, 200, 429, 200, 200, 429], 'by CIDR')
  t.same(await readsFromTwoClients(1), [200, 200, 429, 200, 200, 429], 'by hop count')
})

t.test('no trusted proxy, or a sender that is not one: X-Forwarded-For is ignored', async (t) => {
  t.same(await readsFromTwoClients(false), [200, 200, 429, 429, 429, 429], 'not configured')
  t.same(
    await readsFromTwoClients(['192.168.0.0/16'], '10.0.0.5'),
    [200, 200, 429, 429, 429, 429],
    'the sender is not among the trusted proxies',
  )
})
