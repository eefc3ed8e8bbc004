/**
 * The gRPC API in the whole service (`node main.ts` in the embedded default, GRPC_PORT=0): its address is
 * logged at start, it answers beside the HTTP API on the same state, and it closes on SIGTERM.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { status } from '@grpc/grpc-js'
import t from 'tap'
import { SERVICE_NAMES } from '../../query-api/grpc/protos.ts'
import { grpcClients, healthOf } from './grpc-harness.ts'
import { startEmbeddedService } from './service-process.ts'

t.test('GRPC_PORT starts the gRPC API with the service and SIGTERM stops it', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'grpc-service-'))
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
  const app = startEmbeddedService(dataDir, { GRPC_PORT: '0' })
  t.teardown(() => app.child.kill('SIGKILL'))
  const running = await app.waitFor<{ msg?: string; api?: string; grpc?: string }>(
    (l) => l.msg === 'backend-event is running',
    180_000,
  )
  t.match(running.grpc, /^127\.0\.0\.1:\d+$/, 'the gRPC address is logged')
  const address = running.grpc!
  for (const service of ['', ...SERVICE_NAMES])
    t.equal(await healthOf(address, service), 'SERVING', `${service || 'the server'} is SERVING`)

  const clients = grpcClients(address)
  t.teardown(() => clients.close())
  const found = await clients.call<{ items: { id: string }[] }>('guest', 'EventService', 'SearchEvents', {
    size: 100,
  })
  const res = await fetch(`${running.api}/api/v1/events?size=100`)
  const overHttp = (await res.json()) as { items: { id: string }[] }
  t.ok(overHttp.items.length > 0, 'the demo catalog is seeded')
  t.same(
    found.value?.items.map((e) => e.id),
    overHttp.items.map((e) => e.id),
    'gRPC and HTTP show the same catalog',
  )

  app.child.kill('SIGTERM')
  t.same(await app.exited, { code: 0, signal: null }, 'the service stops cleanly')
  const after = await clients.call('guest', 'EventService', 'SearchEvents', {}, { deadlineMs: 2000 })
  t.equal(after.error?.code, status.UNAVAILABLE, 'the gRPC listener is closed')
})
