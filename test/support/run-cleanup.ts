// What a real-stack test run made, removed at its end: its Redis keys, its PostgreSQL schema, its topics and
// its consumer groups (each run has its own prefix, schema, application ID and groups; nothing shared is
// touched).
import type { Redis } from 'ioredis'
import pg from 'pg'
import { deleteTopicsMatching, kafkaClient } from './kafka.ts'

export interface RunState {
  readonly databaseUrl: string
  /** The run's read-model schema, dropped with everything in it. */
  readonly schema: string
  /** Topic name prefixes of the run (its topic prefix, its application ID for the internal topics). */
  readonly topicPrefixes: readonly string[]
  readonly groups: readonly string[]
  /** The run's Redis keys (`pattern` for KEYS), deleted; the client is closed after. */
  readonly redis?: { readonly client: Redis; readonly pattern: string }
}

export async function dropRunState(run: RunState): Promise<void> {
  if (run.redis !== undefined) {
    const keys = await run.redis.client.keys(run.redis.pattern)
    if (keys.length > 0) await run.redis.client.del(...keys)
    await run.redis.client.quit()
  }
  const client = new pg.Client({ connectionString: run.databaseUrl })
  await client.connect()
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${run.schema} CASCADE`)
  } finally {
    await client.end()
  }
  for (const prefix of run.topicPrefixes) await deleteTopicsMatching(prefix).catch(() => undefined)
  const admin = kafkaClient('cleanup').admin()
  await admin.connect()
  await admin.deleteGroups([...run.groups]).catch(() => undefined)
  await admin.disconnect()
}
