// A Redis server of the test's own (the machine's `redis-server`, nothing kept on disk), for a test that flushes
// all of Redis mid-run: FLUSHALL there cannot reach the keys of tests running beside it on the shared server.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { Redis } from 'ioredis'

export interface OwnRedis {
  readonly url: string
  stop(): Promise<void>
}

async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  server.close()
  if (address === null || typeof address === 'string') throw new Error('no TCP port for redis-server')
  return address.port
}

export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort()
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  )
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const exited = new Promise<string>((resolve) => {
    child.once('error', (err) => resolve(err.message))
    child.once('exit', (code, signal) => resolve(`exited (${signal ?? code})`))
  })
  const url = `redis://127.0.0.1:${port}`
  const ping = async (): Promise<string | undefined> => {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
    probe.on('error', () => undefined)
    try {
      await probe.connect()
      return await probe.ping()
    } catch {
      return undefined
    } finally {
      probe.disconnect()
    }
  }
  const deadline = Date.now() + 10_000
  try {
    for (;;) {
      const answer = await Promise.race([exited.then((how) => ({ how })), ping()])
      if (answer === 'PONG') break
      if (typeof answer === 'object')
        throw new Error(`redis-server on port ${port} ${answer.how}: ${stderr.trim()}`)
      if (Date.now() > deadline) throw new Error(`redis-server on port ${port}: no PONG within 10 s`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  } catch (err) {
    child.kill('SIGKILL')
    throw err
  }
  return {
    url,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGKILL')
      await exited
    },
  }
}
